"""What is measured: probe results, training histories and the curve features read from them.

Torch-free; the runs themselves live in the `advisor_probes` package (probes/advisor_probes)."""

from advisor.evidence.history import History, load_history
from advisor.evidence.results import ProbeResults

__all__ = ["History", "ProbeResults", "load_history"]
