"""The sanity probes pass on sound models and catch deliberately broken ones."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from advisor import ProbeError
from advisor.core.diagnosis import diagnose
from advisor_probes import load_target
from advisor_probes.sanity import sanity_checks


def digits() -> TensorDataset:
    data = load_target("digits-mlp").data
    return data


def mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


class Detached(nn.Module):
    """Bug: the hidden layer's output is detached, so the first layer never learns."""

    def __init__(self) -> None:
        super().__init__()
        self.body, self.head = nn.Linear(64, 128), nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.body(x)).detach())


class Mixer(nn.Module):
    """Bug: a reshape that moves the batch dimension, mixing samples."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        return self.net(x.t().reshape(b, 64))


def statuses(result) -> dict[str, str]:
    return {c.name: c.status for c in result.checks}


def _state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("target", ["digits-mlp", "digits-cnn", "lstm"])
def test_sound_models_pass_and_are_restored(target: str) -> None:
    t = load_target(target)
    before = _state(t.model)
    rng = torch.get_rng_state()
    result = sanity_checks(t.model, t.data, t.loss_fn)
    assert set(statuses(result).values()) == {"pass"}, [(c.name, c.detail) for c in result.checks]
    assert result.state_restored
    assert all(torch.equal(before[k], v) for k, v in t.model.state_dict().items())
    assert torch.equal(torch.get_rng_state(), rng)
    init = result.check("init_loss")
    assert init is not None and 0.8 < init.measured["ratio"] < 1.25
    assert [a.id for a in diagnose(sanity=result).advice] == ["diag.sanity.all-pass"]


def test_wrong_loss_is_caught() -> None:
    # NLLLoss wants log-probabilities; on raw logits it is unbounded below.
    result = sanity_checks(mlp(), digits(), nn.NLLLoss(), checks=["init_loss", "overfit_batch"])
    assert statuses(result) == {"init_loss": "fail", "overfit_batch": "fail"}
    assert "negative" in result.check("overfit_batch").detail
    assert "broken_init_loss" in [v.name for v in diagnose(sanity=result).verdicts]


def test_shuffled_labels_are_caught_by_the_input_independent_baseline() -> None:
    x, y = digits().tensors
    shuffled = TensorDataset(x, y[torch.randperm(len(y), generator=torch.Generator().manual_seed(1))])
    result = sanity_checks(mlp(), shuffled, nn.CrossEntropyLoss(), checks=["zero_input"])
    check = result.check("zero_input")
    assert check.status == "fail", check.detail
    assert check.measured["margin"] < 1.05
    assert diagnose(sanity=result).top == "ignores_input"
    sound = sanity_checks(mlp(), digits(), nn.CrossEntropyLoss(), checks=["zero_input"])
    assert sound.check("zero_input").measured["margin"] > 2


def test_frozen_weights_are_caught() -> None:
    result = sanity_checks(Detached(), digits(), nn.CrossEntropyLoss(), checks=["update_ratio"])
    check = result.check("update_ratio")
    assert check.status == "fail" and check.measured["frozen"] == 2 and "body.weight" in check.detail
    assert diagnose(sanity=result).top == "frozen_weights"


def test_all_parameters_frozen_fail_rather_than_raise() -> None:
    model = mlp()
    model.requires_grad_(False)
    result = sanity_checks(model, digits(), nn.CrossEntropyLoss(), checks=["overfit_batch", "update_ratio"])
    assert statuses(result) == {"overfit_batch": "fail", "update_ratio": "fail"}
    assert all(not p.requires_grad for p in model.parameters())  # restored as it was


def test_frozen_on_purpose_is_not_a_failure() -> None:
    model = mlp()
    model[0].requires_grad_(False)  # a frozen backbone, as in fine-tuning
    check = sanity_checks(model, digits(), nn.CrossEntropyLoss(), checks=["update_ratio"]).check(
        "update_ratio"
    )
    assert check.status == "pass" and check.measured["requires_grad_false"] == 2


def test_batch_mixing_reshape_is_caught() -> None:
    result = sanity_checks(Mixer(), digits(), nn.CrossEntropyLoss(), checks=["gradient_isolation"])
    check = result.check("gradient_isolation")
    assert check.status == "fail" and check.measured["leaked_samples"] > 0
    assert diagnose(sanity=result).top == "mixes_samples"


def test_batchnorm_is_switched_to_eval_for_isolation_and_restored() -> None:
    t = load_target("digits-cnn")
    t.model.train()
    result = sanity_checks(t.model, t.data, t.loss_fn, checks=["gradient_isolation"])
    assert result.check("gradient_isolation").status == "pass"
    assert all(m.training for m in t.model.modules())


def test_update_ratio_tracks_the_learning_rate() -> None:
    big = sanity_checks(
        mlp(), digits(), nn.CrossEntropyLoss(), optimizer="sgd", lr=50.0, checks=["update_ratio"]
    )
    small = sanity_checks(
        mlp(), digits(), nn.CrossEntropyLoss(), optimizer="sgd", lr=1e-7, checks=["update_ratio"]
    )
    assert big.check("update_ratio").status == "fail" and big.check("update_ratio").measured["median"] > 0.05
    assert (
        small.check("update_ratio").status == "fail" and small.check("update_ratio").measured["median"] < 1e-5
    )
    assert diagnose(sanity=big).top == "update_too_large"
    assert diagnose(sanity=small).top == "update_too_small"


def test_regression_init_loss_suggests_the_target_mean_bias() -> None:
    torch.manual_seed(0)
    x = torch.randn(256, 8)
    y = x.sum(1, keepdim=True) + 5.0
    result = sanity_checks(nn.Linear(8, 1), TensorDataset(x, y), nn.MSELoss(), checks=["init_loss"])
    check = result.check("init_loss")
    assert check.status == "skipped" and check.measured["suggested_bias"] == pytest.approx(5.0, abs=1.0)


def test_token_inputs_skip_isolation_and_custom_loss_skips_what_needs_inputs() -> None:
    torch.manual_seed(0)
    tokens = TensorDataset(torch.randint(0, 50, (128, 6)), torch.randint(0, 2, (128,)))
    model = nn.Sequential(nn.Embedding(50, 8), nn.Flatten(), nn.Linear(48, 2))
    result = sanity_checks(model, tokens, nn.CrossEntropyLoss(), checks=["gradient_isolation"])
    assert result.check("gradient_isolation").status == "skipped"

    def compute(m: nn.Module, batch, loss_fn) -> torch.Tensor:
        return loss_fn(m(batch[0]), batch[1])

    custom = sanity_checks(
        mlp(), DataLoader(digits(), batch_size=16), nn.CrossEntropyLoss(), compute_loss=compute
    )
    assert statuses(custom)["zero_input"] == "skipped" and statuses(custom)["overfit_batch"] == "pass"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"checks": ["nope"]}, "unknown sanity check"),
        ({"optimizer": "lion"}, "unknown optimizer"),
        ({"lr": -1.0}, "lr must be a positive number"),
        ({"batch_size": 1}, "batch_size must be >= 2"),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ProbeError, match=message):
        sanity_checks(mlp(), digits(), nn.CrossEntropyLoss(), **kwargs)


def test_a_model_that_raises_is_a_clear_error_and_state_is_kept() -> None:
    model = nn.Linear(3, 2)  # wrong input width for the digits
    before = _state(model)
    with pytest.raises(ProbeError, match="sanity check init_loss: the model raised RuntimeError"):
        sanity_checks(model, digits(), nn.CrossEntropyLoss())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
