"""A labelled set of training histories on the unseen task suite, and the diagnosis scored on it.

    .venv/bin/python benchmarks/diagnosis_suite.py --make     # train the set (~10 min on 2 cores)
    .venv/bin/python benchmarks/diagnosis_suite.py            # score the diagnosis on it (seconds)

Every task of `lr_suite.py` is trained into six regimes, with the brute-force reference of
`lr_reference.py` saying where its good learning rates are (the diagnosis never sees it):

- healthy: the reference's best LR, twice the task's epochs, with a cosine, step or warmup schedule;
- lr_too_high: 10-100x above the reference's within-5% band, finite, and clearly worse than the best;
- lr_too_low: 30-1000x below the band, clearly worse than the best;
- diverged: far enough above the band that the loss turns NaN/inf;
- overfitting: the best LR on 10% of the training data for five times the epochs;
- not_learning: the inputs replaced by zeros (nothing to learn from but the label prior).

A recipe is admitted only when the run did what it was meant to (checked against the reference and
the run's own numbers, never against the diagnosis); the misses are counted. Histories are written
in every format `advisor diagnose` reads (per-epoch CSV, step-level CSV with noisy per-step train
loss, Lightning's CSVLogger with step rows, Keras JSON, Hugging Face `trainer_state.json`, JSON
rows) and read back through `load_history`, as a user's file would be.

The split is by task and by seed: thresholds were only ever looked at on the calibration tasks
(every other task of the suite) with seed 0; precision and recall are reported on the other tasks
with seeds 1 and 2, which were not looked at while writing the rules.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

SET = ROOT / "benchmarks" / "results" / "diagnosis_set"
REFERENCE = ROOT / "benchmarks" / "results" / "lr_reference"
REGIMES = ("healthy", "lr_too_high", "lr_too_low", "diverged", "overfitting", "not_learning")
FORMATS = ("csv", "steps.csv", "lightning.csv", "keras.json", "trainer_state.json", "rows.json")
OPTIMIZERS = ("adam", "momentum")
WORSE = 1.25  # "clearly worse than the best": final validation loss at least this times the reference's


def calibration_tasks(names: list[str]) -> set[str]:
    return set(names[::2])


# --- making the set -------------------------------------------------------------------------------


def _reference(task: str, optimizer: str) -> dict:
    data = json.loads((REFERENCE / f"{task}__{optimizer}.json").read_text())
    finals = [float(np.mean(row)) for row in data["val_loss_final"]]
    best = int(np.argmin(finals))
    data["best_val"] = finals[best]
    data["best_train"] = float(np.mean(data["train_loss_final"][best]))
    return data


def _schedule(kind: str, base: float, total: int):
    """LR at optimizer step t (0-based) for a run of `total` steps."""
    warm = max(1, total // 20)
    if kind == "cosine":
        return lambda t: base * 0.5 * (1 + math.cos(math.pi * t / total))
    if kind == "step":
        return lambda t: base * (0.1 ** (3 * t // total))
    if kind == "warmup-cosine":
        return lambda t: (
            base * (t + 1) / warm
            if t < warm
            else base * 0.5 * (1 + math.cos(math.pi * (t - warm) / (total - warm)))
        )
    return lambda t: base


def _train(
    task,
    optimizer: str,
    lr: float,
    seed: int,
    *,
    epochs: int,
    schedule: str = "constant",
    data_frac: float = 1.0,
    zero_inputs: bool = False,
) -> dict:
    """One run, logged per step (train loss, LR, gradient norm) and per epoch (validation)."""
    import torch
    from torch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset

    from advisor_probes.optimizers import build_optimizer

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    x, y = task.train.tensors
    xv, yv = task.valid.tensors
    if data_frac < 1.0:
        keep = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))[
            : max(16, int(len(y) * data_frac))
        ]
        x, y = x[keep], y[keep]
    if zero_inputs:
        x, xv = torch.zeros_like(x), torch.zeros_like(xv)
    train = TensorDataset(x, y)
    model = task.make_model()
    opt = build_optimizer(optimizer, model.parameters(), lr)
    sampler = BatchSampler(
        RandomSampler(train, generator=torch.Generator().manual_seed(seed)), task.batch_size, drop_last=False
    )
    loader = DataLoader(train, sampler=sampler, batch_size=None)
    total = epochs * len(loader)
    lr_at = _schedule(schedule, lr, total)
    classify = not y.dtype.is_floating_point
    steps: list[dict] = []
    epochs_out: list[dict] = []
    t = 0
    for epoch in range(epochs):
        model.train()
        dead = False
        for xb, yb in loader:
            for group in opt.param_groups:
                group["lr"] = lr_at(t)
            opt.zero_grad(set_to_none=True)
            loss = task.loss(model(xb), yb)
            value = float(loss)
            if math.isfinite(value):
                loss.backward()
                norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), math.inf))
                opt.step()
            else:
                norm, dead = math.nan, True
            steps.append({"step": t, "epoch": epoch, "train_loss": value, "lr": lr_at(t), "grad_norm": norm})
            t += 1
            if dead:
                break
        model.eval()
        with torch.no_grad():
            out = model(xv)
            val = float(task.loss(out, yv))
            acc = float((out.argmax(1) == yv).float().mean()) if classify else None
        row = {"epoch": epoch, "step": t, "val_loss": val if math.isfinite(val) else math.nan}
        if acc is not None:
            row["val_acc"] = acc if math.isfinite(val) else math.nan
        epochs_out.append(row)
        if dead:
            break
    chance = None
    if classify:  # the trivial model: predict the training label frequencies
        prior = torch.bincount(y, minlength=int(yv.max()) + 1).double() / len(y)
        chance = float(torch.bincount(yv).max()) / len(yv)
        baseline = float(-torch.log(prior[yv].clamp_min(1e-12)).mean())
    else:
        baseline = float(((yv - y.mean()) ** 2).mean())
    return {
        "steps": steps,
        "epochs": epochs_out,
        "chance": chance,
        "baseline": baseline,
        "steps_per_epoch": len(loader),
    }


def _epoch_rows(run: dict) -> list[dict]:
    """Per-epoch means of the step logs joined with the validation row: what most loggers write."""
    rows = []
    for ev in run["epochs"]:
        mine = [s for s in run["steps"] if s["epoch"] == ev["epoch"]]
        losses = [s["train_loss"] for s in mine]
        norms = [s["grad_norm"] for s in mine if math.isfinite(s["grad_norm"])]
        row = {
            "epoch": ev["epoch"],
            "train_loss": float(np.mean(losses)) if losses else math.nan,
            "val_loss": ev["val_loss"],
        }
        if "val_acc" in ev:
            row["val_acc"] = ev["val_acc"]
        row["lr"] = mine[0]["lr"] if mine else math.nan
        row["grad_norm"] = float(np.mean(norms)) if norms else math.nan
        rows.append(row)
    return rows


def _fmt(v: float | None) -> str:
    return "" if v is None else f"{v:.6g}"


def write_history(path: Path, fmt: str, run: dict, log_every: int) -> None:
    rows = _epoch_rows(run)
    if fmt == "csv":
        with path.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            for r in rows:
                w.writerow({k: _fmt(v) for k, v in r.items()})
    elif fmt == "steps.csv":  # a hand-written loop's log: raw per-step loss every k steps, val at epoch ends
        ends = {ev["step"] - 1: ev for ev in run["epochs"]}
        keys = ["step", "train_loss", "lr", "grad_norm", "val_loss"] + (
            ["val_acc"] if "val_acc" in rows[0] else []
        )
        with path.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(keys)
            for s in run["steps"]:
                ev = ends.get(s["step"])
                if s["step"] % log_every and ev is None:
                    continue
                w.writerow(
                    [
                        s["step"],
                        _fmt(s["train_loss"]),
                        _fmt(s["lr"]),
                        _fmt(s["grad_norm"]),
                        _fmt(ev["val_loss"]) if ev else "",
                        _fmt(ev.get("val_acc")) if ev else "",
                    ][: len(keys)]
                )
    elif fmt == "lightning.csv":  # CSVLogger: step rows with the per-step loss, one validation row per epoch
        acc = "val_acc" in rows[0]
        with path.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(
                ["epoch", "step", "lr-Adam", "train_loss_step", "val_loss"] + (["val_acc"] if acc else [])
            )
            lines = [
                (
                    s["step"],
                    0,
                    [s["epoch"], s["step"], _fmt(s["lr"]), _fmt(s["train_loss"]), ""] + ([""] if acc else []),
                )
                for s in run["steps"]
                if s["step"] % log_every == log_every - 1
            ]
            lines += [
                (
                    ev["step"] - 1,
                    1,
                    [ev["epoch"], ev["step"] - 1, "", "", _fmt(ev["val_loss"])]
                    + ([_fmt(ev.get("val_acc"))] if acc else []),
                )
                for ev in run["epochs"]
            ]
            w.writerows(line for _, _, line in sorted(lines, key=lambda item: item[:2]))
    elif fmt == "keras.json":
        data = {
            "loss": [r["train_loss"] for r in rows],
            "val_loss": [r["val_loss"] for r in rows],
            "learning_rate": [r["lr"] for r in rows],
        }
        if "val_acc" in rows[0]:
            data["val_accuracy"] = [r["val_acc"] for r in rows]
        path.write_text(json.dumps(data) + "\n")
    elif fmt == "trainer_state.json":  # Trainer with logging_steps=k and evaluation every epoch
        log = []
        for s in run["steps"]:
            if s["step"] % log_every == log_every - 1:
                log.append(
                    {
                        "epoch": round((s["step"] + 1) / run["steps_per_epoch"], 4),
                        "step": s["step"] + 1,
                        "loss": s["train_loss"],
                        "learning_rate": s["lr"],
                        "grad_norm": s["grad_norm"],
                    }
                )
        for ev in run["epochs"]:
            entry = {
                "epoch": ev["epoch"] + 1.0,
                "step": ev["step"],
                "eval_loss": ev["val_loss"],
                "eval_runtime": 0.1,
            }
            if "val_acc" in ev:
                entry["eval_accuracy"] = ev["val_acc"]
            log.append(entry)
        log.sort(key=lambda e: (e["step"], "eval_loss" in e))
        path.write_text(json.dumps({"global_step": len(run["steps"]), "log_history": log}) + "\n")
    elif fmt == "rows.json":
        path.write_text(json.dumps(rows) + "\n")
    else:
        raise ValueError(fmt)


def _final(run: dict) -> float:
    vals = [e["val_loss"] for e in run["epochs"]]
    return vals[-1] if vals else math.nan


def _nonfinite(run: dict) -> bool:
    return any(not math.isfinite(s["train_loss"]) for s in run["steps"]) or any(
        not math.isfinite(e["val_loss"]) for e in run["epochs"]
    )


def _admit(regime: str, run: dict, ref: dict) -> bool:
    """Did the recipe produce the regime? Judged on the run's numbers and the reference only."""
    vals = [e["val_loss"] for e in run["epochs"]]
    if regime == "diverged":
        return _nonfinite(run)
    if _nonfinite(run):
        return False
    final = vals[-1]
    train = _epoch_rows(run)
    if regime == "healthy":  # as good as the reference's best, well below the trivial model, not overfitting
        return (
            final <= 1.1 * min(vals) and final <= WORSE * ref["best_val"] and final <= 0.8 * run["baseline"]
        )
    if regime in ("lr_too_high", "lr_too_low"):  # optimization impaired: train and validation both worse
        return final >= WORSE * ref["best_val"] and train[-1]["train_loss"] >= WORSE * ref["best_train"]
    if regime == "overfitting":  # validation turned up while the train loss kept falling
        best = int(np.argmin(vals))
        return (
            final >= 1.1 * vals[best]
            and best <= 0.7 * (len(vals) - 1)
            and train[-1]["train_loss"] < train[best]["train_loss"]
        )
    if regime == "not_learning":
        if run["chance"] is not None:
            accs = [e["val_acc"] for e in run["epochs"]]
            return max(accs) <= run["chance"] + 0.02
        return final >= 0.9 * run["baseline"]
    raise ValueError(regime)


def _recipes(regime: str, ref: dict, epochs: int, seed: int) -> list[dict]:
    """Attempts in order; the first admitted one is kept."""
    lo, hi = ref["band_5pct"]
    best = ref["best_lr"]
    schedules = ("cosine", "step", "warmup-cosine", "constant")
    if regime == "healthy":
        return [dict(lr=best, epochs=2 * epochs, schedule=schedules[seed % 4])]
    if regime == "lr_too_high":
        return [
            dict(lr=hi * f, epochs=epochs, schedule=("constant", "warmup-cosine")[seed % 2])
            for f in (10, 30, 100)
        ]
    if regime == "lr_too_low":
        return [
            dict(lr=lo / f, epochs=epochs, schedule=("constant", "cosine")[seed % 2]) for f in (30, 100, 1000)
        ]
    if regime == "diverged":
        return [dict(lr=hi * f, epochs=epochs) for f in (1e3, 1e4, 1e5, 1e7)]
    if regime == "overfitting":
        return [
            dict(lr=best, epochs=5 * epochs, data_frac=0.1),
            dict(lr=best, epochs=10 * epochs, data_frac=0.05),
        ]
    if regime == "not_learning":
        return [dict(lr=best, epochs=epochs, zero_inputs=True)]
    raise ValueError(regime)


def make(seeds: list[int], tasks_filter: set[str] | None) -> None:
    from lr_suite import suite

    SET.mkdir(parents=True, exist_ok=True)
    labels_path = SET / "labels.json"
    labels = json.loads(labels_path.read_text()) if labels_path.exists() else []
    done = {(e["task"], e["optimizer"], e["regime"], e["seed"]) for e in labels}
    tasks = [t for t in suite() if tasks_filter is None or t.name in tasks_filter]
    names = [t.name for t in suite()]
    calib = calibration_tasks(names)
    k = 0
    start = time.perf_counter()
    for seed in seeds:
        for task in tasks:
            if (task.name in calib) != (seed == 0):
                continue  # calibration tasks at seed 0, held-out tasks at the other seeds
            for optimizer in OPTIMIZERS:
                ref = _reference(task.name, optimizer)
                for regime in REGIMES:
                    key = (task.name, optimizer, regime, seed)
                    fmt = FORMATS[
                        (names.index(task.name) + REGIMES.index(regime) + seed + len(optimizer)) % 6
                    ]
                    if key in done:
                        continue
                    entry = {
                        "task": task.name,
                        "optimizer": optimizer,
                        "regime": regime,
                        "seed": seed,
                        "split": "calibration" if seed == 0 else "held-out",
                        "format": fmt,
                    }
                    for attempt in _recipes(regime, ref, task.epochs, seed):
                        run = _train(task, optimizer, seed=seed, **attempt)
                        if _admit(regime, run, ref):
                            name = f"{task.name}__{optimizer}__{regime}__s{seed}.{fmt}"
                            write_history(SET / name, fmt, run, log_every=max(1, run["steps_per_epoch"] // 8))
                            entry |= {"file": name, "recipe": attempt}
                            break
                    else:
                        entry |= {"file": None, "recipe": None}  # the construction missed
                    labels.append(entry)
                    k += 1
                    print(
                        f"[{time.perf_counter() - start:6.0f} s] {k}: {task.name} {optimizer} {regime}"
                        f" s{seed}"
                        f" -> {entry['file'] or 'missed'}",
                        file=sys.stderr,
                        flush=True,
                    )
                labels_path.write_text(json.dumps(labels, indent=1) + "\n")
    labels_path.write_text(json.dumps(labels, indent=1) + "\n")


# --- scoring --------------------------------------------------------------------------------------


def score(use_profile: bool) -> list[dict]:
    from advisor import parse_profile
    from advisor.core.diagnosis import diagnose
    from advisor.evidence.history import load_history
    from lr_suite import suite_by_name

    tasks = suite_by_name()
    labels = json.loads((SET / "labels.json").read_text())
    out = []
    for e in labels:
        if not e["file"]:
            continue
        profile = parse_profile(tasks[e["task"]].profile) if use_profile else None
        d = diagnose(load_history(SET / e["file"]), profile=profile)
        out.append(e | {"top": d.top or "none"})
    return out


def report(rows: list[dict], title: str) -> None:
    pairs = [(r["regime"], r["top"]) for r in rows]
    right = sum(a == b for a, b in pairs)
    print(
        f"\n{title}: {right}/{len(pairs)} top verdicts right ({right / max(1, len(pairs)):.1%}),"
        f" {len({r['task'] for r in rows})} tasks"
    )
    labels = sorted({a for a, _ in pairs} | {b for _, b in pairs}, key=lambda v: (v not in REGIMES, v))
    counts = Counter(pairs)
    print("| trained into \\ top verdict | " + " | ".join(labels) + " | recall |")
    print("|---" * (len(labels) + 2) + "|")
    for a in labels:
        n = sum(v for (x, _), v in counts.items() if x == a)
        if n:
            cells = [str(counts.get((a, b), "")) for b in labels]
            print(f"| {a} | " + " | ".join(cells) + f" | {counts.get((a, a), 0) / n:.0%} |")
    precision = []
    for b in labels:
        called = sum(v for (_, y), v in counts.items() if y == b)
        if called and b in REGIMES:
            precision.append(f"{b} {counts.get((b, b), 0) / called:.0%}")
    print("precision: " + ", ".join(precision))
    formats = Counter(r["format"] for r in rows)
    wrong = Counter(r["format"] for r in rows if r["regime"] != r["top"])
    print(
        "by format (wrong/all): "
        + ", ".join(f"{f} {wrong.get(f, 0)}/{n}" for f, n in sorted(formats.items()))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--make", action="store_true", help="train the labelled set (resumes where it stopped)"
    )
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--tasks", default=None, help="comma-separated task names (default: all)")
    parser.add_argument("--show-wrong", action="store_true")
    args = parser.parse_args()
    if args.make:
        make([int(s) for s in args.seeds.split(",")], set(args.tasks.split(",")) if args.tasks else None)
    labels = json.loads((SET / "labels.json").read_text())
    missed = Counter(e["regime"] for e in labels if not e["file"])
    print(
        f"labelled set: {sum(1 for e in labels if e['file'])} histories from "
        f"{len({e['task'] for e in labels if e['file']})} tasks; constructions that missed their regime"
        f" (not in the set): {dict(missed) or 'none'}"
    )
    for use_profile in (False, True):
        rows = score(use_profile)
        suffix = ", with --profile" if use_profile else ""
        for split in ("calibration", "held-out"):
            part = [r for r in rows if r["split"] == split]
            report(part, f"{split}{suffix}")
            if args.show_wrong:
                for r in part:
                    if r["regime"] != r["top"]:
                        print(f"   {r['file']}: {r['top']}")


if __name__ == "__main__":
    main()
