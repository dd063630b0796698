"""Parallel vote tabulation (PVT): a stratified random sample of stations and its estimator.

The estimator is the combined stratified ratio estimator used by election-observation groups:
share_j = sum_h N_h * mean_h(votes_j) / sum_h N_h * mean_h(ballots), with the linearised
(Taylor) variance sum_h N_h^2 (1 - n_h/N_h) s_h^2(z) / n_h of the residuals
z = (votes_j - share_j * ballots) / X, X the estimated total ballots.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats


@dataclass(frozen=True)
class PVTEstimate:
    """Result of :func:`pvt_estimate` (arrays per option, in ``options`` order).

    ``moe`` is the margin of error at ``confidence`` (half-width of the interval ``ci``);
    ``votes`` the estimated national totals; ``uncovered_stations`` population stations whose
    stratum has no sampled station (left out of the estimate).
    """

    options: tuple[str, ...]
    shares: np.ndarray
    se: np.ndarray
    moe: np.ndarray
    ci: np.ndarray
    votes: np.ndarray
    ballots: float
    n: int
    n_strata: int
    uncovered_stations: int
    confidence: float

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "share": self.shares,
                "se": self.se,
                "moe": self.moe,
                "ci_low": self.ci[:, 0],
                "ci_high": self.ci[:, 1],
                "votes": self.votes,
            },
            index=pd.Index(self.options, name="option"),
        )


def pvt_estimate(
    votes: pd.DataFrame,
    strata: ArrayLike,
    population: Mapping[object, float] | pd.Series,
    ballots: ArrayLike | None = None,
    confidence: float = 0.95,
) -> PVTEstimate:
    """Stratified ratio estimate of each option's share from a sample of stations.

    ``votes``: sampled stations x options (NaN counts as 0); ``strata``: stratum label per
    sampled station; ``population``: number of stations N_h per stratum (the whole
    population); ``ballots``: ballots per sampled station (default: the row sums, so the
    shares add to 1). A stratum with a single sampled station gets the pooled within-stratum
    variance; strata with none are left out (their stations counted in
    ``uncovered_stations``).
    """
    y = np.nan_to_num(votes.to_numpy(float), nan=0.0)
    x = y.sum(axis=1) if ballots is None else np.nan_to_num(np.asarray(ballots, float), nan=0.0)
    lab = pd.Series(np.asarray(strata, dtype=object))
    pop = pd.Series(population, dtype=float)
    missing = set(lab.unique()) - set(pop.index)
    if missing:
        raise ValueError(f"sampled strata missing from population: {sorted(map(str, missing))}")
    codes, names = pd.factorize(lab)
    m = len(names)
    big_n = pop.reindex(names).to_numpy(float)
    n_h = np.bincount(codes, minlength=m).astype(float)
    if np.any(n_h > big_n):
        raise ValueError("a stratum has more sampled stations than its population")
    w = big_n / n_h  # expansion weight per sampled station in stratum h
    wi = w[codes]
    y_tot = (wi[:, None] * y).sum(axis=0)
    x_tot = float((wi * x).sum())
    share = y_tot / x_tot
    z = (y - share[None, :] * x[:, None]) / x_tot  # (n, k)
    zbar = np.stack([np.bincount(codes, z[:, j], m) for j in range(z.shape[1])], 1) / n_h[:, None]
    dev2 = (z - zbar[codes]) ** 2
    ss = np.stack([np.bincount(codes, dev2[:, j], m) for j in range(z.shape[1])], 1)
    dfree = n_h - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = ss / dfree[:, None]
    if np.any(dfree < 1):
        pooled = ss[dfree >= 1].sum(axis=0) / max(dfree[dfree >= 1].sum(), 1)
        s2[dfree < 1] = pooled
    fpc = 1.0 - n_h / big_n
    var = (big_n**2 * fpc / n_h)[:, None] * s2
    se = np.sqrt(var.sum(axis=0))
    zq = stats.norm.ppf(0.5 + confidence / 2)
    moe = zq * se
    uncovered = int(pop.drop(index=list(names), errors="ignore").sum())
    return PVTEstimate(
        options=tuple(str(c) for c in votes.columns),
        shares=share,
        se=se,
        moe=moe,
        ci=np.stack([share - moe, share + moe], axis=1),
        votes=y_tot,
        ballots=x_tot,
        n=len(y),
        n_strata=m,
        uncovered_stations=uncovered,
        confidence=confidence,
    )


def allocate(sizes: pd.Series, n: int) -> pd.Series:
    """Proportional allocation of ``n`` sampled units to strata of ``sizes`` (largest
    remainder; never more than a stratum holds)."""
    total = float(sizes.sum())
    if not 0 <= n <= total:
        raise ValueError(f"cannot sample {n} of {int(total)} stations")
    exact = sizes.to_numpy(float) * n / total
    alloc = np.floor(exact).astype(int)
    rest = n - alloc.sum()
    order = np.lexsort((np.arange(len(exact)), -(exact - alloc)))
    alloc[order[:rest]] += 1
    return pd.Series(np.minimum(alloc, sizes.to_numpy(int)), index=sizes.index)


def draw_sample(stations: pd.DataFrame, n: int, strata: list[str], seed: int) -> pd.DataFrame:
    """A stratified simple random sample of ``n`` stations, allocated proportionally.

    Stations are grouped by the ``strata`` columns; each stratum gets its largest-remainder
    share of ``n`` and its stations are drawn without replacement. The same ``seed`` (and
    station frame) gives the same sample. Returned rows keep the frame's order and columns.
    """
    if not strata:
        keys = pd.Series("all", index=stations.index)
    else:
        keys = stations[strata].astype(str).agg("|".join, axis=1)
    codes, names = pd.factorize(keys, sort=True)
    sizes = pd.Series(np.bincount(codes, minlength=len(names)), index=names)
    alloc = allocate(sizes, n).to_numpy()
    rng = np.random.default_rng(seed)
    # a random key per station; take the alloc_h smallest keys within each stratum
    order = np.lexsort((rng.random(len(codes)), codes))
    start = np.searchsorted(codes[order], np.arange(len(names)))
    rank = np.empty(len(codes), dtype=int)
    rank[order] = np.arange(len(codes)) - start[codes[order]]
    chosen = rank < alloc[codes]
    return stations.iloc[np.flatnonzero(chosen)]


def collapse_strata(
    levels: Sequence[ArrayLike], in_sample: ArrayLike, min_n: int = 2
) -> np.ndarray:
    """Stratum labels where every stratum has at least ``min_n`` sampled stations.

    ``levels``: nested labels, finest first (e.g. from ``clean.stratum_labels``). A stratum
    with too few sampled stations is merged with the other thin strata of its parent
    (label ``"<parent>|~"``), and so on up to one national residual stratum ``"~"``.
    """
    sample = np.asarray(in_sample, dtype=bool)
    labels = np.asarray(levels[0], dtype=object).copy()
    parents = [np.asarray(lv, dtype=object) for lv in levels[1:]] + [
        np.full(len(labels), "", dtype=object)
    ]
    for parent in parents:
        counts = pd.Series(sample.astype(int)).groupby(labels).transform("sum").to_numpy()
        thin = counts < min_n
        if not thin.any():
            break
        labels[thin] = np.array([f"{p}|~" if p else "~" for p in parent[thin]], dtype=object)
    return labels
