"""The EM driver, accelerated by SQUAREM (Varadhan & Roland 2008)."""

from __future__ import annotations

import math

import numpy as np

from honestcount.forensics.mixture.estep import estep
from honestcount.forensics.mixture.model import Params, StationData
from honestcount.forensics.mixture.mstep import mstep


def _clip_vector(v: np.ndarray, shape_bounds: tuple[float, float]) -> np.ndarray:
    v = v.copy()
    v[:2] = np.clip(v[:2], 1e-8, 1.0)
    if v[0] + v[1] > 1.0 - 1e-8:
        v[:2] *= (1.0 - 1e-8) / (v[0] + v[1])
    v[-8:] = np.clip(v[-8:], math.log(shape_bounds[0]), math.log(shape_bounds[1]))
    return v


def run_em(
    d: StationData,
    th: Params,
    ranges: np.ndarray,
    nodes: np.ndarray,
    shape_bounds: tuple[float, float],
    tol: float,
    max_iter: int,
    param_tol: float = 2e-4,
) -> tuple[Params, float, int, bool]:
    """EM with SQUAREM steps and a monotonicity fallback: (parameters, log-likelihood,
    evaluations, converged)."""
    p_t, p_s = d.Xt.shape[1], d.Xs.shape[1]

    def em_map(t: Params) -> tuple[Params, float]:
        e = estep(d, t, ranges, nodes)
        return mstep(d, e, t, shape_bounds), e.loglik

    n_eval = 0
    ll_old = ll1 = -np.inf
    converged = False
    while n_eval < max_iter:
        th1, ll0 = em_map(th)
        th2, ll1 = em_map(th1)
        n_eval += 2
        v0, v1, v2 = th.vector(), th1.vector(), th2.vector()
        small_ll = abs(ll1 - ll0) < tol * d.n and abs(ll0 - ll_old) < 10 * tol * d.n
        # the node approximation makes the log-likelihood slightly rough, so also stop when the
        # parameters no longer move
        if small_ll or np.max(np.abs(v2 - v0)) < param_tol:
            th, converged = th2, True
            break
        r = v1 - v0
        v = v2 - v1 - r
        nv = np.linalg.norm(v)
        alpha = -float(np.linalg.norm(r) / nv) if nv > 0 else -1.0
        alpha = min(alpha, -1.0)
        th_next = th2
        if alpha < -1.0:
            vp = _clip_vector(v0 - 2 * alpha * r + alpha * alpha * v, shape_bounds)
            thp = Params.from_vector(vp, p_t, p_s)
            th3, llp = em_map(thp)
            n_eval += 1
            if np.isfinite(llp) and llp >= ll1:
                th_next = th3
        ll_old = ll1
        th = th_next
    return th, ll1, n_eval, converged
