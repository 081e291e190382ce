"""Soak test of the HTTP service: N minutes of mixed traffic against one `advisor serve` worker on
loopback, exactly as it ships (our uvicorn protocol, default limits, JSON access log to /dev/null).

    .venv/bin/python benchmarks/soak.py [--minutes 10] [--connections 50] [--slow 10]

Of the connections, `--slow` send slow request heads (half a head, then nothing: each should get
408 at the header timeout); the rest loop over a mix of valid requests (/v1/recommend over the
example profiles with varied budgets, /v1/diagnose on a short history), invalid ones (a bad
profile, broken JSON, a duplicate key, 5,000 unknown option keys) and oversize ones (a 1.5 MB
chunked body and a 2 GB Content-Length: 413 and the connection closed). A separate process (not
the load generator's busy event loop) asks /healthz every 100 ms throughout. Reports the server's
peak RSS, p50/p99 per class, errors
(an unexpected status, a 5xx other than /v1/diagnose's 503 + Retry-After when its slots are
full, a dropped or stuck connection) and the /healthz p99. Exit 1 on errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import psutil
import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [yaml.safe_load(p.read_text()) for p in sorted((ROOT / "examples").glob("*.yaml"))]
JSON = b"application/json"


def _request(method: str, path: str, body: bytes = b"", extra: bytes = b"") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: soak\r\n".encode()
    if body or method == "POST":
        head += b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n"
    return head + extra + b"\r\n" + body


def _valid(rng: random.Random) -> tuple[bytes, int]:
    if rng.random() < 0.8:
        profile = json.loads(json.dumps(rng.choice(EXAMPLES)))
        profile.setdefault("budget", {})["trials"] = rng.randint(5, 60)  # some cache misses
        return _request("POST", "/v1/recommend", json.dumps(profile).encode()), 200
    rows = [{"epoch": i, "train_loss": 2 / (i + 1), "val_loss": 2 / (i + 1) + 0.02 * max(0, i - 8)}
            for i in range(rng.randint(5, 40))]
    return _request("POST", "/v1/diagnose", json.dumps(rows).encode()), 200


def _invalid(rng: random.Random) -> tuple[bytes, int]:
    kind = rng.randrange(4)
    if kind == 0:
        profile = {**rng.choice(EXAMPLES), "task": "nope", "colour": "blue"}
        return _request("POST", "/v1/recommend", json.dumps(profile).encode()), 422
    if kind == 1:
        return _request("POST", "/v1/recommend", b'{"task": "classification", "data": {'), 422
    if kind == 2:
        return _request("POST", "/v1/recommend", b'{"task": "classification", "task": "regression"}'), 422
    options = {f"k{i}": i for i in range(5000)}
    body = json.dumps({"target": "digits-mlp", "probe": "lr", "options": options}).encode()
    return _request("POST", "/v1/probe-jobs", body), 422


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict[bytes, bytes]]:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed before a response")
    status = int(status_line.split()[1])
    headers: dict[bytes, bytes] = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get(b"content-length", b"0"))
    await reader.readexactly(length)
    return status, headers


class Soak:
    def __init__(self, port: int, deadline: float, header_timeout_s: float) -> None:
        self.port = port
        self.deadline = deadline
        self.header_timeout_s = header_timeout_s
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.samples: list[str] = []
        self.resets = 0

    def _error(self, cls: str, what: str) -> None:
        self.errors[cls] += 1
        if len(self.samples) < 10:
            self.samples.append(f"{cls}: {what}")

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection("127.0.0.1", self.port, limit=2**20)

    async def mixed(self, seed: int) -> None:
        rng = random.Random(seed)
        conn = None
        while time.monotonic() < self.deadline:
            roll = rng.random()
            cls = "valid" if roll < 0.6 else "invalid" if roll < 0.9 else "oversize"
            start = time.perf_counter()
            try:
                if cls == "oversize":
                    await self._oversize(rng)
                else:
                    if conn is None:
                        conn = await self._connect()
                    reader, writer = conn
                    raw, expected = _valid(rng) if cls == "valid" else _invalid(rng)
                    writer.write(raw)
                    await writer.drain()
                    status, headers = await asyncio.wait_for(_read_response(reader), 60)
                    self.statuses[cls][status] += 1
                    shed = status == 503 and b"retry-after" in headers and b"/v1/diagnose" in raw[:30]
                    if status != expected and not shed:  # diagnose sheds load: 503 + Retry-After
                        self._error(cls, f"status {status}, expected {expected}")
                    if headers.get(b"connection") == b"close":
                        writer.close()
                        conn = None
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ConnectionError, ValueError) as exc:
                self._error(cls, f"{type(exc).__name__}: {exc}")
                if conn is not None:
                    conn[1].close()
                conn = None
                continue
            self.latency[cls].append(time.perf_counter() - start)
        if conn is not None:
            conn[1].close()

    async def _oversize(self, rng: random.Random) -> None:
        """413 and the connection closed, before the client is through (a reset once the server
        has closed with body bytes unread is the same refusal, seen from the client)."""
        reader, writer = await self._connect()
        try:
            if rng.random() < 0.5:  # chunked, no Content-Length: counted while it streams
                writer.write(b"POST /v1/recommend HTTP/1.1\r\nHost: soak\r\n"
                             b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
                chunk = b"10000\r\n" + b" " * 0x10000 + b"\r\n"
                for _ in range(24):  # 1.5 MB
                    writer.write(chunk)
                    await writer.drain()
            else:
                writer.write(b"POST /v1/diagnose HTTP/1.1\r\nHost: soak\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 2000000000\r\n\r\n[")
                await writer.drain()
            status, headers = await asyncio.wait_for(_read_response(reader), 30)
            self.statuses["oversize"][status] += 1
            if status != 413 or headers.get(b"connection") != b"close":
                self._error("oversize", f"status {status}, connection {headers.get(b'connection')!r}")
            elif await asyncio.wait_for(reader.read(), 10) != b"":
                self._error("oversize", "the connection stayed open")
        except ConnectionResetError:
            self.resets += 1  # the server closed with body bytes unread: the client sees a reset
        finally:
            writer.close()

    async def slow(self) -> None:
        while time.monotonic() < self.deadline:
            start = time.perf_counter()
            try:
                reader, writer = await self._connect()
                writer.write(b"GET /healthz HTTP/1.1\r\nHost: soak\r\nX-Slow: ")
                await writer.drain()
                status, _ = await asyncio.wait_for(_read_response(reader), self.header_timeout_s + 10)
                rest = await asyncio.wait_for(reader.read(), 5)
                writer.close()
                self.statuses["slow-header"][status] += 1
                if status != 408 or rest:
                    self._error("slow-header", f"status {status}, then {len(rest)} bytes")
                    continue
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ConnectionError, ValueError) as exc:
                self._error("slow-header", f"{type(exc).__name__}: {exc}")
                continue
            self.latency["slow-header"].append(time.perf_counter() - start)



def probe_health(port: int, seconds: float, out: Any) -> None:
    """/healthz every 100 ms on its own kept-alive connection, from its own process: the load
    generator's busy event loop must not count as the server's latency. Sends (latencies, errors)."""
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    errors: list[str] = []
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    while time.monotonic() < deadline:
        start = time.perf_counter()
        try:
            sock.sendall(_request("GET", "/healthz"))
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed")
                head += chunk
            status = int(head.split(b" ", 2)[1])
            length = int(next((line.split(b":", 1)[1] for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), b"0"))
            body = head.split(b"\r\n\r\n", 1)[1]
            while len(body) < length:
                body += sock.recv(65536)
            if status != 200:
                errors.append(f"status {status}")
        except (OSError, ConnectionError, ValueError) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            continue
        latencies.append(time.perf_counter() - start)
        time.sleep(0.1)
    out.put((latencies, errors))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "advisor serve exited"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(_request("GET", "/readyz"))
                if sock.recv(100).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("advisor serve did not become ready")


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _run(soak: Soak, connections: int, slow: int) -> None:
    tasks = [soak.mixed(i) for i in range(connections - slow)] + [soak.slow() for _ in range(slow)]
    await asyncio.gather(*tasks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--slow", type=int, default=10, help="of the connections, slow-header ones")
    args = parser.parse_args()
    header_timeout_s = 10.0  # the server's default (ADVISOR_HEADER_TIMEOUT_S)
    port = _free_port()
    tmp = Path(tempfile.mkdtemp(prefix="advisor-soak-"))
    env = {**os.environ, "ADVISOR_JOB_DB": str(tmp / "jobs.sqlite"), "ADVISOR_JOB_SLOTS": "0"}
    proc = subprocess.Popen([sys.executable, "-m", "advisor", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_ready(port, proc)
        server = psutil.Process(proc.pid)
        rss_start = server.memory_info().rss
        peak = [rss_start]
        soak = Soak(port, time.monotonic() + args.minutes * 60, header_timeout_s)

        async def sample_rss() -> None:
            while time.monotonic() < soak.deadline:
                peak[0] = max(peak[0], server.memory_info().rss)
                await asyncio.sleep(0.5)

        async def everything() -> None:
            await asyncio.gather(_run(soak, args.connections, args.slow), sample_rss())

        started = time.monotonic()
        results: Any = multiprocessing.Queue()
        prober = multiprocessing.Process(target=probe_health, args=(port, args.minutes * 60, results))
        prober.start()
        asyncio.run(everything())
        health, health_errors = results.get(timeout=120)
        prober.join(timeout=30)
        soak.latency["/healthz"] = health
        soak.statuses["/healthz"][200] = len(health)
        soak.errors["/healthz"] = len(health_errors)
        soak.samples += health_errors[:3]
        elapsed = time.monotonic() - started
        rss_end = server.memory_info().rss
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(f"soak: {elapsed / 60:.1f} min, {args.connections} connections ({args.slow} slow-header), "
          f"one uvicorn worker on loopback")
    print(f"server RSS: start {rss_start / 2**20:.0f} MiB, peak {peak[0] / 2**20:.0f} MiB, "
          f"end {rss_end / 2**20:.0f} MiB\n")
    print("| class | requests | p50 ms | p99 ms | max ms | errors | statuses |")
    print("|---|---|---|---|---|---|---|")
    for cls in ("valid", "invalid", "oversize", "slow-header", "/healthz"):
        values = soak.latency[cls]
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(soak.statuses[cls].items()))
        print(f"| {cls} | {len(values)} | {_pct(values, 0.5):.1f} | {_pct(values, 0.99):.1f} | "
              f"{max(values, default=float('nan')) * 1000:.0f} | {soak.errors[cls]} | {statuses} |")
    print(f"\noversize connections the client saw reset after the 413: {soak.resets}; "
          "503s: /v1/diagnose shedding load (Retry-After), not errors")
    total = sum(soak.errors.values())
    if soak.samples:
        print("\nfirst errors:\n  " + "\n  ".join(soak.samples))
    print(f"\n{total} errors; /healthz p99 {_pct(soak.latency['/healthz'], 0.99):.1f} ms "
          f"(mean {statistics.fmean(soak.latency['/healthz'] or [0]) * 1000:.1f} ms)")
    sys.exit(1 if total else 0)


if __name__ == "__main__":
    main()
