"""Load test with wrk (Debian's package): /v1/recommend on the 14 example profiles vs a static
endpoint returning a body of the same size, 50 concurrent connections, on loopback.

    make bench-load     # = .venv/bin/python benchmarks/load_test.py --duration 60

Prints requests/s, p50 / p99 latency and errors for both, and the throughput ratio. The server
runs `create_app` under uvicorn exactly as `advisor serve` does (one worker process; the JSON
access log on, written to /dev/null), see benchmarks/load_server.py.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lua_script(path: str, bodies: list[str]) -> str:
    items = ",\n".join(f"[==[{b}]==]" for b in bodies)
    return f"""
local bodies = {{
{items}
}}
local i = 0
local headers = {{["Content-Type"] = "application/json"}}
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", "{path}", headers, bodies[i])
end
done = function(summary, latency, requests)
  io.write(string.format("JSON {{\\"requests\\": %d, \\"duration_us\\": %d, \\"status_errors\\": %d, "
    .. "\\"socket_errors\\": %d, \\"p50_us\\": %d, \\"p99_us\\": %d, \\"max_us\\": %d}}\\n",
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def run_wrk(base: str, path: str, bodies: list[str], duration: int, connections: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(lua_script(path, bodies))
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "5s", "-s", fh.name, base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data = json.loads(re.search(r"^JSON (.*)$", out, re.M).group(1))  # type: ignore[union-attr]
    seconds = data["duration_us"] / 1e6
    return {
        "rps": data["requests"] / seconds,
        "p50_ms": data["p50_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "max_ms": data["max_us"] / 1000,
        "requests": data["requests"],
        "errors": data["status_errors"] + data["socket_errors"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--no-log", action="store_true")
    parser.add_argument("--no-cache", action="store_true", help="Every request computes its answer.")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "load_test.json")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk (Debian's package)")
    bodies = [json.dumps(yaml.safe_load(p.read_text())) for p in sorted((ROOT / "examples").glob("*.yaml"))]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "load_server.py"), "--port", str(port)]
    flags = (["--no-log"] if args.no_log else []) + (["--no-cache"] if args.no_cache else [])
    server = subprocess.Popen(cmd + flags, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        for body in bodies:  # every profile is valid and answered: errors below are load errors
            assert (
                httpx.post(
                    f"{base}/v1/recommend", content=body, headers={"content-type": "application/json"}
                ).status_code
                == 200
            )
        results = {}
        for name, path in (("static", "/bench/static"), ("recommend", "/v1/recommend")):
            print(f"{name}: {args.duration} s at {args.connections} connections ...", file=sys.stderr)
            results[name] = run_wrk(base, path, bodies, args.duration, args.connections)
    finally:
        server.terminate()
        server.wait(timeout=10)
    ratio = results["recommend"]["rps"] / results["static"]["rps"]
    print("| endpoint | requests/s | p50 ms | p99 ms | max ms | requests | errors |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['max_ms']:.0f} | "
            f"{r['requests']} | {r['errors']} |"
        )
    print(
        f"\n/v1/recommend throughput = {ratio:.0%} of the static endpoint's "
        f"(target >= 50%); access log {'off' if args.no_log else 'on'}, "
        f"response cache {'off' if args.no_cache else 'on'}"
    )
    out = args.out.with_name(args.out.stem + ("_nocache" if args.no_cache else "") + args.out.suffix)
    out.write_text(
        json.dumps(
            {
                "duration_s": args.duration,
                "connections": args.connections,
                "access_log": not args.no_log,
                "response_cache": not args.no_cache,
                "ratio": ratio,
                **results,
            },
            indent=1,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
