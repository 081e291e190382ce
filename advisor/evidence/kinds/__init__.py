"""One module per kind of evidence, each defining `KIND = EvidenceKind(...)` (see
advisor.evidence.registry, which finds them here)."""
