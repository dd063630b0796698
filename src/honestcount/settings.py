"""Every setting in one place: the environment variables and the analysis defaults.

Environment variables (all optional; read once per :func:`get_settings` call):

===============================  ==========================================================
``HONESTCOUNT_DB``               database URL (default ``sqlite:///honestcount.db``)
``HONESTCOUNT_SECRET``           the intake's HMAC key for phone numbers (32+ characters)
``HONESTCOUNT_DEV``              1: a development run with a public, insecure intake key
``HONESTCOUNT_PHOTO_DIR``        where the intake keeps re-encoded photos
``HONESTCOUNT_CACHE_DIR``        private folder for rebuildable page caches (default: none)
``HONESTCOUNT_TILES``            a base-map tile URL of the operator's own (default: none)
``HONESTCOUNT_TILES_ATTRIBUTION``  its attribution text
``HONESTCOUNT_LEDGER_KEY``       the aftermath ledger's organisation key
``HONESTCOUNT_TRUSTED_PROXIES``  JSON list of proxy addresses whose forwarded headers count
``HONESTCOUNT_INTAKE_<NAME>``    any field of :class:`IntakeSettings`
``HONESTCOUNT_TELEGRAM_TOKEN``   the Telegram bot token (:class:`FrontdoorSettings`)
``HONESTCOUNT_TELEGRAM_API``     a Bot API server of one's own (default: Telegram's)
``HONESTCOUNT_FRONTDOOR_<NAME>``  any other field of :class:`FrontdoorSettings`
``HONESTCOUNT_PHOTO_STORE_*``    where photos are kept (:class:`StorageSettings`)
===============================  ==========================================================

The analysis defaults (:data:`ANALYSIS`) are constants, not environment: a published figure
must not change because a shell variable did. Commands take them as their option defaults and
store the parameters they ran with beside every result.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from honestcount.defaults import ANALYSIS, AnalysisDefaults
from honestcount.errors import HonestcountError

__all__ = [
    "ANALYSIS",
    "AnalysisDefaults",
    "ConfigurationError",
    "FrontdoorSettings",
    "IntakeSettings",
    "Settings",
    "StorageSettings",
    "get_settings",
]

DEFAULT_DB_URL = "sqlite:///honestcount.db"
DEV_SECRET = "honestcount-development-secret-never-use-in-production"
MIN_SECRET_LENGTH = 32


class ConfigurationError(HonestcountError):
    """The service is not configured well enough to start."""


class Settings(BaseSettings):
    """Process-wide settings from ``HONESTCOUNT_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="HONESTCOUNT_", extra="ignore")

    db: str = DEFAULT_DB_URL
    cache_dir: Path | None = None
    tiles: str | None = None
    tiles_attribution: str = ""
    ledger_key: SecretStr | None = None
    # Addresses of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto headers are
    # believed (a JSON list in the environment). None by default: a client cannot choose
    # its own address for rate limits by sending a header.
    trusted_proxies: list[str] = []


class IntakeSettings(BaseSettings):
    """The intake service. ``HONESTCOUNT_SECRET``, ``HONESTCOUNT_DEV`` and
    ``HONESTCOUNT_PHOTO_DIR`` have short names; everything else is
    ``HONESTCOUNT_INTAKE_<NAME>``, e.g.
    ``HONESTCOUNT_INTAKE_UPLOAD_DEADLINE=2020-08-16T21:00:00+03:00``.
    """

    model_config = SettingsConfigDict(
        env_prefix="HONESTCOUNT_INTAKE_", extra="ignore", populate_by_name=True
    )

    secret: SecretStr | None = Field(
        None, validation_alias=AliasChoices("HONESTCOUNT_SECRET", "secret")
    )
    dev: bool = Field(False, validation_alias=AliasChoices("HONESTCOUNT_DEV", "dev"))
    photo_dir: Path = Field(
        Path("honestcount-photos"),
        validation_alias=AliasChoices("HONESTCOUNT_PHOTO_DIR", "photo_dir"),
    )

    # Deadlines that apply to every election without its own (set by an admin through the API).
    registration_deadline: dt.datetime | None = None
    declaration_deadline: dt.datetime | None = None
    upload_deadline: dt.datetime | None = None  # late uploads after a shutdown: until then
    # Per-station voter counts stay unpublished until an admin lifts the embargo.
    embargo: bool = True
    min_group_size: int = Field(5, ge=1, le=1000)

    # Photos
    max_photo_bytes: int = Field(15 * 2**20, ge=1024)
    max_photo_pixels: int = Field(40_000_000, ge=10_000)
    max_stored_side: int = Field(4096, ge=256)  # longer side of the re-encoded copy
    jpeg_quality: int = Field(85, ge=50, le=95)

    # Rate limits (token buckets; in the database on PostgreSQL: see shared_limits)
    account_per_minute: float = Field(120, gt=0)
    address_per_minute: float = Field(3000, gt=0)
    registrations_per_address_per_hour: float = Field(300, gt=0)
    # Budgets that no choice of address escapes (a flood from many addresses is bounded too).
    registrations_per_minute: float = Field(3000, gt=0)
    registrations_per_station_per_minute: float = Field(60, gt=0)
    registrations_per_prefix_per_minute: float = Field(300, gt=0)
    phone_prefix_digits: int = Field(7, ge=1, le=12)  # country + operator code + 2-3 digits
    # Bearer tokens expire this long after they were issued.
    token_lifetime_hours: float = Field(24 * 45, gt=0)
    # The transparency log's Ed25519 signing key: 32 bytes, hex (64 characters).
    log_key: SecretStr | None = None
    # Image work: decodes at once per process, and what one decode may hold (pixels x channels).
    decode_concurrency: int = Field(2, ge=1, le=64)
    max_decode_bytes: int = Field(128 * 2**20, ge=2**20)
    # Two different admins for the critical steps (an official protocol, a staff account).
    two_person_rule: bool = True

    audit_chains: int = Field(16, ge=1, le=1024)
    token_cache_seconds: float = Field(5.0, ge=0, le=300)
    # Photos decoded at once per worker (bounds memory: each body is held while it is decoded)
    photo_concurrency: int = Field(8, ge=1, le=256)
    # Group commit: None = for SQLite only; true = for PostgreSQL too
    group_commit: bool | None = None
    # How many submissions at most share one commit (group commit)
    group_commit_max: int = Field(256, ge=1, le=10_000)
    # Photo work in `honestcount worker` processes (the upload answers at once, "processing");
    # off: the request re-encodes the photo itself (one process, a laptop)
    photo_jobs: bool = False
    # A photo job's lease: how long a killed worker's photo waits before another worker takes it
    photo_job_lease_s: float = Field(120.0, ge=2, le=3600)
    # Rate-limit buckets in the database, shared by every process and host: None = on PostgreSQL
    shared_limits: bool | None = None

    @property
    def configured(self) -> bool:
        """Whether the intake can start (a secret, or an explicit development run)."""
        return self.secret is not None or self.dev

    def hmac_key(self) -> bytes:
        """The HMAC key; raises :class:`ConfigurationError` if none is configured."""
        if self.secret is not None:
            value = self.secret.get_secret_value()
            if len(value) < MIN_SECRET_LENGTH:
                raise ConfigurationError(
                    f"HONESTCOUNT_SECRET must be at least {MIN_SECRET_LENGTH} characters "
                    "(use e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
                )
            return value.encode()
        if self.dev:
            logging.getLogger("honestcount.intake").warning(
                "HONESTCOUNT_DEV: phone numbers are hashed with a public development key"
            )
            return DEV_SECRET.encode()
        raise ConfigurationError(
            "the intake service needs HONESTCOUNT_SECRET (the key that hashes phone numbers); "
            "set it, or set HONESTCOUNT_DEV=1 for a development run with a public, insecure key"
        )


DEFAULT_INTAKE_URL = "http://127.0.0.1:8000/api/v1"


class FrontdoorSettings(BaseSettings):
    """The bot's token, the Bot API server and the intake it talks to."""

    model_config = SettingsConfigDict(
        env_prefix="HONESTCOUNT_FRONTDOOR_", extra="ignore", populate_by_name=True
    )

    telegram_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("HONESTCOUNT_TELEGRAM_TOKEN", "telegram_token")
    )
    telegram_api: str | None = Field(
        None, validation_alias=AliasChoices("HONESTCOUNT_TELEGRAM_API", "telegram_api")
    )
    viber_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("HONESTCOUNT_VIBER_TOKEN", "viber_token")
    )
    viber_api: str | None = Field(
        None, validation_alias=AliasChoices("HONESTCOUNT_VIBER_API", "viber_api")
    )
    # The bot's ``gateway`` account at the intake: with it the intake records that the
    # messenger proved each voter's number; without it the bot's voters are unverified.
    gateway_token: SecretStr | None = None
    # The Telegram bot's username, for the voter app's link that proves a number through it.
    bot_username: str | None = Field(None, pattern=r"^[A-Za-z0-9_]{5,64}$")
    intake_url: str = DEFAULT_INTAKE_URL
    # Seconds one intake call may take before the voter is told to try again.
    intake_timeout: float = Field(30.0, gt=0)


class StorageSettings(BaseSettings):
    """Where photos are stored (see :mod:`honestcount.storage.settings`)."""

    model_config = SettingsConfigDict(env_prefix="HONESTCOUNT_", extra="ignore")

    photo_store_url: str | None = None
    photo_store_endpoint: str | None = None
    photo_store_region: str = "us-east-1"
    photo_store_access_key: SecretStr | None = None
    photo_store_secret_key: SecretStr | None = None
    photo_store_sse: str | None = None
    staging_store_url: str | None = None
    staging_key: SecretStr | None = None
    photo_dir: Path = Field(
        Path("honestcount-photos"),
        validation_alias=AliasChoices("HONESTCOUNT_PHOTO_DIR", "photo_dir"),
    )

    def photo_url(self) -> str:
        return self.photo_store_url or str(self.photo_dir)

    def staging_url(self) -> str:
        if self.staging_store_url:
            return self.staging_store_url
        return self.photo_url().rstrip("/") + "/incoming"


def get_settings() -> Settings:
    """The process settings, read from the environment now."""
    return Settings()
