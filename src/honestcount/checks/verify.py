"""Verification of a whole election: verdicts, protocol checks, the national picture, observers."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from honestcount.checks.rules import FAIL, RuleOutcome, check_all
from honestcount.checks.verdicts import (
    FALSIFICATION_PROVEN,
    VERDICTS,
    Thresholds,
    VerdictResult,
    station_verdicts,
)
from honestcount.model import ElectionData
from honestcount.results import plain


@dataclass(frozen=True)
class Verification:
    data: ElectionData
    options: list[str]
    verdicts: VerdictResult
    checks: list[RuleOutcome]

    @property
    def failed_rules(self) -> list[list[str]]:
        """Per station, the ids of the protocol rules it fails."""
        failed: list[list[str]] = [[] for _ in range(len(self.data))]
        for out in self.checks:
            for i in np.flatnonzero(out.failed):
                failed[i].append(out.rule.id)
        return failed


def evidence_digest(data: ElectionData) -> str:
    """A fingerprint of every evidence layer: stored verdicts are stale when it changes."""
    digest = hashlib.sha256()
    digest.update("\0".join(data.stations.index).encode())
    digest.update("\0".join(data.option_ids).encode())
    for frame in (data.lines, data.official, data.declared, data.photo, data.observers):
        digest.update("\0".join(map(str, frame.columns)).encode())
        digest.update(np.ascontiguousarray(frame.to_numpy(dtype="float64")).data)  # no copy
    digest.update(data.violations.to_csv(index=False).encode())
    return digest.hexdigest()


def verify(data: ElectionData, thresholds: Thresholds | None = None) -> Verification:
    options = data.ballot_option_ids
    verdicts = station_verdicts(
        data.official[options].to_numpy(),
        data.photo[options].to_numpy(),
        data.declared[options].to_numpy(),
        data.lines["ballots_cast"].to_numpy(),
        data.observers["turnout_count"].to_numpy(),
        thresholds,
    )
    return Verification(data, options, verdicts, check_all(data))


def national_remainder(data: ElectionData) -> dict[str, Any] | None:
    """Compare national official totals with the stations whose protocols are known.

    What share of each option's national total those stations already hold, and what the
    official result implies for all other stations together (national minus known).
    """
    totals = data.national_totals
    options = [o for o in data.ballot_option_ids if o in totals]
    if not options:
        return None
    known = data.has_official
    cast = totals.get("ballots_cast")
    national = {o: totals[o] for o in options}
    invalid_derived = False
    missing_invalid = [o.id for o in data.options if o.kind == "invalid" and o.id not in totals]
    if cast is not None and missing_invalid:
        # Commissions often publish invalid ballots only as the remainder of ballots cast.
        national[missing_invalid[0]] = cast - sum(national.values())
        invalid_derived = True
        options = options + missing_invalid[:1]
    held = {o: float(np.nansum(data.official.loc[known, o])) for o in options}
    known_cast = float(np.nansum(data.lines.loc[known, "ballots_cast"]))
    known_votes = sum(held.values())
    rest_votes = sum(national[o] - held[o] for o in options)
    rows = {}
    for o in options:
        rest = national[o] - held[o]
        rows[o] = {
            "national": plain(national[o]),
            "known_stations": plain(held[o]),
            "share_of_national_in_known_stations": held[o] / national[o] if national[o] else None,
            "remainder": plain(rest),
            "share_in_known_stations": held[o] / known_votes if known_votes else None,
            "share_in_remainder": rest / rest_votes if rest_votes else None,
        }
    return {
        "stations_known": int(known.sum()),
        "stations_total": len(data),
        "ballots_cast_national": plain(cast),
        "ballots_cast_known_stations": plain(known_cast),
        "ballots_cast_remainder": plain(cast - known_cast) if cast is not None else None,
        "invalid_derived_from_remainder": invalid_derived,
        "options": rows,
        "note": "shares are of all ballots counted for the listed options (invalid included); "
        "the remainder is what the official national result implies for every station whose "
        "protocol is not known",
    }


def observers_summary(v: Verification) -> dict[str, Any]:
    """How verdicts differ between stations with and without each kind of reported violation."""
    data = v.data
    has_official = data.has_official
    proven = v.verdicts.verdict == FALSIFICATION_PROVEN
    by_code: dict[str, dict[str, Any]] = {}
    for code, reason in sorted(data.violation_codes.items(), key=lambda kv: kv[0]):
        stations = set(data.violations.loc[data.violations["code"] == code, "station_id"])
        flagged = data.stations.index.isin(list(stations))
        by_code[code] = {
            "reason": reason,
            **_compare(flagged, has_official, proven),
        }
    observed = (data.observers["observers"].fillna(0) > 0).to_numpy()
    return {"observed_stations": _compare(observed, has_official, proven), "violations": by_code}


def _compare(flag: np.ndarray, has_official: np.ndarray, proven: np.ndarray) -> dict[str, Any]:
    def rate(mask: np.ndarray) -> tuple[float | None, int]:
        base = mask & has_official
        return (float(proven[base].mean()) if base.any() else None), int(base.sum())

    with_rate, with_n = rate(flag)
    without_rate, without_n = rate(~flag)
    return {
        "stations": int(flag.sum()),
        "with_official_result": with_n,
        "proven_share": with_rate,
        "without": {"with_official_result": without_n, "proven_share": without_rate},
    }


def report(v: Verification, *, stored_at: str | None = None) -> dict[str, Any]:
    """The JSON document of ``honestcount verify``."""
    data, res = v.data, v.verdicts
    with np.errstate(invalid="ignore"):
        declared_over = res.option_verdicts == "declared_exceeds_official"
        proven = res.option_verdicts == FALSIFICATION_PROVEN
        declared_any = res.declared_excess >= res.thresholds.min_declared_excess
    proven_by_option = {
        o: {
            "photo": int(proven[:, j].sum()),
            "declared": int(declared_any[:, j].sum()),
            "declared_only": int(declared_over[:, j].sum()),
            "excess_votes": int(np.where(proven[:, j], res.photo_excess[:, j], 0).sum()),
        }
        for j, o in enumerate(v.options)
    }
    doc = {
        "election": data.election.id,
        "stations": len(data),
        "stations_with_official_result": int(data.has_official.sum()),
        "verdicts": res.counts(),
        "proven_by_option": proven_by_option,
        "proven_excess_votes": int(res.proven_excess.sum()),
        "check_failures": {o.rule.id: int((o.status == FAIL).sum()) for o in v.checks},
        "check_rules": {o.rule.id: o.rule.description for o in v.checks},
        "thresholds": asdict(res.thresholds),
        "observers": observers_summary(v),
        "verdict_order": list(VERDICTS),
    }
    remainder = national_remainder(data)
    if remainder is not None:
        doc["national_remainder"] = remainder
    if stored_at:
        doc["computed_at"] = stored_at
    return doc


def station_frame(v: Verification) -> pd.DataFrame:
    """One row per station: verdict, the numbers behind it, and failed protocol checks."""
    data, res = v.data, v.verdicts
    frame = pd.DataFrame(
        {
            "region": data.stations["region"],
            "district": data.stations["district"],
            "settlement_type": data.stations["settlement_type"],
            "town": data.stations["town"],
            "verdict": res.verdict,
            "proven_options": [
                ";".join(
                    o for o, p in zip(v.options, row, strict=True) if p == FALSIFICATION_PROVEN
                )
                for row in res.option_verdicts
            ],
            "proven_excess_votes": res.proven_excess,
            "official_voters": data.lines["ballots_cast"],
            "observer_turnout_count": data.observers["turnout_count"],
            "turnout_excess": res.turnout_excess,
            "observers": data.observers["observers"],
            "failed_checks": [";".join(r) for r in v.failed_rules],
        },
        index=data.stations.index,
    )
    for j, o in enumerate(v.options):
        frame[f"{o}_verdict"] = res.option_verdicts[:, j]
        frame[f"{o}_official"] = data.official[o]
        frame[f"{o}_photo"] = data.photo[o]
        frame[f"{o}_declared"] = data.declared[o]
        frame[f"{o}_photo_excess"] = res.photo_excess[:, j]
    return frame
