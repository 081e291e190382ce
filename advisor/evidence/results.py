"""What the probes report, as plain frozen models: no torch needed to read, send or consume them.

Each result model lives with its kind (advisor.evidence.kinds); `ProbeResults`, the probes that ran
for one recommendation, has one optional field per probe kind in the registry.
"""

from __future__ import annotations

from typing import Any

from pydantic import create_model

from advisor.evidence.kinds._common import Frozen
from advisor.evidence.kinds.batch import BatchPoint, BatchProbeResult, BatchStatus
from advisor.evidence.kinds.data_scaling import DataScalingResult, ScalingPoint
from advisor.evidence.kinds.lr_range import Confidence, LRMode, LRPick, LRRangeResult, LRStatus, LRTrial
from advisor.evidence.kinds.sanity import CheckStatus, SanityCheck, SanityName, SanityResult
from advisor.evidence.registry import probe_kinds

__all__ = [
    "BatchPoint", "BatchProbeResult", "BatchStatus", "CheckStatus", "Confidence", "DataScalingResult",
    "LRMode", "LRPick", "LRRangeResult", "LRStatus", "LRTrial", "ProbeResults",
    "SanityCheck", "SanityName", "SanityResult", "ScalingPoint",
]

_fields: dict[str, Any] = {k.slot: (k.result | None, None) for k in probe_kinds()}
ProbeResults: type[Frozen] = create_model(
    "ProbeResults", __base__=Frozen, __module__=__name__,
    __doc__="The probes that ran for one recommendation (each optional).", **_fields,
)
