"""Tables of the leader's-share density under a fraud class, rebuilt each EM iteration.

For a fraud class, the leader's share ``q`` of the non-manufactured valid votes mixes the
honest share ``nu`` (logit-normal) with the stolen proportion ``s`` (Beta on the class range):
``1 - q = (1 - s)(1 - nu)``. The tables hold the log-density of ``logit q`` on a fine grid, and
the conditional expectations the E-step needs, for a grid of linear predictors ``mu``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from honestcount.forensics.mixture.model import LOG2PI, LOG_FLOOR, Params, StationData, expit

# table functions: 0 log D, then E[f | y] for f in the list below
TAB_BASE = ("zs", "zs2", "lu", "l1u")
TAB_FINAL = ("g", "g2", "gzs", "gzs2", "glu", "gl1u")  # g = s (1 - nu) / q: stolen / (W - M)


@dataclass
class Tables:
    tab: np.ndarray  # (2 classes, F, n_mu, n_y)
    names: tuple[str, ...]
    y0: float
    dy: float
    n_y: int
    mu0: float
    dmu: float
    n_mu: int
    flat: list[np.ndarray] = field(default_factory=list)  # per class (n_mu * n_y, F)


def _s_cells(a: float, b: float, lo: float, hi: float, n_cells: int) -> tuple[np.ndarray, ...]:
    """Cells of the Beta(a, b) proportion, fine at both ends: probabilities and midpoints."""
    lg = np.linspace(-11.0, 11.0, n_cells - 1)
    edges = np.concatenate([[0.0], expit(lg), [1.0]])
    mid_lg = np.concatenate([[lg[0] - 0.5], 0.5 * (lg[1:] + lg[:-1]), [lg[-1] + 0.5]])
    prob = np.diff(special.betainc(a, b, edges))
    u = expit(mid_lg)
    log_u = -np.logaddexp(0.0, -mid_lg)
    log_1mu = -np.logaddexp(0.0, mid_lg)
    keep = prob > 1e-300
    return prob[keep], lo + (hi - lo) * u[keep], log_u[keep], log_1mu[keep]


def _grids(th: Params, d: StationData) -> tuple[np.ndarray, float, np.ndarray, float]:
    """The grid of ``logit q`` (``y``, step ``dy``) and of linear predictors ``mu``."""
    # the E-step evaluates logit(q) at yhat +- sqrt(3 v) with v <= 4 and yhat in this range
    dy = 0.025
    y0 = math.floor((float(np.log(0.5 / (d.others.max() + 0.5))) - 3.6) / dy) * dy
    y1 = float(d.w_hat.max()) + 3.6
    y = np.arange(y0, y1 + dy, dy)
    mu_s = d.Xs @ th.beta_s
    lo_mu, hi_mu = float(mu_s.min()), float(mu_s.max())
    if hi_mu - lo_mu < 1e-9:
        return y, dy, np.array([lo_mu]), 1.0
    mus = np.linspace(lo_mu, hi_mu, 41)
    return y, dy, mus, float(mus[1] - mus[0])


def _class_rows(
    ld: np.ndarray, z: np.ndarray, g: np.ndarray, lu: np.ndarray, l1u: np.ndarray, final: bool
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """For one ``mu``: log D per ``y``, the conditional sums, and their normaliser."""
    mx = np.max(ld, axis=1)
    mx_safe = np.where(np.isfinite(mx), mx, 0.0)
    wgt = np.exp(ld - mx_safe[:, None])
    tot = wgt.sum(axis=1)
    good = tot > 0
    with np.errstate(divide="ignore"):
        logd = np.log(np.where(good, tot, 1.0)) + mx_safe
    logd = np.where(good, np.maximum(logd, LOG_FLOOR), LOG_FLOOR)
    inv = np.where(good, 1.0 / np.where(good, tot, 1.0), 0.0)
    wz = wgt * z
    res = {
        "zs": wz.sum(axis=1),
        "zs2": (wz * z).sum(axis=1),
        "lu": wgt @ lu,
        "l1u": wgt @ l1u,
    }
    if final:
        wg = wgt * g
        wgz = wg * z
        res.update(
            g=wg.sum(axis=1),
            g2=(wg * g).sum(axis=1),
            gzs=wgz.sum(axis=1),
            gzs2=(wgz * z).sum(axis=1),
            glu=wg @ lu,
            gl1u=wg @ l1u,
        )
    return logd, res, inv


def build_tables(
    th: Params, d: StationData, ranges: np.ndarray, final: bool, n_cells: int = 200
) -> Tables:
    """The tables for the current parameters (``final`` adds the stolen-vote expectations)."""
    names = ("logD",) + TAB_BASE + (TAB_FINAL if final else ())
    y, dy, mus, dmu = _grids(th, d)
    n_y = len(y)
    log_q = -np.logaddexp(0.0, -y)
    log_1mq = -np.logaddexp(0.0, y)
    one_m_q = np.exp(log_1mq)
    tab = np.zeros((2, len(names), len(mus), n_y))
    sig = th.sig_s
    for c in range(2):
        lo, hi = ranges[c]
        a, b = th.shape[c, 1]
        prob, s, lu, l1u = _s_cells(a, b, lo, hi, n_cells)
        one_m_s = 1.0 - s
        # 1 - nu = (1 - q) / (1 - s); nu = 1 - that
        one_m_nu = one_m_q[:, None] / one_m_s[None, :]
        nu = 1.0 - one_m_nu
        ok = (nu > 1e-300) & (one_m_nu > 1e-300)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_nu = np.log(np.where(ok, nu, 1.0))
            log_1mnu = np.log(np.where(ok, one_m_nu, 1.0))
        z = log_nu - log_1mnu
        log_jac = log_q[:, None] + log_1mq[:, None] - np.log(one_m_s)[None, :] - log_nu - log_1mnu
        log_jac += np.log(prob)[None, :] - math.log(sig) - 0.5 * LOG2PI
        log_jac[~ok] = -np.inf
        g = s[None, :] * one_m_nu / np.exp(log_q)[:, None]  # stolen share of leader's votes
        for j, mu in enumerate(mus):
            ld = log_jac - 0.5 * ((z - mu) / sig) ** 2
            tab[c, 0, j], res, inv = _class_rows(ld, z, g, lu, l1u, final)
            for f, name in enumerate(names[1:], start=1):
                tab[c, f, j] = res[name] * inv
    flat = [np.ascontiguousarray(tab[c].reshape(len(names), -1).T) for c in range(2)]
    return Tables(tab, names, float(y[0]), dy, n_y, float(mus[0]), dmu, len(mus), flat)


def lookup(tables: Tables, c: int, y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Linear (in y) / bilinear (y, mu) interpolation; returns ``y.shape + (F,)``."""
    t = tables.flat[c]  # (n_mu * n_y, F)
    fy = (y - tables.y0) / tables.dy
    iy = np.clip(np.floor(fy), 0, tables.n_y - 2).astype(np.int64)
    wy = np.clip(fy - iy, 0.0, 1.0)[..., None]
    if tables.n_mu == 1:
        lo = t[iy]
        out: np.ndarray = lo + (t[iy + 1] - lo) * wy
    else:
        fm = (mu - tables.mu0) / tables.dmu
        im = np.clip(np.floor(fm), 0, tables.n_mu - 2).astype(np.int64)
        wm = np.clip(fm - im, 0.0, 1.0)
        im = im.reshape(im.shape + (1,) * (y.ndim - im.ndim))
        wm = wm.reshape(wm.shape + (1,) * (y.ndim - wm.ndim))[..., None]
        base = im * tables.n_y + iy
        v00 = t[base]
        v10 = t[base + tables.n_y]
        out = (v00 + (t[base + 1] - v00) * wy) * (1 - wm)
        out += (v10 + (t[base + tables.n_y + 1] - v10) * wy) * wm
    outside = (fy < 0) | (fy > tables.n_y - 1)
    if outside.any():
        out[..., 0][outside] = LOG_FLOOR
    return out
