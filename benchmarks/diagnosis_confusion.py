"""Confusion table of the curve diagnosis: the regime a run was trained into vs the top verdict.

    .venv/bin/python benchmarks/diagnosis_confusion.py [--seeds 1,2,3]

Seed 0 is the committed fixture set (tests/histories/, the thresholds were checked on it); the
other seeds re-run the same recipes with different initializations and data orders and were never
looked at while writing the rules: they are the held-out estimate.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from advisor import parse_profile
from advisor.diagnosis import diagnose
from advisor.history import parse_history_json

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "histories"))
import generate  # noqa: E402  (the fixture recipes)

DROP = generate.DROP


def regime(name: str) -> str:
    return name.split(".")[0]


def profile_for(rows: list[dict[str, float]]):
    """What `--profile` would say about the run: a 10-class digits or 2-class moons classifier
    (cross-entropy), or a regression (MSE) when no accuracy was logged."""
    if "val_acc" not in rows[0] and "val_loss" in rows[0] and rows[0].get("train_loss", 0) > 3:
        return parse_profile(
            {
                "task": "regression",
                "loss": {"name": "mse"},
                "data": {"modality": "tabular", "num_samples": 1000},
                "model": {"family": "mlp"},
            }
        )
    classes = 10 if rows[0]["train_loss"] > 1.2 else 2
    return parse_profile(
        {
            "task": "classification",
            "data": {"modality": "tabular", "num_samples": 1400, "num_classes": classes},
            "model": {"family": "mlp"},
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="0,1,2,3", help="0 = the committed fixtures' recipes")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "diagnosis_confusion.json"
    )
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    pairs: dict[str, list[tuple[str, str]]] = {
        "calibration": [],
        "held-out": [],
        "calibration, with --profile": [],
        "held-out, with --profile": [],
    }
    rows = []
    for seed in seeds:
        start = time.perf_counter()
        runs = generate.runs(seed)
        for name, history in runs.items():
            rows_ = generate.without(DROP.get(name, ()), history)
            parsed = parse_history_json(rows_)
            top = diagnose(parsed).top or "none"
            with_profile = diagnose(parsed, profile=profile_for(history)).top or "none"
            split = "calibration" if seed == 0 else "held-out"
            pairs[split].append((regime(name), top))
            pairs[f"{split}, with --profile"].append((regime(name), with_profile))
            rows.append(
                {
                    "seed": seed,
                    "run": name,
                    "expected": regime(name),
                    "top": top,
                    "top_with_profile": with_profile,
                }
            )
        print(
            f"seed {seed}: {len(runs)} runs trained and diagnosed in {time.perf_counter() - start:.1f} s",
            file=sys.stderr,
        )
    for split, items in pairs.items():
        if not items:
            continue
        labels = sorted({e for e, _ in items} | {t for _, t in items})
        counts = Counter(items)
        right = sum(n for (e, t), n in counts.items() if e == t)
        print(f"\n{split}: {right}/{len(items)} top verdicts right ({right / len(items):.0%})")
        width = max(len(x) for x in labels)
        print("| trained into \\ top verdict | " + " | ".join(labels) + " |")
        print("|---" * (len(labels) + 1) + "|")
        for e in labels:
            if any(x == e for x, _ in items):
                cells = [str(counts.get((e, t), 0) or "") for t in labels]
                print(f"| {e:<{width}} | " + " | ".join(cells) + " |")
    args.out.write_text(json.dumps(rows, indent=1) + "\n")
    print(f"\nwrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
