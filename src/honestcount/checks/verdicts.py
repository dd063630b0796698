"""Station verdicts: what the evidence proves, station by station and option by option.

The rule is arithmetic anyone can recount. If more voters photographed a ballot for an option
than the station's official protocol gives that option, the protocol is false there, and the
difference is the proven minimum of votes taken from it. Declarations to a platform that
exceed the official count are a weaker tier, reported apart: a declaration is not a ballot.
Observers who counted every voter entering a station prove turnout inflation when the
official number of voters exceeds their count by more than a stated tolerance.

Everything here is a pure function of arrays; unknown values (NaN) never prove anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Verdicts from strongest to weakest: a station's overall verdict is the strongest finding.
FALSIFICATION_PROVEN = "falsification_proven"
TURNOUT_INFLATION_PROVEN = "turnout_inflation_proven"
DECLARED_EXCEEDS_OFFICIAL = "declared_exceeds_official"
CONSISTENT = "consistent"
NO_EVIDENCE = "no_evidence"
NO_OFFICIAL_RESULT = "no_official_result"
VERDICTS = (
    FALSIFICATION_PROVEN,
    TURNOUT_INFLATION_PROVEN,
    DECLARED_EXCEEDS_OFFICIAL,
    CONSISTENT,
    NO_EVIDENCE,
    NO_OFFICIAL_RESULT,
)
_RANK = {v: i for i, v in enumerate(VERDICTS)}


@dataclass(frozen=True)
class Thresholds:
    """When an excess counts as a finding.

    ``min_photo_excess``: photo-confirmed ballots must exceed the official count by at least
    this many (1: any excess is proof; raise it to allow for mistaken photo moderation).
    ``min_declared_excess``: the same for declared choices.
    ``turnout_tolerance`` and ``turnout_tolerance_votes``: the official number of voters must
    exceed the observers' count by more than both this fraction of the observers' count and
    this many voters (observers miss a few people; counts must cover the same hours).
    """

    min_photo_excess: int = 1
    min_declared_excess: int = 1
    turnout_tolerance: float = 0.05
    turnout_tolerance_votes: int = 10


@dataclass(frozen=True)
class VerdictResult:
    """Verdicts for n stations and k options, with the numbers that justify them.

    ``option_verdicts`` (n x k) and ``verdict`` (n) hold verdict names; ``photo_excess`` and
    ``declared_excess`` (n x k) are evidence minus official (NaN where either is unknown);
    ``proven_excess`` (n) is the total proven minimum of stolen votes at each station;
    ``turnout_excess`` (n) is official voters minus the observers' count.
    """

    option_verdicts: np.ndarray
    verdict: np.ndarray
    photo_excess: np.ndarray
    declared_excess: np.ndarray
    proven_excess: np.ndarray
    turnout_excess: np.ndarray
    thresholds: Thresholds = field(default_factory=Thresholds)

    def counts(self) -> dict[str, int]:
        """Stations per overall verdict, every verdict listed (zero included)."""
        values, n = np.unique(self.verdict.astype(str), return_counts=True)
        found = dict(zip(values.tolist(), n.tolist(), strict=True))
        return {v: int(found.get(v, 0)) for v in VERDICTS}


def station_verdicts(
    official: np.ndarray,
    photo: np.ndarray,
    declared: np.ndarray,
    official_voters: np.ndarray | None = None,
    observer_count: np.ndarray | None = None,
    thresholds: Thresholds | None = None,
) -> VerdictResult:
    """Compare evidence layers for n stations and k options (arrays n x k; NaN = unknown).

    ``official_voters`` and ``observer_count`` (length n) feed the turnout verdict.
    """
    th = thresholds or Thresholds()
    official, photo, declared = (np.asarray(a, dtype=float) for a in (official, photo, declared))
    if not official.shape == photo.shape == declared.shape:
        raise ValueError("official, photo and declared must have the same shape")
    n, _ = official.shape
    photo_excess = photo - official  # NaN wherever either side is unknown
    declared_excess = declared - official
    with np.errstate(invalid="ignore"):
        proven = photo_excess >= th.min_photo_excess
        declared_over = declared_excess >= th.min_declared_excess
    official_known = ~np.isnan(official)
    evidence_known = ~np.isnan(photo) | ~np.isnan(declared)
    ranks = np.select(
        [proven, declared_over, official_known & evidence_known, official_known],
        [
            _RANK[v]
            for v in (FALSIFICATION_PROVEN, DECLARED_EXCEEDS_OFFICIAL, CONSISTENT, NO_EVIDENCE)
        ],
        default=_RANK[NO_OFFICIAL_RESULT],
    )
    names = np.asarray(VERDICTS, dtype=object)

    turnout_excess = np.full(n, np.nan)
    inflated = np.zeros(n, dtype=bool)
    if official_voters is not None and observer_count is not None:
        voters = np.asarray(official_voters, dtype=float)
        observed = np.asarray(observer_count, dtype=float)
        turnout_excess = voters - observed
        allowed = np.maximum(th.turnout_tolerance * observed, th.turnout_tolerance_votes)
        with np.errstate(invalid="ignore"):
            inflated = turnout_excess > allowed

    best = ranks.min(axis=1, initial=_RANK[NO_OFFICIAL_RESULT])
    best = np.where(inflated, np.minimum(best, _RANK[TURNOUT_INFLATION_PROVEN]), best)
    proven_excess = np.where(proven, photo_excess, 0.0).sum(axis=1)
    return VerdictResult(
        names[ranks], names[best], photo_excess, declared_excess, proven_excess, turnout_excess, th
    )
