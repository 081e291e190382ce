"""The server the load test hits: exactly what `advisor serve` runs (create_app + uvicorn), plus
one benchmark-only route, POST /bench/static, that discards its body and returns a fixed JSON
body the size of a real recommendation - the web stack's own ceiling.

    .venv/bin/python benchmarks/load_server.py --port 8000
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import uvicorn
from fastapi import Request
from fastapi.responses import Response

from advisor import load_profile, recommend
from advisor_api import create_app
from advisor_api.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def build(log_json: bool, cache: bool) -> object:
    db = Path(tempfile.mkdtemp(prefix="advisor-load-")) / "jobs.sqlite"
    app = create_app(
        Settings(job_db=db, job_slots=0, log_json=log_json, response_cache_size=1024 if cache else 0)
    )
    example = sorted((ROOT / "examples").glob("*.yaml"))[0]
    static = recommend(load_profile(example)).to_json().encode()

    @app.post("/bench/static", include_in_schema=False)
    async def static_body(request: Request) -> Response:
        await request.body()
        return Response(static, media_type="application/json")

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-log", action="store_true", help="Turn the JSON access log off.")
    parser.add_argument("--no-cache", action="store_true", help="Turn the response cache off.")
    args = parser.parse_args()
    uvicorn.run(
        build(not args.no_log, not args.no_cache),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
