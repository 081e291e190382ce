"""Peak memory of one training step as a function of the batch size.

For every allocation/free event t of a step, the bytes in use are affine in the batch size:
m_t(B) = c_t + s_t * B. Two traces at two small batch sizes with the same event sequence give
every c_t and s_t, so peak(B) = resident + max_t(c_t + s_t * B) exactly for any B: the upper
envelope of lines. One straight line through two peaks is not enough - the step that sets the
peak can change with B (optimizer step for small batches, backward for large ones).
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from torch.profiler import ProfilerActivity, profile


@dataclass(frozen=True)
class Trace:
    batch_size: int
    deltas: np.ndarray  # signed bytes per allocator event, in time order

    @property
    def curve(self) -> np.ndarray:
        """Bytes in use after each event, relative to the start of the step (0 prepended)."""
        return np.concatenate([[0], np.cumsum(self.deltas)])

    @property
    def peak(self) -> int:
        return int(self.curve.max())

    def signature(self) -> tuple[int, ...]:
        return tuple(int(np.sign(d)) for d in self.deltas)


@contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Kineto prints start/stop lines from C++ straight to fd 2; keep the terminal clean."""
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 (embedded interpreters): nothing to silence
        yield
        return
    sys.stderr.flush()
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def trace_step(step: Callable[[], None], device: torch.device, batch_size: int) -> Trace:
    """Run `step` once under the profiler and return its allocation events on `device`."""
    activities = [ProfilerActivity.CPU]
    if device.type == "cuda":
        activities.append(ProfilerActivity.CUDA)
    with _native_stderr_silenced(), profile(activities=activities, profile_memory=True) as prof:
        step()
    events: list[tuple[int, int, int]] = []
    stack = list(prof.profiler.kineto_results.experimental_event_tree())
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if "Allocation" in str(node.tag):
            extra = node.extra_fields
            if extra.device.type == device.type:
                events.append((node.start_time_ns, len(events), int(extra.alloc_size)))
    events.sort()
    return Trace(batch_size, np.array([size for _, _, size in events], dtype=np.int64))


@dataclass(frozen=True)
class Envelope:
    """peak(B) = resident + max_t(intercepts[t] + slopes[t] * B)."""

    resident: int
    intercepts: np.ndarray
    slopes: np.ndarray

    @classmethod
    def fit(cls, a: Trace, b: Trace, resident: int) -> Envelope | None:
        """Per-event lines through two traces; None when the event sequences differ."""
        if a.signature() != b.signature() or a.batch_size == b.batch_size:
            return None
        ca, cb = a.curve.astype(float), b.curve.astype(float)
        slopes = (cb - ca) / (b.batch_size - a.batch_size)
        return cls(resident, ca - slopes * a.batch_size, slopes)

    def peak(self, batch_size: int | np.ndarray) -> np.ndarray | float:
        b = np.asarray(batch_size, dtype=float)
        return self.resident + np.max(self.intercepts[:, None] + self.slopes[:, None] * b.reshape(1, -1),
                                      axis=0).reshape(b.shape)

    def max_batch(self, budget: int, limit: int = 1 << 24) -> int:
        """The largest B >= 1 with peak(B) <= budget (0 when even B=1 does not fit)."""
        room = budget - self.resident
        if float(self.peak(1)) > budget:
            return 0
        best = limit
        for c, s in zip(self.intercepts, self.slopes, strict=True):
            if s > 1e-9:
                best = min(best, math.floor((room - c) / s + 1e-9))
        return max(1, best)

    def lines(self) -> tuple[tuple[float, float], ...]:
        """(bytes at B=0, bytes per sample) of the lines forming the envelope in [1, 2^20]."""
        grid = np.unique(np.round(np.geomspace(1, 1 << 20, 400)))
        winners = np.argmax(self.intercepts[:, None] + self.slopes[:, None] * grid[None, :], axis=0)
        return tuple((float(self.resident + self.intercepts[i]), float(self.slopes[i]))
                     for i in dict.fromkeys(winners.tolist()))


def resident_bytes(model: torch.nn.Module, optimizer: torch.optim.Optimizer | None) -> int:
    """Bytes held before a step starts: parameters, buffers, gradients, optimizer state."""
    seen: set[int] = set()
    total = 0

    def add(t: torch.Tensor | None) -> None:
        nonlocal total
        if t is None or not isinstance(t, torch.Tensor):
            return
        storage = t.untyped_storage()
        key = storage.data_ptr()
        if key not in seen:
            seen.add(key)
            total += storage.nbytes()

    for p in model.parameters():
        add(p)
        add(p.grad)
    for buf in model.buffers():
        add(buf)
    if optimizer is not None:
        for state in optimizer.state.values():
            for value in state.values():
                add(value if isinstance(value, torch.Tensor) else None)
    return total


GIB = 1 << 30
# Total memory of common GPUs; the usable budget keeps a 10% fragmentation/context allowance.
GPUS = {
    "t4-16gb": 16, "v100-16gb": 16, "v100-32gb": 32, "a10-24gb": 24, "l4-24gb": 24,
    "rtx3090-24gb": 24, "rtx4090-24gb": 24, "a100-40gb": 40, "a100-80gb": 80,
    "h100-80gb": 80, "h200-141gb": 141,
}
ALLOWANCE = 0.10


def parse_memory(text: str) -> int:
    """'24GiB', '512MiB', '16GB', '1.5 gib', '2000000000' -> bytes."""
    units = {"": 1, "b": 1, "kb": 10**3, "kib": 1 << 10, "mb": 10**6, "mib": 1 << 20,
             "gb": 10**9, "gib": 1 << 30, "tb": 10**12, "tib": 1 << 40}
    cleaned = text.strip().lower().replace(" ", "")
    number = cleaned.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = cleaned[len(number):]
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"cannot read memory size {text!r}; write e.g. 24GiB or 512MiB") from None
    if unit not in units or value <= 0:
        raise ValueError(f"cannot read memory size {text!r}; units: {', '.join(u for u in units if u)}")
    return int(value * units[unit])


def available_cpu_bytes() -> int:
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 4 * GIB
