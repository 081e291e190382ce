"""Score `advisor recommend` against published training recipes (benchmarks/recipes/FORMAT.md).

    .venv/bin/python benchmarks/recipe_benchmark.py                       # main set + held-out slice
    .venv/bin/python benchmarks/recipe_benchmark.py --recipes other.yaml  # any file(s) in the format
    .venv/bin/python benchmarks/recipe_benchmark.py --advisor-batch       # let the advisor pick the batch
    ... --per-recipe --plot lr.png --json scores.json

Each recipe's profile is recommended twice: with the published optimizer (every metric but the
optimizer) and with the optimizer left open (does the advisor choose the published one?). The
published LR is moved to the recommended global batch with the recipe family's own rule
(`lr_scaling`: linear, sqrt or none) before it is compared.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from advisor import AdvisorError, Recommendation, parse_profile, recommend

HERE = Path(__file__).resolve().parent
MAIN = sorted((HERE / "recipes").glob("*.yaml"))
# Held-out slices, each added after the rules were written and scored as its own set.
HELD_OUT = {folder.name: sorted(folder.glob("*.yaml"))
            for folder in sorted((HERE / "recipes").glob("heldout*")) if folder.is_dir()}

SCHEDULE_FAMILY = {
    "constant": "constant", "linear": "linear", "linear_decay": "linear", "cosine": "cosine",
    "inverse_sqrt": "inverse_sqrt", "step": "step", "piecewise_constant": "step",
    "exponential": "exponential", "polynomial": "polynomial", "reduce_on_plateau": "plateau",
    "warmup_stable_decay": "warmup_stable_decay",
}
OPTIMIZER_FAMILY = {"sgd": "sgd", "momentum": "sgd", "nesterov": "sgd", "lars": "sgd", "adam": "adam",
                    "adamw": "adam", "adamax": "adam", "nadam": "adam", "lamb": "adam"}
SGD_ONLY, ADAM_ONLY = {"momentum"}, {"beta1", "beta2", "eps"}
NEUTRAL = {"weight_decay": 0.0, "dropout": 0.0, "label_smoothing": 0.0}  # absent from config = this
CHECKED = ("learning_rate", "batch_size", "momentum", "beta1", "beta2", "eps", "weight_decay",
           "dropout", "label_smoothing", "grad_clip_norm")
WARMUP_KEYS = ("warmup_steps", "warmup_ratio", "warmup_epochs")


@dataclass
class Score:
    id: str
    category: str
    set: str
    error: str | None = None
    lr_published: float | None = None  # rescaled to the recommended batch
    lr_recommended: float | None = None
    lr_decades: float | None = None
    lr_in_range: bool | None = None
    lr_range_decades: float | None = None
    params_in_range: dict[str, bool] = field(default_factory=dict)
    schedule: tuple[str | None, str | None] | None = None  # (published, recommended)
    warmup: tuple[bool, bool] | None = None
    clipping: tuple[bool, bool] | None = None
    optimizer: tuple[str, str] | None = None

    @property
    def all_in_range(self) -> bool | None:
        return all(self.params_in_range.values()) if self.params_in_range else None


def load_recipes(paths: Iterable[Path], label: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        if not isinstance(data, list):
            raise SystemExit(f"{path}: expected a YAML list of recipes")
        out += [(label, recipe) for recipe in data]
    return out


def _dimension(rec: Recommendation, name: str) -> Any:
    return next((d for d in rec.ranges if d.name == name), None)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=0.01, abs_tol=1e-12)


def _in_range(rec: Recommendation, name: str, value: Any) -> bool:
    """Inside the recommended domain; for a fixed parameter, equal to it; absent = its neutral value."""
    if name == "grad_clip_norm" and value is None:
        return "grad_clip_norm" not in rec.config
    dim = _dimension(rec, name)
    if dim is not None and dim.type == "categorical":
        return any(_close(float(value), float(c)) for c in dim.categories if isinstance(c, int | float))
    if dim is not None:
        return dim.low * (1 - 1e-6) <= value <= dim.high * (1 + 1e-6)
    if name in rec.config and isinstance(rec.config[name], int | float):
        return _close(float(value), float(rec.config[name]))
    return name in NEUTRAL and _close(float(value), NEUTRAL[name])


def _warmup(config: dict[str, Any]) -> bool:
    return any(config.get(key, 0) for key in WARMUP_KEYS)


def _batch_factor(rule: str, ratio: float) -> float:
    return ratio if rule == "linear" else math.sqrt(ratio) if rule == "sqrt" else 1.0


def score(label: str, recipe: dict[str, Any], advisor_batch: bool) -> Score:
    pub = recipe.get("published") or {}
    result = Score(id=str(recipe.get("id")), category=str(recipe.get("category", "")), set=label)
    raw = dict(recipe.get("profile") or {})
    if advisor_batch and isinstance(raw.get("hardware"), dict):
        raw["hardware"] = {k: v for k, v in raw["hardware"].items() if k != "global_batch_size"}
    try:
        rec = recommend(parse_profile(raw))
        open_choice = recommend(parse_profile({k: v for k, v in raw.items() if k != "optimizer"}))
    except AdvisorError as exc:
        result.error = str(exc).splitlines()[0]
        return result
    config = rec.config
    optimizer = config.get("optimizer")

    lr = pub.get("learning_rate")
    grid = pub.get("learning_rate_searched") or ([lr] if lr else [])
    batch_pub, batch_rec = pub.get("batch_size"), config.get("batch_size")
    factor = 1.0
    if batch_pub and isinstance(batch_rec, int | float) and batch_rec != batch_pub:
        factor = _batch_factor(str(pub.get("lr_scaling", "none")), batch_rec / batch_pub)
    if grid and "learning_rate" in config:
        candidates = [float(x) * factor for x in grid]
        rec_lr = float(config["learning_rate"])
        nearest = min(candidates, key=lambda x: abs(math.log10(rec_lr / x)))
        result.lr_published, result.lr_recommended = nearest, rec_lr
        result.lr_decades = abs(math.log10(rec_lr / nearest))
        dim = _dimension(rec, "learning_rate")
        if dim is not None:
            result.lr_in_range = any(dim.low * (1 - 1e-6) <= c <= dim.high * (1 + 1e-6) for c in candidates)
            result.lr_range_decades = math.log10(dim.high / dim.low)
        else:
            result.lr_in_range = _close(nearest, rec_lr)
            result.lr_range_decades = 0.0
    for name in CHECKED:
        if name not in pub or name == "learning_rate":
            continue
        adaptive = OPTIMIZER_FAMILY.get(str(optimizer)) != "sgd"
        if (name in SGD_ONLY and adaptive) or (name in ADAM_ONLY and not adaptive):
            continue  # the parameter does not exist for the recommended optimizer
        result.params_in_range[name] = _in_range(rec, name, pub[name])
    if result.lr_in_range is not None:
        result.params_in_range["learning_rate"] = result.lr_in_range
    if "lr_schedule" in pub:
        name = (config.get("lr_schedule") or {}).get("name") if isinstance(config.get("lr_schedule"), dict) \
            else config.get("lr_schedule")
        result.schedule = (str(pub["lr_schedule"]), SCHEDULE_FAMILY.get(str(name), str(name)))
    if "warmup" in pub:
        result.warmup = (bool(pub["warmup"]), _warmup(config))
    if "grad_clip_norm" in pub:
        result.clipping = (pub["grad_clip_norm"] is not None, "grad_clip_norm" in config)
    if "optimizer" in pub:
        result.optimizer = (str(pub["optimizer"]), str(open_choice.config.get("optimizer")))
    return result


def _rate(values: list[bool]) -> str:
    return f"{sum(values) / len(values):.0%} ({sum(values)}/{len(values)})" if values else "-"


def summarize(scores: list[Score]) -> dict[str, Any]:
    ok = [s for s in scores if s.error is None]
    dec = [s.lr_decades for s in ok if s.lr_decades is not None]
    widths = [s.lr_range_decades for s in ok if s.lr_range_decades is not None]
    return {
        "recipes": len(scores),
        "invalid": len(scores) - len(ok),
        "lr_median_decades": statistics.median(dec) if dec else None,
        "lr_within_0.5": _rate([d <= 0.5 for d in dec]),
        "lr_in_range": _rate([s.lr_in_range for s in ok if s.lr_in_range is not None]),
        "lr_range_median_width": statistics.median(widths) if widths else None,
        "all_params_in_range": _rate([s.all_in_range for s in ok if s.all_in_range is not None]),
        "schedule_family": _rate([a == b for s in ok if s.schedule for a, b in [s.schedule]]),
        "warmup_agreement": _rate([a == b for s in ok if s.warmup for a, b in [s.warmup]]),
        "clipping_agreement": _rate([a == b for s in ok if s.clipping for a, b in [s.clipping]]),
        "optimizer_exact": _rate([a == b for s in ok if s.optimizer for a, b in [s.optimizer]]),
        "optimizer_family": _rate([OPTIMIZER_FAMILY.get(a, a) == OPTIMIZER_FAMILY.get(b, b)
                                   for s in ok if s.optimizer for a, b in [s.optimizer]]),
    }


TARGETS = {"lr_median_decades": "<= 0.3", "lr_within_0.5": ">= 80%", "lr_in_range": ">= 90%",
           "lr_range_median_width": "<= 1.5", "all_params_in_range": ">= 85%",
           "schedule_family": ">= 80%", "warmup_agreement": ">= 90%", "clipping_agreement": ">= 90%",
           "optimizer_exact": "", "optimizer_family": ""}


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def render_summary(summaries: dict[str, dict[str, Any]]) -> str:
    sets = list(summaries)
    lines = ["| metric | " + " | ".join(sets) + " | target |", "|---" * (len(sets) + 2) + "|"]
    rows = ["recipes", "invalid", *TARGETS]
    for key in rows:
        cells = " | ".join(_fmt(summaries[s][key]) for s in sets)
        lines.append(f"| {key} | {cells} | {TARGETS.get(key, '')} |")
    return "\n".join(lines)


def render_recipes(scores: list[Score]) -> str:
    lines = ["| set | recipe | published LR* | advisor LR | decades | in range | width | all in range"
             " | schedule (pub/adv) | warmup | clip | optimizer (pub/adv) |", "|---" * 12 + "|"]
    for s in scores:
        if s.error:
            lines.append(f"| {s.set} | {s.id} | invalid profile: {s.error} |" + " |" * 9)
            continue
        missed = [k for k, v in s.params_in_range.items() if not v]
        lines.append(" | ".join([
            f"| {s.set}", s.id, f"{s.lr_published:.3g}" if s.lr_published else "-",
            f"{s.lr_recommended:.3g}" if s.lr_recommended else "-", _fmt(s.lr_decades),
            _fmt(s.lr_in_range), _fmt(s.lr_range_decades),
            "yes" if not missed else "no: " + ", ".join(missed),
            "/".join(map(str, s.schedule)) if s.schedule else "-",
            "/".join("y" if x else "n" for x in s.warmup) if s.warmup else "-",
            "/".join("y" if x else "n" for x in s.clipping) if s.clipping else "-",
            "/".join(s.optimizer) if s.optimizer else "-"]) + " |")
    return "\n".join(lines)


def plot(scores: list[Score], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 6))
    pts = [s for s in scores if s.lr_published and s.lr_recommended]
    lo = min(min(s.lr_published, s.lr_recommended) for s in pts) / 3
    hi = max(max(s.lr_published, s.lr_recommended) for s in pts) * 3
    ax.plot([lo, hi], [lo, hi], color="black", lw=1)
    ax.fill_between([lo, hi], [lo / 10**0.5, hi / 10**0.5], [lo * 10**0.5, hi * 10**0.5],
                    color="0.9", label="within 0.5 decades")
    for label, marker in zip(dict.fromkeys(s.set for s in pts), "os^Dv", strict=False):
        group = [s for s in pts if s.set == label]
        if group:
            ax.scatter([s.lr_published for s in group], [s.lr_recommended for s in group], marker=marker,
                       label=f"{label} ({len(group)})", alpha=0.8)
    ax.set(xscale="log", yscale="log", xlim=(lo, hi), ylim=(lo, hi),
           xlabel="published LR (at the advisor's batch)", ylabel="advisor's starting LR",
           title="Starting learning rate vs published recipes")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", type=Path, nargs="*",
                        help="recipe files to score instead of the bundled sets")
    parser.add_argument("--advisor-batch", action="store_true",
                        help="drop global_batch_size from the profiles: the advisor picks the batch")
    parser.add_argument("--per-recipe", action="store_true", help="print one row per recipe")
    parser.add_argument("--plot", type=Path, help="scatter of published vs recommended LR (PNG)")
    parser.add_argument("--json", type=Path, help="write every score as JSON")
    args = parser.parse_args(argv)

    if args.recipes:
        recipes = load_recipes(args.recipes, "file")
    else:
        recipes = load_recipes(MAIN, "main")
        for label, paths in HELD_OUT.items():
            recipes += load_recipes(paths, label)
    scores = [score(label, recipe, args.advisor_batch) for label, recipe in recipes]
    groups = {label: [s for s in scores if s.set == label] for label in dict.fromkeys(s.set for s in scores)}
    if len(groups) > 1:
        held_out = [s for s in scores if s.set.startswith("heldout")]
        if len(held_out) < len(scores) and len({s.set for s in held_out}) > 1:
            groups["all held-out"] = held_out
        groups["all"] = scores
    print(render_summary({label: summarize(group) for label, group in groups.items()}))
    if args.per_recipe:
        print()
        print(render_recipes(scores))
    for s in scores:
        if s.error:
            print(f"invalid profile in recipe {s.id}: {s.error}", file=sys.stderr)
    if args.plot:
        plot(scores, args.plot)
    if args.json:
        args.json.write_text(json.dumps([asdict(s) for s in scores], indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
