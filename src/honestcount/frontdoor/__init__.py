"""The citizens' front door: messenger bots (Telegram, Viber) in front of the intake API.

The conversation lives in :mod:`.engine`, a state machine that knows no messenger: an
adapter (:mod:`.telegram`, :mod:`.viber`) turns a messenger's updates into
:class:`~.engine.Incoming` events and the engine's :class:`~.engine.Reply` values back into
messages. The engine talks to the intake only through :class:`~.gateway.IntakeGateway` (the
HTTP implementation, :class:`~.gateway.HttpIntake`, calls ``/api/v1`` with an idempotency
key on every submission), finds stations in a :class:`~.stations.StationDirectory`, and
proves phone numbers (:mod:`.verification`; the intake keeps the proof's tier with the
account). Texts are in Belarusian, Russian and English (:mod:`.messages`). :mod:`.webapp` is
the voter web app at ``/vote`` and :mod:`.consoles` the staff consoles, on the same API.
"""

from __future__ import annotations

from honestcount.frontdoor.engine import Conversation, Incoming, Reply
from honestcount.frontdoor.gateway import HttpIntake, IntakeGateway
from honestcount.frontdoor.stations import Station, StationDirectory

__all__ = [
    "Conversation",
    "HttpIntake",
    "Incoming",
    "IntakeGateway",
    "Reply",
    "Station",
    "StationDirectory",
]
