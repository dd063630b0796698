"""How the front door reaches the intake: :class:`IntakeGateway`, and :class:`HttpIntake`,
which calls the intake HTTP API (``/api/v1``) with httpx.

Every submission carries the ``Idempotency-Key`` the caller chose, so a retry after a lost
answer (a dropped connection, a restarted bot) is answered from the intake's record and never
counts twice. The HTTP answers are the contract; nothing of the intake's code is imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx


class GatewayError(Exception):
    """The intake refused a request, or could not be reached (``status`` 0)."""

    def __init__(self, status: int, detail: str = "", retry_after: float | None = None) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        """Worth trying again later with the same key (unreachable, overloaded, 5xx)."""
        return self.status in (0, 429) or self.status >= 500


@dataclass(frozen=True)
class Option:
    id: str
    name: str
    kind: str


@dataclass(frozen=True)
class ElectionInfo:
    id: str
    name: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Registration:
    account_id: int
    station_id: str
    token: str | None  # None: a replayed answer carries no credential (see HttpIntake)


@dataclass(frozen=True)
class PhotoReceipt:
    photo_id: int
    side: str
    status: str
    replayed: bool = False


@dataclass
class AccountState:
    """What ``GET /me`` says about a voter, and the station's publishable counts."""

    account_id: int
    station_id: str | None
    option_id: str | None
    photos: list[dict[str, Any]] = field(default_factory=list)
    photo_confirmed: bool = False
    # Publishable counts per option at the voter's station; None while the embargo holds.
    station_counts: dict[str, dict[str, Any]] | None = None


class IntakeGateway(Protocol):
    """The intake operations the conversation needs."""

    async def election(self, election_id: str) -> ElectionInfo: ...

    async def register(
        self, election_id: str, phone: str, station_id: str, key: str, tier: str | None = None
    ) -> Registration: ...

    async def vouch(self, challenge: str, phone: str, tier: str) -> str: ...

    async def declare(self, token: str, election_id: str, option_id: str, key: str) -> str: ...

    async def ballot_photo(
        self, token: str, election_id: str, side: str, data: bytes, key: str
    ) -> PhotoReceipt: ...

    async def account(self, token: str, election_id: str) -> AccountState: ...

    async def withdraw(self, token: str, election_id: str, key: str) -> None: ...


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    detail = body.get("detail", "") if isinstance(body, dict) else body
    return detail if isinstance(detail, str) else str(detail)[:200]


class HttpIntake:
    """:class:`IntakeGateway` over the intake HTTP API at ``base_url`` (ending in /api/v1)."""

    def __init__(
        self,
        base_url: str,
        *,
        channel: str = "telegram",
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        gateway_token: str | None = None,
    ) -> None:
        """``gateway_token``: the token of the intake's ``gateway`` account this client is;
        without it, registrations are unverified and no web registration can be vouched for."""
        self.gateway_token = gateway_token
        self.client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            transport=transport,
            headers={"X-Channel": channel},
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        )
        self._elections: dict[str, ElectionInfo] = {}

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self.client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise GatewayError(0, type(exc).__name__) from None
        if response.status_code >= 400:
            retry = response.headers.get("Retry-After")
            raise GatewayError(
                response.status_code,
                _detail(response),
                float(retry) if retry and retry.replace(".", "", 1).isdigit() else None,
            )
        return response

    @staticmethod
    def _auth(token: str, key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    async def election(self, election_id: str) -> ElectionInfo:
        if election_id not in self._elections:
            body = (await self._call("GET", f"/elections/{election_id}")).json()
            self._elections[election_id] = ElectionInfo(
                body["election_id"],
                body["name"],
                tuple(Option(o["id"], o["name"], o["kind"]) for o in body["options"]),
            )
        return self._elections[election_id]

    async def register(
        self, election_id: str, phone: str, station_id: str, key: str, tier: str | None = None
    ) -> Registration:
        """Register; ``tier`` (how the number was proved) is sent only as a gateway."""
        body = {"phone": phone, "station_id": station_id}
        headers = {"Idempotency-Key": key}
        if tier is not None and self.gateway_token is not None:
            body["verification"] = tier
            headers = self._auth(self.gateway_token, key)
        response = await self._call(
            "POST", f"/elections/{election_id}/voters", json=body, headers=headers
        )
        body = response.json()
        return Registration(int(body["account_id"]), body["station_id"], body.get("token"))

    async def vouch(self, challenge: str, phone: str, tier: str) -> str:
        """The code proving a web registration's number (``POST /verifications/{id}``)."""
        if self.gateway_token is None:
            raise GatewayError(403, "this bot is not a gateway of the intake")
        response = await self._call(
            "POST",
            f"/verifications/{challenge}",
            json={"phone": phone, "tier": tier},
            headers=self._auth(self.gateway_token),
        )
        return str(response.json()["code"])

    async def declare(self, token: str, election_id: str, option_id: str, key: str) -> str:
        response = await self._call(
            "POST",
            f"/elections/{election_id}/declarations",
            json={"option_id": option_id},
            headers=self._auth(token, key),
        )
        return str(response.json()["option_id"])

    async def ballot_photo(
        self, token: str, election_id: str, side: str, data: bytes, key: str
    ) -> PhotoReceipt:
        response = await self._call(
            "POST",
            f"/elections/{election_id}/ballot-photos",
            params={"side": side},
            content=data,
            headers={**self._auth(token, key), "Content-Type": "image/jpeg"},
        )
        body = response.json()
        return PhotoReceipt(
            int(body["photo_id"]),
            side,
            str(body["status"]),
            response.headers.get("Idempotent-Replayed") == "true",
        )

    async def account(self, token: str, election_id: str) -> AccountState:
        body = (await self._call("GET", "/me", headers=self._auth(token))).json()
        declaration = body.get("declaration") or {}
        state = AccountState(
            int(body["account_id"]),
            body.get("station_id"),
            declaration.get("option_id"),
            list(body.get("photos", [])),
            bool(body.get("photo_confirmed", False)),
        )
        try:
            counts = (await self._call("GET", f"/elections/{election_id}/counts")).json()
        except GatewayError:
            return state
        if not counts.get("embargoed", True):
            state.station_counts = {
                str(row["option_id"]): row
                for row in counts.get("counts", [])
                if row.get("station_id") == state.station_id
            }
        return state

    async def withdraw(self, token: str, election_id: str, key: str) -> None:
        """Withdraw the declaration and photos and end the account (``DELETE /me``)."""
        await self._call("DELETE", "/me", headers=self._auth(token, key))
