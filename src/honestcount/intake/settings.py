"""Configuration of the intake service, from the environment.

``HONESTCOUNT_SECRET`` (the HMAC key for phone numbers), ``HONESTCOUNT_DEV`` and
``HONESTCOUNT_PHOTO_DIR`` have short names; everything else is ``HONESTCOUNT_INTAKE_<NAME>``
(for example ``HONESTCOUNT_INTAKE_UPLOAD_DEADLINE=2020-08-16T21:00:00+03:00``).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from honestcount.errors import HonestcountError

DEV_SECRET = "honestcount-development-secret-never-use-in-production"
MIN_SECRET_LENGTH = 32


class ConfigurationError(HonestcountError):
    """The service is not configured well enough to start."""


class IntakeSettings(BaseSettings):
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

    # Rate limits (token buckets, per worker process)
    account_per_minute: float = Field(120, gt=0)
    address_per_minute: float = Field(3000, gt=0)
    registrations_per_address_per_hour: float = Field(300, gt=0)

    audit_chains: int = Field(16, ge=1, le=1024)
    token_cache_seconds: float = Field(5.0, ge=0, le=300)
    # Photos decoded at once per worker (bounds memory: each body is held while it is decoded)
    photo_concurrency: int = Field(8, ge=1, le=256)
    # Group commit: None = for SQLite only; true = for PostgreSQL too
    group_commit: bool | None = None
    # How many submissions at most share one commit (group commit)
    group_commit_max: int = Field(256, ge=1, le=10_000)

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
