"""Which stations are *clean*: a protocol we may take as the true count.

A station is clean when its official protocol is known, passes the caller's protocol checks,
has no negative counts, shows no proven falsification (no option has more photo-confirmed
ballots than its official count) and has enough voters' evidence that a large falsification
would have been caught (photo-confirmed ballots / ballots counted in the protocol >= threshold).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

Definition = Literal["none", "proof", "strict"]
DEFINITIONS: tuple[Definition, ...] = ("none", "proof", "strict")


def official_ballots(official: pd.DataFrame) -> pd.Series:
    """Ballots counted in each protocol: the sum of the official ballot-option counts.

    NaN where the protocol is unknown. This is used instead of a "voters who took part"
    line because it is the quantity that the option shares are fractions of.
    """
    return official.sum(axis=1, min_count=1)


def proven_falsification(official: pd.DataFrame, photo: pd.DataFrame) -> pd.Series:
    """True where some option has more photo-confirmed ballots than its official count."""
    excess = photo.to_numpy(float) > official.to_numpy(float)  # NaN compares False
    return pd.Series(excess.any(axis=1), index=official.index)


def declared_excess(official: pd.DataFrame, declared: pd.DataFrame) -> pd.Series:
    """True where some option has more declared choices than its official count.

    Declarations are not proof (a voter can misreport), so this is a red flag, not a verdict.
    """
    excess = declared.to_numpy(float) > official.to_numpy(float)
    return pd.Series(excess.any(axis=1), index=official.index)


def coverage(official: pd.DataFrame, photo: pd.DataFrame) -> pd.Series:
    """Photo-confirmed ballots per ballot counted in the protocol (NaN without a protocol)."""
    denom = official_ballots(official)
    cov = photo.sum(axis=1, min_count=1) / denom.where(denom > 0)
    return cov


@dataclass(frozen=True)
class CleanSelection:
    """The clean stations and why the others were left out (boolean Series on the index)."""

    clean: pd.Series
    has_protocol: pd.Series
    checks_ok: pd.Series
    proven: pd.Series
    flagged: pd.Series
    coverage: pd.Series
    threshold: float
    definition: Definition

    @property
    def n_clean(self) -> int:
        return int(self.clean.sum())

    def counts(self) -> dict[str, int]:
        """How many stations each step keeps or removes."""
        return {
            "stations": int(len(self.clean)),
            "with_protocol": int(self.has_protocol.sum()),
            "failed_checks": int((self.has_protocol & ~self.checks_ok).sum()),
            "proven_falsified": int((self.has_protocol & self.proven).sum()),
            "declared_excess": int((self.has_protocol & self.flagged).sum()),
            "below_coverage": int((self.has_protocol & ~(self.coverage >= self.threshold)).sum()),
            "clean": self.n_clean,
        }


def select_clean(
    official: pd.DataFrame,
    photo: pd.DataFrame,
    declared: pd.DataFrame | None = None,
    checks_ok: pd.Series | None = None,
    threshold: float = 0.02,
    definition: Definition = "proof",
) -> CleanSelection:
    """Select the clean stations.

    ``definition``: ``"proof"`` excludes proven falsification (photo > official for an
    option); ``"strict"`` also excludes stations where declared choices exceed the official
    count for an option; ``"none"`` applies no falsification test (for sensitivity only).
    ``threshold`` is the minimum coverage (photo-confirmed ballots / ballots counted).
    ``checks_ok`` (boolean, aligned on the index; missing stations count as failing) is the
    verdict of the protocol checks; default: all pass.
    """
    if definition not in DEFINITIONS:
        raise ValueError(f"definition must be one of {DEFINITIONS}, got {definition!r}")
    idx = official.index
    has_protocol = pd.Series(official.notna().any(axis=1).to_numpy(), index=idx)
    if checks_ok is None:
        ok = pd.Series(True, index=idx)
    else:
        ok = checks_ok.reindex(idx).fillna(False).astype(bool)
    nonneg = ~(official.to_numpy(float) < 0).any(axis=1)
    ok = ok & pd.Series(nonneg, index=idx)
    proven = proven_falsification(official, photo)
    if definition == "strict":
        if declared is None:
            raise ValueError("definition='strict' needs the declared frame")
        flagged = declared_excess(official, declared)
    else:
        flagged = pd.Series(False, index=idx)
    cov = coverage(official, photo)
    clean = has_protocol & ok & (cov >= threshold).fillna(False)
    if definition != "none":
        clean &= ~proven & ~flagged
    return CleanSelection(clean, has_protocol, ok, proven, flagged, cov, threshold, definition)


def stratum_labels(stations: pd.DataFrame, levels: Sequence[str]) -> list[np.ndarray]:
    """Nested stratum labels, finest first: ``levels=["region", "settlement_type"]`` gives
    ``["region|settlement_type", "settlement_type"]`` (each finer label contains its parent,
    so the levels always nest). Missing values become ``"?"``."""
    cols = [stations[c].astype(object).where(stations[c].notna(), "?").astype(str) for c in levels]
    out: list[np.ndarray] = []
    for i in range(len(cols)):
        lab = cols[i]
        for c in cols[i + 1 :]:
            lab = lab + "|" + c
        out.append(lab.to_numpy(dtype=object))
    return out
