"""PyTorch probe runs; the only package that imports torch (installed as `advisor_probes`).

    from advisor_probes import lr_range_test, batch_size_probe, load_target
    target = load_target("digits-mlp")
    result = lr_range_test(target.model, target.data, target.loss_fn, optimizer="adam")

Every probe checks its arguments first, snapshots and restores all state it touches, and returns
a plain result object (`advisor.probe_results`); plotting happens only when asked.
"""

from advisor.probe_results import BatchProbeResult, LRRangeResult, ProbeResults

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
