"""The gradient-noise-scale probe (McCandlish et al. 2018, two batch sizes) on a model whose noise
scale is known in closed form, and the batch-size rules that use its measurement."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.utils.data import TensorDataset  # noqa: E402

from advisor import parse_profile, recommend  # noqa: E402
from advisor.evidence.kinds.noise_scale import NoiseScaleOptions, NoiseScaleResult  # noqa: E402
from advisor.evidence.results import ProbeResults  # noqa: E402
from advisor_probes.noise_scale import run  # noqa: E402
from advisor_probes.runners import run_probe  # noqa: E402
from advisor_probes.targets import ProbeTarget  # noqa: E402


def _regression(n: int = 20000, d: int = 8, noise: float = 1.0, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g)
    w = torch.randn(d, 1, generator=g)
    y = x @ w + noise * torch.randn(n, 1, generator=g)
    model = nn.Linear(d, 1, bias=False)
    nn.init.zeros_(model.weight)
    return model, TensorDataset(x, y), x, y


def _exact_noise_scale(x, y, weight) -> float:
    """tr(Σ)/|G|^2 from the per-sample gradients of (x.w - y)^2 over the whole dataset."""
    per_sample = 2 * x * (x @ weight.T - y)  # (n, d)
    mean = per_sample.mean(0)
    trace = ((per_sample - mean) ** 2).sum(1).mean()
    return float(trace / (mean**2).sum())


def test_the_estimate_matches_the_closed_form_and_state_is_restored() -> None:
    model, data, x, y = _regression()
    before = model.weight.detach().clone()
    exact = _exact_noise_scale(x, y, model.weight.detach())
    options = NoiseScaleOptions(small_batch=8, big_batch=256, pairs=300, train_steps=0, optimizer="sgd")
    result = run(ProbeTarget("linear", model, data, nn.MSELoss()), options, lambda done, status: None)
    assert result.status == "ok" and result.state_restored
    assert torch.equal(model.weight, before)
    assert result.noise_scale == pytest.approx(exact, rel=0.3)
    assert result.interval is not None
    assert result.interval[0] < exact * 1.3 and result.interval[1] > exact / 1.3
    assert result.critical_batch <= result.noise_scale < 2 * result.critical_batch  # a power of two below


def test_less_label_noise_means_a_smaller_noise_scale() -> None:
    """At the optimum's neighbourhood the gradient signal shrinks while the noise stays: training
    first raises the measured scale (the paper's observation that B_noise grows as loss falls)."""
    results = []
    for steps in (0, 200):
        model, data, _, _ = _regression(noise=0.5)
        options = NoiseScaleOptions(small_batch=8, big_batch=128, pairs=100, train_steps=steps, lr=0.05,
                                    optimizer="sgd")
        results.append(run(ProbeTarget("linear", model, data, nn.MSELoss()), options, lambda d, s: None))
    assert all(r.status == "ok" for r in results)
    assert results[1].noise_scale > 5 * results[0].noise_scale


def test_bad_options_and_a_too_small_dataset_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="must exceed small_batch"):
        NoiseScaleOptions(small_batch=64, big_batch=32)
    from advisor.errors import ProbeError

    model, data, _, _ = _regression(n=100)
    with pytest.raises(ProbeError, match="exceeds the 100 training samples"):
        run(ProbeTarget("linear", model, data, nn.MSELoss()), NoiseScaleOptions(big_batch=128),
            lambda d, s: None)


def test_runs_by_name_on_a_builtin_target_with_progress() -> None:
    seen: list[float | None] = []
    result = run_probe("noise-scale", "digits-mlp", {"pairs": 4, "train_steps": 5, "big_batch": 64},
                       progress=lambda done, status: seen.append(done))
    assert result.status in ("ok", "noisy") and result.pairs == 4 and result.state_restored
    assert seen and seen[-1] == pytest.approx(1.0)


PROFILE = parse_profile({
    "task": "classification", "data": {"modality": "image", "num_samples": 50000, "num_classes": 10},
    "model": {"family": "cnn", "depth": 8}, "optimizer": "sgd", "budget": {"epochs": 30},
    "hardware": {"device": "gpu", "memory_gb": 24},
})


def _measured(scale: float, critical: int) -> ProbeResults:
    return ProbeResults(noise_scale=NoiseScaleResult(status="ok", small_batch=8, big_batch=256, pairs=20,
                                                     noise_scale=scale, critical_batch=critical))


def test_the_measured_critical_batch_caps_the_batch_size_and_is_explained() -> None:
    plain = recommend(PROFILE)
    measured = recommend(PROFILE, _measured(40.0, 32))
    assert plain.config["batch_size"] > 32
    assert measured.config["batch_size"] == 32
    assert "probe.noise.cap-batch" in measured.fired
    assert any(e.rule == "probe.noise.cap-batch" for e in measured.explanations["batch_size"])
    # A large measured scale leaves the rules' batch alone.
    assert recommend(PROFILE, _measured(5000.0, 4096)).config["batch_size"] == plain.config["batch_size"]


def test_a_given_batch_far_above_the_noise_scale_is_warned_about() -> None:
    hardware = PROFILE.hardware.model_copy(update={"global_batch_size": 1024})
    given = PROFILE.model_copy(update={"hardware": hardware})
    rec = recommend(given, _measured(40.0, 32))
    assert "probe.noise.batch-above-critical" in rec.fired
    assert rec.config["batch_size"] == 1024  # the user's batch is kept; the advice says why it costs
    assert "probe.noise.batch-above-critical" not in recommend(given, _measured(4000.0, 2048)).fired
