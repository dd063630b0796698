"""The front door's settings (moved into :mod:`honestcount.settings` at integration).

``HONESTCOUNT_TELEGRAM_TOKEN``       the Telegram bot token from @BotFather
``HONESTCOUNT_TELEGRAM_API``         a Bot API server of one's own (default: Telegram's)
``HONESTCOUNT_FRONTDOOR_INTAKE_URL`` where the intake API is (default: this host's /api/v1)
"""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    intake_url: str = DEFAULT_INTAKE_URL
    # Seconds one intake call may take before the voter is told to try again.
    intake_timeout: float = Field(30.0, gt=0)
