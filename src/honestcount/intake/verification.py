"""How a voter's phone number was proved, and proving it later through a trusted gateway.

An account's ``verification`` tier is set by the intake from proof it can trust, never from
a client's word:

* a registration through a **gateway** (an account of role ``gateway``, issued and approved
  by two admins like staff, whose token the bot holds) may say how the gateway proved the
  number: ``messenger_contact`` (Telegram's own contact card), ``bot_code`` or ``sms_code``;
* any other registration is unverified (NULL, shown as ``none``); a client that claims a
  tier without a gateway's token is refused;
* an unverified voter proves the number later with a one-time code through the bot:
  :func:`start` (the voter) → :func:`vouch` (the gateway, once the messenger proved the same
  number; it gets the code to show) → :func:`confirm` (the voter types the code).

Staff accounts are ``staff``. Tiers are ordered (:data:`TIERS`, weakest first) so that an
election can count only evidence of a minimum tier and verdicts can be shown by tier.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import Connection, or_, select

from honestcount.intake import translog
from honestcount.intake.core import Account, Intake, iso, now, require_role, utc
from honestcount.intake.errors import Conflict, Forbidden, Invalid, NotFound
from honestcount.intake.security import Role, normalise_phone, phone_hmac
from honestcount.store.tables import intake_accounts, intake_settings, intake_verifications

NONE = "none"
SMS_CODE = "sms_code"
BOT_CODE = "bot_code"
MESSENGER_CONTACT = "messenger_contact"
STAFF = "staff"
TIERS = (NONE, SMS_CODE, BOT_CODE, MESSENGER_CONTACT, STAFF)  # weakest first
VOUCHED = (SMS_CODE, BOT_CODE, MESSENGER_CONTACT)  # what a gateway may say at registration
GATEWAY = "gateway"  # the role of a trusted client (a bot, an SMS sender)
CHALLENGE_MINUTES = 10
MAX_ATTEMPTS = 5


def tier_of(verification: str | None, role: str) -> str:
    """The tier an account's stored ``verification`` stands for."""
    if verification is not None:
        return verification
    return NONE if role == Role.VOTER else STAFF


def at_least(minimum: str | None) -> tuple[str, ...]:
    """The tiers at or above ``minimum`` (every tier when None)."""
    if minimum is None:
        return TIERS
    if minimum not in TIERS:
        raise Invalid(f"verification tier must be one of {', '.join(TIERS)}")
    return TIERS[TIERS.index(minimum) :]


def min_verification(conn: Connection, election_id: str) -> str:
    """The weakest tier whose evidence counts in this election (``none``: every tier)."""
    s = intake_settings.c
    found = conn.execute(select(s.min_verification).where(s.election_id == election_id)).scalar()
    return str(found) if found else NONE


def vouched_tier(ix: Intake, token: str | None, claimed: str | None) -> str | None:
    """The tier a registration may carry: ``claimed`` only from an approved gateway."""
    if claimed in (None, NONE):
        return None
    if claimed not in VOUCHED:
        raise Invalid(f"verification must be one of {', '.join(VOUCHED)}")
    if not token or ix.authenticate(token).role != GATEWAY:
        raise Forbidden("only a trusted gateway may say how a phone number was proved")
    return claimed


def _hash(ix: Intake, *parts: str) -> str:
    return hmac.new(ix.key, "\0".join(parts).encode(), hashlib.sha256).hexdigest()


def start(ix: Intake, voter: Account, channel: str) -> dict:
    """A challenge for the voter to open in the bot (``t.me/<bot>?start=<challenge>``)."""
    require_role(voter, Role.VOTER)
    challenge = secrets.token_urlsafe(18)
    expires = now() + dt.timedelta(minutes=CHALLENGE_MINUTES)

    def work(conn: Connection) -> dict:
        v = intake_verifications.c
        conn.execute(  # this account's spent challenges: a voter cannot pile them up
            intake_verifications.delete().where(
                v.account_id == voter.id, or_(v.used_at.is_not(None), v.expires_at < now())
            )
        )
        conn.execute(
            intake_verifications.insert().values(
                challenge_hash=_hash(ix, "challenge", challenge),
                account_id=voter.id,
                created_at=now(),
                expires_at=expires,
                attempts=0,
            )
        )
        ix.audit(conn, voter, channel, "verification.start", f"account:{voter.id}")
        return {"challenge": challenge, "expires_at": iso(expires)}

    return dict(ix.write(work))


def _open_challenge(conn: Connection, ix: Intake, challenge: str) -> dict:
    v = intake_verifications.c
    row = (
        conn.execute(
            select(intake_verifications)
            .where(v.challenge_hash == _hash(ix, "challenge", challenge))
            .with_for_update()
        )
        .mappings()
        .first()
    )
    expires = utc(row["expires_at"]) if row is not None else None
    if row is None or row["used_at"] is not None or expires is None or expires < now():
        raise NotFound("no such verification challenge (unknown, used or expired)")
    return dict(row)


def vouch(ix: Intake, gateway: Account, challenge: str, phone: str, tier: str, channel: str):
    """The code the gateway shows to the person whose number it proved (``tier``), if that
    number is the one the challenge's account registered with."""
    require_role(gateway, GATEWAY)
    if tier not in (MESSENGER_CONTACT, SMS_CODE):
        raise Invalid(f"tier must be {MESSENGER_CONTACT} or {SMS_CODE}")
    normal = normalise_phone(phone)
    if normal is None:
        raise Invalid("the phone number must be in international form")
    code = f"{secrets.randbelow(10**6):06d}"
    a = intake_accounts.c

    def work(conn: Connection) -> dict:
        row = _open_challenge(conn, ix, challenge)
        account = conn.execute(
            select(a.election_id, a.phone_hmac).where(a.id == row["account_id"])
        ).first()
        if account is None or account.election_id is None:
            raise NotFound("no such verification challenge (unknown, used or expired)")
        if not hmac.compare_digest(
            account.phone_hmac or "", phone_hmac(ix.key, account.election_id, normal)
        ):
            raise Forbidden("this number is not the one the account registered with")
        conn.execute(
            intake_verifications.update()
            .where(intake_verifications.c.challenge_hash == row["challenge_hash"])
            .values(code_hash=_hash(ix, "code", challenge, code), tier=tier)
        )
        ix.audit(conn, gateway, channel, "verification.vouch", f"account:{row['account_id']}")
        return {"code": code}

    return dict(ix.write(work))


def confirm(ix: Intake, voter: Account, challenge: str, code: str, channel: str) -> dict:
    """The voter's code: right, and the account is ``bot_code`` (or ``sms_code``); a
    challenge is used once and closed after :data:`MAX_ATTEMPTS` wrong codes."""
    require_role(voter, Role.VOTER)
    v, a = intake_verifications.c, intake_accounts.c

    def work(conn: Connection) -> dict:
        row = _open_challenge(conn, ix, challenge)
        if row["account_id"] != voter.id:
            raise NotFound("no such verification challenge (unknown, used or expired)")
        if row["code_hash"] is None:
            raise Conflict("open the link in the bot and share your contact first")
        right = hmac.compare_digest(row["code_hash"], _hash(ix, "code", challenge, code.strip()))
        attempts = row["attempts"] + 1
        closed = right or attempts >= MAX_ATTEMPTS
        conn.execute(
            intake_verifications.update()
            .where(v.challenge_hash == row["challenge_hash"])
            .values(attempts=attempts, used_at=now() if closed else None)
        )
        if not right:
            return {"verified": False, "attempts_left": MAX_ATTEMPTS - attempts}
        tier = BOT_CODE if row["tier"] == MESSENGER_CONTACT else SMS_CODE
        current = conn.execute(select(a.verification).where(a.id == voter.id)).scalar()
        if TIERS.index(tier_of(current, voter.role)) < TIERS.index(tier):
            conn.execute(intake_accounts.update().where(a.id == voter.id).values(verification=tier))
        else:
            tier = tier_of(current, voter.role)
        ix.audit(
            conn,
            voter,
            channel,
            "verification.confirm",
            f"account:{voter.id}",
            {"verification": tier},
            rows=translog.rows(conn, "intake_accounts", id=voter.id),
        )
        return {"verified": True, "verification": tier}

    result = dict(ix.write(work))
    if not result["verified"]:
        left = result["attempts_left"]
        result["detail"] = "wrong code" if left > 0 else "too many wrong codes: start again"
    return result
