"""A throwaway PostgreSQL server that the test suite starts itself (issue 16).

`postgres_url` is a session-scoped fixture: import it into a test module that needs it with
`from .pg_server import postgres_url  # noqa: F401` and take `postgres_url` as an argument. It yields a
SQLAlchemy URL `postgresql+psycopg2://advisor@127.0.0.1:PORT/advisor_test` (trust auth on loopback),
and at the end of the session stops the server and removes its directory.

Binaries, first that starts wins: `initdb` on PATH, Debian's /usr/lib/postgresql/*/bin (newest first),
then the build bundled in the `pgserver` wheel (dev extra). None starting -> `pytest.skip` naming every
attempt and why it failed. The server is ours alone (own data dir, own port, fsync off): tests only.

PostgreSQL refuses to run as root. Running as root, initdb and postgres run as an unprivileged account:
`postgres` where it exists (Debian's package creates it), else a system account `hparam-pgtest` made
with `useradd --system`. Nothing is created when not running as root.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

DB_USER = "advisor"
DB_NAME = "advisor_test"
SERVICE_ACCOUNT = "hparam-pgtest"
START_TIMEOUT_S = 30.0
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "16MB",
    "max_connections": "60",
    "logging_collector": "off",
}


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path)) or (0,)


def candidate_bin_dirs() -> list[tuple[str, Path]]:
    """(label, bin dir) holding initdb and postgres, in the order they are tried."""
    found: list[tuple[str, Path]] = []
    on_path = shutil.which("initdb")
    if on_path:
        found.append(("system initdb on PATH", Path(os.path.realpath(on_path)).parent))
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True):
        found.append((f"system {d}", Path(d)))
    spec = importlib.util.find_spec("pgserver")  # located, not imported: its import has side effects
    if spec is not None and spec.submodule_search_locations:
        found.append(("pgserver (PyPI) bundled build",
                      Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"))
    unique: dict[Path, tuple[str, Path]] = {}
    for label, d in found:
        if (d / "initdb").is_file() and (d / "postgres").is_file():
            unique.setdefault(d.resolve(), (label, d))
    return list(unique.values())


def _service_account() -> pwd.struct_passwd | None:
    """The unprivileged account to run PostgreSQL as; None when not root (run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", SERVICE_ACCOUNT):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    "--user-group", SERVICE_ACCOUNT], check=True, capture_output=True, text=True)
    return pwd.getpwnam(SERVICE_ACCOUNT)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """Poll `condition` every 50 ms until it returns something truthy; that, or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@dataclass
class PgServer:
    label: str
    bin_dir: Path
    root: Path
    account: pwd.struct_passwd | None
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    startup_s: float = 0.0
    version: str = ""
    _log: Any = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://{DB_USER}@127.0.0.1:{self.port}/{DB_NAME}"

    @property
    def log_path(self) -> Path:
        return self.root / "postgres.log"

    def _as_account(self) -> dict[str, Any]:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"}
        if self.account is None:
            return {"env": {**env, "HOME": os.environ.get("HOME", str(self.root))}}
        return {"user": self.account.pw_uid, "group": self.account.pw_gid, "extra_groups": [],
                "env": {**env, "HOME": str(self.root), "USER": self.account.pw_name}}

    def start(self) -> None:
        started = time.monotonic()
        self.root.chmod(0o700)
        if self.account is not None:
            os.chown(self.root, self.account.pw_uid, self.account.pw_gid)
        data = self.root / "data"
        init = subprocess.run(
            [str(self.bin_dir / "initdb"), "-D", str(data), "-U", DB_USER, "--auth=trust", "-E", "UTF8",
             "--locale=C", "--no-sync"],
            cwd=self.root, capture_output=True, text=True, timeout=120, **self._as_account())
        if init.returncode != 0:
            raise RuntimeError(f"initdb exited {init.returncode}: {_tail(init.stdout + init.stderr)}")
        for _ in range(3):  # a port picked free can be taken before postgres binds it: pick again
            self.port = _free_port()
            if self._launch(data):
                break
            self.stop()
            log = self.log_path.read_text(errors="replace")
            if "could not bind" not in log:
                raise RuntimeError(f"postgres exited {self.process.returncode}: {_tail(log)}")
        else:
            raise RuntimeError("postgres could not bind a free loopback port in 3 tries")
        self._create_database()
        self.startup_s = time.monotonic() - started

    def _launch(self, data: Path) -> bool:
        import psycopg2

        settings = [arg for key, value in SERVER_SETTINGS.items() for arg in ("-c", f"{key}={value}")]
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [str(self.bin_dir / "postgres"), "-D", str(data), "-p", str(self.port), "-k", str(self.root),
             *settings],
            cwd=self.root, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True, **self._as_account())
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                conn = psycopg2.connect(host="127.0.0.1", port=self.port, user=DB_USER, dbname="postgres",
                                        connect_timeout=2)
            except psycopg2.OperationalError:
                time.sleep(0.05)
                continue
            with conn.cursor() as cur:
                cur.execute("show server_version")
                self.version = cur.fetchone()[0]
            conn.close()
            return True
        self.stop()
        raise RuntimeError(f"postgres not accepting connections after {START_TIMEOUT_S:.0f} s: "
                           f"{_tail(self.log_path.read_text(errors='replace'))}")

    def _create_database(self) -> None:
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user=DB_USER, dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE {DB_NAME}")
        conn.close()

    def stop(self) -> None:
        """Fast shutdown (SIGINT), SIGKILL to the process group if it lingers; the directory goes."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
        if self._log is not None:
            self._log.close()
            self._log = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def _tail(text: str, lines: int = 8) -> str:
    return " | ".join(text.strip().splitlines()[-lines:])


def start_postgres() -> PgServer:
    """The first candidate that starts, or pytest.skip naming each one tried and why it failed."""
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        pytest.skip("PostgreSQL tests need psycopg2: pip install 'hparam-advisor[postgres]'")
    candidates = candidate_bin_dirs()
    if not candidates:
        pytest.skip("no PostgreSQL to start: no initdb on PATH, none in /usr/lib/postgresql/*/bin, "
                    "pgserver not installed (pip install pgserver)")
    try:
        account = _service_account()
    except (OSError, subprocess.CalledProcessError) as err:
        pytest.skip(f"running as root, PostgreSQL needs an unprivileged account and "
                    f"`useradd --system {SERVICE_ACCOUNT}` failed: {err}")
    failures: list[str] = []
    for label, bin_dir in candidates:
        server = PgServer(label, bin_dir, Path(tempfile.mkdtemp(prefix="pgtest-")), account)
        try:
            server.start()
        except (OSError, RuntimeError, subprocess.SubprocessError) as err:
            server.remove()
            failures.append(f"{label} ({bin_dir}): {err}")
            continue
        return server
    pytest.skip("no PostgreSQL could be started; tried: " + "; ".join(failures))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    server = start_postgres()
    try:
        yield server.url
    finally:
        server.remove()
