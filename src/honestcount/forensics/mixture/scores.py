"""Per-station complete-data scores (for the empirical information) and Wald intervals."""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from honestcount.forensics.mixture.model import Params, StationData
from honestcount.results import Estimate, Interval, z_value


def score_map(d: StationData, th: Params, mom: np.ndarray) -> np.ndarray:
    """Complete-data scores, linear in the moments: (n, 3, NMOM) -> (n, 3, P)."""
    n = mom.shape[0]
    p_t, p_s = d.Xt.shape[1], d.Xs.shape[1]
    P = 2 + p_t + 1 + p_s + 1 + 8
    out = np.zeros((n, 3, P))
    mu_t = d.Xt @ th.beta_t
    mu_s = d.Xs @ th.beta_s
    st2, ss2 = th.sig_t**2, th.sig_s**2
    pi = np.maximum(th.pi, 1e-12)
    for c in range(3):
        mv = mom[:, c]
        w = mv[:, 0]
        out[:, c, 0] = ((c == 1) / pi[1] - (c == 0) / pi[0]) * w
        out[:, c, 1] = ((c == 2) / pi[2] - (c == 0) / pi[0]) * w
        i = 2
        out[:, c, i : i + p_t] = d.Xt * ((mv[:, 1] - mu_t * w) / st2)[:, None]
        i += p_t
        out[:, c, i] = (mv[:, 2] - 2 * mu_t * mv[:, 1] + mu_t**2 * w) / st2 - w
        i += 1
        out[:, c, i : i + p_s] = d.Xs * ((mv[:, 3] - mu_s * w) / ss2)[:, None]
        i += p_s
        out[:, c, i] = (mv[:, 4] - 2 * mu_s * mv[:, 3] + mu_s**2 * w) / ss2 - w
        i += 1
        if c > 0:
            j = i + 4 * (c - 1)
            for dim, (k1, k2) in enumerate(((5, 6), (7, 8))):
                a, b = th.shape[c - 1, dim]
                dab = special.digamma(a + b)
                out[:, c, j + 2 * dim] = a * (mv[:, k1] - (special.digamma(a) - dab) * w)
                out[:, c, j + 2 * dim + 1] = b * (mv[:, k2] - (special.digamma(b) - dab) * w)
    return out


def wald(
    est: float, se: float, level: float, lo: float = -math.inf, hi: float = math.inf
) -> Estimate:
    """``est ± z·se`` at ``level``, clipped to ``[lo, hi]`` (no interval without an se)."""
    if not math.isfinite(se):
        return Estimate(est, Interval(math.nan, math.nan, level), se)
    z = z_value(level)
    return Estimate(est, Interval(max(lo, est - z * se), min(hi, est + z * se), level), se)


def log_scale(est: float, se_log: float, level: float) -> Estimate:
    """A positive quantity with the se ``se_log`` of its logarithm: the interval is Wald on
    the log scale, the se by the delta method."""
    z = z_value(level)
    return Estimate(
        est, Interval(est * math.exp(-z * se_log), est * math.exp(z * se_log), level), est * se_log
    )
