"""PyTorch probe runs; the only package that imports torch (probes/advisor_probes).

    from advisor_probes import lr_range_test, batch_size_probe, load_target
    target = load_target("digits-mlp")
    result = lr_range_test(target.model, target.data, target.loss_fn, optimizer="adam")

Every probe checks its arguments first, snapshots and restores all state it touches, and returns
a plain result object (`advisor.evidence.results`); plotting happens only when asked.
"""

from advisor.errors import MissingDependencyError

try:  # the one place a missing extra becomes a clear error naming it
    import numpy  # noqa: F401
    import torch  # noqa: F401
except ImportError as exc:
    raise MissingDependencyError(exc.name or "torch", "probes", "the probes") from None

from advisor.evidence.results import BatchProbeResult, LRRangeResult, ProbeResults

from .batch_size import batch_size_probe, search_by_doubling
from .lr_range import lr_range_test
from .lr_search import lr_search
from .state import preserved_state
from .targets import ProbeTarget, load_target, place_model

__all__ = [
    "BatchProbeResult",
    "LRRangeResult",
    "ProbeResults",
    "ProbeTarget",
    "batch_size_probe",
    "load_target",
    "lr_range_test",
    "lr_search",
    "place_model",
    "preserved_state",
    "search_by_doubling",
]
