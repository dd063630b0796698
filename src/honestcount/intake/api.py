"""The intake HTTP API: :func:`intake_router` (``router``), mounted by the application at
``/api/v1``.

Voters register with a phone number and a station, declare a choice and send ballot photos;
observers (accounts an organiser issues) report turnout counts, violations and photos of the
posted protocol; digitisers type protocols in twice; moderators accept or reject ballot
photos; admins issue accounts, set deadlines and lift the embargo. Every submission takes an
``Idempotency-Key`` header, so a retry after a lost connection never counts twice.

The routes are module-level routers, one per feature; :func:`intake_router` binds them to one
running :class:`~honestcount.intake.core.Intake`. This module alone says which HTTP status
each refusal of :mod:`honestcount.intake.errors` gets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from honestcount.intake import (
    digitisation,
    moderation,
    observers,
    organiser,
    photos,
    translog,
    verification,
    voters,
)
from honestcount.intake.audit import verify as audit_verify_log
from honestcount.intake.core import Account, Intake, Outcome, require_role
from honestcount.intake.errors import (
    Conflict,
    Forbidden,
    IntakeError,
    Invalid,
    Malformed,
    NotFound,
    RateLimited,
    TooLarge,
    Unauthorized,
    Unsupported,
    excerpt,
)
from honestcount.intake.evidence import (
    materialise_in,
    publishable_counts,
    publishable_tier_counts,
)
from honestcount.intake.models import (
    ERRORS,
    PHOTO_BODY,
    AccountOut,
    ChallengePath,
    Channel,
    ConfirmIn,
    DeclarationOut,
    DeclareIn,
    ElectionPath,
    EntryIn,
    EntryOut,
    IdempotencyKey,
    IdPath,
    ModerateIn,
    ModerateOut,
    NewAccountIn,
    PhotoOut,
    RegisterIn,
    SettingsIn,
    Time,
    TurnoutIn,
    TurnoutOut,
    ViolationIn,
    ViolationOut,
    VouchIn,
    _clean_text,
)
from honestcount.intake.security import Role, retry_after
from honestcount.settings import IntakeSettings
from honestcount.storage import HashKeyedStore, PhotoStore, SealedStore

if TYPE_CHECKING:
    import pandas as pd

# The largest JSON document any operation needs (a protocol of 256 options with long names
# is under 48 KB): a bigger body is refused with 413 before it is read.
MAX_JSON_BYTES = 64 * 1024

STATUS: dict[type[IntakeError], int] = {
    Malformed: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    Unsupported: 415,
    Invalid: 422,
    RateLimited: 429,
}


def status_of(exc: IntakeError) -> int:
    """The HTTP status of a refusal (422 for one this table does not name)."""
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 422


def refusal(exc: IntakeError) -> JSONResponse:
    headers = {}
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = retry_after(exc.retry_after)
    return JSONResponse({"detail": exc.message}, status_code=status_of(exc), headers=headers)


def _safe_loc(part: object) -> object:
    if isinstance(part, int):
        return part
    return excerpt(part).encode("utf-8", "replace").decode("utf-8")


def short_validation_errors(exc: RequestValidationError) -> JSONResponse:
    """A 422 that names what is wrong without echoing the input (or a lone surrogate in it)."""
    detail = [
        {
            "loc": [_safe_loc(p) for p in error.get("loc", ())],
            "msg": excerpt(error.get("msg", ""), 200).encode("utf-8", "replace").decode("utf-8"),
            "type": str(error.get("type", "")),
        }
        for error in exc.errors()[:10]
    ]
    return JSONResponse({"detail": detail}, status_code=422)


class IntakeRoute(APIRoute):
    """A route whose refusals become their HTTP answers here, and whose 422 is short."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                response = await handler(request)
            except IntakeError as exc:
                response = refusal(exc)
            except RequestValidationError as exc:
                response = short_validation_errors(exc)
            # No page may frame an intake answer (HSTS belongs to the TLS proxy: see the docs).
            response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
            response.headers.setdefault("X-Frame-Options", "DENY")
            return response

        return route


def _feature(*, json_body: bool = True) -> APIRouter:
    return APIRouter(
        route_class=IntakeRoute,
        tags=["intake"],
        max_body_size=MAX_JSON_BYTES if json_body else None,
    )


# ---------------------------------------------------------------------- dependencies

_bearer = HTTPBearer(auto_error=False, description="A token from registration or an organiser.")


async def get_intake(request: Request) -> Intake:
    """The running intake this route was bound to by :func:`intake_router` (async: FastAPI
    would run a plain function on a thread, a hand-off on every request)."""
    ix: Intake = request.state.intake
    return ix


IX = Annotated[Intake, Depends(get_intake)]


def address(request: Request) -> str | None:
    """The client's address as the server saw it: a forwarded header counts only when the
    ASGI server trusts the proxy it came from (``Settings.trusted_proxies``, none by
    default; ``honestcount serve`` passes it to uvicorn's ``forwarded_allow_ips``)."""
    return request.client.host if request.client else None


def _channel(channel: str | None) -> str:
    if channel is None:
        return "api"
    if sum(c.isdigit() for c in channel) >= 4:
        raise Invalid("X-Channel names a client (web, android...), not a number")
    return channel


async def caller(
    request: Request,
    ix: IX,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    channel: Channel = None,
) -> tuple[Account, str]:
    # Async, so a token found in the cache costs no trip to the thread pool.
    token = credentials.credentials if credentials is not None else None
    account = ix.cached_account(token)
    if account is None:
        account = await run_in_threadpool(ix.authenticate, token)
    await _check_rate(ix, account, address(request))
    return account, _channel(channel)


async def _check_rate(ix: Intake, account: Account | None, where: str | None) -> None:
    # Shared limits: a database round trip, shared with the other requests waiting for one.
    await ix.check_rate_async(account, where)


async def anonymous(request: Request, ix: IX, channel: Channel = None) -> str:
    await _check_rate(ix, None, address(request))
    return _channel(channel)


Caller = Annotated[tuple[Account, str], Depends(caller)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
Anonymous = Annotated[str, Depends(anonymous)]


def answer(outcome: Outcome) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return JSONResponse(outcome.body, status_code=outcome.status, headers=headers)


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused (413) as soon as it is known to exceed ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise Malformed("bad Content-Length") from None
        if size > limit:
            raise TooLarge(f"the body is {size} bytes; the limit is {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"the body is larger than the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


# ---------------------------------------------------------------------- public

public = _feature()


@public.get("/health", summary="Liveness")
async def health() -> dict:
    return {"status": "ok"}


@public.get(
    "/elections/{election_id}", summary="Options, violation codes, deadlines", responses=ERRORS
)
def election(election_id: ElectionPath, ix: IX, _channel: Anonymous) -> dict:
    return organiser.election_view(ix, election_id)


@public.get(
    "/elections/{election_id}/counts",
    responses=ERRORS,
    summary="Publishable per-station voter counts (embargo and minimum group size)",
)
def counts(election_id: ElectionPath, ix: IX, _channel: Anonymous) -> dict:
    ix.election(election_id)
    frame = publishable_counts(ix.reader, election_id, ix.settings)
    return {
        "election_id": election_id,
        "embargoed": frame.attrs["embargoed"],
        "min_group_size": frame.attrs["min_group_size"],
        "counts": _records(frame),
    }


@public.get(
    "/elections/{election_id}/counts/by-tier",
    responses=ERRORS,
    summary="Publishable counts per station, option and phone verification tier",
)
def counts_by_tier(election_id: ElectionPath, ix: IX, _channel: Anonymous) -> dict:
    ix.election(election_id)
    frame = publishable_tier_counts(ix.reader, election_id, ix.settings)
    return {"election_id": election_id, **frame.attrs, "counts": _records(frame)}


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows of a counts frame for JSON: a withheld (missing) cell is null."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


# ---------------------------------------------------------------------- voters

voter_routes = _feature()


@voter_routes.post(
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
    ix: IX,
    channel: Anonymous,
    credentials: Credentials,
) -> JSONResponse:
    ix.check_registration_rate(address(request))
    # A tier is taken only from a gateway's token, never from the client's word.
    token = credentials.credentials if credentials is not None else None
    tier = verification.vouched_tier(ix, token, body.verification)
    return answer(
        voters.register_voter(ix, election_id, body.phone, body.station_id, key, channel, tier)
    )


@voter_routes.post(
    "/me/verification", responses=ERRORS, summary="Start proving the number through the bot"
)
def start_verification(ix: IX, who: Caller) -> dict:
    return verification.start(ix, who[0], who[1])


@voter_routes.post("/me/verification/confirm", responses=ERRORS, summary="The code the bot showed")
def confirm_verification(body: ConfirmIn, ix: IX, who: Caller) -> JSONResponse:
    done = verification.confirm(ix, who[0], body.challenge, body.code, who[1])
    return JSONResponse(done, status_code=200 if done["verified"] else 403)


@voter_routes.post(
    "/verifications/{challenge}",
    responses=ERRORS,
    summary="A gateway proved the challenge's number: the code to show (gateway accounts)",
)
def vouch(challenge: ChallengePath, body: VouchIn, ix: IX, who: Caller) -> dict:
    return verification.vouch(ix, who[0], challenge, body.phone, body.tier, who[1])


@voter_routes.get("/me", responses=ERRORS, summary="This account, its declaration and photos")
def me(ix: IX, who: Caller) -> dict:
    return voters.account_view(ix, who[0])


@voter_routes.post(
    "/elections/{election_id}/declarations",
    response_model=DeclarationOut,
    responses=ERRORS,
    summary="Declare (or change) this voter's choice",
)
async def declare(
    election_id: ElectionPath, body: DeclareIn, key: IdempotencyKey, ix: IX, who: Caller
) -> JSONResponse:
    # Async: on PostgreSQL the declaration waits for its batch without holding a thread.
    return answer(await voters.declare_async(ix, who[0], election_id, body.option_id, key, who[1]))


@voter_routes.post("/me/logout", responses=ERRORS, summary="Revoke the token of this request")
def logout(ix: IX, who: Caller, credentials: Credentials) -> dict:
    assert credentials is not None  # the caller dependency has checked it
    return voters.logout(ix, who[0], credentials.credentials, who[1])


@voter_routes.post(
    "/me/token",
    response_model=AccountOut,
    responses=ERRORS,
    summary="A new token for this account; the one of this request stops working",
)
def rotate(ix: IX, who: Caller, credentials: Credentials) -> dict:
    assert credentials is not None
    return voters.rotate_token(ix, who[0], credentials.credentials, who[1])


# ---------------------------------------------------------------------- photos

photo_routes = _feature(json_body=False)  # bodies are read by read_body, with the photo limit


async def _upload(
    ix: IX, request: Request, call: Callable[[bytes], Outcome], slots: asyncio.Semaphore
) -> JSONResponse:
    async with slots:
        data = await read_body(request, ix.settings.max_photo_bytes)
        outcome = await run_in_threadpool(call, data)
    return answer(outcome)


@photo_routes.post(
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
    ix: IX,
    who: Caller,
    side: Annotated[Literal["front", "back"], Query()] = "front",
    captured_at: Annotated[Time | None, Query()] = None,
) -> JSONResponse:
    def call(data: bytes) -> Outcome:
        return photos.upload_ballot(ix, who[0], election_id, side, data, key, who[1], captured_at)

    return await _upload(ix, request, call, ix.photo_slots)


@photo_routes.post(
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
    ix: IX,
    who: Caller,
    station_id: Annotated[str | None, Query(max_length=256)] = None,
    captured_at: Annotated[Time | None, Query()] = None,
) -> JSONResponse:
    if station_id is not None:
        try:
            _clean_text(station_id)
        except ValueError as exc:
            raise Invalid(f"station_id: {exc}") from None

    def call(data: bytes) -> Outcome:
        return photos.upload_protocol(
            ix, who[0], election_id, station_id, data, key, who[1], captured_at
        )

    return await _upload(ix, request, call, ix.photo_slots)


@photo_routes.get(
    "/photos/{photo_id}",
    responses={
        **ERRORS,
        200: {"content": {"image/jpeg": {}}, "description": "The stored (re-encoded) JPEG"},
    },
    response_class=Response,
    summary="A stored photo (staff, or the sender)",
)
def photo(photo_id: IdPath, ix: IX, who: Caller) -> Response:
    data = photos.read_photo(ix, who[0], photo_id)
    return Response(
        data,
        media_type="image/jpeg",
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


# ---------------------------------------------------------------------- observers

observer_routes = _feature()


@observer_routes.post(
    "/elections/{election_id}/turnout",
    status_code=201,
    response_model=TurnoutOut,
    responses=ERRORS,
    summary="An observer's count of voters at a time of day",
)
def turnout(
    election_id: ElectionPath, body: TurnoutIn, key: IdempotencyKey, ix: IX, who: Caller
) -> JSONResponse:
    return answer(
        observers.report_turnout(
            ix, who[0], election_id, body.station_id, body.observed_at, body.count, key, who[1]
        )
    )


@observer_routes.post(
    "/elections/{election_id}/violations",
    status_code=201,
    response_model=ViolationOut,
    responses=ERRORS,
    summary="An observer's report of a violation, by code",
)
def violation(
    election_id: ElectionPath, body: ViolationIn, key: IdempotencyKey, ix: IX, who: Caller
) -> JSONResponse:
    return answer(
        observers.report_violation(
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


# ---------------------------------------------------------------------- moderation

moderation_routes = _feature()


@moderation_routes.get(
    "/moderation/queue",
    responses=ERRORS,
    summary="Ballot photos waiting for a decision (never the moderator's own)",
)
def queue(
    ix: IX,
    who: Caller,
    election_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[dict]:
    return moderation.moderation_queue(ix, who[0], election_id, limit)


@moderation_routes.post(
    "/moderation/photos/{photo_id}",
    response_model=ModerateOut,
    responses=ERRORS,
    summary="Accept or reject a ballot photo, with a reason",
)
def moderate(photo_id: IdPath, body: ModerateIn, ix: IX, who: Caller) -> dict:
    return moderation.moderate(ix, who[0], photo_id, body.decision, body.reason, who[1])


# ---------------------------------------------------------------------- digitisation

digitisation_routes = _feature()


@digitisation_routes.get(
    "/digitisation/next",
    responses={**ERRORS, 204: {"description": "Nothing to do"}},
    summary="The next protocol photo to type in (never one already typed by you)",
)
def next_task(
    ix: IX, who: Caller, election_id: Annotated[str | None, Query(max_length=64)] = None
) -> Any:
    task = digitisation.digitisation_task(ix, who[0], election_id)
    return Response(status_code=204) if task is None else task


@digitisation_routes.post(
    "/digitisation/photos/{photo_id}/entries",
    response_model=EntryOut,
    status_code=201,
    responses=ERRORS,
    summary="Type in a protocol photo; the protocol checks are run and returned",
)
def entry(photo_id: IdPath, body: EntryIn, ix: IX, who: Caller) -> dict:
    return digitisation.submit_entry(ix, who[0], photo_id, body.lines, body.votes, who[1])


# ---------------------------------------------------------------------- organiser

admin_routes = _feature()


@admin_routes.post(
    "/admin/accounts",
    status_code=201,
    response_model=AccountOut,
    responses=ERRORS,
    summary="Issue an account (observer, moderator, digitiser, admin)",
)
def new_account(body: NewAccountIn, ix: IX, who: Caller) -> dict:
    return organiser.create_account(
        ix, who[0], body.role, body.election_id, body.station_id, body.label, who[1]
    )


@admin_routes.get(
    "/admin/accounts", responses=ERRORS, summary="Accounts, a page at a time (no phone data)"
)
def accounts(
    ix: IX,
    who: Caller,
    role: Annotated[str | None, Query(max_length=16)] = None,
    status: Annotated[Literal["active", "pending", "disabled"] | None, Query()] = None,
    election_id: Annotated[str | None, Query(max_length=64)] = None,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict:
    return organiser.list_accounts(
        ix, who[0], role=role, status=status, election_id=election_id, after=after, limit=limit
    )


@admin_routes.post(
    "/admin/accounts/{account_id}/disable",
    responses=ERRORS,
    summary="Disable an account and revoke its tokens",
)
def disable(account_id: IdPath, ix: IX, who: Caller) -> dict:
    return organiser.disable_account(ix, who[0], account_id, who[1])


@admin_routes.post(
    "/admin/accounts/{account_id}/approve",
    responses=ERRORS,
    summary="The second admin's approval of a staff account (never its creator's)",
)
def approve(account_id: IdPath, ix: IX, who: Caller) -> dict:
    return organiser.approve_account(ix, who[0], account_id, who[1])


@admin_routes.post(
    "/admin/accounts/{account_id}/revoke",
    responses=ERRORS,
    summary="Revoke every token of an account",
)
def revoke(account_id: IdPath, ix: IX, who: Caller) -> dict:
    return organiser.revoke_sessions(ix, who[0], account_id, who[1])


@admin_routes.post(
    "/admin/accounts/{account_id}/token",
    status_code=201,
    response_model=AccountOut,
    responses=ERRORS,
    summary="A new token for a staff account (shown once)",
)
def new_token(account_id: IdPath, ix: IX, who: Caller) -> dict:
    return organiser.issue_token(ix, who[0], account_id, who[1])


@admin_routes.put(
    "/admin/elections/{election_id}/settings",
    responses=ERRORS,
    summary="Deadlines, minimum group size, embargo (false lifts it)",
)
def put_settings(election_id: ElectionPath, body: SettingsIn, ix: IX, who: Caller) -> dict:
    changes = {k: getattr(body, k) for k in body.model_fields_set}
    if changes.get("embargo", False) is None:
        raise Invalid("embargo must be true or false")
    return organiser.set_election_settings(ix, who[0], election_id, changes, who[1])


@admin_routes.post(
    "/admin/elections/{election_id}/materialise",
    responses=ERRORS,
    summary="Write intake counts into the evidence store (voter_evidence)",
)
def materialise(election_id: ElectionPath, ix: IX, who: Caller) -> dict:
    require_role(who[0], Role.ADMIN)
    ix.election(election_id)
    chains = ix.settings.audit_chains
    return ix.write(lambda conn: materialise_in(conn, election_id, channel=who[1], chains=chains))


@admin_routes.get(
    "/admin/elections/{election_id}/conflicts",
    responses=ERRORS,
    summary="Protocol photos whose agreed entry differs from the stored protocol",
)
def conflicts(election_id: ElectionPath, ix: IX, who: Caller) -> list[dict]:
    return digitisation.digitisation_conflicts(ix, who[0], election_id)


@admin_routes.get("/admin/audit", responses=ERRORS, summary="Verify the audit log's hash chains")
def audit_report(ix: IX, who: Caller) -> dict:
    require_role(who[0], Role.ADMIN)
    return audit_verify_log(ix.reader).as_dict()


# ---------------------------------------------------------------------- transparency log

log_routes = _feature()
EntryHash = Annotated[str, Query(min_length=64, max_length=64, pattern=r"^[0-9a-f]{64}$")]


@log_routes.get("/log/head", responses=ERRORS, summary="The latest signed tree head")
def log_head(ix: IX, _channel: Anonymous) -> dict:
    head = translog.latest_head(ix.reader)
    if head is None:
        raise NotFound("no tree head has been signed yet")
    return head


@log_routes.get(
    "/log/inclusion",
    responses=ERRORS,
    summary="Proof that an audit entry (a receipt's entry) is in the tree of a given size",
)
def log_inclusion(
    entry: EntryHash,
    request: Request,
    ix: IX,
    _channel: Anonymous,
    tree_size: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> dict:
    # A proof reads the whole tree: a few a minute per address, and a bounded number in all.
    for bucket, per_minute in ((f"log:{address(request)}", 6.0), ("log:*", 120.0)):
        wait = ix.limiter.take(bucket, per_minute, burst=per_minute / 2)
        if wait > 0:
            raise RateLimited("too many proofs asked for; retry later", wait)
    proof = translog.inclusion(ix.reader, entry, tree_size)
    if proof is None:
        raise NotFound("that entry is not in the tree (yet): try after the next checkpoint")
    return proof


FEATURES = (
    public,
    log_routes,
    voter_routes,
    photo_routes,
    observer_routes,
    moderation_routes,
    digitisation_routes,
    admin_routes,
)


# ---------------------------------------------------------------------- composition


def intake_router(
    engine: Engine,
    settings: IntakeSettings | None = None,
    store: PhotoStore | HashKeyedStore | None = None,
    *,
    staging: SealedStore | None = None,
) -> APIRouter:
    """The intake API on the store behind ``engine``.

    Refuses to start (raises ``ConfigurationError``) without ``HONESTCOUNT_SECRET``, unless
    ``HONESTCOUNT_DEV`` is set. ``router.intake`` is the running service (``close()`` it).
    """
    ix = Intake.open(engine, settings, store, staging=staging)

    async def bind(request: Request) -> None:  # async: no thread hand-off per request
        request.state.intake = ix

    api = APIRouter()
    for feature in FEATURES:
        api.include_router(feature, dependencies=[Depends(bind)])
    api.intake = ix  # type: ignore[attr-defined]
    return api


router = intake_router  # the name the application has always imported


def create_intake_app(db_url: str | None = None) -> FastAPI:
    """The intake API alone (``uvicorn --factory honestcount.intake.api:create_intake_app``),
    for running intake on a host apart from the public pages."""
    from honestcount import __version__
    from honestcount.store.db import make_engine

    app = FastAPI(title="honestcount intake", version=__version__)
    app.include_router(intake_router(make_engine(db_url)), prefix="/api/v1")
    return app


__all__ = ["intake_router", "router", "create_intake_app"]
