"""Server settings from the environment (ADVISOR_*), behind a cached dependency."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from advisor.evidence.targets import BUILTIN_TARGETS


class Settings(BaseSettings):
    """Every field is an environment variable: ADVISOR_<NAME> (e.g. ADVISOR_API_KEYS=k1,k2)."""

    model_config = SettingsConfigDict(env_prefix="ADVISOR_", frozen=True)

    rules_dir: Path | None = None  # None: the knowledge base shipped with the package
    max_body_bytes: int = Field(1_000_000, gt=0)
    max_history_bytes: int = Field(16_000_000, gt=0)  # POST /v1/diagnose: step-level histories are large
    cors_origins: tuple[str, ...] = ()  # JSON list; CORS is off when empty
    request_timeout_s: float = Field(30.0, gt=0)
    log_json: bool = True  # one JSON object per log line (request id on each)
    # /v1/recommend is a pure function of its body and the KB: identical bodies reuse the answer.
    response_cache_size: int = Field(1024, ge=0)
    # Access: keys compared in constant time; job endpoints need one when any is configured.
    api_keys: Annotated[tuple[str, ...], NoDecode] = ()
    protect_reads: bool = False  # True: every route but /healthz and /readyz needs a key
    # Probe jobs: the operator's allow-list (name -> import spec, JSON), never a request's choice.
    probe_targets: dict[str, str] = Field(default_factory=lambda: dict(BUILTIN_TARGETS))
    job_db: Path = Path("advisor-jobs.sqlite")
    job_slots: int = Field(1, ge=0)  # workers at once (one per device); 0 = queue only
    job_timeout_s: float = Field(600.0, gt=0)
    job_memory_mb: int = Field(4096, ge=0)  # address-space cap per worker; 0 = none

    @model_validator(mode="after")
    def _reads_need_keys(self) -> Settings:
        if self.protect_reads and not self.api_keys:
            raise ValueError("protect_reads needs api_keys (ADVISOR_API_KEYS=key1,key2)")
        return self

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(k.strip() for k in value.split(",") if k.strip())
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
