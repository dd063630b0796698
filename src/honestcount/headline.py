"""The national finding in one sentence: the official result, what the evidence proves, and
the independent estimate with its interval.

:func:`headline` picks the facts from a stored verification and a stored estimate; the
terminal prints :meth:`Headline.sentence` and the pages render the same facts in each
language from :meth:`Headline.as_dict`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Headline:
    """The facts of the headline (shares are fractions of ballots cast)."""

    leader: str
    leader_name: str
    leader_official: float
    challenger: str
    challenger_name: str
    challenger_official: float | None
    proven_stations: int
    method: str | None = None
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    level: float = 0.95

    def sentence(self) -> str:
        """The headline in English."""
        text = (
            f"Officially {100 * self.leader_official:.1f}% for {self.leader_name}"
            + (
                f" and {100 * self.challenger_official:.1f}% for {self.challenger_name}"
                if self.challenger_official is not None
                else ""
            )
            + f"; the evidence proves falsification at {self.proven_stations:,} "
            + ("station" if self.proven_stations == 1 else "stations")
        )
        if self.estimate is None:
            return text + "."
        interval = ""
        if self.ci_low is not None and self.ci_high is not None:
            interval = f" [{100 * self.ci_low:.1f}, {100 * self.ci_high:.1f}]"
        return (
            text
            + f" and puts {self.challenger_name} at {100 * self.estimate:.1f}%{interval}"
            + f" ({self.method} estimate, {100 * self.level:.0f}% interval)."
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"sentence": self.sentence()}


def headline(
    verification: Mapping[str, Any] | None,
    estimate: Mapping[str, Any] | None,
    names: Mapping[str, str] | None = None,
    choices: Sequence[str] | None = None,
) -> Headline | None:
    """The headline facts, or None where the official national result is unknown.

    ``choices``: the options that are a vote for someone (default: every option with an
    official share). The challenger is the choice with the highest recommended estimate other
    than the official leader (the runner-up officially when there is no estimate).
    """
    if not estimate:
        return None
    names = names or {}
    official: dict[str, float] = {
        o: float(r["share"])
        for o, r in (estimate.get("official") or {}).items()
        if isinstance(r, Mapping) and r.get("share") is not None
    }
    pool = [o for o in (choices or official) if o in official]
    if not pool:
        return None
    leader = max(pool, key=lambda o: official[o])
    best = _recommended_estimates(estimate)
    others = [o for o in pool if o != leader]
    if not others:
        return None
    with_est = [o for o in others if best.get(o, {}).get("share") is not None]
    if with_est:
        challenger = max(with_est, key=lambda o: float(best[o]["share"]))
    else:
        challenger = max(others, key=lambda o: official[o])
    est = best.get(challenger, {})
    verdicts = (verification or {}).get("verdicts") or {}
    level = (estimate.get("parameters") or {}).get("level") or (
        estimate.get("parameters") or {}
    ).get("confidence", 0.95)
    return Headline(
        leader=leader,
        leader_name=names.get(leader, leader),
        leader_official=official[leader],
        challenger=challenger,
        challenger_name=names.get(challenger, challenger),
        challenger_official=official.get(challenger),
        proven_stations=int(verdicts.get("falsification_proven", 0)),
        method=est.get("method"),
        estimate=est.get("share"),
        ci_low=est.get("ci_low"),
        ci_high=est.get("ci_high"),
        level=float(level),
    )


def _recommended_estimates(estimate: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    recommended = estimate.get("recommended") or {}
    best: dict[str, Mapping[str, Any]] = {}
    for row in estimate.get("estimates") or []:
        option = row.get("option")
        if option is not None and row.get("method") == recommended.get(option):
            best[option] = row
    return best
