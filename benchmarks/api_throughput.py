"""HTTP throughput: POST /v1/recommend (response cache off) against a bare FastAPI endpoint.

    make bench-api      # = .venv/bin/python benchmarks/api_throughput.py

Starts two servers on free loopback ports, one uvicorn worker each, and loads them one after the
other with `wrk -t2 -c50 -d10s`, POSTing the bundled example profiles (examples/*.yaml, as JSON)
in turn:

- advisor: the real app exactly as `advisor serve` runs it (`advisor_api.app:create_app` as a
  uvicorn factory, JSON access log on), with ADVISOR_RESPONSE_CACHE_SIZE=0 so every request
  validates the profile, runs the engine and encodes the answer;
- bare: a FastAPI app with one async route that reads the body and returns a fixed JSON body the
  size of a real recommendation - the web stack's own ceiling on this machine.

Prints requests/s, p50/p99 latency and errors side by side, and the ratio (target >= 50% with
p99 < 100 ms and no errors). A missed target is reported, not an error: the exit status is
non-zero only when something crashes (a server that does not start, wrk failing, a non-200 answer
to a valid profile before the run).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml
from fastapi import FastAPI, Request
from fastapi.responses import Response

from load_test import free_port, lua_script  # the wrk plumbing `make bench-load` uses

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 0.5
TARGET_P99_MS = 100.0
JSON_HEADERS = {"content-type": "application/json"}


def run_wrk(url: str, script: Path, args: argparse.Namespace) -> dict[str, float]:
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--timeout", "5s"]
    out = subprocess.run([*cmd, "-s", str(script), url], capture_output=True, text=True, check=True).stdout
    found = re.search(r"^JSON (.*)$", out, re.M)
    if found is None:
        raise RuntimeError(f"no summary in wrk's output:\n{out}")
    data = json.loads(found.group(1))
    return {
        "rps": data["requests"] / (data["duration_us"] / 1e6),
        "p50_ms": data["p50_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "max_ms": data["max_us"] / 1000,
        "requests": data["requests"],
        "errors": data["status_errors"] + data["socket_errors"],
    }


def wait_ready(base: str, server: subprocess.Popen[bytes], path: str = "/healthz") -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with status {server.returncode} before answering")
        try:
            if httpx.get(base + path, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{base} did not answer {path} within 60 s")


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def bare_app(body: bytes) -> FastAPI:
    """The ceiling: FastAPI routing one POST, reading its body, answering fixed bytes."""
    app = FastAPI()

    @app.post("/bare")
    async def bare(request: Request) -> Response:
        await request.body()
        return Response(body, media_type="application/json")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def serve_bare(port: int, body_file: Path) -> None:
    import uvicorn

    uvicorn.run(bare_app(body_file.read_bytes()), host="127.0.0.1", port=port, log_level="warning",
                access_log=False)


def measure_advisor(bodies: list[str], script: Path, tmp: Path, args: argparse.Namespace) -> tuple[
    dict[str, float], bytes
]:
    """Load the real app; returns the wrk figures and a median-size answer for the bare app."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "ADVISOR_RESPONSE_CACHE_SIZE": "0",
        "ADVISOR_JOB_DB": str(tmp / "jobs.sqlite"),
        "ADVISOR_JOB_SLOTS": "0",
    }
    # The same call as `advisor serve` (advisor/cli/serve.py): factory, one worker, no uvicorn
    # access log (the app writes its own JSON line per request; it goes to /dev/null here).
    cmd = [sys.executable, "-m", "uvicorn", "advisor_api.app:create_app", "--factory", "--host", "127.0.0.1",
           "--port", str(port), "--workers", "1", "--log-level", "info", "--no-access-log"]
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp)
    try:
        wait_ready(base, server)
        answers = []
        for body in bodies:  # every profile is valid and answered: errors under load are load errors
            reply = httpx.post(f"{base}/v1/recommend", content=body, headers=JSON_HEADERS)
            if reply.status_code != 200:
                raise RuntimeError(f"/v1/recommend answered {reply.status_code}: {reply.text[:300]}")
            answers.append(reply.content)
        print(f"advisor: POST /v1/recommend, {args.duration} s ...", file=sys.stderr)
        result = run_wrk(f"{base}/v1/recommend", script, args)
    finally:
        stop(server)
    answers.sort(key=len)
    return result, answers[len(answers) // 2]


def measure_bare(answer: bytes, bodies: list[str], tmp: Path, args: argparse.Namespace) -> dict[str, float]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    body_file = tmp / "answer.json"
    body_file.write_bytes(answer)
    cmd = [sys.executable, __file__, "--serve-bare", str(port), "--body-file", str(body_file)]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(base, server)
        script = tmp / "bare.lua"
        script.write_text(lua_script("/bare", bodies))
        print(f"bare: POST /bare, {args.duration} s ...", file=sys.stderr)
        return run_wrk(f"{base}/bare", script, args)
    finally:
        stop(server)


def engine_ms(bodies: list[str], rounds: int = 20) -> float:
    """Mean ms per answer for validation, engine and JSON alone, in this process: what the app
    adds to the bare endpoint's work even if the framework cost nothing."""
    from advisor import Profile, default_knowledge_base, recommend

    kb = default_knowledge_base()
    profiles = [Profile.model_validate_json(b) for b in bodies]
    for profile in profiles:  # warm up
        recommend(profile, kb=kb).to_json(indent=None)
    start = time.perf_counter()
    for _ in range(rounds):
        for body in bodies:
            recommend(Profile.model_validate_json(body), kb=kb).to_json(indent=None).encode()
    return (time.perf_counter() - start) * 1000 / (rounds * len(bodies))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="Seconds of load per server.")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, help="Also write the figures here as JSON.")
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--body-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare is not None:
        serve_bare(args.serve_bare, args.body_file)
        return 0
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk (or `make bench-api`)", file=sys.stderr)
        return 2
    bodies = [json.dumps(yaml.safe_load(p.read_text())) for p in sorted((ROOT / "examples").glob("*.yaml"))]
    with tempfile.TemporaryDirectory(prefix="advisor-bench-api-") as name:
        tmp = Path(name)
        script = tmp / "recommend.lua"
        script.write_text(lua_script("/v1/recommend", bodies))
        advisor, answer = measure_advisor(bodies, script, tmp, args)
        bare = measure_bare(answer, bodies, tmp, args)
    results = {"bare": bare, "advisor": advisor}
    ratio = advisor["rps"] / bare["rps"]
    print(f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, {len(bodies)} example profiles, "
          f"one uvicorn worker each; bare answer {len(answer)} bytes")
    print("| server | route | requests/s | p50 ms | p99 ms | max ms | requests | errors |")
    print("|---|---|---|---|---|---|---|---|")
    for name, route in (("bare FastAPI", "POST /bare"), ("advisor (cache off)", "POST /v1/recommend")):
        r = results["bare" if name.startswith("bare") else "advisor"]
        print(f"| {name} | {route} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | "
              f"{r['max_ms']:.0f} | {r['requests']} | {r['errors']} |")
    engine = engine_ms(bodies)
    bare_ms = 1000 / bare["rps"]
    print(f"\nin-process validation + engine + JSON: {engine:.2f} ms per answer; the bare endpoint's "
          f"{bare_ms:.2f} ms per request + that = ratio {bare_ms / (bare_ms + engine):.2f} with a framework "
          f"that cost nothing; the rest, {1000 / advisor['rps'] - bare_ms - engine:.2f} ms per request, is "
          "the app's HTTP layer (routing, validation, middlewares, access log)")
    met = ratio >= TARGET_RATIO and advisor["p99_ms"] < TARGET_P99_MS and advisor["errors"] == 0
    print(f"\nratio advisor/bare = {ratio:.2f} (target >= {TARGET_RATIO:.2f}, p99 < {TARGET_P99_MS:g} ms, "
          f"0 errors): {'met' if met else 'missed'}")
    if args.out:
        args.out.write_text(json.dumps({"duration_s": args.duration, "connections": args.connections,
                                        "threads": args.threads, "ratio": ratio, "engine_ms": engine,
                                        **results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
