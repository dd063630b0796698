"""The typed result of :func:`~honestcount.estimate.run_estimate` and its JSON document.

``EstimateReport.as_dict()`` is the document that ``honestcount estimate --json`` prints, the
analyses store and the pages and open data read: its keys are a public interface.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from honestcount.results import Interval, Skipped

if TYPE_CHECKING:
    from honestcount.estimate.mixture import MixtureEstimate


def num(x: float | None) -> float | None:
    """A finite float or None (unknown is never a number in the document)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class OptionEstimate:
    """One method's estimate for one option: its share of ballots cast and its votes."""

    method: str
    option: str
    share: float
    interval: Interval
    votes: float
    votes_interval: Interval | None = None  # the bootstrap methods
    moe: float | None = None  # pvt: the margin of error of the share

    def as_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "method": self.method,
            "option": self.option,
            "share": num(self.share),
            "ci_low": num(self.interval.low),
            "ci_high": num(self.interval.high),
            "votes": num(self.votes),
        }
        if self.votes_interval is not None:
            doc["votes_ci_low"] = num(self.votes_interval.low)
            doc["votes_ci_high"] = num(self.votes_interval.high)
        if self.moe is not None:
            doc["moe"] = num(self.moe)
        return doc


@dataclass(frozen=True)
class RegionEstimate:
    """One method's estimate for one option in one region."""

    method: str
    region: str
    option: str
    votes: float
    share: float
    interval: Interval
    votes_interval: Interval

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "region": self.region,
            "option": self.option,
            "votes": num(self.votes),
            "share": num(self.share),
            "ci_low": num(self.interval.low),
            "ci_high": num(self.interval.high),
            "votes_ci_low": num(self.votes_interval.low),
            "votes_ci_high": num(self.votes_interval.high),
        }


@dataclass(frozen=True)
class Count:
    """Votes and their share of ballots cast (None where unknown)."""

    votes: float | None
    share: float | None

    def as_dict(self) -> dict[str, Any]:
        return {"votes": num(self.votes), "share": num(self.share)}


@dataclass(frozen=True)
class LowerBound:
    """The hard lower bounds of one option (see :mod:`honestcount.estimate.bounds`)."""

    votes: float
    share: float | None
    photo_votes: float
    photo_share: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "votes": float(self.votes),
            "share": num(self.share),
            "photo_votes": float(self.photo_votes),
            "photo_share": num(self.photo_share),
        }


@dataclass(frozen=True)
class BallotsEstimate:
    """A method's estimate of the ballots cast (no interval for pvt)."""

    value: float
    interval: Interval | None = None

    def as_dict(self) -> dict[str, Any]:
        low = None if self.interval is None else num(self.interval.low)
        high = None if self.interval is None else num(self.interval.high)
        return {"value": num(self.value), "ci_low": low, "ci_high": high}


@dataclass(frozen=True)
class EstimateParameters:
    """What a run was computed with (stored beside the result)."""

    threshold: float
    definition: str
    strata: tuple[str, ...]
    pool_strength: float | None
    n_boot: int
    seed: int
    level: float
    honest_threshold: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "definition": self.definition,
            "strata": list(self.strata),
            "pool_strength": "estimated" if self.pool_strength is None else self.pool_strength,
            "n_boot": self.n_boot,
            "seed": self.seed,
            "confidence": self.level,
            "level": self.level,
            "honest_threshold": self.honest_threshold,
        }


@dataclass(frozen=True)
class EstimateReport:
    """Everything :func:`~honestcount.estimate.run_estimate` computed for one election.

    ``estimates`` lists, option by option, the recommended method first. ``honest_stations``
    and ``mixture`` come from the mixture method (a :class:`Skipped` / None when it did not
    run). ``warnings``: plain sentences on what the figures rest on, never empty when little.
    """

    election: str
    election_name: str
    election_date: str | None
    options: tuple[str, ...]
    official: Mapping[str, Count]
    ballots_cast: float | None
    ballots_estimates: Mapping[str, BallotsEstimate]
    lower_bounds: Mapping[str, LowerBound]
    estimates: tuple[OptionEstimate, ...]
    by_region: tuple[RegionEstimate, ...]
    recommended: Mapping[str, str | None]
    assumptions: Mapping[str, str]
    stations_used: Mapping[str, int]
    skipped: Mapping[str, Skipped]
    clean_selection: Mapping[str, int]
    parameters: EstimateParameters
    warnings: tuple[str, ...] = ()
    mixture: Mapping[str, Any] | None = None
    honest_stations: Mapping[str, Any] | Skipped = field(
        default_factory=lambda: Skipped("the mixture method did not run")
    )
    #: the fitted mixture itself (P(honest) per station); not part of the document
    mixture_fit: MixtureEstimate | None = field(default=None, repr=False, compare=False)

    def estimate(self, method: str, option: str) -> OptionEstimate | None:
        """The estimate of ``option`` by ``method``, if that method ran."""
        for e in self.estimates:
            if e.method == method and e.option == option:
                return e
        return None

    def as_dict(self) -> dict[str, Any]:
        """The JSON document (the keys of ``honestcount estimate --json``)."""
        honest = self.honest_stations
        return {
            "election": self.election,
            "election_name": self.election_name,
            "election_date": self.election_date,
            "options": list(self.options),
            "official": {o: c.as_dict() for o, c in self.official.items()},
            "ballots_cast": {
                "official": num(self.ballots_cast),
                "estimates": {m: b.as_dict() for m, b in self.ballots_estimates.items()},
            },
            "lower_bounds": {o: b.as_dict() for o, b in self.lower_bounds.items()},
            "estimates": [e.as_dict() for e in self.estimates],
            "by_region": [r.as_dict() for r in self.by_region],
            "recommended": dict(self.recommended),
            "assumptions": dict(self.assumptions),
            "stations_used": dict(self.stations_used),
            "skipped": {m: s.reason for m, s in self.skipped.items()},
            "clean_selection": dict(self.clean_selection),
            "parameters": self.parameters.as_dict(),
            "warnings": list(self.warnings),
            "mixture": None if self.mixture is None else dict(self.mixture),
            "honest_stations": honest.as_dict() if isinstance(honest, Skipped) else dict(honest),
        }
