"""Profile inference accuracy on the held-out cases of benchmarks/init_suite.py (or another suite).

    .venv/bin/python benchmarks/init_accuracy.py [--suite MODULE] [--json PATH] [--case SUBSTRING ...]

`--suite` names a module in benchmarks/ with a `CASES` list of `init_suite.Case` (default `init_suite`;
`init_suite2` is a second held-out suite, written without looking at the first one or the inference).

For every case: build (model, data, loss_fn), run `infer_profile`, and compare each field whose truth
is not None with what was inferred (num_params exactly; imbalance_ratio is not scored). A field the
inference leaves out counts as None, except `data.sparse_features`, whose profile default is false. A
case whose inference raises counts all its scored fields wrong. Prints one line per case (fields right
/ scored, then each wrong one as `field: got X, want Y`), per-field accuracy, and the overall accuracy
over the issue's fields and over all scored fields.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import logging
import os
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).parent))
from init_suite import COUNT, FIELDS, Case, count_params

# The fields the issue asks profile inference for; loss.name is scored on top of them.
ISSUE_FIELDS = (
    "model.family", "model.num_params", "model.normalization", "model.activation", "task",
    "data.modality", "data.num_samples", "data.num_classes", "data.sparse_features",
)
_MISSING_DEFAULTS = {"data.sparse_features": False}


def _get(tree: dict[str, Any], dotted: str) -> Any:
    node: Any = tree
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return _MISSING_DEFAULTS.get(dotted)
        node = node[part]
    return node


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip().lower().replace("-", "_")
        return "silu" if value == "swish" else value
    return value


def _equal(got: Any, want: Any) -> bool:
    if isinstance(want, bool) or isinstance(got, bool):
        return isinstance(got, bool) and isinstance(want, bool) and got == want
    if isinstance(want, int):
        return isinstance(got, int | float) and float(got) == float(want)
    return _norm(got) == _norm(want)


def run_case(case: Case) -> dict[str, Any]:
    from advisor.integrations.profile_inference import infer_profile

    torch.manual_seed(0)
    record: dict[str, Any] = {"name": case.name, "error": None, "fields": None}
    start = time.perf_counter()
    model, data, loss_fn = case.build()
    record["build_s"] = round(time.perf_counter() - start, 3)
    truth = {k: (count_params(model) if v is COUNT else v) for k, v in case.truth.items() if v is not None}
    record["truth"] = truth
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            inference = infer_profile(model, data, loss_fn)
        fields = inference.fields
        record["fields"] = fields
    except Exception as exc:
        record["error"] = f"{type(exc).__name__}: {exc}"
        record["traceback"] = traceback.format_exc(limit=-4)
        fields = None
    record["infer_s"] = round(time.perf_counter() - start, 3)
    results = {}
    for key in FIELDS:
        if key not in truth:
            continue
        got = None if fields is None else _get(fields, key)
        results[key] = {"got": got, "want": truth[key], "ok": fields is not None and _equal(got, truth[key])}
    record["results"] = results
    return record


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:37] + "..."


def _accuracy(records: list[dict[str, Any]], keys: tuple[str, ...]) -> tuple[int, int]:
    right = scored = 0
    for record in records:
        for key, result in record["results"].items():
            if key in keys:
                scored += 1
                right += result["ok"]
    return right, scored


def _pct(right: int, scored: int) -> str:
    return f"{right}/{scored} = {100 * right / scored:.1f}%" if scored else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--case", action="append", default=[], help="only cases whose name contains this")
    parser.add_argument("--suite", default="init_suite", help="the module in benchmarks/ holding CASES")
    args = parser.parse_args(argv)

    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    logging.getLogger("lightning").setLevel(logging.ERROR)
    torch.set_num_threads(min(2, torch.get_num_threads()))
    suite: list[Case] = importlib.import_module(args.suite).CASES
    cases = [c for c in suite if not args.case or any(s in c.name for s in args.case)]

    started = time.perf_counter()
    for module in ("transformers", "lightning"):  # one-time imports, not a case's build time
        with contextlib.suppress(ImportError):
            __import__(module)
    print(f"imports {time.perf_counter() - started:.1f} s")
    records = []
    width = max(len(c.name) for c in cases)
    print(f"{'case':<{width}}  right/scored  build_s infer_s  wrong")
    for case in cases:
        record = run_case(case)
        records.append(record)
        results = record["results"]
        right = sum(r["ok"] for r in results.values())
        wrong = [f"{k}: got {_short(r['got'])}, want {_short(r['want'])}" for k, r in results.items()
                 if not r["ok"]]
        line = (f"{case.name:<{width}}  {right:>5}/{len(results):<6} "
                f"{record['build_s']:7.2f} {record['infer_s']:7.2f}")
        if record["error"]:
            print(f"{line}  ERROR {record['error']}")
        elif wrong:
            print(f"{line}  {wrong[0]}")
            for item in wrong[1:]:
                print(f"{'':<{width + 31}}{item}")
        else:
            print(line)

    print("\nper field")
    per_field = {}
    for key in FIELDS:
        right, scored = _accuracy(records, (key,))
        per_field[key] = {"right": right, "scored": scored, "accuracy": right / scored if scored else None}
        marker = "" if key in ISSUE_FIELDS else "   (not an issue field)"
        print(f"  {key:<22} {_pct(right, scored)}{marker}")

    issue = _accuracy(records, ISSUE_FIELDS)
    overall = _accuracy(records, FIELDS)
    perfect = sum(all(r["ok"] for r in rec["results"].values()) for rec in records)
    errors = sum(rec["error"] is not None for rec in records)
    print(f"\nissue fields ({', '.join(ISSUE_FIELDS)}): {_pct(*issue)}")
    print(f"all scored fields (+ loss.name): {_pct(*overall)}")
    print(f"cases fully right: {perfect}/{len(records)}; inference errors: {errors}; "
          f"wall {time.perf_counter() - started:.1f} s")

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "cases": records, "per_field": per_field,
            "issue_fields": {"fields": list(ISSUE_FIELDS), "right": issue[0], "scored": issue[1]},
            "all_fields": {"right": overall[0], "scored": overall[1]},
            "cases_fully_right": perfect, "errors": errors,
        }
        args.json.write_text(json.dumps(payload, indent=1, default=repr) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
