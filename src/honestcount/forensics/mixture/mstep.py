"""The M-step: closed form for the weights and regressions, a concave fit for each Beta."""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from honestcount.forensics.mixture.estep import EStep
from honestcount.forensics.mixture.model import Params, StationData


def beta_mle(g1: float, g2: float, start: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    """Maximise (a-1) g1 + (b-1) g2 - log B(a, b) over a, b in ``bounds`` (concave; Newton)."""
    lo, hi = bounds
    p = np.clip(np.asarray(start, dtype=float), lo, hi)

    def obj(q: np.ndarray) -> float:
        return float((q[0] - 1) * g1 + (q[1] - 1) * g2 - special.betaln(q[0], q[1]))

    f = obj(p)
    for _ in range(60):
        a, b = p
        dab, tab = special.digamma(a + b), special.polygamma(1, a + b)
        grad = np.array([g1 - special.digamma(a) + dab, g2 - special.digamma(b) + dab])
        hess = np.array(
            [[-special.polygamma(1, a) + tab, tab], [tab, -special.polygamma(1, b) + tab]]
        )
        # project on active bounds
        free = ~(((p <= lo) & (grad < 0)) | ((p >= hi) & (grad > 0)))
        if not free.any():
            break
        step = np.zeros(2)
        step[free] = -np.linalg.solve(hess[np.ix_(free, free)], grad[free])
        t = 1.0
        while t > 1e-6:
            q = np.clip(p + t * step, lo, hi)
            fq = obj(q)
            if fq >= f - 1e-12:
                break
            t *= 0.5
        if t <= 1e-6:
            break
        done = np.max(np.abs(q - p)) < 1e-8 * (1 + np.max(p))
        p, f = q, fq
        if done:
            break
    return np.asarray(p)


def mstep(d: StationData, e: EStep, th: Params, shape_bounds: tuple[float, float]) -> Params:
    """The parameters that maximise the expected complete-data log-likelihood given ``e``."""
    r = e.r
    pi = np.maximum(r.mean(axis=0), 1e-8)
    pi /= pi.sum()
    m = np.einsum("nc,ncj->nj", r, e.mom)  # overall posterior moments
    out = th.copy()
    out.pi = pi
    for beta_name, sig_name, X, j1, j2 in (
        ("beta_t", "sig_t", d.Xt, 1, 2),
        ("beta_s", "sig_s", d.Xs, 3, 4),
    ):
        ez, ez2 = m[:, j1], m[:, j2]
        beta = np.linalg.lstsq(X, ez, rcond=None)[0]
        mu = X @ beta
        var = np.mean(ez2 - 2 * mu * ez + mu * mu)
        setattr(out, beta_name, beta)
        setattr(out, sig_name, float(math.sqrt(max(var, 1e-8))))
    for c in (1, 2):
        w = r[:, c]
        tw = w.sum()
        if tw < 1e-3:
            continue
        for dim, (j1, j2) in enumerate(((5, 6), (7, 8))):
            g1 = float(np.dot(w, e.mom[:, c, j1]) / tw)
            g2 = float(np.dot(w, e.mom[:, c, j2]) / tw)
            out.shape[c - 1, dim] = beta_mle(g1, g2, th.shape[c - 1, dim], shape_bounds)
    return out
