"""The public fit: EM, then the empirical information and every derived quantity.

Uncertainty: the empirical (score outer-product) observed information from per-station scores
by Fisher's identity (Louis 1982; Meilijson 1989), the delta method for derived quantities,
plus the posterior spread of the latent votes for vote totals.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from honestcount.defaults import ANALYSIS
from honestcount.forensics.mixture.em import run_em
from honestcount.forensics.mixture.estep import EStep, estep
from honestcount.forensics.mixture.model import (
    Params,
    StationData,
    initial,
    param_names,
    prepare,
)
from honestcount.forensics.mixture.results import (
    CLASSES,
    BetaShape,
    FitInputs,
    FraudClass,
    MixtureFit,
)
from honestcount.forensics.mixture.scores import log_scale, score_map, wald
from honestcount.results import Estimate


@dataclass(frozen=True)
class _Information:
    """Per-station scores (by class and overall), the free parameters and their covariance."""

    sc_c: np.ndarray  # (n, 3, P)
    sc: np.ndarray  # (n, P)
    free: np.ndarray  # (P,) bool: parameters not on a bound (their covariance is estimated)
    cov: np.ndarray  # (P, P)
    se: np.ndarray  # (P,)
    shapes_at: int  # index of the first Beta shape parameter


def _converge(
    d: StationData,
    ranges: np.ndarray,
    nodes: np.ndarray,
    shape_bounds: tuple[float, float],
    tol: float,
    param_tol: float,
    max_iter: int,
    warm_start: int,
    seed: int,
) -> tuple[Params, int, bool]:
    """EM from the starting values, first on a subsample when there are many stations."""
    th = initial(d)
    n_iter = 0
    if warm_start and d.n > 1.5 * warm_start:
        rng = np.random.default_rng(seed)
        sub = d.take(np.sort(rng.choice(d.n, size=warm_start, replace=False)))
        th, _, k, _ = run_em(
            sub, th, ranges, nodes, shape_bounds, 10 * tol, max_iter, 5 * param_tol
        )
        n_iter += k
    th, _, k, converged = run_em(d, th, ranges, nodes, shape_bounds, tol, max_iter, param_tol)
    return th, n_iter + k, converged


def _information(
    d: StationData, th: Params, e: EStep, shape_bounds: tuple[float, float]
) -> _Information:
    """Scores by Fisher's identity and the inverse of their outer product over the free
    parameters (shapes at a bound, or of a class with too few stations, are held fixed)."""
    p_t, p_s = d.Xt.shape[1], d.Xs.shape[1]
    P = len(param_names(p_t, p_s))
    sc_c = score_map(d, th, e.mom)  # (n, 3, P)
    sc = np.einsum("nc,ncp->np", e.r, sc_c)
    free = np.ones(P, dtype=bool)
    base = 2 + p_t + 1 + p_s + 1
    lo_b, hi_b = math.log(shape_bounds[0]), math.log(shape_bounds[1])
    for c in (1, 2):
        for dim in range(2):
            for ab in range(2):
                j = base + 4 * (c - 1) + 2 * dim + ab
                val = math.log(th.shape[c - 1, dim, ab])
                if e.r[:, c].sum() < 5 or val - lo_b < 1e-4 or hi_b - val < 1e-4:
                    free[j] = False
    for c in (1, 2):
        if e.r[:, c].sum() < 1e-6:
            free[c - 1] = False
    J = sc[:, free].T @ sc[:, free]
    cov = np.zeros((P, P))
    try:
        cov_free = np.linalg.inv(J)
        if not np.all(np.isfinite(cov_free)):
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        cov_free = np.linalg.pinv(J, rcond=1e-12)
    cov[np.ix_(free, free)] = cov_free
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    return _Information(sc_c, sc, free, cov, se, base)


def _weights(th: Params, info: _Information, level: float) -> dict[str, Estimate]:
    g0 = np.zeros(len(info.se))
    g0[:2] = -1.0
    se_pi = [math.sqrt(max(float(g0 @ info.cov @ g0), 0.0)), info.se[0], info.se[1]]
    return {
        k: wald(float(th.pi[i]), float(se_pi[i]), level, 0.0, 1.0) for i, k in enumerate(CLASSES)
    }


def _vote_total(
    d: StationData,
    th: Params,
    e: EStep,
    info: _Information,
    mom_x: np.ndarray,
    second: np.ndarray,
    level: float,
) -> tuple[Estimate, np.ndarray, np.ndarray]:
    """Manufactured or stolen votes: the total, with the parameter uncertainty (covariance
    identity for the gradient) plus the latent uncertainty; and per station mean and sd."""
    r = e.r
    e_x = np.einsum("nc,nc->n", r, mom_x[:, :, 0])
    var_x = np.maximum(np.einsum("nc,nc->n", r, second) - e_x**2, 0.0)
    sc_x = np.einsum("nc,ncp->np", r, score_map(d, th, mom_x))
    grad = (sc_x - e_x[:, None] * info.sc).sum(axis=0)
    var = float(grad @ info.cov @ grad + var_x.sum())
    total = wald(float(e_x.sum()), math.sqrt(max(var, 0.0)), level, 0.0)
    return total, e_x, np.sqrt(var_x)


def _fraud_classes(
    th: Params, ranges: np.ndarray, info: _Information, level: float
) -> dict[str, FraudClass]:
    out = {}
    for c, cname in ((1, "incremental"), (2, "extreme")):
        lo, hi = (float(v) for v in ranges[c - 1])
        shapes = []
        for dim in range(2):
            a, b = (float(v) for v in th.shape[c - 1, dim])
            j = info.shapes_at + 4 * (c - 1) + 2 * dim
            # mean proportion lo + (hi - lo) a / (a + b); gradient w.r.t. (log a, log b)
            mean = lo + (hi - lo) * a / (a + b)
            gm = (hi - lo) * np.array([a * b, -a * b]) / (a + b) ** 2
            sm = math.sqrt(max(float(gm @ info.cov[j : j + 2, j : j + 2] @ gm), 0.0))
            se = sm if info.free[j] or info.free[j + 1] else math.nan
            shapes.append(BetaShape(a, b, wald(mean, se, level, lo, hi)))
        out[cname] = FraudClass((lo, hi), shapes[0], shapes[1])
    return out


def fit_mixture(
    registered: np.ndarray,
    ballots_cast: np.ndarray,
    valid: np.ndarray,
    leader: np.ndarray,
    *,
    x_turnout: np.ndarray | None = None,
    x_share: np.ndarray | None = None,
    incremental: tuple[float, float] = (0.0, 0.7),
    extreme: tuple[float, float] = (0.7, 1.0),
    shape_bounds: tuple[float, float] = (1.5, 50.0),
    n_nodes: int = 15,
    tol: float = 1e-7,
    param_tol: float = 2e-4,
    max_iter: int = 400,
    warm_start: int = 20000,
    min_registered: int = 20,
    seed: int = 0,
    level: float = ANALYSIS.confidence_level,
) -> MixtureFit:
    """Fit the three-class fraud mixture by EM (see the package docstring for the model).

    Inputs are per-station counts (NaN = unknown; such stations and impossible rows, e.g.
    ballots > registered, are left out and reported in ``n_excluded``). Optional covariates
    ``x_turnout``/``x_share`` (n x p, no intercept column) enter the honest turnout and share.
    EM stops when the log-likelihood changes by less than ``tol`` per station or the parameters
    (weights, coefficients, log-spreads, log-shapes) by less than ``param_tol`` over two
    iterations. With more than ``warm_start`` stations, EM first converges on a random
    subsample of that size (``seed``) and then continues on all stations. Intervals are Wald
    intervals at confidence ``level``.
    """
    t_start = time.perf_counter()
    ranges = np.array([incremental, extreme], dtype=float)
    if not (0 <= ranges[0, 0] < ranges[0, 1] <= ranges[1, 0] < ranges[1, 1] <= 1):
        raise ValueError(
            "need 0 <= incremental[0] < incremental[1] <= extreme[0] < extreme[1] <= 1"
        )
    d, used = prepare(registered, ballots_cast, valid, leader, x_turnout, x_share, min_registered)
    if d.n < 50:
        raise ValueError(f"only {d.n} usable stations; the mixture model needs at least 50")
    nodes = np.linspace(-4.5, 4.5, n_nodes)
    th, n_iter, converged = _converge(
        d, ranges, nodes, shape_bounds, tol, param_tol, max_iter, warm_start, seed
    )
    e = estep(d, th, ranges, nodes, final=True)
    info = _information(d, th, e, shape_bounds)
    p_t, p_s = d.Xt.shape[1], d.Xs.shape[1]
    # station-level: class probabilities and their delta-method se
    r = e.r
    prob_se = np.empty_like(r)
    for c in range(3):
        grad = r[:, c : c + 1] * (info.sc_c[:, c] - info.sc)
        prob_se[:, c] = np.sqrt(np.maximum(np.einsum("np,pq,nq->n", grad, info.cov, grad), 0.0))
    manufactured, e_m, sd_m = _vote_total(d, th, e, info, e.mom_m, e.m2, level)
    stolen, e_s, sd_s = _vote_total(d, th, e, info, e.mom_s, e.s2, level)
    ls_t, ls_s = float(info.se[2 + p_t]), float(info.se[2 + p_t + 1 + p_s])

    def expand(a: np.ndarray) -> np.ndarray:
        out = np.full((len(used),) + a.shape[1:], np.nan)
        out[used] = a
        return out

    return MixtureFit(
        pi=_weights(th, info, level),
        beta_turnout=th.beta_t.copy(),
        beta_share=th.beta_s.copy(),
        beta_turnout_se=info.se[2 : 2 + p_t].copy(),
        beta_share_se=info.se[3 + p_t : 3 + p_t + p_s].copy(),
        sigma_turnout=log_scale(th.sig_t, ls_t, level),
        sigma_share=log_scale(th.sig_s, ls_s, level),
        fraud_proportions=_fraud_classes(th, ranges, info, level),
        manufactured_votes=manufactured,
        stolen_votes=stolen,
        station_probabilities=expand(r),
        station_probabilities_se=expand(prob_se),
        manufactured=expand(e_m),
        manufactured_sd=expand(sd_m),
        stolen=expand(e_s),
        stolen_sd=expand(sd_s),
        used=used,
        loglik=e.loglik,
        n_iter=n_iter,
        converged=converged,
        n_stations=d.n,
        n_excluded=int(len(used) - d.n),
        param_names=param_names(p_t, p_s),
        params=th.vector(),
        cov=info.cov,
        seconds=time.perf_counter() - t_start,
        settings={
            "incremental": list(incremental),
            "extreme": list(extreme),
            "shape_bounds": list(shape_bounds),
            "n_nodes": n_nodes,
            "tol": tol,
            "warm_start": warm_start,
            "min_registered": min_registered,
            "intervals": "Wald, empirical (score outer-product) information, delta method",
        },
        inputs=FitInputs(
            registered=np.asarray(registered, dtype=float),
            ballots_cast=np.asarray(ballots_cast, dtype=float),
            valid=np.asarray(valid, dtype=float),
            leader=np.asarray(leader, dtype=float),
            x_turnout=None if x_turnout is None else np.asarray(x_turnout, dtype=float),
            x_share=None if x_share is None else np.asarray(x_share, dtype=float),
            ranges=ranges,
            params=th,
        ),
    )
