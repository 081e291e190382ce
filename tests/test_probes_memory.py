from __future__ import annotations

import numpy as np
import pytest
import torch

from advisor_probes.batch_size import _Stepper
from advisor_probes.batches import default_compute_loss
from advisor_probes.examples import digits_mlp
from advisor_probes.memory import Envelope, Trace, parse_memory
from advisor_probes.optimizers import build_optimizer


def test_envelope_of_lines_beats_a_single_line() -> None:
    # Event 0 dominates small batches (optimizer step), event 2 large ones (backward).
    small = Trace(8, np.array([1000, -1000, 8 * 50]))
    large = Trace(16, np.array([1000, -1000, 16 * 50]))
    env = Envelope.fit(small, large, resident=100)
    assert env is not None
    assert env.peak(4) == 100 + 1000 and env.peak(100) == 100 + 5000
    assert env.max_batch(2100) == 40
    assert env.max_batch(1000) == 0  # even B=1 does not fit
    assert len(env.lines()) == 2


def test_different_event_sequences_do_not_fit() -> None:
    assert Envelope.fit(Trace(8, np.array([10, -10])), Trace(16, np.array([10, 5, -15])), 0) is None


def test_the_envelope_predicts_measured_peaks_exactly() -> None:
    model, data, loss = digits_mlp()
    opt = build_optimizer("adam", model.parameters(), 1e-12)
    stepper = _Stepper(model, data, loss, opt, default_compute_loss, torch.device("cpu"), 1 << 40)
    stepper.step(32)
    resident = stepper.resident()
    env = Envelope.fit(stepper.trace(32), stepper.trace(64), resident)
    assert env is not None
    for size in (100, 1000, 5000):
        assert float(env.peak(size)) == resident + stepper.trace(size).peak


@pytest.mark.parametrize("text,value", [
    ("24GiB", 24 << 30), ("512MiB", 512 << 20), ("16GB", 16 * 10**9), ("1.5 gib", int(1.5 * (1 << 30))),
    ("2000000", 2_000_000),
])
def test_parse_memory(text: str, value: int) -> None:
    assert parse_memory(text) == value


@pytest.mark.parametrize("text", ["lots", "12 parsecs", "-3GiB"])
def test_parse_memory_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="cannot read memory size"):
        parse_memory(text)
