"""The files a recommendation is written to: config, search space, full JSON."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from advisor.core.recommendation import Recommendation
from advisor.errors import InputFileError
from advisor.yamlio import dump_yaml


def write_atomic(path: Path, text: str) -> None:
    # Write beside the target, then rename: a crash never leaves a half-written file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_outputs(rec: Recommendation, directory: Path, exports: list[str] | None = None, *,
                  trials: int) -> list[Path]:
    """Write config.yaml, search_space.yaml, recommendation.json and any exports (each running
    `trials` trials: pass the profile's `budget.trials`); return the paths."""
    from advisor.outputs.exports import render_exports

    extra = render_exports(rec, exports or [], trials)  # unknown formats fail before anything is written
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputFileError(f"{directory}: cannot create output directory: {exc}") from None
    data = rec.to_dict()
    files = {
        directory / "config.yaml": dump_yaml(data["config"]),
        directory / "search_space.yaml": dump_yaml({"dimensions": data["search_space"]}),
        directory / "recommendation.json": rec.to_json(),
        **{directory / name: text for name, text in extra.items()},
    }
    try:
        for path, text in files.items():
            write_atomic(path, text)
    except OSError as exc:
        raise InputFileError(f"{directory}: cannot write: {exc}") from None
    return list(files)
