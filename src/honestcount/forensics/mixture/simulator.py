"""Elections drawn from the mixture model, with the latent truth (for validation)."""

from __future__ import annotations

import numpy as np

from honestcount.forensics.mixture.model import expit, logit
from honestcount.forensics.mixture.results import SimulatedMixture


def simulate_mixture(
    n_stations: int,
    pi: tuple[float, float, float] | np.ndarray = (0.85, 0.1, 0.05),
    *,
    turnout: float = 0.55,
    share: float = 0.5,
    sigma_turnout: float = 0.25,
    sigma_share: float = 0.25,
    incremental: tuple[float, float] = (0.0, 0.7),
    extreme: tuple[float, float] = (0.7, 1.0),
    shape_incremental: tuple[tuple[float, float], tuple[float, float]] = ((3.0, 3.0), (3.0, 3.0)),
    shape_extreme: tuple[tuple[float, float], tuple[float, float]] = ((4.0, 2.0), (4.0, 2.0)),
    registered: tuple[int, int] | np.ndarray = (500, 2500),
    invalid_rate: float = 0.01,
    n_covariates: int = 0,
    beta_covariates: float = 0.3,
    seed: int | None = None,
) -> SimulatedMixture:
    """Draw station counts from the mixture model (see the package docstring).

    ``turnout`` and ``share`` are the medians of the honest turnout and leader's share (the
    intercepts are their logits); ``shape_*`` give Beta ``(a, b)`` for ``(m, s)`` on the class
    range; ``registered`` is a ``(low, high)`` uniform range or an array of station sizes.
    With ``n_covariates`` > 0, standard-normal covariates enter both linear predictors with
    coefficient ``beta_covariates`` and are returned in ``x``.
    """
    rng = np.random.default_rng(seed)
    weights = np.asarray(pi, dtype=float)
    if weights.shape != (3,) or np.any(weights < 0) or abs(weights.sum() - 1) > 1e-9:
        raise ValueError("pi must be three non-negative weights summing to 1")
    n = int(n_stations)
    if isinstance(registered, tuple):
        n_reg = rng.integers(registered[0], registered[1] + 1, size=n)
    else:
        n_reg = np.asarray(registered, dtype=np.int64)
        if n_reg.shape != (n,):
            raise ValueError("registered must have one size per station")
    x = rng.standard_normal((n, n_covariates)) if n_covariates else None
    eta_t = np.full(n, logit(turnout))
    eta_s = np.full(n, logit(share))
    if x is not None:
        eta_t = eta_t + x @ np.full(n_covariates, beta_covariates)
        eta_s = eta_s + x @ np.full(n_covariates, -beta_covariates)
    shapes = np.array([shape_incremental, shape_extreme], dtype=float)
    ranges = np.array([incremental, extreme], dtype=float)
    invalid = np.full(n, float(invalid_rate))
    v, k, w, cls, manufactured, stolen = draw_counts(
        rng, n_reg, eta_t, eta_s, sigma_turnout, sigma_share, weights, ranges, shapes, invalid
    )
    params = {
        "pi": weights.tolist(),
        "turnout": turnout,
        "share": share,
        "sigma_turnout": sigma_turnout,
        "sigma_share": sigma_share,
        "incremental": incremental,
        "extreme": extreme,
        "shape_incremental": shape_incremental,
        "shape_extreme": shape_extreme,
        "invalid_rate": invalid_rate,
        "beta_covariates": beta_covariates if n_covariates else None,
    }
    return SimulatedMixture(
        registered=n_reg.astype(float),
        ballots_cast=v,
        valid=k,
        leader=w,
        true_class=cls,
        manufactured=manufactured.astype(float),
        stolen=stolen.astype(float),
        x=x,
        params=params,
    )


def draw_counts(
    rng: np.random.Generator,
    n_reg: np.ndarray,
    eta_t: np.ndarray,
    eta_s: np.ndarray,
    sig_t: float,
    sig_s: float,
    pi: np.ndarray,
    ranges: np.ndarray,
    shapes: np.ndarray,
    invalid_rate: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """One draw of (ballots cast, valid, leader, class, manufactured, stolen) per station."""
    n = len(n_reg)
    n_reg = np.asarray(n_reg, dtype=np.int64)
    tau = expit(eta_t + sig_t * rng.standard_normal(n))
    nu = expit(eta_s + sig_s * rng.standard_normal(n))
    cls = rng.choice(3, size=n, p=pi)
    m = np.zeros(n)
    s = np.zeros(n)
    for c in (1, 2):
        k = cls == c
        lo, hi = ranges[c - 1]
        a_m, b_m = (float(v) for v in shapes[c - 1, 0])
        a_s, b_s = (float(v) for v in shapes[c - 1, 1])
        m[k] = lo + (hi - lo) * rng.beta(a_m, b_m, size=k.sum())
        s[k] = lo + (hi - lo) * rng.beta(a_s, b_s, size=k.sum())
    v0 = rng.binomial(n_reg, tau)
    manufactured = rng.binomial(n_reg - v0, m)
    k0 = v0 - rng.binomial(v0, np.clip(invalid_rate, 0.0, 1.0))
    w0 = rng.binomial(k0, nu)
    stolen = rng.binomial(k0 - w0, s)
    return (
        (v0 + manufactured).astype(float),
        (k0 + manufactured).astype(float),
        (w0 + stolen + manufactured).astype(float),
        cls,
        manufactured.astype(float),
        stolen.astype(float),
    )
