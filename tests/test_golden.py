"""Golden outputs pin the recommendation of every example. Regenerate after an intended
change with: UPDATE_GOLDEN=1 make test (then review the diff)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from advisor import recommend

from .conftest import EXAMPLES, ROOT

GOLDEN = ROOT / "tests" / "golden"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_matches_golden(path: Path, profiles) -> None:
    actual = recommend(profiles[path.stem]).to_json()
    golden = GOLDEN / f"{path.stem}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(actual, encoding="utf-8")
    assert golden.exists(), f"no golden file; run UPDATE_GOLDEN=1 pytest {__file__}"
    assert actual == golden.read_text(encoding="utf-8")


def test_ten_or_more_examples_cover_the_required_cases(profiles) -> None:
    assert len(EXAMPLES) >= 10
    regimes = {recommend(profiles[p.stem]).facts.get("regime") for p in EXAMPLES}
    assert {"finetune-small-similar", "finetune-small-different", "finetune-large-similar",
            "finetune-large-different", "scratch"} <= regimes
    families = {profiles[p.stem].model.family for p in EXAMPLES}
    assert {"gan", "lstm", "resnet", "mlp"} <= families
    assert any(profiles[p.stem].data.num_samples < 5000 for p in EXAMPLES)
    assert any(profiles[p.stem].data.imbalance_ratio >= 100 for p in EXAMPLES)
    assert any((profiles[p.stem].hardware.max_batch_size or 99) <= 2 and
               profiles[p.stem].model.batchnorm for p in EXAMPLES)
    assert any((profiles[p.stem].hardware.max_batch_size or 0) * profiles[p.stem].hardware.num_devices
               > 6000 for p in EXAMPLES)
