"""What the probes report, as plain frozen models: no torch needed to read, send or consume them.

Each result model lives with its kind (advisor.evidence.kinds); `ProbeResults`, the probes that ran
for one recommendation, has one optional field per probe kind in the registry.
"""

from __future__ import annotations

from typing import Any

from pydantic import create_model, model_validator

from advisor.evidence.kinds._common import Frozen
from advisor.evidence.kinds.batch import BatchPoint, BatchProbeResult, BatchStatus
from advisor.evidence.kinds.data_scaling import DataScalingResult, ScalingPoint
from advisor.evidence.kinds.lr_range import Confidence, LRMode, LRPick, LRRangeResult, LRStatus, LRTrial
from advisor.evidence.kinds.sanity import CheckStatus, SanityCheck, SanityName, SanityResult
from advisor.evidence.registry import probe_kinds
from advisor.yamlio import document_problems

# The largest count or byte size a probe measures: nothing a rule computes from a result can then
# overflow a float (saved files and HTTP bodies alike).
MAX_RESULT_INT = 10**18

__all__ = [
    "BatchPoint", "BatchProbeResult", "BatchStatus", "CheckStatus", "Confidence", "DataScalingResult",
    "LRMode", "LRPick", "LRRangeResult", "LRStatus", "LRTrial", "ProbeResults",
    "SanityCheck", "SanityName", "SanityResult", "ScalingPoint",
]

class _Bounded(Frozen):
    @model_validator(mode="before")
    @classmethod
    def _bounded(cls, data: Any) -> Any:
        """Unencodable text, hostile nesting and integers beyond MAX_RESULT_INT are refused here,
        where results enter from a file or a request."""
        if isinstance(data, dict):
            problems = document_problems(data, max_int=MAX_RESULT_INT)
            if problems:
                loc, message = problems[0]
                raise ValueError(f"{'.'.join(str(p) for p in loc) or '(top level)'}: {message}")
        return data


_fields: dict[str, Any] = {k.slot: (k.result | None, None) for k in probe_kinds()}
ProbeResults: type[Frozen] = create_model(
    "ProbeResults", __base__=_Bounded, __module__=__name__,
    __doc__="The probes that ran for one recommendation (each optional).", **_fields,
)
