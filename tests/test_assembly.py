"""One parameter put together: claims, modifiers, and the contract's fixes, each leaving a note."""

from __future__ import annotations

from advisor.core.assembly import ParamAssembly, claim_spec
from advisor.core.effects import SetChoices, SetDefault, SetRange, SetScale
from advisor.core.engine import Decision
from advisor.core.explanation import AddChoiceChange, DefaultChange, MidpointChange, WidenChange
from advisor.core.params import PARAMS


def slots(rule, *effects) -> dict[str, Decision]:
    return {e.aspect: Decision(e, rule, e.claim) for e in effects}


def test_a_missing_default_is_the_middle_of_the_range_on_its_scale(kb) -> None:
    rule = kb.rules[0]
    claims = slots(rule, SetRange(param="learning_rate", range=(1e-4, 1e-2)),
                   SetScale(param="learning_rate", scale="log"))
    param = ParamAssembly(PARAMS["learning_rate"], claims)
    param.finish()
    assert param.default == 0.001
    assert param.notes == [("advisor", (MidpointChange, (("value", 0.001),)))]
    assert param.dimension_fields() == {"name": "learning_rate", "type": "real", "low": 1e-4, "high": 1e-2,
                                        "prior": "log-uniform"}


def test_a_default_outside_its_domain_widens_it(kb) -> None:
    rule = kb.rules[0]
    batch = ParamAssembly(PARAMS["batch_size"], slots(rule, SetDefault(param="batch_size", default=96),
                                                      SetChoices(param="batch_size", choices=(32, 64, 128))))
    batch.finish()
    assert batch.choices == [32, 64, 96, 128] and batch.notes[-1][1][0] is AddChoiceChange
    patience = ParamAssembly(PARAMS["early_stopping_patience"], slots(
        rule, SetDefault(param="early_stopping_patience", default=50),
        SetRange(param="early_stopping_patience", range=(2, 20))))
    patience.finish()
    assert patience.range == [2, 50] and patience.notes[-1][1][0] is WidenChange


def test_a_cap_bounds_default_and_choices(kb) -> None:
    rule = kb.rules[0]
    claims = slots(rule, SetDefault(param="batch_size", default=256),
                   SetChoices(param="batch_size", choices=(128, 256, 512)))
    batch = ParamAssembly(PARAMS["batch_size"], claims)
    batch.cap(rule, "max_batch_size", 200.0)
    assert (batch.default, batch.choices) == (128, [32, 64, 128])  # as many candidates, halved below the cap
    assert claim_spec(SetDefault(param="batch_size", default=256)) == (DefaultChange, (("value", 256),))
