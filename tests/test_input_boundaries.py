"""Issue 15, the input boundary: each class of hostile input is refused where it enters, as the
library's own error (CLI: one line per problem, exit 2, no traceback, within seconds)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from advisor import InputFileError, ProfileError, load_profile, parse_profile
from advisor.errors import HistoryError
from advisor.evidence.files import load_probe_results, load_result
from advisor.evidence.history import load_history, parse_history_json, parse_history_text
from advisor.evidence.results import SanityResult

from .conftest import ROOT, base_profile

EXAMPLE = ROOT / "examples" / "tabular-mlp-adam.yaml"
BIG = 10**4000  # 4001 digits: below Python's int/str limit, far beyond a float
SURROGATE = "\ud800"


def _write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")  # ensure_ascii: "\ud800" stays an escape
    return path


# ---- Numbers: bounded where they enter -------------------------------------------------------
def test_huge_numbers_are_errors_naming_the_field(tmp_path: Path) -> None:
    for path in ("data.num_samples", "hardware.max_batch_size", "budget.tokens", "model.num_params"):
        with pytest.raises(ProfileError) as err:
            parse_profile(base_profile(**{path: BIG}))
        assert err.value.problems[0].path == path and "digits" in str(err.value)
    raw = EXAMPLE.read_text().replace("num_samples: 60000", "num_samples: " + "9" * 5000)
    (tmp_path / "p.yaml").write_text(raw)
    with pytest.raises(InputFileError, match=r"p\.yaml:4: invalid YAML: an integer of 5000 digits"):
        load_profile(tmp_path / "p.yaml")
    (tmp_path / "p.json").write_text('{"task": "regression", "data": {"num_samples": %s}}' % ("9" * 5000))
    with pytest.raises(InputFileError, match=r"p\.json: invalid JSON: an integer of more than 4300"):
        load_profile(tmp_path / "p.json")
    # Histories: a cell beyond the float range is a problem at its row and column, whatever the shape.
    for data in ({"loss": [1.0, BIG]},
                 [{"epoch": 0, "loss": 1.0}, {"epoch": 1, "loss": -BIG}],
                 {"log_history": [{"loss": BIG, "step": 1}, {"loss": 1.0, "step": 2}, {"eval_loss": 1.0}]}):
        with pytest.raises(HistoryError, match="too large for a float"):
            parse_history_json(data)
    with pytest.raises(InputFileError, match="more than 4300 digits"):
        parse_history_text('{"loss": [1, %s]}' % ("9" * 5000))
    # inf + -inf within one merged epoch is NaN (kept for the diagnosis), not fsum's ValueError.
    merged = parse_history_text("epoch,step,loss\n0,1,inf\n0,2,-inf\n1,3,1e308\n1,4,1e308\n")
    assert str(merged.columns["train_loss"]) == "(nan, inf)"
    # Probe results: an integer beyond any measured count or size names its field.
    lr = _write_json(tmp_path / "sanity.json", {"checks": [{"name": "init_loss", "status": "ok",
                                                             "detail": "x", "value": BIG}]})
    with pytest.raises(InputFileError, match=r"sanity\.json: .*checks\.0\.value: an integer of 4001 digits"):
        load_probe_results([lr])


# ---- Text: nothing that cannot be written back out -------------------------------------------
def test_unencodable_text_is_refused_where_it_enters(tmp_path: Path) -> None:
    for raw, where in ((base_profile(name=SURROGATE), "name"),
                       ({**base_profile(), SURROGATE: 1}, "\\ud800"),
                       (base_profile(**{"data.modality": "x" + SURROGATE}), "data.modality")):
        with pytest.raises(ProfileError) as err:
            parse_profile(raw)
        assert [p.path for p in err.value.problems] == [where]
        str(err.value).encode("utf-8")  # the message itself can be written
    with pytest.raises(ProfileError, match="lone UTF-16 surrogate"):
        load_profile(_write_json(tmp_path / "p.json", base_profile(name=SURROGATE)))
    # History column names (any shape) and probe-result files.
    for data in ({"loss": [1.0, 2.0], SURROGATE: [1.0, 2.0]}, [{"epoch": 0, "loss": 1, SURROGATE: 2}]):
        with pytest.raises(HistoryError, match=r"column '\\ud800': the name is not valid text") as err:
            parse_history_json(data)
        str(err.value).encode("utf-8")
    sanity = _write_json(tmp_path / "s.json", {"checks": [{"name": "init_loss", "status": "ok",
                                                           "detail": SURROGATE}]})
    with pytest.raises(InputFileError, match=r"checks\.0\.detail: not valid text"):
        load_result(sanity, SanityResult)


# ---- Files: only regular files, read up to a cap ---------------------------------------------
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_only_regular_files_are_read(tmp_path: Path) -> None:
    zero, fifo = tmp_path / "zero.json", tmp_path / "fifo.json"
    zero.symlink_to("/dev/zero")
    os.mkfifo(fifo)
    readers = {"profile": load_profile, "history": load_history,
               "saved probe result": lambda p: load_probe_results([p])}
    for what, read in readers.items():
        for path, kind in ((zero, "a device"), (fifo, "a FIFO"), (tmp_path, "a directory")):
            start = time.monotonic()
            with pytest.raises(InputFileError, match=f"cannot read the {what}: it is {kind}"):
                read(path)
            assert time.monotonic() - start < 1
    big = tmp_path / "big.yaml"
    big.write_text("name: x\n" + "#" * (1 << 20))
    with pytest.raises(InputFileError, match=r"the profile is 1 MiB, over the 1 MiB limit"):
        load_profile(big)
    dup = tmp_path / "dup.json"
    dup.write_text('{"task": "regression", "task": "classification"}')
    with pytest.raises(InputFileError, match="duplicate key 'task'"):
        load_profile(dup)
    with pytest.raises(InputFileError, match="duplicate key 'loss'"):
        parse_history_text('{"loss": [1, 2], "loss": [3, 4]}')


# ---- Work and output bounded by the input's size, not its content ----------------------------
def test_huge_documents_cost_little_and_report_a_bounded_list() -> None:
    many = {**base_profile(), **{f"k{i}": i for i in range(1_000_000)}}
    start = time.monotonic()
    with pytest.raises(ProfileError) as err:
        parse_profile(many)
    assert time.monotonic() - start < 2
    assert [str(p) for p in err.value.problems] == ["(root): 1,000,004 keys; at most 64 are allowed here"]
    sixty = {**base_profile(), **{f"k{i}": i for i in range(60)}}
    with pytest.raises(ProfileError) as err:
        parse_profile(sixty)
    assert len(err.value.problems) == 21
    assert str(err.value.problems[-1]) == "(root): ... and 40 more problem(s)"
    deep: object = 1
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(ProfileError, match="nested deeper than 32 levels"):
        parse_profile({**base_profile(), "name": deep})


# ---- The command line: every one of these is one line, exit 2, in seconds --------------------
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_cli_refuses_hostile_inputs_quickly(tmp_path: Path) -> None:
    zero, fifo = tmp_path / "zero.yaml", tmp_path / "fifo.csv"
    zero.symlink_to("/dev/zero")
    os.mkfifo(fifo)
    huge = tmp_path / "huge.yaml"
    huge.write_text(EXAMPLE.read_text().replace("num_samples: 60000", "num_samples: " + "9" * 4000))
    longer = tmp_path / "longer.yaml"
    longer.write_text(EXAMPLE.read_text().replace("num_samples: 60000", "num_samples: " + "9" * 5000))
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({**base_profile(), **{f"k{i}": 1 for i in range(1_000_000)}}))
    few_keys = tmp_path / "few-keys.yaml"
    few_keys.write_text("\n".join(f"k{i}: 1" for i in range(60_000)))
    surrogate = _write_json(tmp_path / "s.json", {"loss": [1.0, 2.0, 3.0], SURROGATE: [1, 2, 3]})
    cases = [["recommend", zero], ["recommend", fifo], ["diagnose", fifo], ["diagnose", "--sanity", zero],
             ["recommend", EXAMPLE, "--probes", fifo], ["recommend", huge], ["recommend", longer],
             ["recommend", keys], ["recommend", few_keys], ["diagnose", surrogate]]
    for args in cases:
        start = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "advisor", *map(str, args)], capture_output=True,
                              text=True, timeout=20)
        took = time.monotonic() - start
        assert done.returncode == 2, (args, done.stderr)
        assert "Traceback" not in done.stderr and done.stderr.count("\n") <= 3, (args, done.stderr)
        assert took < 5, (args, took)
