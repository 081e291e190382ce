from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from advisor import ProbeError
from advisor_probes import batch_size_probe, load_target, search_by_doubling
from advisor_probes.batch_size import _Stepper, resolve_budget
from advisor_probes.batches import default_compute_loss
from advisor_probes.optimizers import build_optimizer


def true_max(factory, budget: int) -> int:
    model, data, loss = factory()
    opt = build_optimizer("adam", model.parameters(), 1e-12)
    stepper = _Stepper(model, data, loss, opt, default_compute_loss, torch.device("cpu"), budget)
    stepper.step(32)
    found, _ = search_by_doubling(stepper.measure)
    return found


@pytest.mark.parametrize("name", ["digits-mlp", "digits-cnn", "lstm"])
def test_predicts_the_maximum_from_two_traces_and_one_confirmation(name: str) -> None:
    target = load_target(name)
    before = {k: v.clone() for k, v in target.model.state_dict().items()}
    budget = 24 << 20
    result = batch_size_probe(target.model, target.data, target.loss_fn, memory=budget)
    truth = true_max(lambda: tuple(vars(load_target(name))[k] for k in ("model", "data", "loss_fn")),
                     result.budget_bytes)
    n = len(target.data)
    assert result.status == "ok" and result.exact and result.train_samples == n
    assert 0.99 * truth <= result.memory_max_batch <= truth
    # never above the training set: the maximum is what both memory and the data allow
    assert result.predicted_max_batch == min(result.memory_max_batch, n)
    assert result.data_limited == (result.memory_max_batch > n)
    assert result.real_runs == 4 and result.ooms == 0  # warm-up, two traces, one confirmation
    confirmed = [p.batch_size for p in result.points if p.source == "confirm"]
    assert confirmed == [result.predicted_max_batch]  # the real step is never larger than the data
    # the largest power of two at or below the memory maximum less the headroom and a tenth of the data
    bound = min(int(result.memory_max_batch * (1 - result.headroom)), n // 10)
    assert result.recommended_batch & (result.recommended_batch - 1) == 0
    assert result.recommended_batch <= bound < 2 * result.recommended_batch
    assert result.state_restored
    assert all(torch.equal(before[k], v) for k, v in target.model.state_dict().items())


class GrowsWithBatch(nn.Module):
    """Allocates a scratch buffer only for batches above 40: the event sequence changes."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(16, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.lin(x)
        if x.shape[0] > 40:
            out = out + torch.zeros(x.shape[0], 4096).sum(dim=1, keepdim=True) * 0
        return out


def test_dynamic_shapes_fall_back_to_measuring_and_back_off_from_ooms() -> None:
    model = GrowsWithBatch()
    data = TensorDataset(torch.randn(256, 16), torch.randn(256, 4))
    budget = 4 << 20
    # Both traces below 40: the envelope misses the buffer, the confirmation fails, it measures.
    result = batch_size_probe(model, data, nn.MSELoss(), memory=budget, trace_sizes=(16, 32))
    assert result.status == "ok" and not result.exact
    assert result.ooms >= 1  # the simulated OOMs on CPU were backed off from
    stepper = _Stepper(model, data, nn.MSELoss(), build_optimizer("adam", model.parameters(), 1e-12),
                       default_compute_loss, torch.device("cpu"), result.budget_bytes)
    stepper.step(32)
    assert stepper.measure(result.predicted_max_batch) <= budget
    assert stepper.measure(result.predicted_max_batch + 1) == float("inf")


def test_nothing_fits() -> None:
    target = load_target("digits-cnn")
    result = batch_size_probe(target.model, target.data, target.loss_fn, memory=1000)
    assert result.status == "exceeds_budget_at_1" and result.recommended_batch is None


def test_effective_batch_is_kept_by_accumulation() -> None:
    target = load_target("digits-mlp")
    result = batch_size_probe(target.model, target.data, target.loss_fn, memory="1MiB",
                              effective_batch=4096)
    assert result.gradient_accumulation_steps * result.recommended_batch >= 4096


def test_budgets_and_bad_input() -> None:
    cpu = torch.device("cpu")
    assert resolve_budget(cpu, None, "a100-80gb") == int(80 * (1 << 30) * 0.9)
    with pytest.raises(ProbeError, match="unknown GPU 'a100'"):
        resolve_budget(cpu, None, "a100")
    with pytest.raises(ProbeError, match="not both"):
        resolve_budget(cpu, "1GiB", "a100-80gb")
    with pytest.raises(ProbeError, match="cannot read memory size"):
        resolve_budget(cpu, "lots", None)
    model = nn.Linear(2, 2)
    with pytest.raises(ProbeError, match="needs a Dataset or a DataLoader"):
        batch_size_probe(model, [(torch.randn(2, 2), torch.randn(2, 2))], nn.MSELoss(), memory="1GiB")
    with pytest.raises(ProbeError, match="trace sizes"):
        batch_size_probe(model, TensorDataset(torch.randn(4, 2)), nn.MSELoss(), trace_sizes=(8, 4))


def test_a_named_gpu_from_a_cpu_run_is_an_unconfirmed_estimate() -> None:
    target = load_target("digits-mlp")
    result = batch_size_probe(target.model, target.data, target.loss_fn, gpu="a100-80gb")
    assert result.status == "ok" and not result.confirmed and "not confirmed" in result.reason
    assert result.real_runs == 3  # warm-up and two traces: no step at a GPU-sized batch on CPU
    assert result.memory_max_batch > 1_000_000
    assert result.predicted_max_batch == len(target.data) and result.data_limited
    assert result.recommended_batch == 128  # 1797 samples: at least 10 steps per epoch


def test_the_recommendation_is_the_power_of_two_below_the_bounds() -> None:
    from advisor_probes.batch_size import recommend_batch

    assert recommend_batch(13_300_000, 10**9) == 1 << 23  # no fixed cap (was 2^20)
    assert recommend_batch(13_300_000, 1_437) == 128  # at least 10 steps per epoch
    assert recommend_batch(600, 10**6) == 512  # 600 less 10% headroom = 540
    assert recommend_batch(1, 5) == 1


def test_without_a_budget_a_cpu_step_stays_small() -> None:
    target = load_target("digits-mlp")
    result = batch_size_probe(target.model, target.data, target.loss_fn)  # no memory given
    from advisor_probes.memory import available_cpu_bytes

    assert result.budget_bytes <= 0.55 * available_cpu_bytes()  # half of what is available
    assert max(p.batch_size for p in result.points) <= len(target.data)


def test_an_unasked_huge_cpu_step_is_predicted_not_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """~3 MB of activations per sample, 2,000 samples: a step at the data's size needs ~6 GB."""
    import advisor_probes.batch_size as bs

    monkeypatch.setattr(bs, "available_cpu_bytes", lambda: 64 << 30)  # a machine with 64 GiB free
    model = nn.Sequential(nn.Linear(8, 1 << 18), nn.ReLU(), nn.Linear(1 << 18, 1))
    data = TensorDataset(torch.randn(2000, 8), torch.randn(2000, 1))
    result = batch_size_probe(model, data, nn.MSELoss())
    assert result.status == "ok" and not result.confirmed
    assert "was not run because no memory budget was given" in result.reason
    assert result.real_runs == 3 and max(p.batch_size for p in result.points) <= 64  # only the traces
    assert result.predicted_max_batch == 2000 and result.recommended_batch == 128


def test_the_fallback_search_never_measures_above_the_data() -> None:
    seen: list[int] = []

    def fits_below_5000(size: int) -> float:
        seen.append(size)
        return 1.0 if size < 5000 else float("inf")

    assert search_by_doubling(fits_below_5000, limit=1797)[0] == 1797 and max(seen) <= 1797
    seen.clear()
    assert search_by_doubling(fits_below_5000, limit=10**6)[0] == 4999
