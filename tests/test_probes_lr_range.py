from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from advisor import ProbeError
from advisor_probes import load_target, lr_range_test


@pytest.fixture
def mlp():
    return load_target("digits-mlp")


def _state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_finds_a_valley_and_restores_state(mlp) -> None:
    before = _state(mlp.model)
    rng = torch.get_rng_state()
    result = lr_range_test(mlp.model, mlp.data, mlp.loss_fn, optimizer="adam", batch_size=64)
    assert result.status == "ok" and result.state_restored
    assert result.steps_run <= 100 and len(result.losses) == result.steps_run
    assert result.lr_low <= result.suggested_lr <= result.lr_high
    assert result.suggested_lr < result.min_loss_lr
    assert 1e-3 < result.suggested_lr < 1e-1  # digits-MLP with Adam trains best near 1e-2
    assert {p.method for p in result.picks} == {"steepest", "valley", "min/10", "min/30"}
    assert all(torch.equal(before[k], v) for k, v in mlp.model.state_dict().items())
    assert torch.equal(torch.get_rng_state(), rng)


def test_same_seed_same_result(mlp) -> None:
    a = lr_range_test(mlp.model, mlp.data, mlp.loss_fn, seed=3)
    b = lr_range_test(mlp.model, mlp.data, mlp.loss_fn, seed=3)
    assert a == b
    c = lr_range_test(mlp.model, mlp.data, mlp.loss_fn, seed=4)
    assert c.losses != a.losses


def test_stops_early_on_divergence(mlp) -> None:
    result = lr_range_test(mlp.model, mlp.data, mlp.loss_fn, optimizer="sgd", end_lr=1e4)
    assert result.diverged_at_lr is not None and result.steps_run < 100


def test_nan_loss_from_step_zero_is_explained_not_raised(mlp) -> None:
    before = _state(mlp.model)

    def nan_loss(out, target):
        return (out * float("nan")).sum()

    result = lr_range_test(mlp.model, mlp.data, nan_loss)
    assert result.status == "diverged" and "not finite" in result.reason
    assert result.suggested_lr is None and result.steps_run == 1
    assert all(torch.equal(before[k], v) for k, v in mlp.model.state_dict().items())
    assert json_safe(result)


def json_safe(result) -> bool:
    import json

    json.loads(result.model_dump_json())
    return True


def test_a_model_that_cannot_learn_has_no_clear_minimum() -> None:
    torch.manual_seed(0)
    x = torch.randn(512, 8)
    y = torch.randint(0, 2, (512,))  # labels independent of inputs
    model = nn.Sequential(nn.Linear(8, 1), nn.Flatten(0))

    def loss(out, target):  # the loss ignores the parameters' effect entirely
        return out.detach().mean() * 0 + 0.69 + 0 * out.sum()

    result = lr_range_test(model, TensorDataset(x, y), loss)
    assert result.status == "no_clear_minimum" and result.reason


def test_custom_batches_accumulation_and_user_optimizer_with_scheduler() -> None:
    torch.manual_seed(0)
    x = torch.randn(640, 6)
    y = (x[:, 0] > 0).long()
    batches = [{"features": x[i:i + 32], "label": y[i:i + 32], "meta": "anything"}
               for i in range(0, 640, 32)]
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(opt, 10)
    before = _state(model)

    def compute_loss(m, batch, loss_fn):
        return loss_fn(m(batch["features"]), batch["label"])

    result = lr_range_test(model, batches, nn.CrossEntropyLoss(), optimizer=opt, scheduler=sched,
                           accumulation_steps=2, compute_loss=compute_loss, steps=60)
    assert result.status in ("ok", "no_clear_minimum") and result.steps_run <= 60
    assert opt.param_groups[0]["lr"] == 0.05 and sched.last_epoch == 0
    assert not opt.state_dict()["state"]  # momentum buffers from the probe are gone
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_default_batches_need_a_known_shape() -> None:
    model = nn.Linear(2, 2)
    with pytest.raises(ProbeError, match=r"cannot read a batch of type str"):
        lr_range_test(model, ["not a batch"] * 10, nn.MSELoss())


def test_a_model_that_raises_leaves_the_model_as_it_was() -> None:
    class Broken(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(3, 2)
            self.calls = 0

        def forward(self, x):
            self.calls += 1
            if self.calls > 5:
                raise RuntimeError("shape mismatch somewhere")
            return self.lin(x)

    model = Broken()
    before = _state(model)
    data = TensorDataset(torch.randn(64, 3), torch.randint(0, 2, (64,)))
    with pytest.raises(ProbeError, match=r"model or loss raised.*shape mismatch"):
        lr_range_test(model, data, nn.CrossEntropyLoss())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


@pytest.mark.parametrize("kwargs,message", [
    ({"start_lr": 1.0, "end_lr": 0.1}, "start_lr < end_lr"),
    ({"steps": 2}, "steps must be between"),
    ({"accumulation_steps": 0}, "accumulation_steps"),
    ({"optimizer": "adma"}, "unknown optimizer 'adma'"),
])
def test_bad_arguments(mlp, kwargs, message) -> None:
    with pytest.raises(ProbeError, match=message):
        lr_range_test(mlp.model, mlp.data, mlp.loss_fn, **kwargs)


def test_empty_data() -> None:
    model = nn.Linear(2, 2)
    with pytest.raises(ProbeError, match="empty"):
        lr_range_test(model, TensorDataset(torch.empty(0, 2), torch.empty(0)), nn.MSELoss())
    with pytest.raises(ProbeError, match="no batches"):
        lr_range_test(model, DataLoader(TensorDataset(torch.empty(0, 2), torch.empty(0))), nn.MSELoss())


def test_losses_are_finite_or_nan_only(mlp) -> None:
    result = lr_range_test(mlp.model, mlp.data, mlp.loss_fn, optimizer="sgd", end_lr=1e4)
    assert all(math.isfinite(v) or math.isnan(v) for v in result.losses)


def test_bf16_autocast_on_cpu_and_a_clear_error_for_an_unknown_precision(mlp) -> None:
    result = lr_range_test(mlp.model, mlp.data, mlp.loss_fn, optimizer="adam", batch_size=64, amp="bf16")
    assert result.status == "ok" and result.state_restored
    plain = lr_range_test(mlp.model, mlp.data, mlp.loss_fn, optimizer="adam", batch_size=64)
    assert result.losses != plain.losses  # bfloat16 matmuls really ran
    with pytest.raises(ProbeError, match="bf16 or fp16"):
        lr_range_test(mlp.model, mlp.data, mlp.loss_fn, amp="fp8")
