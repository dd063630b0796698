"""Clean-station extrapolation: the stratified ratio (prediction) estimator.

Model, per option j and stratum s (region x settlement type): a voter of option j at a
station of stratum s leaves evidence (declares the choice, or photographs the ballot) with a
probability rate[s, j] that does not depend on whether the station's count was falsified.
Then E[evidence_ij] = rate[s, j] * true_votes_ij, so true votes are predicted by
R[s, j] * evidence_ij with R = 1 / rate, learnt at clean stations, where official = true.

Where a stratum holds little evidence of an option (a small candidate in a small stratum),
its ratio is pooled towards a main-effects model rate[s, j] = a[j] * b[s]: the option's
national rate times the stratum's overall participation level (which the plentiful evidence
of the other options pins down; thin strata borrow b from their settlement type, then the
nation). The pooling strength is estimated from the data (empirical Bayes, method of
moments). Pooling towards a plain coarser-level ratio instead would be biased: the strata
with little evidence are those with low participation, i.e. high ratios.

The total is the clean stations' own counts plus the predictions for every other
station-option. Uncertainty: a stratified bootstrap of the clean stations (the ratios'
sampling error) plus a multivariate normal draw for the prediction noise of the predicted
stations, with the residual covariance between options per unit of station size estimated
from the clean stations by settlement type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from honestcount.results import DEFAULT_LEVEL, tail_quantiles


@dataclass(frozen=True)
class RatioEstimate:
    """Result of :func:`ratio_estimate`.

    Arrays are per option, in ``options`` order. ``shares`` are fractions of the estimated
    true ballots cast (the sum of all options' estimated votes). ``share_ci``/``votes_ci`` have
    shape (k, 2). ``ratios``: the pooled ratio (votes per unit of evidence) per finest stratum
    and option. ``dispersion``: residual variance per unit of station size, per option;
    ``deviation_strength``: the pooling strength nu per option. ``by_group``: long frame with
    ``group, option, votes, share, ci_low, ci_high, votes_ci_low, votes_ci_high``.
    """

    options: tuple[str, ...]
    votes: np.ndarray
    shares: np.ndarray
    share_ci: np.ndarray
    votes_ci: np.ndarray
    ballots: float
    ballots_ci: tuple[float, float]
    n_clean: int
    n_boot: int
    ratios: pd.DataFrame
    dispersion: np.ndarray
    deviation_strength: np.ndarray
    by_group: pd.DataFrame

    def table(self) -> pd.DataFrame:
        """National results, one row per option."""
        return pd.DataFrame(
            {
                "votes": self.votes,
                "share": self.shares,
                "ci_low": self.share_ci[:, 0],
                "ci_high": self.share_ci[:, 1],
                "votes_ci_low": self.votes_ci[:, 0],
                "votes_ci_high": self.votes_ci[:, 1],
            },
            index=pd.Index(self.options, name="option"),
        )


@dataclass(frozen=True)
class _Hierarchy:
    codes: list[np.ndarray]  # per level: code of each station
    parents: list[np.ndarray]  # per level except the top: parent code of each stratum
    names: list[np.ndarray]  # per level: label of each code


def _hierarchy(strata: Sequence[ArrayLike], n: int) -> _Hierarchy:
    if not strata:
        strata = [np.zeros(n, dtype=int)]
    codes, names, parents = [], [], []
    for lab in strata:
        c, u = pd.factorize(pd.Series(np.asarray(lab, dtype=object)), sort=True)
        if len(c) != n:
            raise ValueError("each strata level must have one label per station")
        codes.append(c.astype(np.intp))
        names.append(np.asarray(u, dtype=object))
    for lvl in range(len(codes) - 1):
        fine, coarse = codes[lvl], codes[lvl + 1]
        par = np.full(len(names[lvl]), -1, dtype=np.intp)
        par[fine] = coarse
        if not np.array_equal(par[fine], coarse):
            raise ValueError("strata levels must nest (use clean.stratum_labels)")
        parents.append(par)
    return _Hierarchy(codes, parents, names)


def _level_sums(x: np.ndarray, h: _Hierarchy) -> list[np.ndarray]:
    """Finest-level sums (..., S0, k) aggregated to every level of the hierarchy."""
    out = [x]
    for lvl, par in enumerate(h.parents):
        a = np.zeros((len(par), len(h.names[lvl + 1])))
        a[np.arange(len(par)), par] = 1.0
        out.append(np.einsum("...sk,st->...tk", out[-1], a))
    return out


def _main_rates(
    so: np.ndarray, sd: np.ndarray, h: _Hierarchy, lam: float, n_iter: int = 12
) -> np.ndarray:
    """Participation rates under the main-effects model rate[s, j] = a[j] * b[s].

    ``a``: each option's national rate; ``b``: the stratum's participation level relative to
    the nation (observed / expected evidence, all options together), shrunk towards the
    parent level's ``b`` with ``lam`` pseudo units of evidence. Fitted by iterative
    proportional fitting; leading (bootstrap) dimensions allowed.
    """
    los, lds = _level_sums(so, h), _level_sums(sd, h)
    with np.errstate(invalid="ignore", divide="ignore"):
        a = sd.sum(axis=-2, keepdims=True) / so.sum(axis=-2, keepdims=True)  # (..., 1, k)
    a = np.nan_to_num(a, nan=0.0, posinf=0.0)
    top = len(los) - 1
    for _ in range(n_iter):
        b = np.ones(los[top].shape[:-1])
        for lvl in range(top, -1, -1):
            b_parent = b if lvl == top else b[..., h.parents[lvl]]
            expected = (los[lvl] * a).sum(axis=-1)
            b = (lds[lvl].sum(axis=-1) + lam * b_parent) / (expected + lam)
        with np.errstate(invalid="ignore", divide="ignore"):
            a = sd.sum(axis=-2, keepdims=True) / (so * b[..., None]).sum(axis=-2, keepdims=True)
        a = np.nan_to_num(a, nan=0.0, posinf=0.0)
    return np.asarray(a * b[..., None])


def _ratios(
    so: np.ndarray, sd: np.ndarray, h: _Hierarchy, nu: np.ndarray, lam: float
) -> np.ndarray:
    """Votes per unit of evidence per finest stratum and option (leading dims allowed).

    Shrinkage: the stratum's own ratio sum(official) / sum(evidence) is pooled with the
    main-effects ratio 1 / (a[j] * b[s]) as if ``nu`` units of evidence had been observed at
    the main-effects rate: (sum official + nu / main rate) / (sum evidence + nu). ``nu`` is
    the prior strength of a Gamma(nu, nu) deviation of the option's rate in the stratum.
    """
    pm = _main_rates(so, sd, h, lam)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (so + nu / pm) / (sd + nu)
    return np.asarray(r)


def _deviation_strength(so: np.ndarray, sd: np.ndarray, pm: np.ndarray) -> np.ndarray:
    """Moment estimate of nu per option: Var(evidence) = mu + mu^2 / nu across strata."""
    mu = so * pm
    with np.errstate(invalid="ignore", divide="ignore"):
        inv = (((sd - mu) ** 2 - sd) * (mu > 0)).sum(axis=0) / (mu**2).sum(axis=0)
        nu = 1.0 / inv
    return np.clip(np.where(np.isfinite(nu) & (nu > 0), nu, 1e4), 2.0, 1e4)


def _unit_covariance(
    resid: np.ndarray,
    size: np.ndarray,
    clean: np.ndarray,
    codes: np.ndarray,
    m: int,
    min_n: int = 30,
) -> np.ndarray:
    """Covariance of the clean stations' residual vectors per unit of station size, per
    stratum of ``codes`` (national where a stratum has fewer than ``min_n`` clean stations)."""
    k = resid.shape[1]
    outer = resid[:, :, None] * resid[:, None, :]
    nat_n = max(int(clean.sum()), 1)
    nat = outer[clean].sum(axis=0) / max(size[clean].sum(), 1e-9) * nat_n / max(nat_n - 1, 1)
    out = np.empty((m, k, k))
    for t in range(m):
        sel = clean & (codes == t)
        n_t = int(sel.sum())
        if n_t < min_n or size[sel].sum() <= 0:
            out[t] = nat
        else:
            out[t] = outer[sel].sum(axis=0) / size[sel].sum() * n_t / (n_t - 1)
    return out


def _chol(cov: np.ndarray) -> np.ndarray:
    """Cholesky factors of a stack of covariance matrices (symmetric square root if singular)."""
    vals, vecs = np.linalg.eigh(cov)
    return np.asarray(vecs * np.sqrt(np.clip(vals, 0.0, None))[..., None, :])


def _colsum(codes: np.ndarray, values: np.ndarray, m: int) -> np.ndarray:
    """Sum the rows of ``values`` (n, k) by ``codes`` into (m, k)."""
    return np.stack([np.bincount(codes, values[:, j], m) for j in range(values.shape[1])], 1)


def _impute(e: np.ndarray, codes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Fill unknown evidence with the mean of the finest stratum that has any (per option).

    Returns the filled array and the within-stratum variance used (0 where observed)."""
    filled = e.copy()
    var = np.zeros_like(e)
    miss = np.isnan(e)
    if not miss.any():
        return filled, var
    for c in codes:
        todo = np.isnan(filled)
        if not todo.any():
            break
        m = int(c.max()) + 1 if c.size else 0
        obs = ~miss
        ev = np.where(obs, e, 0.0)
        cnt = _colsum(c, obs.astype(float), m)
        s1 = _colsum(c, ev, m)
        s2 = _colsum(c, ev**2, m)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = s1 / cnt
            v = np.maximum(s2 / cnt - mean**2, 0.0)
        fill = todo & ~np.isnan(mean[c])
        filled[fill] = mean[c][fill]
        var[fill] = v[c][fill]
    filled[np.isnan(filled)] = 0.0
    return filled, var


@dataclass(frozen=True)
class _Fitted:
    """The point fit of the ratios and what the bootstrap and the totals need from it."""

    options: tuple[str, ...]
    h: _Hierarchy
    clean: np.ndarray  # (n,) bool
    known: np.ndarray  # (n, k): clean station-options with official count and evidence
    ko: np.ndarray  # official counts where known, else 0
    ke: np.ndarray  # (imputed) evidence where known, else 0
    e_fill: np.ndarray  # evidence with unknowns imputed
    e_var: np.ndarray  # the imputation variance
    o: np.ndarray
    nu: np.ndarray
    r0: np.ndarray  # (s0, k) pooled ratios


def _fit(
    official: pd.DataFrame,
    evidence: pd.DataFrame,
    clean: ArrayLike,
    strata: Sequence[ArrayLike],
    pool_strength: float | None,
    level_strength: float,
) -> _Fitted:
    options = tuple(str(c) for c in official.columns)
    if list(evidence.columns) != list(official.columns):
        evidence = evidence.reindex(columns=official.columns)
    o = official.to_numpy(float)
    e = evidence.to_numpy(float)
    n, k = o.shape
    clean_a = np.asarray(clean, dtype=bool)
    h = _hierarchy(strata, n)
    code0 = h.codes[0]
    s0 = len(h.names[0])
    known = clean_a[:, None] & ~np.isnan(o) & ~np.isnan(e)
    # an option with no evidence at all at clean stations: predict per station instead
    no_ev = (np.where(known, e, 0.0).sum(axis=0) <= 0) & (np.where(known, o, 0.0).sum(axis=0) > 0)
    if no_ev.any():
        e = e.copy()
        e[:, no_ev] = 1.0
    e_fill, e_var = _impute(e, h.codes)
    ko = np.where(known, o, 0.0)
    ke = np.where(known, e_fill, 0.0)
    so = _colsum(code0, ko, s0)
    sd = _colsum(code0, ke, s0)
    if pool_strength is None:
        nu = _deviation_strength(so, sd, _main_rates(so, sd, h, level_strength))
    else:
        nu = np.full(k, float(pool_strength))
    r0 = _ratios(so, sd, h, nu, level_strength)  # (s0, k)
    r0 = np.where(np.isfinite(r0), r0, 0.0)
    return _Fitted(options, h, clean_a, known, ko, ke, e_fill, e_var, o, nu, r0)


def _group_codes(groups: ArrayLike | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    if groups is None:
        return np.zeros(n, dtype=np.intp), np.array(["all"], dtype=object)
    codes, names = pd.factorize(pd.Series(np.asarray(groups, dtype=object)), sort=True)
    return codes.astype(np.intp), np.asarray(names, dtype=object)


def _noise_factors(
    f: _Fitted, taken: np.ndarray, g_codes: np.ndarray, ng: int
) -> tuple[np.ndarray, np.ndarray]:
    """Cholesky factors of the prediction noise per group, and the dispersion per option.

    The residual covariance per vote of station size is learnt at the clean stations, by the
    coarsest stratum level, and scaled by the predicted votes of each group."""
    code0, k = f.h.codes[0], f.o.shape[1]
    pred = np.where(taken, 0.0, f.r0[code0] * f.e_fill)  # predicted votes (n, k)
    resid = np.where(f.known, f.o - f.r0[code0] * f.e_fill, 0.0)
    size_c = np.where(f.clean, f.ko.sum(axis=1), 0.0)
    size_u = pred.sum(axis=1)
    top = f.h.codes[-1]
    n_top = len(f.h.names[-1])
    cov_unit = _unit_covariance(resid, size_c, f.clean, top, n_top)  # (n_top, k, k)
    w_gt = np.bincount(g_codes * n_top + top, size_u, ng * n_top).reshape(ng, n_top)
    imp_var = _colsum(g_codes, f.r0[code0] ** 2 * f.e_var * ~taken, ng)
    noise_cov = np.einsum("gt,tjk->gjk", w_gt, cov_unit)
    noise_cov[:, np.arange(k), np.arange(k)] += imp_var
    disp = np.einsum("tjj->tj", cov_unit).mean(axis=0)
    return _chol(noise_cov), np.asarray(disp)


def _bootstrap_clean_sums(
    f: _Fitted, n_boot: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Official and evidence sums per finest stratum, clean stations resampled within strata."""
    code0, s0, k = f.h.codes[0], len(f.h.names[0]), f.o.shape[1]
    clean_idx = np.flatnonzero(f.clean)
    order = clean_idx[np.argsort(code0[clean_idx], kind="stable")]
    so_b = np.zeros((n_boot, s0, k))
    sd_b = np.zeros((n_boot, s0, k))
    if order.size and n_boot:
        bounds = np.searchsorted(code0[order], np.arange(s0 + 1))
        vals = np.concatenate([f.ko[order], f.ke[order]], axis=1)  # (n_clean, 2k)
        for s in range(s0):
            lo, hi = bounds[s], bounds[s + 1]
            m = hi - lo
            if m == 0:
                continue
            w = rng.multinomial(m, np.full(m, 1.0 / m), size=n_boot).astype(float)
            agg = w @ vals[lo:hi]
            so_b[:, s, :] = agg[:, :k]
            sd_b[:, s, :] = agg[:, k:]
    return so_b, sd_b


def _summarize(
    point: np.ndarray, reps: np.ndarray, q: tuple[float, float], interval: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shares of ``point`` and the bootstrap intervals of shares and votes."""
    with np.errstate(invalid="ignore", divide="ignore"):
        share = point / point.sum()
        share_b = reps / reps.sum(axis=1, keepdims=True)
    if len(reps) == 0:  # no bootstrap: no interval
        return share, np.full((len(point), 2), np.nan), np.full((len(point), 2), np.nan)
    sq = np.nanquantile(share_b, q, axis=0).T
    vq = np.quantile(reps, q, axis=0).T
    if interval == "basic":  # reflect the bootstrap quantiles around the estimate
        sq = 2 * share[:, None] - sq[:, ::-1]
        vq = 2 * point[:, None] - vq[:, ::-1]
    return share, sq, vq


def _group_rows(
    g_names: np.ndarray,
    options: tuple[str, ...],
    total_g: np.ndarray,
    tot_b: np.ndarray,
    q: tuple[float, float],
    interval: str,
) -> pd.DataFrame:
    rows = []
    for gi, gname in enumerate(g_names):
        gs, gci, gvci = _summarize(total_g[gi], tot_b[:, gi, :], q, interval)
        for j, opt in enumerate(options):
            rows.append(
                {
                    "group": gname,
                    "option": opt,
                    "votes": float(total_g[gi, j]),
                    "share": float(gs[j]),
                    "ci_low": float(gci[j, 0]),
                    "ci_high": float(gci[j, 1]),
                    "votes_ci_low": float(gvci[j, 0]),
                    "votes_ci_high": float(gvci[j, 1]),
                }
            )
    return pd.DataFrame(rows)


def ratio_estimate(
    official: pd.DataFrame,
    evidence: pd.DataFrame,
    clean: ArrayLike,
    strata: Sequence[ArrayLike],
    groups: ArrayLike | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    pool_strength: float | None = None,
    level_strength: float = 50.0,
    confidence: float = DEFAULT_LEVEL,
    interval: str = "percentile",
    keep_clean_counts: bool = True,
) -> RatioEstimate:
    """Estimate each option's true national (and per-group) votes and shares.

    ``official`` and ``evidence`` are stations x options (same columns, NaN = unknown);
    ``clean`` a boolean per station; ``strata`` nested label arrays, finest first (the nation
    is the implicit top); ``groups`` (e.g. region) must not cut across the finest strata
    for per-group noise to be right. ``pool_strength`` (nu) is the number of evidence units
    (e.g. declarations) at the main-effects rate added to each stratum and option: a stratum
    with much less evidence of an option than that takes its ratio mostly from the main-effects
    model; None estimates it per option. ``level_strength`` does the same for the stratum
    participation levels b (all options together) towards the coarser level's. ``interval``:
    ``"percentile"`` or ``"basic"`` bootstrap interval at level ``confidence``; ``n_boot=0``
    gives no interval.
    """
    f = _fit(official, evidence, clean, strata, pool_strength, level_strength)
    code0, s0, k = f.h.codes[0], len(f.h.names[0]), f.o.shape[1]
    g_codes, g_names = _group_codes(groups, len(f.clean))
    ng = len(g_names)
    # the station-options whose total is the clean count itself; all others are predicted
    taken = f.known if keep_clean_counts else np.zeros_like(f.known)
    unk = np.where(taken, 0.0, f.e_fill)
    u = _colsum(code0 * ng + g_codes, unk, s0 * ng).reshape(s0, ng, k)
    fixed = _colsum(g_codes, np.where(taken, f.o, 0.0), ng)  # (ng, k)
    noise_chol, disp = _noise_factors(f, taken, g_codes, ng)
    total_g = fixed + np.einsum("sk,sgk->gk", f.r0, u)  # (ng, k)

    rng = np.random.default_rng(seed)
    so_b, sd_b = _bootstrap_clean_sums(f, n_boot, rng)
    r_b = _ratios(so_b, sd_b, f.h, f.nu, level_strength)
    r_b = np.where(np.isfinite(r_b), r_b, f.r0[None])
    tot_b = fixed[None] + np.einsum("bsk,sgk->bgk", r_b, u)
    tot_b = tot_b + np.einsum("bgk,gjk->bgj", rng.standard_normal(tot_b.shape), noise_chol)
    tot_b = np.maximum(tot_b, 0.0)

    q = tail_quantiles(confidence)
    nat_point = total_g.sum(axis=0)
    nat_b = tot_b.sum(axis=1)
    share, share_ci, votes_ci = _summarize(nat_point, nat_b, q, interval)
    ballots_b = nat_b.sum(axis=1)
    ratios = pd.DataFrame(
        f.r0, index=pd.Index(f.h.names[0], name="stratum"), columns=list(f.options)
    )
    return RatioEstimate(
        options=f.options,
        votes=nat_point,
        shares=share,
        share_ci=share_ci,
        votes_ci=votes_ci,
        ballots=float(nat_point.sum()),
        ballots_ci=(
            (float(np.quantile(ballots_b, q[0])), float(np.quantile(ballots_b, q[1])))
            if n_boot
            else (float("nan"), float("nan"))
        ),
        n_clean=int(f.clean.sum()),
        n_boot=int(n_boot),
        ratios=ratios,
        dispersion=disp,
        deviation_strength=f.nu,
        by_group=_group_rows(g_names, f.options, total_g, tot_b, q, interval),
    )
