"""Server settings from the environment (ADVISOR_*), behind a cached dependency."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ADVISOR_", frozen=True)

    rules_dir: Path | None = None  # None: the knowledge base shipped with the package
    max_body_bytes: int = 1_000_000
    max_history_bytes: int = 16_000_000  # POST /v1/diagnose: step-level histories are large
    cors_origins: tuple[str, ...] = ()


@lru_cache
def get_settings() -> Settings:
    return Settings()
