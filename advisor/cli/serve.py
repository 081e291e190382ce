"""`advisor serve`: the HTTP API under uvicorn (imported only here)."""

from __future__ import annotations

import typer


def command(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
    workers: int = typer.Option(1, "--workers", min=1, help="uvicorn worker processes."),
    proxy_headers: bool = typer.Option(
        False, "--proxy-headers", help="Trust X-Forwarded-* (only behind your own proxy)."
    ),
) -> None:
    """Serve the HTTP API (/v1/recommend, /v1/diagnose, /v1/probe-jobs, /metrics, /docs).

    Settings come from ADVISOR_* environment variables (see the README). The app writes one JSON
    access-log line per request itself, so uvicorn's own access log is off."""
    import uvicorn

    uvicorn.run("advisor_api.app:create_app", factory=True, host=host, port=port,
                workers=workers, proxy_headers=proxy_headers, log_level="info", access_log=False)
