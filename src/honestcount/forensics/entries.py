"""Typed results of the battery's tests: frozen dataclasses whose ``as_dict()`` is the JSON
entry of that test in the document :func:`~honestcount.forensics.battery.run_battery` returns.

Field names are the JSON keys (in their order) unless ``as_dict`` says otherwise; a part that
could not run is a :class:`~honestcount.results.Skipped`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from honestcount.forensics.common import NOTE
from honestcount.forensics.digits import DigitTest, LevelStats, RegressionResult
from honestcount.forensics.fingerprint import FingerprintResult, coarsen
from honestcount.forensics.integer_peaks import PeakCount
from honestcount.forensics.shpilkin import ShpilkinResult
from honestcount.forensics.spatial import MoranResult
from honestcount.results import Skipped, jsonable


class _Fields:
    """``as_dict``: each field under its own name, as strict-JSON values."""

    def as_dict(self) -> dict[str, Any]:
        assert dataclasses.is_dataclass(self)
        return {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}


@dataclass(frozen=True)
class RegionPeaks(_Fields):
    """One region of the integer-percentage screen."""

    region: str
    stations: int
    observed: int
    expected: float
    excess: float
    p_value: float
    q_value: float


@dataclass(frozen=True)
class IntegerPeaksEntry:
    """Integer-percentage peaks: the headline count (``either`` when turnout is known, else
    ``result``) flattened into the entry, the parts, and the regional screen."""

    top: PeakCount
    basis: str
    turnout: PeakCount | Skipped
    result: PeakCount
    halfwidth: float
    p_value_method: str
    regions_basis: str
    regions: tuple[RegionPeaks, ...]
    note: str = NOTE

    def as_dict(self) -> dict[str, Any]:
        return {
            **jsonable(self.top),
            "basis": self.basis,
            "turnout": jsonable(self.turnout),
            "result": jsonable(self.result),
            "window": f"whole percent j, value in [j - {self.halfwidth}, j + {self.halfwidth}) "
            "points",
            "definitions": "turnout = ballots in the boxes / registered; result = leader votes / "
            "ballots in the boxes (valid + invalid)",
            "criteria": "registered >= 100, ballots > 0, turnout <= 99 %, result <= 99 %",
            "null": "ballots ~ Bin(registered, turnout), leader ~ Bin(observed ballots, result), "
            "independent; exact window probabilities",
            "p_value_method": self.p_value_method,
            "regions_basis": self.regions_basis,
            "regions": [r.as_dict() for r in self.regions],
            "note": self.note,
        }


@dataclass(frozen=True)
class ShpilkinEntry:
    """Shpilkin's estimate with its sensitivity table and 1-point turnout histograms."""

    result: ShpilkinResult

    def as_dict(self) -> dict[str, Any]:
        r = self.result
        coarse = max(1, int(round(0.01 / r.bin_width)))
        k = (r.weight_hist.size // coarse) * coarse

        def per_point(h: np.ndarray) -> list[float]:
            return [float(v) for v in h[:k].reshape(-1, coarse).sum(axis=1)]

        doc: dict[str, Any] = jsonable(
            {
                "anomalous_votes": r.anomalous_votes,
                "anomalous_fraction_of_leader": r.anomalous_fraction_of_leader,
                "core_warning": r.core_warning,
                "left_tail_share": r.left_tail_share,
                "core_turnout": r.core_turnout,
                "core_low": r.core_low,
                "core_high": r.core_high,
                "core_ratio": r.core_ratio,
                "corrected_share": r.corrected_share,
                "corrected_turnout": r.corrected_turnout,
                "official_share": r.official_share,
                "official_turnout": r.official_turnout,
                "bin_width": r.bin_width,
                "core": r.core,
                "weight": r.weight,
                "stations": r.stations,
                "sensitivity": list(r.sensitivity),
                "histogram_1pt": {
                    "turnout_from": list(range(100)),
                    r.weight: per_point(r.weight_hist),
                    "leader": per_point(r.leader_hist),
                    "others": per_point(r.others_hist),
                },
                "note": r.note,
            }
        )
        return doc


@dataclass(frozen=True)
class FingerprintEntry:
    """The turnout x share histogram, coarsened to ``cell_points``-point cells."""

    result: FingerprintResult
    cell_points: int = 2

    def as_dict(self) -> dict[str, Any]:
        r = self.result
        doc: dict[str, Any] = jsonable(
            {
                "weight": r.weight,
                "cell_points": self.cell_points,
                "counts": coarsen(r.counts, self.cell_points),
                "total_weight": r.total_weight,
                "corner": r.corner,
                "corner_share": r.corner_share,
                "stations": r.stations,
                "note": r.note,
            }
        )
        return doc


@dataclass(frozen=True)
class Moments(_Fields):
    skewness: float
    kurtosis: float


@dataclass(frozen=True)
class RegionDip(_Fields):
    region: str
    dip: float
    p_value: float
    n: int


@dataclass(frozen=True)
class DipScreen(_Fields):
    """Hartigan's dip test, national and per region."""

    dip: float
    p_value: float
    n: int
    regions: tuple[RegionDip, ...]


@dataclass(frozen=True)
class BootstrapEntry(_Fields):
    replicates: int
    level: float
    method: str
    national: LevelStats
    regions: tuple[LevelStats, ...]


@dataclass(frozen=True)
class DigitsEntry(_Fields):
    """Digit tests, moments, dip tests, Sobyanin–Sukhovolsky and the bootstrap by level."""

    leader_votes: dict[str, DigitTest]
    all_choices_second_digit: DigitTest
    share_percent_0_5: DigitTest
    share_moments: Moments
    share_dip: DipScreen | Skipped
    turnout_percent_0_5: DigitTest | Skipped
    turnout_moments: Moments | Skipped
    turnout_dip: DipScreen | Skipped
    sobyanin_sukhovolsky: RegressionResult | Skipped
    bootstrap: BootstrapEntry
    note: str = NOTE


@dataclass(frozen=True)
class SpatialIndicator(_Fields):
    """The spatial screen of one indicator."""

    neighbours: str
    n: int
    moran: MoranResult
    hot_spots: int
    cold_spots: int
    hot_districts: tuple[str, ...]
    cold_districts: tuple[str, ...]
    fdr: float


@dataclass(frozen=True)
class SpatialEntry:
    """The spatial screens by indicator (``turnout`` skipped without registered voters)."""

    indicators: dict[str, SpatialIndicator | Skipped]
    note: str = NOTE

    def as_dict(self) -> dict[str, Any]:
        return {**{k: jsonable(v) for k, v in self.indicators.items()}, "note": self.note}
