"""Server settings from the environment (ADVISOR_*), behind a cached dependency."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from advisor.errors import AdvisorError
from advisor.evidence.targets import BUILTIN_TARGETS


class SettingsError(AdvisorError):
    """The server's settings are wrong: one line per problem, naming the environment variable."""


class Settings(BaseSettings):
    """Every field is an environment variable: ADVISOR_<NAME> (e.g. ADVISOR_API_KEYS=k1,k2)."""

    model_config = SettingsConfigDict(env_prefix="ADVISOR_", frozen=True)

    rules_dir: Path | None = None  # None: the knowledge base shipped with the package
    max_body_bytes: int = Field(1_000_000, gt=0)
    # POST /v1/diagnose: a parsed history costs ~12x its JSON in memory, so 4 MB (~40k rows) by default.
    max_history_bytes: int = Field(4_000_000, gt=0)
    max_history_rows: int = Field(100_000, gt=0)  # checked on the parsed JSON, before the history is built
    max_history_columns: int = Field(64, gt=0)
    diagnose_concurrency: int = Field(2, gt=0)  # /v1/diagnose requests at once; more get 503 + Retry-After
    cors_origins: tuple[str, ...] = ()  # JSON list; CORS is off when empty
    request_timeout_s: float = Field(30.0, gt=0)
    header_timeout_s: float = Field(10.0, gt=0)  # request line + headers, per request (advisor_api.server)
    log_json: bool = True  # one JSON object per log line (request id on each)
    # /v1/recommend is a pure function of its profile and the KB: equal profiles reuse the answer.
    response_cache_size: int = Field(1024, ge=0)  # entries
    response_cache_bytes: int = Field(32_000_000, ge=0)  # and bytes of stored responses
    # Access: keys compared in constant time; job endpoints need one when any is configured.
    api_keys: Annotated[tuple[str, ...], NoDecode] = ()
    protect_reads: bool = False  # True: every route but /healthz and /readyz needs a key
    # Job routes: "on", "off", or "keyed" (on only when API keys are configured; the Docker image's).
    job_routes: Literal["on", "off", "keyed"] = "on"
    # `advisor serve` with job routes on a non-loopback address and no keys: refused unless true.
    allow_open_jobs: bool = False
    max_queued_jobs: int = Field(100, gt=0)  # queued jobs in all; more get 429
    max_queued_jobs_per_key: int = Field(20, gt=0)  # queued jobs per API key (with keys); more get 429
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
            keys = tuple(k.strip() for k in value.split(",") if k.strip())
            if not keys:
                # Set but empty ("", ",", " "): refuse rather than silently run without authentication.
                raise ValueError(f"holds no key (got {value!r}); unset it to run without keys, "
                                 "or give key1,key2")
            return keys
        return value

    @property
    def jobs_enabled(self) -> bool:
        return self.job_routes == "on" or (self.job_routes == "keyed" and bool(self.api_keys))


def load_settings() -> Settings:
    """Settings from the environment, or SettingsError with one line per problem."""
    try:
        return Settings()
    except ValidationError as exc:
        lines = []
        for error in exc.errors(include_url=False):
            field = ".".join(str(p) for p in error["loc"])
            name = f"ADVISOR_{field.upper()}" if field else "settings"
            lines.append(f"{name}: {str(error['msg']).removeprefix('Value error, ')}")
        raise SettingsError("\n".join(lines)) from None


@lru_cache
def get_settings() -> Settings:
    return load_settings()
