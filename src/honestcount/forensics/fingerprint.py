"""Election fingerprints (Klimek, Yegorov, Hanel & Thurner, PNAS 109(41), 2012).

A 2-D histogram of stations' turnout x leader's share, weighted by voters. Honest elections
give one roughly elliptical cluster; incremental fraud smears it towards the top-right corner,
extreme fraud piles voters at 100 % turnout and 100 % share. The ``corner_share`` summary is the
fraction of the weight with both turnout and share >= ``corner`` (0.95 by default).

What it does not show: a smear can also come from genuinely heterogeneous regions (distinct
clusters of turnout and support), so the picture is a screen for where to look, not a test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from honestcount.forensics.common import NOTE, CannotRun


@dataclass(frozen=True)
class FingerprintResult:
    """``counts[i, j]``: weight with turnout in bin i and share in bin j (fractions, 0..1)."""

    counts: np.ndarray
    turnout_edges: np.ndarray
    share_edges: np.ndarray
    weight: str
    total_weight: float
    corner: float
    corner_share: float
    stations: int
    note: str = NOTE


def fingerprint(
    registered: np.ndarray | None,
    ballots: np.ndarray,
    leader: np.ndarray,
    *,
    bins: int = 100,
    weight: str = "ballots",
    corner: float = 0.95,
) -> FingerprintResult:
    """Turnout x leader's share histogram weighted by ``ballots`` or ``registered``.

    Raises :class:`CannotRun` when registered voters are unknown.
    """
    if registered is None or not np.isfinite(registered).any():
        raise CannotRun("registered voters unknown: turnout undefined, no fingerprint")
    if weight not in ("ballots", "registered"):
        raise ValueError("weight must be 'ballots' or 'registered'")
    registered = np.asarray(registered, dtype=float)
    ballots = np.asarray(ballots, dtype=float)
    leader = np.asarray(leader, dtype=float)
    ok = np.isfinite(registered) & (registered > 0) & np.isfinite(ballots) & (ballots > 0)
    ok &= np.isfinite(leader)
    turnout = np.clip(ballots[ok] / registered[ok], 0.0, 1.0)
    share = np.clip(leader[ok] / ballots[ok], 0.0, 1.0)
    w = ballots[ok] if weight == "ballots" else registered[ok]
    i = np.minimum((turnout * bins).astype(np.int64), bins - 1)
    j = np.minimum((share * bins).astype(np.int64), bins - 1)
    counts = np.bincount(i * bins + j, weights=w, minlength=bins * bins).reshape(bins, bins)
    total = float(w.sum())
    in_corner = (turnout >= corner) & (share >= corner)
    edges = np.linspace(0.0, 1.0, bins + 1)
    return FingerprintResult(
        counts=counts,
        turnout_edges=edges,
        share_edges=edges,
        weight=weight,
        total_weight=total,
        corner=corner,
        corner_share=float(w[in_corner].sum() / total) if total > 0 else float("nan"),
        stations=int(ok.sum()),
    )


def coarsen(counts: np.ndarray, factor: int) -> np.ndarray:
    """Sum ``factor`` x ``factor`` blocks of a square histogram (for compact JSON)."""
    b = counts.shape[0] // factor
    return np.asarray(
        counts[: b * factor, : b * factor].reshape(b, factor, b, factor).sum(axis=(1, 3))
    )
