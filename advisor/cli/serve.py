"""`advisor serve`: the HTTP API under uvicorn (imported only here)."""

from __future__ import annotations

import logging

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

    Settings come from ADVISOR_* environment variables (see the README). Wrong settings, a broken
    knowledge base or job database, or probe jobs open to the network without API keys stop it
    before it listens: one line each, exit code 2. The app writes one JSON access-log line per
    request itself, so uvicorn's own access log is off."""
    import uvicorn

    from advisor_api.app import create_app
    from advisor_api.server import UVICORN_OPTIONS, check_exposure
    from advisor_api.settings import get_settings

    settings = get_settings()  # SettingsError: one line per problem
    check_exposure(settings, host)
    options = {"host": host, "port": port, "proxy_headers": proxy_headers, **UVICORN_OPTIONS}
    if workers > 1:
        create_app(settings)  # fails here, in one line, rather than in every worker
        uvicorn.run("advisor_api.app:create_app", factory=True, workers=workers, **options)
        return
    config = uvicorn.Config("advisor_api.app:create_app", factory=True, **options)  # sets up logging
    config.app, config.factory = create_app(settings), False  # then the app (its JSON logging wins)
    if settings.jobs_enabled and not settings.api_keys:
        where = f"on {host}, by ADVISOR_ALLOW_OPEN_JOBS" if settings.allow_open_jobs else "loopback only"
        logging.getLogger("advisor_api").warning("probe-job routes are open without API keys (%s)", where)
    uvicorn.Server(config).run()
