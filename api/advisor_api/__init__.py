"""The HTTP API (FastAPI), installed as `advisor_api`. Thin: HTTP concerns only."""

from .app import create_app

__all__ = ["create_app"]
