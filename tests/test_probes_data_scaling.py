"""The data-scaling probe on a real model: nested subsets, one held-out set, a power-law fit."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from advisor import ProbeError
from advisor.core.diagnosis import diagnose
from advisor_probes import load_target
from advisor_probes.data_scaling import data_scaling_probe


@pytest.fixture(scope="module")
def result():
    t = load_target("digits-mlp")
    before = {k: v.clone() for k, v in t.model.state_dict().items()}
    r = data_scaling_probe(t.model, t.data, t.loss_fn, fractions=(0.1, 0.2, 0.4, 0.8), epochs=8)
    assert all(torch.equal(before[k], v) for k, v in t.model.state_dict().items())
    return r


def test_learning_curve_and_fit(result) -> None:
    assert result.status == "ok" and result.state_restored
    sizes = [p.samples for p in result.points]
    pool = 1797 - int(1797 * 0.2)
    assert sizes == [int(f * pool) for f in (0.1, 0.2, 0.4, 0.8)]
    assert result.points[-1].val_loss < result.points[0].val_loss  # more data helps the digits MLP
    assert result.exponent is not None and result.exponent > 0
    low, high = result.exponent_interval
    assert low <= result.exponent <= high
    g_low, g_high = result.gain_2x_interval
    assert g_low <= result.gain_2x <= g_high and result.gain_4x > result.gain_2x
    assert result.val_samples == int(1797 * 0.2)


def test_same_seed_same_result(result) -> None:
    t = load_target("digits-mlp")
    again = data_scaling_probe(t.model, t.data, t.loss_fn, fractions=(0.1, 0.2, 0.4, 0.8), epochs=8)
    assert again == result


def test_rules_turn_it_into_advice(result) -> None:
    d = diagnose(scaling=result)
    assert d.top in ("collect_more_data", "more_capacity", "more_regularization")
    assert d.verdicts[0].next_steps


def test_a_dataloader_is_read_through_its_dataset() -> None:
    t = load_target("lstm")
    r = data_scaling_probe(
        t.model, DataLoader(t.data, batch_size=64), t.loss_fn, fractions=(0.2, 0.4, 0.8), epochs=2
    )
    assert r.status == "ok" and len(r.points) == 3


def test_plot(result, tmp_path) -> None:
    from advisor_probes.plots import plot_scaling

    path = plot_scaling(result, tmp_path / "s.png")
    assert path.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fractions": (0.5, 1.0)}, "at least 3 different fractions"),
        ({"fractions": (0.1, 0.5, 1.5)}, "fractions must lie in"),
        ({"val_fraction": 0.95}, "val_fraction"),
        ({"optimizer": "lion"}, "unknown optimizer"),
        ({"fractions": (0.0001, 0.5, 1.0)}, "fewer than 2 to train on"),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    t = load_target("digits-mlp")
    with pytest.raises(ProbeError, match=message):
        data_scaling_probe(t.model, t.data, t.loss_fn, **kwargs)


def test_iterable_data_is_refused() -> None:
    t = load_target("digits-mlp")
    with pytest.raises(ProbeError, match="map-style Dataset"):
        data_scaling_probe(t.model, iter([]), nn.CrossEntropyLoss())
