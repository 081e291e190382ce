"""Reading histories: every accepted shape, and every kind of bad input with a clear message."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from advisor.errors import HistoryError, InputFileError
from advisor.evidence import history as history_module
from advisor.evidence.history import load_history, parse_history_json, parse_history_text

HERE = Path(__file__).parent / "histories"


def test_plain_csv() -> None:
    h = parse_history_text("epoch,train_loss,val_loss,val_acc,lr\n0,2.0,2.1,0.3,0.1\n1,1.0,1.2,0.6,0.1\n")
    assert h.format == "csv" and h.x_name == "epoch" and h.x == (0.0, 1.0)
    assert h.columns["train_loss"] == (2.0, 1.0) and h.columns["val_metric"] == (0.3, 0.6)
    assert h.columns["lr"] == (0.1, 0.1) and not h.ignored_columns


def test_tsv_and_aliases_are_case_insensitive() -> None:
    h = parse_history_text("Epoch\tLoss\tVal/Loss\tWall Time\n1\t0.5\t0.6\t3\n2\t0.4\t0.5\t6\n")
    assert h.columns == {"train_loss": (0.5, 0.4), "val_loss": (0.6, 0.5)}
    assert h.ignored_columns == ("Wall Time",)


def test_lightning_rows_are_merged_per_epoch() -> None:
    h = load_history(HERE / "overfitting.lightning.csv")
    assert h.format == "lightning-csv" and len(h) == 150
    assert all(v is not None for v in h.columns["train_loss"]) and all(
        v is not None for v in h.columns["val_loss"]
    )
    assert "lr" in h.columns  # from lr-SGD, Lightning's LearningRateMonitor name
    assert any("merged" in note for note in h.notes)


def test_lightning_step_rows_are_averaged_per_epoch() -> None:
    text = "epoch,step,train_loss_step,val_loss\n0,1,4.0,\n0,2,2.0,\n0,2,,1.5\n1,3,1.0,\n1,4,1.0,1.2\n"
    h = parse_history_text(text)
    assert h.columns["train_loss"] == (3.0, 1.0) and h.columns["val_loss"] == (1.5, 1.2)


def test_keras_history() -> None:
    h = load_history(HERE / "lr_too_low.keras.json")
    assert h.format == "keras" and len(h) == 30 and {"train_loss", "val_loss", "lr"} <= set(h.columns)


def test_hf_trainer_state_averages_train_logs_up_to_each_eval() -> None:
    h = load_history(HERE / "healthy.trainer_state.json")
    assert h.format == "hf-trainer-state" and len(h) == 30
    raw = json.loads((HERE / "healthy.trainer_state.json").read_text())["log_history"]
    first_two = [e["loss"] for e in raw[:2]]
    assert h.columns["train_loss"][0] == pytest.approx(sum(first_two) / 2)
    assert "grad_norm" in h.columns and "eval_runtime" in h.ignored_columns


def test_hf_without_evaluations_keeps_every_train_log() -> None:
    log = [{"epoch": 0.1 * i, "step": 10 * i, "loss": 2.0 - 0.1 * i} for i in range(1, 6)]
    h = parse_history_json({"log_history": log})
    assert len(h) == 5 and "val_loss" not in h.columns


def test_rows_and_wrapped_shapes() -> None:
    rows = [{"epoch": 0, "loss": 1.0}, {"epoch": 1, "loss": 0.5}]
    assert parse_history_json(rows) == parse_history_json({"history": rows})
    assert parse_history_json({"history": {"loss": [1.0, 0.5]}}).columns["train_loss"] == (1.0, 0.5)


def test_no_epoch_column_uses_step_then_row() -> None:
    assert parse_history_text("step,loss\n10,1\n20,0.5\n").x_name == "step"
    h = parse_history_text("loss,val_loss\n1,1\n0.5,0.6\n")
    assert h.x_name == "row" and h.x == (0.0, 1.0)


def test_nan_and_inf_cells_are_kept() -> None:
    h = parse_history_text("epoch,loss\n0,1.0\n1,nan\n2,inf\n3,\n")
    values = h.columns["train_loss"]
    assert values[0] == 1.0 and math.isnan(values[1]) and values[2] == math.inf and values[3] is None


def test_non_monotonic_epochs_are_sorted_with_a_note() -> None:
    h = parse_history_text("epoch,loss\n2,0.5\n0,1.0\n1,0.7\n")
    assert h.x == (0.0, 1.0, 2.0) and h.columns["train_loss"] == (1.0, 0.7, 0.5)
    assert any("sorted" in n for n in h.notes)


def test_complementary_rows_of_one_epoch_merge() -> None:
    h = parse_history_text("epoch,loss,val_loss\n0,1.0,\n0,,1.2\n")
    assert h.columns == {"train_loss": (1.0,), "val_loss": (1.2,)}


def test_one_epoch() -> None:
    assert len(parse_history_text("epoch,loss\n0,1.0\n")) == 1


def test_100k_rows() -> None:
    text = "step,loss,val_loss\n" + "".join(f"{i},{1 / (i + 1)},{1.1 / (i + 1)}\n" for i in range(100_000))
    h = parse_history_text(text)
    assert len(h) == 100_000 and h.x_name == "step"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the history is empty"),
        ("   \n", "the history is empty"),
        ("epoch,loss\n", "the history has no rows"),
        ("epoch,accuracy,foo\n0,0.5,1\n", "no loss column among [epoch, accuracy, foo]"),
        ("epoch,loss\n0,abc\n", "row 2, column 'loss': 'abc' is not a number"),
        ("epoch,loss\n0,1.0\n0,2.0\n", "row 3, column 'loss': duplicate epoch 0: 2 here but 1 on row 2"),
        ("epoch,loss\nx,1.0\n", "row 2, column 'epoch': 'x' is not a number"),
        ("epoch,loss\n0,1.0,5\n", "row 2: 3 cells but the header has 2"),
        ("epoch,loss\n0,\n1,\n", "the loss columns hold no values"),
    ],
)
def test_bad_csv(text: str, message: str) -> None:
    with pytest.raises(HistoryError) as err:
        parse_history_text(text, "h.csv")
    assert message in str(err.value)
    assert str(err.value).startswith("invalid history in h.csv")


def test_every_bad_cell_is_reported_at_once() -> None:
    with pytest.raises(HistoryError) as err:
        parse_history_text("epoch,loss,val_loss\n0,a,b\n1,c,0.5\n")
    assert len(err.value.problems) == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"loss": [1, 2], "val_loss": [1]}, "columns have different lengths (loss=2, val_loss=1)"),
        ({"loss": 3}, "maps each metric to a list"),
        ([1, 2], "one object per row"),
        ("text", "expected a JSON object or list"),
        ([{"epoch": 0, "loss": True}], "True is a boolean, not a number"),
        ([{"epoch": 0, "loss": [1]}], "a list is not a number"),
        ({"log_history": 3}, "expected a list"),
    ],
)
def test_bad_json(data: object, message: str) -> None:
    with pytest.raises(HistoryError, match=None) as err:
        parse_history_json(data)
    assert message in str(err.value)


def test_invalid_json_text_names_the_position(tmp_path: Path) -> None:
    path = tmp_path / "h.json"
    path.write_text('{"loss": [1, 2,')
    with pytest.raises(InputFileError, match=r"h.json: invalid JSON at line 1"):
        load_history(path)


def test_missing_and_oversized_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        load_history(tmp_path / "nope.csv")
    big = tmp_path / "big.csv"
    big.write_text("epoch,loss\n" + "0,1\n" * 1000)
    monkeypatch.setattr(history_module, "MAX_FILE_BYTES", 1000)
    with pytest.raises(InputFileError, match="over the 0 MiB limit"):
        load_history(big)
