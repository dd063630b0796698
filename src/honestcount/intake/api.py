"""The intake HTTP API: ``router(engine)``, mounted by the application at ``/api/v1``.

Voters register with a phone number and a station, declare a choice and send ballot photos;
observers (accounts an organiser issues) report turnout counts, violations and photos of the
posted protocol; digitisers type protocols in twice; moderators accept or reject ballot
photos; admins issue accounts, set deadlines and lift the embargo. Every submission takes an
``Idempotency-Key`` header, so a retry after a lost connection never counts twice.
"""

import asyncio
import datetime as dt
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from honestcount.intake import service as sv
from honestcount.intake.audit import verify as audit_verify_log
from honestcount.intake.evidence import materialise_in, publishable_counts
from honestcount.intake.photos import PhotoStore
from honestcount.settings import IntakeSettings

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
Count = Annotated[int, Field(ge=0, le=100_000_000)]
ProtocolValue = Annotated[int, Field(ge=-1_000_000_000, le=1_000_000_000)]
FieldName = Annotated[str, Field(min_length=1, max_length=128), AfterValidator(_clean_text)]

ElectionPath = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
]
IdPath = Annotated[int, Path(ge=1, le=2_147_483_647)]
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

_bearer = HTTPBearer(auto_error=False, description="A token from registration or an organiser.")

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid bearer token"},
    403: {"description": "Not allowed for this account, or past a deadline"},
    404: {"description": "No such election, station, photo or account"},
    409: {"description": "Conflicts with what is stored"},
    413: {"description": "The photo is too large"},
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


class RegisterIn(Strict):
    phone: str = Field(min_length=4, max_length=40, description="International form: +375...")
    station_id: Ident


class AccountOut(BaseModel):
    account_id: int
    role: str
    election_id: str | None = None
    station_id: str | None = None
    label: str | None = None
    token: str | None = Field(None, description="Shown once; only its hash is stored.")


class DeclareIn(Strict):
    option_id: Ident


class DeclarationOut(BaseModel):
    account_id: int
    election_id: str
    station_id: str
    option_id: str
    declared_at: str


class PhotoOut(BaseModel):
    photo_id: int
    election_id: str
    station_id: str
    kind: str
    status: str
    sha256: str
    width: int
    height: int
    duplicate_of: int | None = None


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
    role: Literal["admin", "moderator", "digitiser", "observer"]
    election_id: Annotated[str, Field(max_length=64), AfterValidator(_clean_text)] | None = None
    station_id: Ident | None = None
    label: ShortText | None = None


class SettingsIn(Strict):
    embargo: bool | None = Field(None, description="false lifts the embargo on voter counts")
    min_group_size: Annotated[int, Field(ge=1, le=1000)] | None = None
    registration_deadline: Time | None = None
    declaration_deadline: Time | None = None
    upload_deadline: Time | None = None


def _fail(exc: sv.IntakeError) -> HTTPException:
    return HTTPException(exc.status, exc.message, headers=exc.headers)


def _answer(outcome: sv.Outcome) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return JSONResponse(outcome.body, status_code=outcome.status, headers=headers)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise HTTPException(413, f"the photo is {declared} bytes; the limit is {limit}")
        except ValueError:
            raise HTTPException(400, "bad Content-Length") from None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"the photo is larger than the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def router(
    engine: Engine, settings: IntakeSettings | None = None, store: PhotoStore | None = None
) -> APIRouter:
    """The intake API on the store behind ``engine``.

    Refuses to start (raises ``ConfigurationError``) without ``HONESTCOUNT_SECRET``, unless
    ``HONESTCOUNT_DEV`` is set. ``router.intake`` is the running service (``close()`` it).
    """
    ix = sv.Intake.open(engine, settings, store)
    api = APIRouter(tags=["intake"])
    photo_slots = asyncio.Semaphore(ix.settings.photo_concurrency)
    api.intake = ix  # type: ignore[attr-defined]

    def call(fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except sv.IntakeError as exc:
            raise _fail(exc) from None

    def address(request: Request) -> str | None:
        return request.client.host if request.client else None

    async def caller(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        channel: Channel = None,
    ) -> tuple[sv.Account, str]:
        # Async, so a token found in the cache costs no trip to the thread pool.
        token = credentials.credentials if credentials is not None else None
        account = ix.cached_account(token)
        if account is None:
            account = await run_in_threadpool(call, ix.authenticate, token)
        call(ix.check_rate, account, address(request))
        return account, channel or "api"

    async def anonymous(request: Request, channel: Channel = None) -> str:
        call(ix.check_rate, None, address(request))
        return channel or "api"

    Caller = Annotated[tuple[sv.Account, str], Depends(caller)]
    Anonymous = Annotated[str, Depends(anonymous)]

    # ------------------------------------------------------------------ public

    @api.get("/health", summary="Liveness")
    async def health() -> dict:
        return {"status": "ok"}

    @api.get(
        "/elections/{election_id}", summary="Options, violation codes, deadlines", responses=ERRORS
    )
    def election(election_id: ElectionPath, _channel: Anonymous) -> dict:
        return call(sv.election_view, ix, election_id)

    @api.get(
        "/elections/{election_id}/counts",
        responses=ERRORS,
        summary="Publishable per-station voter counts (embargo and minimum group size)",
    )
    def counts(election_id: ElectionPath, _channel: Anonymous) -> dict:
        call(ix.election, election_id)
        frame = publishable_counts(ix.reader, election_id, ix.settings)
        records = [
            {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
            for row in frame.to_dict("records")
        ]
        return {
            "election_id": election_id,
            "embargoed": frame.attrs["embargoed"],
            "min_group_size": frame.attrs["min_group_size"],
            "counts": records,
        }

    # ------------------------------------------------------------------ voters

    @api.post(
        "/elections/{election_id}/voters",
        status_code=201,
        response_model=AccountOut,
        responses=ERRORS,
        summary="Register as a voter (one account per phone number)",
    )
    def register(
        election_id: ElectionPath,
        body: RegisterIn,
        key: IdempotencyKey,
        request: Request,
        channel: Anonymous,
    ):
        call(ix.check_registration_rate, address(request))
        return _answer(
            call(sv.register_voter, ix, election_id, body.phone, body.station_id, key, channel)
        )

    @api.get("/me", responses=ERRORS, summary="This account, its declaration and photos")
    def me(who: Caller) -> dict:
        return call(sv.account_view, ix, who[0])

    @api.post(
        "/elections/{election_id}/declarations",
        response_model=DeclarationOut,
        responses=ERRORS,
        summary="Declare (or change) this voter's choice",
    )
    def declare(election_id: ElectionPath, body: DeclareIn, key: IdempotencyKey, who: Caller):
        return _answer(call(sv.declare, ix, who[0], election_id, body.option_id, key, who[1]))

    @api.post(
        "/elections/{election_id}/ballot-photos",
        status_code=201,
        response_model=PhotoOut,
        responses=ERRORS,
        openapi_extra=PHOTO_BODY,
        summary="Send a photo of this voter's ballot (front or back)",
    )
    async def ballot_photo(
        election_id: ElectionPath,
        request: Request,
        key: IdempotencyKey,
        who: Caller,
        side: Annotated[Literal["front", "back"], Query()] = "front",
        captured_at: Annotated[Time | None, Query()] = None,
    ):
        async with photo_slots:
            data = await _read_body(request, ix.settings.max_photo_bytes)
            outcome = await run_in_threadpool(
                call,
                sv.upload_ballot,
                ix,
                who[0],
                election_id,
                side,
                data,
                key,
                who[1],
                captured_at,
            )
        return _answer(outcome)

    @api.post(
        "/elections/{election_id}/protocol-photos",
        status_code=201,
        response_model=PhotoOut,
        responses=ERRORS,
        openapi_extra=PHOTO_BODY,
        summary="Send a photo of the protocol posted at a station",
    )
    async def protocol_photo(
        election_id: ElectionPath,
        request: Request,
        key: IdempotencyKey,
        who: Caller,
        station_id: Annotated[str | None, Query(max_length=256)] = None,
        captured_at: Annotated[Time | None, Query()] = None,
    ):
        if station_id is not None:
            try:
                _clean_text(station_id)
            except ValueError as exc:
                raise HTTPException(422, f"station_id: {exc}") from None
        async with photo_slots:
            data = await _read_body(request, ix.settings.max_photo_bytes)
            outcome = await run_in_threadpool(
                call,
                sv.upload_protocol,
                ix,
                who[0],
                election_id,
                station_id,
                data,
                key,
                who[1],
                captured_at,
            )
        return _answer(outcome)

    @api.get(
        "/photos/{photo_id}",
        responses={
            **ERRORS,
            200: {"content": {"image/jpeg": {}}, "description": "The stored (re-encoded) JPEG"},
        },
        response_class=Response,
        summary="A stored photo (staff, or the sender)",
    )
    def photo(photo_id: IdPath, who: Caller) -> Response:
        data = call(sv.read_photo, ix, who[0], photo_id)
        return Response(
            data,
            media_type="image/jpeg",
            headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    # ------------------------------------------------------------------ observers

    @api.post(
        "/elections/{election_id}/turnout",
        status_code=201,
        response_model=TurnoutOut,
        responses=ERRORS,
        summary="An observer's count of voters at a time of day",
    )
    def turnout(election_id: ElectionPath, body: TurnoutIn, key: IdempotencyKey, who: Caller):
        return _answer(
            call(
                sv.report_turnout,
                ix,
                who[0],
                election_id,
                body.station_id,
                body.observed_at,
                body.count,
                key,
                who[1],
            )
        )

    @api.post(
        "/elections/{election_id}/violations",
        status_code=201,
        response_model=ViolationOut,
        responses=ERRORS,
        summary="An observer's report of a violation, by code",
    )
    def violation(election_id: ElectionPath, body: ViolationIn, key: IdempotencyKey, who: Caller):
        return _answer(
            call(
                sv.report_violation,
                ix,
                who[0],
                election_id,
                body.station_id,
                body.code,
                body.observed_at,
                body.note,
                key,
                who[1],
            )
        )

    # ------------------------------------------------------------------ moderation

    @api.get(
        "/moderation/queue",
        responses=ERRORS,
        summary="Ballot photos waiting for a decision (never the moderator's own)",
    )
    def queue(
        who: Caller,
        election_id: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> list[dict]:
        return call(sv.moderation_queue, ix, who[0], election_id, limit)

    @api.post(
        "/moderation/photos/{photo_id}",
        response_model=ModerateOut,
        responses=ERRORS,
        summary="Accept or reject a ballot photo, with a reason",
    )
    def moderate(photo_id: IdPath, body: ModerateIn, who: Caller):
        return call(sv.moderate, ix, who[0], photo_id, body.decision, body.reason, who[1])

    # ------------------------------------------------------------------ digitisation

    @api.get(
        "/digitisation/next",
        responses={**ERRORS, 204: {"description": "Nothing to do"}},
        summary="The next protocol photo to type in (never one already typed by you)",
    )
    def next_task(who: Caller, election_id: Annotated[str | None, Query(max_length=64)] = None):
        task = call(sv.digitisation_task, ix, who[0], election_id)
        return Response(status_code=204) if task is None else task

    @api.post(
        "/digitisation/photos/{photo_id}/entries",
        response_model=EntryOut,
        status_code=201,
        responses=ERRORS,
        summary="Type in a protocol photo; the protocol checks are run and returned",
    )
    def entry(photo_id: IdPath, body: EntryIn, who: Caller):
        return call(sv.submit_entry, ix, who[0], photo_id, body.lines, body.votes, who[1])

    # ------------------------------------------------------------------ organiser

    @api.post(
        "/admin/accounts",
        status_code=201,
        response_model=AccountOut,
        responses=ERRORS,
        summary="Issue an account (observer, moderator, digitiser, admin)",
    )
    def new_account(body: NewAccountIn, who: Caller):
        return call(
            sv.create_account,
            ix,
            who[0],
            body.role,
            body.election_id,
            body.station_id,
            body.label,
            who[1],
        )

    @api.post(
        "/admin/accounts/{account_id}/disable",
        responses=ERRORS,
        summary="Disable an account and revoke its tokens",
    )
    def disable(account_id: IdPath, who: Caller) -> dict:
        return call(sv.disable_account, ix, who[0], account_id, who[1])

    @api.put(
        "/admin/elections/{election_id}/settings",
        responses=ERRORS,
        summary="Deadlines, minimum group size, embargo (false lifts it)",
    )
    def put_settings(election_id: ElectionPath, body: SettingsIn, who: Caller) -> dict:
        changes = {k: getattr(body, k) for k in body.model_fields_set}
        if changes.get("embargo", False) is None:
            raise HTTPException(422, "embargo must be true or false")
        return call(sv.set_election_settings, ix, who[0], election_id, changes, who[1])

    @api.post(
        "/admin/elections/{election_id}/materialise",
        responses=ERRORS,
        summary="Write intake counts into the evidence store (voter_evidence)",
    )
    def materialise(election_id: ElectionPath, who: Caller) -> dict:
        call(sv._require_role, who[0], sv.Role.ADMIN)
        call(ix.election, election_id)
        return ix.write(
            lambda conn: materialise_in(
                conn, election_id, channel=who[1], chains=ix.settings.audit_chains
            )
        )

    @api.get(
        "/admin/elections/{election_id}/conflicts",
        responses=ERRORS,
        summary="Protocol photos whose agreed entry differs from the stored protocol",
    )
    def conflicts(election_id: ElectionPath, who: Caller) -> list[dict]:
        return call(sv.digitisation_conflicts, ix, who[0], election_id)

    @api.get("/admin/audit", responses=ERRORS, summary="Verify the audit log's hash chains")
    def audit_report(who: Caller) -> dict:
        call(sv._require_role, who[0], sv.Role.ADMIN)
        return audit_verify_log(ix.reader).as_dict()

    return api


def create_intake_app(db_url: str | None = None) -> FastAPI:
    """The intake API alone (``uvicorn --factory honestcount.intake.api:create_intake_app``),
    for running intake on a host apart from the public pages."""
    from honestcount import __version__
    from honestcount.store.db import make_engine

    app = FastAPI(title="honestcount intake", version=__version__)
    app.include_router(router(make_engine(db_url)), prefix="/api/v1")
    return app
