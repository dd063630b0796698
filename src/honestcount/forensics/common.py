"""What the forensics tests share: the note, the skip signal, FDR and station arrays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from honestcount.results import Skipped

if TYPE_CHECKING:
    import pandas as pd

    from honestcount.model import ElectionData

NOTE = (
    "Anomaly indicator, not a verdict: a significant result says the published numbers are "
    "unlikely under a simple model of honest counting; it does not prove fraud or locate it, and "
    "an unremarkable result does not prove the count was honest."
)


class CannotRun(Exception):
    """Raised by a test that cannot run on this election (e.g. registered voters unknown);
    the battery records it as its :class:`~honestcount.results.Skipped` result."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @property
    def skipped(self) -> Skipped:
        return Skipped(self.reason)


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg q-values (step-up, monotone); NaN p-values stay NaN."""
    p = np.asarray(p, dtype=float)
    q = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    m = int(ok.sum())
    if m == 0:
        return q
    pv = p[ok]
    order = np.argsort(pv, kind="stable")
    ranked = pv[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(ranked, 1.0)
    q[ok] = out
    return q


@dataclass(frozen=True)
class StationArrays:
    """Per-station arrays that the forensics tests read, already filtered to usable stations.

    Usable: official result known, ``ballots_cast`` finite and positive, leader votes finite.
    ``registered`` is all-NaN when the election has no registered-voter counts.
    """

    index: pd.Index
    region: np.ndarray
    district: np.ndarray
    latitude: np.ndarray
    longitude: np.ndarray
    registered: np.ndarray
    ballots: np.ndarray
    valid: np.ndarray
    leader: np.ndarray
    others: np.ndarray
    choices: np.ndarray  # stations x choice options, leader first

    @property
    def has_registered(self) -> bool:
        return bool(np.isfinite(self.registered).any())

    @property
    def has_coordinates(self) -> bool:
        return bool((np.isfinite(self.latitude) & np.isfinite(self.longitude)).sum() >= 10)

    def turnout(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(self.ballots / self.registered)

    def share(self) -> np.ndarray:
        return np.asarray(self.leader / self.ballots)


def _column(frame: pd.DataFrame, name: str, n: int) -> np.ndarray:
    if name in frame.columns:
        return frame[name].to_numpy(dtype=float)
    return np.full(n, np.nan)


def station_arrays(data: ElectionData, leader: str) -> StationArrays:
    """Extract the arrays for ``leader`` from an election, keeping usable stations only."""
    choice_ids = data.choice_option_ids
    if leader not in choice_ids:
        raise ValueError(f"{leader!r} is not a choice option of {data.election.id}")
    n = len(data.stations)
    ordered = [leader] + [c for c in choice_ids if c != leader]
    choices = data.official.reindex(columns=ordered).to_numpy(dtype=float)
    lead = choices[:, 0]
    others = np.nansum(choices[:, 1:], axis=1) if choices.shape[1] > 1 else np.zeros(n)
    ballots = _column(data.lines, "ballots_cast", n)
    registered = _column(data.stations, "registered_voters", n)
    if "registered" in data.lines.columns:
        from_lines = _column(data.lines, "registered", n)
        registered = np.where(np.isfinite(registered), registered, from_lines)
    valid = _column(data.lines, "valid", n)
    valid = np.where(np.isfinite(valid), valid, lead + others)
    keep = np.isfinite(ballots) & (ballots > 0) & np.isfinite(lead) & data.has_official
    st = data.stations
    region = st["region"].astype(str).to_numpy() if "region" in st else np.full(n, "", object)
    # District names repeat across regions (every region has a "Central" one): key by both.
    district = (
        (st["region"].astype(str) + " / " + st["district"].astype(str)).to_numpy()
        if "district" in st and st["district"].notna().any()
        else region
    )
    return StationArrays(
        index=data.stations.index[keep],
        region=region[keep],
        district=district[keep],
        latitude=_column(st, "latitude", n)[keep],
        longitude=_column(st, "longitude", n)[keep],
        registered=registered[keep],
        ballots=ballots[keep],
        valid=valid[keep],
        leader=lead[keep],
        others=others[keep],
        choices=np.nan_to_num(choices[keep]),
    )


def label_codes(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(labels.astype(str), return_inverse=True)``: the sorted distinct labels and
    each element's code, by hashing (sorting 100,000 strings took most of a second)."""
    import pandas as pd

    text = np.asarray(labels).astype(str)
    codes, names = pd.factorize(text, sort=True)
    return np.asarray(names, dtype=text.dtype), np.asarray(codes, dtype=np.intp)
