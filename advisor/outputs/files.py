"""The files a recommendation is written to: config, search space, full JSON."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from advisor.core.recommendation import Recommendation
from advisor.errors import InputFileError
from advisor.yamlio import dump_yaml


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write beside the target, then rename: a crash never leaves a half-written file. The file is
    created like `open()` does (0666 less the umask: 0644 under the usual 0022), not mkstemp's 0600."""
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    else:  # pragma: no cover - 100 collisions of 32 random bits
        raise FileExistsError(f"{path.parent}: no free temporary name")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
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
