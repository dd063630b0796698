"""The election model: what an election, a station and each layer of evidence are.

Everything that reads an election for analysis receives an :class:`ElectionData`: a set of
pandas frames that share one index (the station ids of the election, in a stable order).
Counts are ``float64`` so that *unknown* can be ``NaN``: missing is never zero.

Evidence layers are kept apart, each with its source:

* ``lines`` and ``official``: the official protocol (its numbered lines, and votes per option),
  from a commission feed, a photographed protocol or an observer's copy;
* ``declared`` and ``photo``: voters' evidence (choices declared to a platform, and ballots
  confirmed by a photo);
* ``observers`` and ``violations``: observers' evidence;
* ``national_totals``: what the commission announced for the whole country.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd


class OptionKind(StrEnum):
    """What a ballot option is; only ``candidate``/``party``/``against`` are votes for a choice."""

    CANDIDATE = "candidate"
    PARTY = "party"
    AGAINST = "against"
    INVALID = "invalid"
    ABSTENTION = "abstention"  # a voter who told the platform they would not vote


BALLOT_KINDS = (OptionKind.CANDIDATE, OptionKind.PARTY, OptionKind.AGAINST, OptionKind.INVALID)


class OfficialSource(StrEnum):
    """Where an official protocol came from."""

    COMMISSION_FEED = "commission_feed"
    PHOTOGRAPHED_PROTOCOL = "photographed_protocol"
    OBSERVER_COPY = "observer_copy"


# Canonical protocol lines. A loader maps its country's lines onto these names; lines that
# have no canonical name keep their own (snake_case) name.
PROTOCOL_LINES: dict[str, str] = {
    "registered": "voters on the list",
    "ballots_received": "ballots received by the commission",
    "issued_early": "ballots issued to early voters",
    "issued_on_day": "ballots issued inside the station on the day",
    "issued_outside": "ballots issued outside the station (home voting)",
    "cancelled": "cancelled (unused) ballots",
    "ballots_portable": "ballots found in portable boxes",
    "ballots_stationary": "ballots found in stationary boxes",
    "invalid": "invalid ballots",
    "valid": "valid ballots",
    "lost": "lost ballots",
    "unaccounted": "ballots not accounted for at receipt",
    "ballots_cast": "voters who took part (ballots in the boxes)",
    "votes_counted": "votes counted for all options, spoiled ballots included",
    # Absentee certificates (открепительные удостоверения), printed on protocols until 2017.
    "absentee_received": "absentee certificates received by the commission",
    "absentee_issued_station": "absentee certificates issued by the station's commission",
    "absentee_issued_territorial": "absentee certificates issued by the territorial commission",
    "absentee_voted": "voters who voted with an absentee certificate at the station",
    "absentee_cancelled": "unused absentee certificates cancelled",
    "absentee_lost": "absentee certificates lost",
}


@dataclass(frozen=True)
class BallotOption:
    """One choice on the ballot, with an id that stays stable across sources."""

    id: str
    name: str
    kind: OptionKind = OptionKind.CANDIDATE
    position: int = 0


@dataclass(frozen=True)
class Election:
    id: str
    name: str
    country: str
    date: dt.date | None = None
    protocol_schema: str = "generic"
    source: str = ""
    # The option whose votes the forensics follow; ``None``: the one with most votes.
    leader: str | None = None


@dataclass
class ElectionData:
    """An election and all its evidence, as frames aligned on the station index.

    ``stations`` columns: ``region``, ``district``, ``settlement_type``, ``town``, ``name``,
    ``latitude``, ``longitude``, ``registered_voters``, ``url`` (source page). ``lines`` has a
    column per protocol line and always ``ballots_cast`` (derived from the boxes where the
    protocol has them).
    ``official``, ``declared`` and ``photo`` have one column per ballot option id.
    ``official_source`` names the source of each station's protocol (``None`` if unknown).
    ``observers`` columns: ``observers`` (count), ``turnout_count`` (observers' own count of
    voters). ``violations`` is long: ``station_id``, ``code``.
    """

    election: Election
    options: list[BallotOption]
    stations: pd.DataFrame
    lines: pd.DataFrame
    official: pd.DataFrame
    official_source: pd.Series
    declared: pd.DataFrame
    photo: pd.DataFrame
    observers: pd.DataFrame
    violations: pd.DataFrame
    violation_codes: dict[str, str] = field(default_factory=dict)
    national_totals: dict[str, float] = field(default_factory=dict)
    # Protocol line -> its caption in the source (as printed), for lines read from a file.
    line_captions: dict[str, str] = field(default_factory=dict)
    # Protocol line -> how it was derived (e.g. "ballots_portable + ballots_stationary").
    line_derivations: dict[str, str] = field(default_factory=dict)

    @property
    def option_ids(self) -> list[str]:
        return [o.id for o in self.options]

    @property
    def ballot_option_ids(self) -> list[str]:
        """Options that are counted on a ballot (abstentions excluded)."""
        return [o.id for o in self.options if o.kind in BALLOT_KINDS]

    @property
    def choice_option_ids(self) -> list[str]:
        """Options that are a vote for someone or against all (invalid excluded)."""
        return [o.id for o in self.options if o.kind in BALLOT_KINDS[:3]]

    @property
    def has_official(self) -> np.ndarray:
        """Stations whose official result is known (for at least one option)."""
        return self.official.notna().any(axis=1).to_numpy()

    @property
    def extra_lines(self) -> list[str]:
        """Protocol lines with no canonical meaning, kept under their own names."""
        return [c for c in self.lines.columns if c not in PROTOCOL_LINES]

    def leader(self) -> str:
        """The election's declared leader, else the choice option with most official votes."""
        if self.election.leader and self.election.leader in self.choice_option_ids:
            return self.election.leader
        totals = self.official[self.choice_option_ids].sum()
        return str(totals.idxmax())

    def __len__(self) -> int:
        return len(self.stations)


STATION_COLUMNS = (
    "region",
    "district",
    "settlement_type",
    "town",
    "name",
    "latitude",
    "longitude",
    "registered_voters",
    "url",
)
