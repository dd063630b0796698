"""What the intake API takes and gives: request and answer models, checked text types.

Text that reaches the database is checked here: no control characters, no lone surrogates
(a note with one answers 422, not 500), counts are JSON integers only (``"12"`` and ``true``
are refused), and an ``X-Channel`` that looks like a phone number is refused.
"""

import datetime as dt
import re
from typing import Annotated, Any, Literal

from fastapi import Header, Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _clean_text(value: str) -> str:
    """No control characters, no lone surrogates: what every database takes as text."""
    if _CONTROL.search(value):
        raise ValueError("control characters are not allowed")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("not valid Unicode text") from None
    return value


def _clean_note(value: str) -> str:
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", value):
        raise ValueError("control characters are not allowed")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("not valid Unicode text") from None
    return value


def _sane_time(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    if not (
        dt.datetime(1990, 1, 2, tzinfo=dt.UTC) <= value <= dt.datetime(2200, 1, 1, tzinfo=dt.UTC)
    ):
        raise ValueError("the time must lie between 1990 and 2200")
    return value.astimezone(dt.UTC)


Ident = Annotated[str, Field(min_length=1, max_length=256), AfterValidator(_clean_text)]
ShortText = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_clean_note)]
Note = Annotated[str, Field(max_length=2000), AfterValidator(_clean_note)]
Time = Annotated[dt.datetime, AfterValidator(_sane_time)]
# StrictInt: a count is a JSON integer, never "12" or true.
Count = Annotated[StrictInt, Field(ge=0, le=100_000_000)]
ProtocolValue = Annotated[StrictInt, Field(ge=-1_000_000_000, le=1_000_000_000)]
FieldName = Annotated[str, Field(min_length=1, max_length=128), AfterValidator(_clean_text)]

ElectionPath = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
]
IdPath = Annotated[int, Path(ge=1, le=2_147_483_647)]
ChallengePath = Annotated[str, Path(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=128,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="A key the client chooses for this submission (a UUID); a retry with the "
        "same key returns the first answer and changes nothing.",
    ),
]
Channel = Annotated[
    str | None,
    Header(
        alias="X-Channel",
        max_length=32,
        pattern=r"^[a-z0-9][a-z0-9-]*$",
        description="The client the submission came through (web, android, telegram-bot...), "
        "recorded in the audit log. Default: api.",
    ),
]

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid bearer token"},
    403: {"description": "Not allowed for this account, or past a deadline"},
    400: {"description": "A header that cannot be read"},
    404: {"description": "No such election, station, photo or account"},
    409: {"description": "Conflicts with what is stored"},
    413: {"description": "The body (a photo, a JSON document) is too large"},
    415: {"description": "Not a JPEG, PNG or WebP image"},
    422: {"description": "The request is not valid"},
    429: {"description": "Rate limit: retry after Retry-After seconds"},
}
PHOTO_BODY = {
    "requestBody": {
        "required": True,
        "description": "The photo itself (JPEG, PNG or WebP; the type is read from the content).",
        "content": {
            mime: {"schema": {"type": "string", "format": "binary"}}
            for mime in ("application/octet-stream", "image/jpeg", "image/png", "image/webp")
        },
    }
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


Tier = Literal["none", "sms_code", "bot_code", "messenger_contact", "staff"]


class RegisterIn(Strict):
    phone: str = Field(min_length=4, max_length=40, description="International form: +375...")
    station_id: Ident
    verification: Tier | None = Field(
        None,
        description="How the number was proved; accepted only with a gateway account's token",
    )


class VouchIn(Strict):
    phone: str = Field(min_length=4, max_length=40)
    tier: Literal["messenger_contact", "sms_code"] = Field(
        description="How the gateway proved the number"
    )


class ConfirmIn(Strict):
    challenge: str = Field(min_length=8, max_length=64)
    code: str = Field(min_length=4, max_length=12)


class AccountOut(BaseModel):
    account_id: int
    role: str
    election_id: str | None = None
    station_id: str | None = None
    label: str | None = None
    verification: str | None = Field(None, description="How the phone number was proved")
    token: str | None = Field(None, description="Shown once; only its hash is stored.")
    approved: bool | None = Field(
        None, description="False until a second admin approves the account (two-person rule)"
    )
    receipt: dict[str, str] | None = Field(
        None, description="The audit entry of this change (signed): check it with /log/inclusion"
    )


class DeclareIn(Strict):
    option_id: Ident


class DeclarationOut(BaseModel):
    account_id: int
    election_id: str
    station_id: str
    option_id: str
    declared_at: str
    receipt: dict[str, str] | None = Field(
        None, description="The audit entry of this change (signed): check it with /log/inclusion"
    )


class PhotoOut(BaseModel):
    photo_id: int
    election_id: str
    station_id: str
    kind: str
    status: str = Field(
        description='"processing" (answered before the photo worker ran), "pending", or a decision'
    )
    sha256: str | None = None
    width: int | None = None
    height: int | None = None
    duplicate_of: int | None = None
    duplicate: bool | None = Field(None, description="A close copy was sent by another account")
    receipt: dict[str, str] | None = Field(
        None, description="The audit entry of this change (signed): check it with /log/inclusion"
    )


class TurnoutIn(Strict):
    station_id: Ident | None = None
    observed_at: Time
    count: Count


class TurnoutOut(BaseModel):
    report_id: int
    election_id: str
    station_id: str
    observed_at: str
    count: int
    receipt: dict[str, str] | None = Field(
        None, description="The audit entry of this change (signed): check it with /log/inclusion"
    )


class ViolationIn(Strict):
    station_id: Ident | None = None
    code: Annotated[str, Field(min_length=1, max_length=32), AfterValidator(_clean_text)]
    observed_at: Time | None = None
    note: Note | None = None


class ViolationOut(BaseModel):
    report_id: int
    election_id: str
    station_id: str
    code: str
    reason: str
    observed_at: str | None = None
    receipt: dict[str, str] | None = Field(
        None, description="The audit entry of this change (signed): check it with /log/inclusion"
    )


class ModerateIn(Strict):
    decision: Literal["accept", "reject"]
    reason: ShortText | None = None


class ModerateOut(BaseModel):
    photo_id: int
    status: str
    reason: str | None = None
    vote_photo_confirmed: bool


class EntryIn(Strict):
    lines: dict[FieldName, ProtocolValue] = Field(default_factory=dict, max_length=64)
    votes: dict[FieldName, ProtocolValue] = Field(default_factory=dict, max_length=256)


class CheckOut(BaseModel):
    rule: str
    description: str
    status: str
    left: float | None = None
    right: float | None = None


class EntryOut(BaseModel):
    photo_id: int
    station_id: str
    status: str = Field(
        description="pending, disputed (needs another digitiser), agreed, "
        "or conflict (differs from the stored protocol)"
    )
    entries: int
    official: str | None = None
    checks: list[CheckOut]
    failed_rules: list[str]


class NewAccountIn(Strict):
    role: Literal["admin", "moderator", "digitiser", "observer", "gateway"]
    election_id: Annotated[str, Field(max_length=64), AfterValidator(_clean_text)] | None = None
    station_id: Ident | None = None
    label: ShortText | None = None


class SettingsIn(Strict):
    embargo: bool | None = Field(None, description="false lifts the embargo on voter counts")
    min_group_size: Annotated[int, Field(ge=1, le=1000)] | None = None
    registration_deadline: Time | None = None
    declaration_deadline: Time | None = None
    upload_deadline: Time | None = None
    min_verification: Tier | None = Field(
        None, description="The weakest verification tier whose evidence counts (none: all)"
    )
