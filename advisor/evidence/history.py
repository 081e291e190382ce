"""Training histories in, one typed table out: per-epoch train/val loss (+ metric, lr, grad norm).

Accepted shapes (the column names are matched case-insensitively; `/`, `-`, `.` and spaces
count as `_`):

- a plain CSV/TSV table, one row per epoch (`epoch, train_loss, val_loss, ...`);
- Lightning's `CSVLogger` `metrics.csv` (train and validation on separate rows, optionally one
  row per step; rows are merged and averaged per epoch);
- Keras `History.history` as JSON (`{"loss": [...], "val_loss": [...], ...}`);
- Hugging Face `trainer_state.json` (`log_history`: train entries are averaged up to the next
  evaluation, which makes one point);
- a JSON list of row objects, or any of the JSON shapes wrapped as `{"history": ...}`.

Columns the advisor does not know (timings, throughput, custom metrics) are listed in
`ignored_columns`, not refused; a file without any loss column is refused.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from advisor.errors import FieldProblem, HistoryError, InputFileError
from advisor.jsonio import DuplicateKeyError, loads_strict
from advisor.yamlio import check_regular_file, key_text, read_text, unencodable

# A history file is a regular file of at most MAX_FILE_BYTES (a few hundred thousand logged steps of
# a dozen columns; log per epoch beyond that), at most MAX_ROWS rows.
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_ROWS = 1_000_000
_MAX_PROBLEMS = 10

# Canonical column -> accepted names, most preferred first (Lightning logs both `_epoch` and
# `_step` variants: the per-epoch aggregate wins).
ALIASES: dict[str, tuple[str, ...]] = {
    "train_loss": ("train_loss_epoch", "train_loss", "training_loss", "loss", "trn_loss", "train_loss_step"),
    "val_loss": (
        "val_loss_epoch",
        "val_loss",
        "valid_loss",
        "validation_loss",
        "eval_loss",
        "dev_loss",
        "val_loss_step",
    ),
    "train_metric": ("train_acc_epoch", "train_acc", "train_accuracy", "accuracy", "acc", "train_metric"),
    "val_metric": ("val_acc_epoch", "val_acc", "val_accuracy", "valid_acc", "eval_accuracy", "val_metric"),
    "lr": ("lr", "learning_rate"),
    "grad_norm": ("grad_norm", "gradient_norm", "grad_2_0_norm_total", "grad_norm_total"),
}
COLUMNS = tuple(ALIASES)
_EPOCH = ("epoch", "epochs")
_STEP = ("step", "global_step")
Format = Literal["csv", "lightning-csv", "keras", "hf-trainer-state", "rows"]


class History(BaseModel):
    """Per-point values aligned with `x` (epochs, or steps when no epoch was logged).

    A missing value is None; NaN and inf are kept: they are what the diagnosis looks for.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    format: Format
    x_name: Literal["epoch", "step", "row"]
    x: tuple[float, ...]
    columns: dict[str, tuple[float | None, ...]]
    ignored_columns: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def series(self, column: str) -> list[tuple[float, float]]:
        """(x, value) pairs where the column has a value (NaN/inf included)."""
        values = self.columns.get(column)
        if values is None:
            return []
        return [(x, v) for x, v in zip(self.x, values, strict=True) if v is not None]

    def __len__(self) -> int:
        return len(self.x)


def load_history(path: str | Path) -> History:
    """Read a history file (CSV, TSV or JSON; the suffix or the first character decides)."""
    path = Path(path)
    size = check_regular_file(path, sys.maxsize, "history")  # a FIFO or a device: refused unopened
    if size > MAX_FILE_BYTES:
        raise InputFileError(
            f"{path}: {size / 2**20:.0f} MiB is over the {MAX_FILE_BYTES // 2**20} MiB "
            "limit for a history; log per epoch (or downsample steps)"
        )
    text = read_text(path, MAX_FILE_BYTES, "history", encoding="utf-8-sig")
    return parse_history_text(text, str(path), json_hint=path.suffix.lower() == ".json")


def parse_history_text(text: str, source: str = "", json_hint: bool = False) -> History:
    stripped = text.lstrip()
    if not stripped:
        raise HistoryError([FieldProblem((), "the history is empty")], source)
    if json_hint or stripped[0] in "[{":
        where = source or "history"
        try:
            data = loads_strict(text)
        except json.JSONDecodeError as exc:
            raise InputFileError(
                f"{where}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from None
        except DuplicateKeyError as exc:
            raise InputFileError(f"{where}: invalid JSON: {exc}") from None
        except RecursionError:
            raise InputFileError(f"{where}: invalid JSON: nested too deeply") from None
        except ValueError:  # int() refusing a number of more than 4300 digits
            raise InputFileError(f"{where}: invalid JSON: an integer of more than 4300 digits") from None
        return parse_history_json(data, source)
    return _from_csv(text, source)


def parse_history_json(data: Any, source: str = "") -> History:
    """A history from decoded JSON: rows, Keras columns, HF trainer state, or `{"history": ...}`."""
    if isinstance(data, Mapping) and "history" in data and len(data) <= 2:
        data = data["history"]
    _check_names(_names(data), source)  # before any message can quote a name
    if isinstance(data, Mapping) and "log_history" in data:
        return _build(_hf_rows(data["log_history"], source), "hf-trainer-state", source)
    if isinstance(data, Mapping):
        return _build(_keras_rows(data, source), "keras", source)
    if isinstance(data, list):
        if not all(isinstance(row, Mapping) for row in data):
            raise HistoryError([FieldProblem((), "a JSON list history must hold one object per row")], source)
        return _build(list(data), "rows", source)
    raise HistoryError(
        [FieldProblem((), f"expected a JSON object or list, got {type(data).__name__}")], source
    )


def _names(data: Any) -> set[str]:
    """The keys of a JSON history (columns, row keys, trainer-state entry keys): what messages quote."""
    if isinstance(data, Mapping):
        found = {str(k) for k in data}
        log = data.get("log_history")
        return found | _names(log) if isinstance(log, list) else found
    if isinstance(data, list):
        return {str(k) for row in data if isinstance(row, Mapping) for k in row}
    return set()


def _check_names(names: Iterable[str], source: str) -> None:
    """Column names are written back out (ignored columns, problems): each must be encodable text."""
    unwritable = [FieldProblem((), f"column '{key_text(name)}': the name is {why}")
                  for name in names if (why := unencodable(name))]
    if unwritable:
        raise HistoryError(unwritable[:_MAX_PROBLEMS], source)


def _from_csv(text: str, source: str) -> History:
    try:
        return _read_csv(text, source)
    except csv.Error as exc:  # a stray carriage return, a field over csv's size limit, ...
        raise HistoryError([FieldProblem((), f"not a CSV table: {exc}")], source) from None


def _read_csv(text: str, source: str) -> History:
    first = text.splitlines()[0]
    dialect = "excel-tab" if first.count("\t") > first.count(",") else "excel"
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    if not reader.fieldnames or not any(name.strip() for name in reader.fieldnames):
        raise HistoryError([FieldProblem((), "no header row")], source)
    rows = []
    for i, row in enumerate(reader):
        if i >= MAX_ROWS:
            raise HistoryError([FieldProblem((), f"more than {MAX_ROWS} rows; log per epoch")], source)
        if None in row:
            raise HistoryError(
                [
                    FieldProblem(
                        (i + 2,),
                        f"{len(row[None]) + len(reader.fieldnames)} cells "
                        f"but the header has {len(reader.fieldnames)}",
                    )
                ],
                source,
            )
        rows.append(row)
    names = {_norm(n) for n in reader.fieldnames}
    lightning = bool(names & set(_EPOCH)) and bool(names & set(_STEP))
    return _build(rows, "lightning-csv" if lightning else "csv", source, first_row=2)


def _keras_rows(data: Mapping[str, Any], source: str) -> list[dict[str, Any]]:
    lengths = {}
    for key, values in data.items():
        if not isinstance(values, list):
            raise HistoryError(
                [FieldProblem((key,), "a Keras history maps each metric to a list of per-epoch values")],
                source,
            )
        lengths[key] = len(values)
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{k}={n}" for k, n in lengths.items())
        raise HistoryError([FieldProblem((), f"columns have different lengths ({detail})")], source)
    n = next(iter(lengths.values()), 0)
    return [{"epoch": i, **{k: data[k][i] for k in data}} for i in range(n)]


def _hf_rows(log: Any, source: str) -> list[dict[str, Any]]:
    """One row per evaluation: the train entries since the previous one are averaged into it."""
    if not isinstance(log, list):
        raise HistoryError([FieldProblem(("log_history",), "expected a list")], source)
    rows: list[dict[str, Any]] = []
    pending: list[Mapping[str, Any]] = []
    evaluated = any(isinstance(e, Mapping) and "eval_loss" in e for e in log)
    for entry in log:
        if not isinstance(entry, Mapping) or "train_runtime" in entry:
            continue  # the end-of-training summary repeats an average, not a point
        if "eval_loss" in entry:
            rows.append({**_mean_entries(pending), **entry})
            pending = []
        elif evaluated:
            pending.append(entry)
        else:
            rows.append(dict(entry))
    if pending:
        rows.append(_mean_entries(pending))
    return rows


def _mean_entries(entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in {k for e in entries for k in e}:
        values = [e[key] for e in entries if isinstance(e.get(key), int | float)]
        if not values:
            continue
        if key in ("epoch", "step"):
            out[key] = values[-1]
            continue
        floats = [_number(v) for v in values]
        # A value that is no float (an int beyond the float range) is kept as is: `_build` reports it.
        bad = next((v for v, (_, why) in zip(values, floats, strict=True) if why), None)
        out[key] = bad if bad is not None else _sum([f for f, _ in floats if f is not None]) / len(values)
    return out


def _norm(name: str) -> str:
    out = name.strip().lower()
    for ch in "/-. ":
        out = out.replace(ch, "_")
    return out


def _mapping(names: Iterable[str]) -> tuple[dict[str, str], str | None, str | None, list[str]]:
    """Raw names -> canonical column, plus the epoch and step column names and the ignored ones."""
    by_norm: dict[str, str] = {}
    for raw in names:
        by_norm.setdefault(_norm(raw), raw)
    chosen: dict[str, str] = {}
    for canonical, aliases in ALIASES.items():
        for alias in aliases:
            if alias in by_norm:
                chosen[canonical] = by_norm[alias]
                break
    if "lr" not in chosen:  # Lightning's LearningRateMonitor: lr-Adam, lr-SGD/pg1, ...
        lr_like = sorted(n for n in by_norm if n.startswith("lr_"))
        if lr_like:
            chosen["lr"] = by_norm[lr_like[0]]
    epoch = next((by_norm[n] for n in _EPOCH if n in by_norm), None)
    step = next((by_norm[n] for n in _STEP if n in by_norm), None)
    used = set(chosen.values()) | {epoch, step}
    ignored = [raw for raw in by_norm.values() if raw not in used]
    return chosen, epoch, step, ignored


def _number(value: Any) -> tuple[float | None, str | None]:
    """A cell as a float (None if empty) or the reason it is not a number."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return None, f"{value!r} is a boolean, not a number"
    if isinstance(value, int | float):
        try:
            return float(value), None
        except OverflowError:
            return None, "the number is too large for a float"
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None, None
        try:
            return float(text), None
        except OverflowError:
            return None, "the number is too large for a float"
        except ValueError:
            shown = text if len(text) <= 30 else text[:27] + "..."
            return None, f"{shown!r} is not a number"
    return None, f"a {type(value).__name__} is not a number"


def _build(rows: list[Any], fmt: Format, source: str, first_row: int = 0) -> History:
    if not rows:
        raise HistoryError([FieldProblem((), "the history has no rows")], source)
    if len(rows) > MAX_ROWS:
        raise HistoryError([FieldProblem((), f"more than {MAX_ROWS} rows; log per epoch")], source)
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(str(k) for k in row))
    _check_names(names, source)
    chosen, epoch_col, step_col, ignored = _mapping(names)
    if "train_loss" not in chosen and "val_loss" not in chosen:
        accepted = ", ".join(ALIASES["train_loss"][:4] + ALIASES["val_loss"][:4])
        n_aliases = len(ALIASES["train_loss"]) + len(ALIASES["val_loss"])
        shown = ", ".join(list(names)[:12])
        raise HistoryError(
            [
                FieldProblem(
                    (),
                    f"no loss column among [{shown}]; name one of: {accepted} "
                    f"(or another of the {n_aliases} accepted aliases)",
                )
            ],
            source,
        )
    problems: list[FieldProblem] = []
    points: dict[float, dict[str, list[float]]] = {}
    seen: dict[tuple[float, float | None], dict[str, tuple[float, int]]] = {}
    x_name: Literal["epoch", "step", "row"] = "epoch" if epoch_col else "step" if step_col else "row"
    x_col = epoch_col or step_col
    out_of_order = False
    last_x = -math.inf
    for i, row in enumerate(rows):
        line = i + first_row
        if x_col is None:
            x: float | None = float(i)
        else:
            x, why = _number(row.get(x_col))
            if why or x is None or not math.isfinite(x):
                problems.append(FieldProblem((line, x_col), why or f"{x_name} must be a finite number"))
                continue
        out_of_order |= x < last_x
        last_x = x
        step = None
        if step_col and x_col != step_col:
            step, _ = _number(row.get(step_col))
        key = (x, step)
        cells = seen.setdefault(key, {})
        point = points.setdefault(x, {})
        for canonical, raw in chosen.items():
            value, why = _number(row.get(raw))
            if why:
                problems.append(FieldProblem((line, raw), why))
                continue
            if value is None:
                continue
            if canonical in cells and not _same(cells[canonical][0], value):
                where = f"{x_name} {x:g}" + (f", step {step:g}" if step is not None else "")
                problems.append(
                    FieldProblem(
                        (line, raw),
                        f"duplicate {where}: {value:g} here but "
                        f"{cells[canonical][0]:g} on row {cells[canonical][1]}",
                    )
                )
                continue
            cells[canonical] = (value, line)
            point.setdefault(canonical, []).append(value)
        if len(problems) >= _MAX_PROBLEMS:
            break
    if problems:
        raise HistoryError(problems, source)
    xs = sorted(points)
    columns = {c: tuple(_mean(points[x].get(c)) for x in xs) for c in chosen}
    columns = {c: v for c, v in columns.items() if any(value is not None for value in v)}
    if "train_loss" not in columns and "val_loss" not in columns:
        raise HistoryError([FieldProblem((), "the loss columns hold no values")], source)
    notes = []
    if out_of_order:
        notes.append(f"rows were not in {x_name} order; sorted by {x_name}")
    if len(xs) < len(rows) and fmt not in ("hf-trainer-state",):
        notes.append(f"{len(rows)} rows merged into {len(xs)} points (one per {x_name})")
    return History(
        format=fmt,
        x_name=x_name,
        x=tuple(xs),
        columns=columns,
        ignored_columns=tuple(ignored),
        notes=tuple(notes),
    )


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def _mean(values: list[float] | None) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return _sum(values) / len(values)  # NaN/inf propagate: a NaN step makes the epoch NaN


def _sum(values: list[float]) -> float:
    """math.fsum, which raises on inf + -inf and on 1e308 + 1e308; then the float sum: nan, inf."""
    try:
        return math.fsum(values)
    except (OverflowError, ValueError):
        return sum(values)
