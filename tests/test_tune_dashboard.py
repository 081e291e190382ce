"""optuna-dashboard reads a study `advisor tune` wrote: the dashboard's own WSGI app served on a real
socket (wsgiref, a thread), asked over HTTP the way its web page asks (`/api/studies`, then
`/api/studies/<id>`)."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from .conftest import ROOT

optuna_dashboard = pytest.importorskip("optuna_dashboard")

PROFILE = ROOT / "tests" / "profiles" / "vision-auto-optimizer.yaml"
CURVES = ROOT / "tests" / "objectives" / "curves.py"


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def dashboard(cli, tmp_path: Path) -> Iterator[str]:
    db = tmp_path / "study.db"
    result = cli("tune", PROFILE, "--objective", f"{CURVES}:reporting", "--trials", "5", "--storage", db,
                 "--study-name", "lr-search")
    assert result.code == 0, result.err
    server = make_server("127.0.0.1", 0, optuna_dashboard.wsgi(f"sqlite:///{db}"), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
        return json.load(response)


def test_optuna_dashboard_lists_the_study_and_shows_its_trials(dashboard: str) -> None:
    [summary] = get(f"{dashboard}/api/studies")["study_summaries"]
    assert summary["study_name"] == "lr-search" and summary["directions"] == ["minimize"]
    detail = get(f"{dashboard}/api/studies/{summary['study_id']}")
    trials = detail["trials"]
    assert [t["number"] for t in trials] == [0, 1, 2, 3, 4]
    assert {p["name"] for p in trials[0]["params"]} == {"learning_rate", "batch_size", "momentum"}
    assert detail["has_intermediate_values"] and all(t["intermediate_values"] for t in trials)
    start = trials[0]  # the starting config, lr 0.1: its train loss climbs, the curve rules stop it
    assert start["state"] == "Pruned"
    attrs = {a["key"]: a["value"] for a in start["user_attrs"]}
    assert json.loads(attrs["advisor:pruned_by"])["verdict"] == "lr_too_high"
    assert detail["best_trials"] and detail["best_trials"][0]["state"] == "Complete"
    assert {d["name"] for d in detail["intersection_search_space"]} == {"learning_rate", "batch_size",
                                                                        "momentum"}
