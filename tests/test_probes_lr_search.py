from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from advisor import ProbeError, ProbeResults, parse_profile, recommend
from advisor_probes import load_target, lr_search
from advisor_probes.lr_search import (
    HORIZON_EXPONENT,
    MIN_BUDGET,
    RAMP_STEPS,
    _rungs,
    _units,
    horizon_corrected,
)


@pytest.fixture
def mlp():
    return load_target("digits-mlp")


def _state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_ramp_then_halving_inside_the_budget_and_state_restored(mlp) -> None:
    before = _state(mlp.model)
    rng = torch.get_rng_state()
    result = lr_search(mlp.model, mlp.data, mlp.loss_fn, optimizer="adam", run_steps=2000, batch_size=64)
    assert result.mode == "thorough" and result.status == "ok" and result.state_restored
    assert result.steps_run <= RAMP_STEPS  # the ramp stops where the loss blows up
    assert result.cost_steps <= 400 and result.cost_share == pytest.approx(result.cost_steps / 2000)
    rungs = sorted({t.rung for t in result.trials})
    assert rungs == list(range(len(rungs))) and len(rungs) >= 2
    first = [t for t in result.trials if t.rung == 0]
    assert len(first) >= 5 and len({t.steps for t in first}) == 1
    # every later round has fewer candidates, twice the steps, and only ones that were ahead
    for r in rungs[1:]:
        now = [t for t in result.trials if t.rung == r]
        before_round = sorted((t for t in result.trials if t.rung == r - 1 and t.heldout_loss is not None),
                              key=lambda t: t.heldout_loss)
        assert {t.lr for t in now} == {t.lr for t in before_round[:len(now)]}
        assert all(t.steps == 2 * before_round[0].steps for t in now)
    last = [t for t in result.trials if t.rung == rungs[-1]]
    winner = min(last, key=lambda t: t.heldout_loss)
    assert result.suggested_lr == pytest.approx(horizon_corrected(winner.lr, winner.steps, 2000))
    assert result.suggested_lr < winner.lr  # a longer run wants a smaller LR
    assert result.heldout_samples == round(0.15 * len(mlp.data))
    assert all(torch.equal(before[k], v) for k, v in mlp.model.state_dict().items())
    assert torch.equal(torch.get_rng_state(), rng)


def test_same_seed_same_answer(mlp) -> None:
    a = lr_search(mlp.model, mlp.data, mlp.loss_fn, budget_steps=260, batch_size=64, seed=3)
    b = lr_search(mlp.model, mlp.data, mlp.loss_fn, budget_steps=260, batch_size=64, seed=3)
    assert a.suggested_lr == b.suggested_lr and a.trials == b.trials


def test_bf16_trials_on_cpu_restore_state(mlp) -> None:
    before = _state(mlp.model)
    mixed = lr_search(mlp.model, mlp.data, mlp.loss_fn, budget_steps=260, batch_size=64, amp="bf16")
    plain = lr_search(mlp.model, mlp.data, mlp.loss_fn, budget_steps=260, batch_size=64)
    assert mixed.state_restored and mixed.trials
    assert [t.heldout_loss for t in mixed.trials] != [t.heldout_loss for t in plain.trials]  # bf16 really ran
    assert all(torch.equal(before[k], v) for k, v in mlp.model.state_dict().items())
    with pytest.raises(ProbeError, match="bf16 or fp16"):
        lr_search(mlp.model, mlp.data, mlp.loss_fn, budget_steps=260, amp="fp8")


def test_a_short_run_gets_the_quick_ramp_and_says_so(mlp) -> None:
    result = lr_search(mlp.model, mlp.data, mlp.loss_fn, run_steps=5 * (MIN_BUDGET - 1), batch_size=64)
    assert result.mode == "quick" and not result.trials and result.cost_steps <= RAMP_STEPS
    assert "quick ramp" in result.reason


def test_validation_data_and_a_dataloader(mlp) -> None:
    x, y = mlp.data.tensors
    train = DataLoader(TensorDataset(x[:1000], y[:1000]), batch_size=32, shuffle=True)
    result = lr_search(mlp.model, train, mlp.loss_fn, valid=TensorDataset(x[1000:], y[1000:]),
                       budget_steps=250)
    assert result.status == "ok" and result.heldout_samples is None and result.state_restored


def test_runs_that_diverge_drop_out() -> None:
    torch.manual_seed(0)
    x = torch.randn(512, 4)
    y = (x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]])) * 100  # a large-scale regression: high LRs blow up
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
    result = lr_search(model, TensorDataset(x, y), nn.MSELoss(), optimizer="sgd", budget_steps=300)
    diverged = [t for t in result.trials if t.heldout_loss is None]
    later = {t.lr for t in result.trials if t.rung > 0}
    assert not ({t.lr for t in diverged} & later)
    assert all(math.isfinite(v) for v in result.losses if not math.isnan(v))


def test_halving_arithmetic() -> None:
    assert _rungs(6) == [6, 3, 2] and _rungs(2) == [2] and _rungs(7) == [7, 4, 2]
    assert _units([6, 3, 2]) == 6 + 3 * 1 + 2 * 2
    assert horizon_corrected(0.1, 100, 10_000, exponent=0.5) == pytest.approx(0.01)
    assert horizon_corrected(0.1, 100, 10_000) == pytest.approx(0.1 * (100 / 10_000) ** HORIZON_EXPONENT)
    assert horizon_corrected(0.1, 100, None) == 0.1 and horizon_corrected(0.1, 100, 50) == 0.1


@pytest.mark.parametrize("kwargs, message", [({"budget_steps": MIN_BUDGET - 1}, "budget_steps"),
                                             ({"run_steps": 0}, "run_steps")])
def test_bad_budgets(mlp, kwargs, message) -> None:
    with pytest.raises(ProbeError, match=message):
        lr_search(mlp.model, mlp.data, mlp.loss_fn, **kwargs)


def test_the_recurrent_factor_corrects_the_ramp_only() -> None:
    lstm = parse_profile({"task": "classification", "data": {"modality": "sequence", "num_samples": 5000,
                                                             "num_classes": 2},
                          "model": {"family": "lstm", "activation": "tanh"}, "optimizer": "adam"})
    common = {"status": "ok", "optimizer": "adam", "suggested_lr": 0.01, "lr_low": 0.005, "lr_high": 0.02,
              "min_loss_lr": 0.1, "confidence": "high"}
    quick = recommend(lstm, ProbeResults(lr_range={**common, "mode": "quick"}))
    thorough = recommend(lstm, ProbeResults(lr_range={**common, "mode": "thorough"}))
    assert quick.config["learning_rate"] == pytest.approx(0.1 / 25)
    assert thorough.config["learning_rate"] == pytest.approx(0.01)
