"""Klimek's parametric fraud model of the election fingerprint (Klimek, Yegorov, Hanel & Thurner,
"Statistical detection of systematic election irregularities", PNAS 109(41):16469, 2012).

Model-based anomaly estimates, not findings of fraud: see ``NOTE`` and docs/mixture-models.md.

Parametrisation (as in the paper and its published fitting code; station ``i``)

* Honest turnout ``t_i ~ Normal(t0, sd_t)`` and leader's share ``v_i ~ Normal(v0, sd_v)``, both
  truncated to (0, 1) and independent. ``t0, v0`` are the centre (mode) of the clean part of the
  fingerprint and ``sd_t, sd_v`` its spread, estimated from the stations *below* the mode of the
  turnout and of the share (fraud only moves stations up, so that side is clean).
* With probability ``f_incremental`` a station has incremental fraud of intensity
  ``x ~ |Normal(0, sigma_x)|`` (truncated below 1); with probability ``f_extreme`` extreme fraud
  with ``x = 1 - |Normal(0, 0.075)|``. A fraction ``x`` of the non-voters is added to the
  leader's votes (ballot stuffing) and a fraction ``x ** alpha`` of the other options' votes is
  moved to the leader:
  ``turnout = t + x (1 - t)``, ``share = (t v + x (1 - t) + x**alpha t (1 - v)) / turnout``.

Fit: with the clean parameters fixed, ``(f_incremental, f_extreme)`` maximise the multinomial
likelihood of the observed turnout x share histogram (a concave problem, solved by Newton) for
each ``(alpha, sigma_x)``, which are found by a grid search refined by Nelder-Mead. The expected
histogram is computed deterministically from quantile nodes of the clean and fraud-intensity
distributions with cloud-in-cell binning, so the objective is smooth. Intervals: percentiles of
a parametric bootstrap (histograms drawn from the fitted model, clean parameters re-estimated,
model refitted). Goodness of fit: the deviance of the histogram and its parametric-bootstrap
p-value. Binomial noise and station sizes are not modelled, as in the paper.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import optimize, special

from honestcount.defaults import ANALYSIS
from honestcount.results import Estimate, Interval, Skipped

if TYPE_CHECKING:
    from honestcount.model import ElectionData

NOTE = (
    "Model-based anomaly estimates, not findings of fraud. f_incremental and f_extreme are the "
    "fractions of stations that Klimek et al.'s simple model needs to reproduce the fingerprint; "
    "a smear towards high turnout and share can also come from misspecification (clean turnout "
    "or support that is not normal, heterogeneous regions, special polling stations) or from "
    "strategic or mobilised voting, and the model's fit should be judged by its goodness of fit."
)

SIGMA_EXTREME = 0.075
_ALPHA_BOUNDS = (0.1, 10.0)
_SIGMA_X_BOUNDS = (0.1, 1.0)  # below 0.1 incremental fraud is a sub-bin shift: unidentified


@dataclass(frozen=True)
class KlimekSimulation:
    """Stations drawn from the model; ``true_class``: 0 clean, 1 incremental, 2 extreme."""

    turnout: np.ndarray
    share: np.ndarray
    true_class: np.ndarray
    intensity: np.ndarray


@dataclass(frozen=True)
class KlimekFit:
    """Result of :func:`fit_klimek`. Histograms are (turnout bin, share bin) station counts."""

    f_incremental: Estimate
    f_extreme: Estimate
    alpha: Estimate
    sigma_x: Estimate
    turnout_mean: float
    turnout_sd: float
    share_mean: float
    share_sd: float
    observed: np.ndarray
    fitted: np.ndarray
    fair: np.ndarray
    edges: np.ndarray
    deviance: float
    df: int
    gof_pvalue: float
    n_stations: int
    n_bootstrap: int
    seconds: float
    note: str = NOTE

    def summary(self) -> dict[str, Any]:
        return {
            "f_incremental": self.f_incremental.as_dict(),
            "f_extreme": self.f_extreme.as_dict(),
            "alpha": self.alpha.as_dict(),
            "sigma_x": self.sigma_x.as_dict(),
            "clean": {
                "turnout_mean": self.turnout_mean,
                "turnout_sd": self.turnout_sd,
                "share_mean": self.share_mean,
                "share_sd": self.share_sd,
            },
            "goodness_of_fit": {
                "deviance": self.deviance,
                "df": self.df,
                "bootstrap_p_value": self.gof_pvalue,
                "p_value_floor": 1.0 / (self.n_bootstrap + 1) if self.n_bootstrap else None,
            },
            "n_stations": self.n_stations,
            "n_bootstrap": self.n_bootstrap,
            "bins": int(len(self.edges) - 1),
            "seconds": round(self.seconds, 3),
            "note": self.note,
        }


# --------------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------------


def _truncnorm_ppf(u: np.ndarray, mean: float, sd: float) -> np.ndarray:
    lo = special.ndtr((0.0 - mean) / sd)
    hi = special.ndtr((1.0 - mean) / sd)
    return np.asarray(np.clip(mean + sd * special.ndtri(lo + u * (hi - lo)), 0.0, 1.0))


def _halfnormal_below_one_ppf(u: np.ndarray, sd: float) -> np.ndarray:
    """Quantiles of |Normal(0, sd)| conditioned on being < 1."""
    top = 2.0 * special.ndtr(1.0 / sd) - 1.0
    return np.asarray(np.minimum(sd * special.ndtri(0.5 + 0.5 * u * top), 1.0 - 1e-12))


def _apply_fraud(
    t: np.ndarray, v: np.ndarray, x: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    turnout = t + x * (1.0 - t)
    leader = t * v + x * (1.0 - t) + x**alpha * t * (1.0 - v)
    return turnout, np.clip(leader / np.maximum(turnout, 1e-300), 0.0, 1.0)


def simulate_klimek(
    n_stations: int,
    f_incremental: float,
    f_extreme: float,
    alpha: float = 1.0,
    *,
    turnout_mean: float = 0.55,
    turnout_sd: float = 0.08,
    share_mean: float = 0.5,
    share_sd: float = 0.08,
    sigma_x: float = 0.3,
    registered: np.ndarray | None = None,
    seed: int | None = None,
) -> KlimekSimulation:
    """Draw stations from the model (module docstring). With ``registered`` (one size per
    station) turnout and leader's votes are binomial counts, otherwise exact fractions."""
    if f_incremental < 0 or f_extreme < 0 or f_incremental + f_extreme > 1:
        raise ValueError("need f_incremental, f_extreme >= 0 with sum <= 1")
    rng = np.random.default_rng(seed)
    n = int(n_stations)
    t = _truncnorm_ppf(rng.random(n), turnout_mean, turnout_sd)
    v = _truncnorm_ppf(rng.random(n), share_mean, share_sd)
    cls = rng.choice(3, size=n, p=[1 - f_incremental - f_extreme, f_incremental, f_extreme])
    x = np.zeros(n)
    k = cls == 1
    x[k] = _halfnormal_below_one_ppf(rng.random(k.sum()), sigma_x)
    k = cls == 2
    x[k] = 1.0 - _halfnormal_below_one_ppf(rng.random(k.sum()), SIGMA_EXTREME)
    turnout, share = _apply_fraud(t, v, x, alpha)
    if registered is not None:
        reg = np.asarray(registered, dtype=np.int64)
        ballots = rng.binomial(reg, turnout)
        turnout = ballots / reg
        share = rng.binomial(ballots, share) / np.maximum(ballots, 1)
    return KlimekSimulation(turnout, share, cls, x)


def fingerprint(turnout: np.ndarray, share: np.ndarray, bins: int = 100) -> np.ndarray:
    """Station counts on a ``bins`` x ``bins`` grid of turnout (rows) x leader's share."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    t, v = np.clip(turnout, 0, 1), np.clip(share, 0, 1)
    return np.asarray(np.histogram2d(t, v, bins=[edges, edges])[0])


def _deposit(t: np.ndarray, v: np.ndarray, weight: np.ndarray, bins: int) -> np.ndarray:
    """Cloud-in-cell histogram (mass shared linearly between neighbouring bin centres)."""
    out = np.zeros(bins * bins)
    pt = t * bins - 0.5
    pv = v * bins - 0.5
    it = np.floor(pt)
    iv = np.floor(pv)
    ft = pt - it
    fv = pv - iv
    it = it.astype(np.int64)
    iv = iv.astype(np.int64)
    for dt, wt in ((0, 1 - ft), (1, ft)):
        a = np.clip(it + dt, 0, bins - 1)
        for dv, wv in ((0, 1 - fv), (1, fv)):
            b = np.clip(iv + dv, 0, bins - 1)
            out += np.bincount(a * bins + b, weights=weight * wt * wv, minlength=bins * bins)
    return out.reshape(bins, bins)


@dataclass
class _Clean:
    t0: float
    st: float
    v0: float
    sv: float


class _Model:
    """Expected fingerprints (bin probabilities) of the clean, incremental and extreme parts.

    For a fixed fraud intensity ``x`` the turnout map ``t -> x + (1 - x) t`` is affine and,
    given ``t``, so is the share map ``v -> a + b v`` (``b >= 0``). Honest turnout is split
    into the fingerprint's own bins (exact truncated-normal masses, each mapped interval shared
    between the bins it overlaps); the share given each turnout cell is mapped exactly (bin
    masses from the truncated-normal CDF); intensities are cells with exact masses. Intensity 0
    reproduces the fair histogram exactly, and all histograms are smooth in the parameters.
    """

    def __init__(self, bins: int, n_inc: int = 36, n_ext: int = 24) -> None:
        self.bins = bins
        self.edges = np.linspace(0.0, 1.0, bins + 1)
        self.n_inc = n_inc
        # extreme: 1 - |N(0, 0.075)| on (0.7, 1); cells fine near x = 1, where the mass is
        d = 0.3 * np.linspace(0.0, 1.0, n_ext + 1) ** 2  # 1 - x
        c = 2.0 * special.ndtr(d / SIGMA_EXTREME) - 1.0
        self.x_ext = 1.0 - 0.5 * (d[1:] + d[:-1])
        self.w_ext = np.diff(c) / c[-1]

    def _incremental_nodes(self, sigma_x: float, alpha: float) -> tuple[np.ndarray, np.ndarray]:
        # |N(0, sigma_x)| below 1 (mass beyond 4.5 sd ignored); for alpha < 1 the cells are
        # finer near 0, where x ** alpha is steep
        top = min(1.0, 4.5 * sigma_x)
        power = min(3.0, max(1.0, 1.0 / alpha))
        e = top * np.linspace(0.0, 1.0, self.n_inc + 1) ** power
        c = 2.0 * special.ndtr(e / sigma_x) - 1.0
        return 0.5 * (e[1:] + e[:-1]), np.diff(c) / c[-1]

    def components(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        t0, st, v0, sv, alpha, sigma_x = _unpack(theta)
        edges, bins = self.edges, self.bins
        xi, wi = self._incremental_nodes(sigma_x, alpha)
        x = np.concatenate([[0.0], xi, self.x_ext])
        wx = np.concatenate([[1.0], wi, self.w_ext])
        comp = np.concatenate([[0], np.ones(len(xi), int), np.full(len(self.x_ext), 2)])
        ct = special.ndtr((edges - t0) / st)
        wt = np.diff(ct) / (ct[-1] - ct[0])  # honest turnout mass per bin
        use = wt > 1e-7 * wt.max()
        lo, hi, wt = edges[:-1][use], edges[1:][use], wt[use] / wt[use].sum()
        tc = 0.5 * (lo + hi)
        # mapped turnout interval of each (x, cell), shared between the bins it overlaps
        xx = x[:, None]
        a = xx + (1 - xx) * lo[None, :]
        b = xx + (1 - xx) * hi[None, :]
        k = np.minimum(np.floor(a * bins).astype(np.int64), bins - 1)
        split = np.clip((np.minimum(b, (k + 1) / bins) - a) / np.maximum(b - a, 1e-300), 0, 1)
        # share given the cell centre: v' = off + slope * v, v ~ N(v0, sv) on (0, 1)
        tcc = tc[None, :]
        tp = xx + (1 - xx) * tcc
        xa = xx**alpha
        off = (xx * (1 - tcc) + xa * tcc) / tp
        slope = tcc * (1 - xa) / tp
        z0, z1 = special.ndtr(-v0 / sv), special.ndtr((1 - v0) / sv)
        u = (edges[None, None, :] - off[..., None]) / np.maximum(slope[..., None], 1e-300)
        cdf = (special.ndtr((np.clip(u, 0.0, 1.0) - v0) / sv) - z0) / (z1 - z0)
        degenerate = slope < 1e-12
        if degenerate.any():  # all mass at v' = off
            cdf[degenerate] = (edges[None, :] >= off[degenerate][:, None]).astype(float)
        cdf[..., 0] = 0.0
        cdf[..., -1] = 1.0
        mass = (wx[:, None] * wt[None, :])[..., None] * np.diff(cdf, axis=-1)
        base = (comp[:, None] * bins * bins + k * bins)[..., None] + np.arange(bins)
        sm = split[..., None]
        n3 = 3 * bins * bins
        out = np.bincount(base.ravel(), weights=(mass * sm).ravel(), minlength=n3)
        up = base + np.where(k < bins - 1, bins, 0)[..., None]
        out += np.bincount(up.ravel(), weights=(mass * (1 - sm)).ravel(), minlength=n3)
        h = out.reshape(3, bins, bins)
        return h[0], h[1], h[2]


def _pack(clean: _Clean, alpha: float, sigma_x: float) -> np.ndarray:
    return np.array(
        [
            clean.t0,
            math.log(clean.st),
            clean.v0,
            math.log(clean.sv),
            math.log(alpha),
            math.log(sigma_x),
        ]
    )


def _unpack(theta: np.ndarray) -> tuple[float, ...]:
    return (
        float(np.clip(theta[0], 0.01, 0.99)),
        float(np.clip(math.exp(theta[1]), 0.003, 0.5)),
        float(np.clip(theta[2], 0.01, 0.99)),
        float(np.clip(math.exp(theta[3]), 0.003, 0.5)),
        float(np.clip(math.exp(theta[4]), *_ALPHA_BOUNDS)),
        float(np.clip(math.exp(theta[5]), *_SIGMA_X_BOUNDS)),
    )


def _fit_weights(
    obs: np.ndarray, h0: np.ndarray, h1: np.ndarray, h2: np.ndarray, start: np.ndarray
) -> tuple[np.ndarray, float]:
    """Maximise sum O log((1-f1-f2) h0 + f1 h1 + f2 h2) over the simplex (projected Newton)."""
    m = obs > 0
    o, a0, d1, d2 = obs[m], h0[m], h1[m] - h0[m], h2[m] - h0[m]
    eps = 1e-12  # probability floor for observed cells the model cannot produce

    def ll(f: np.ndarray) -> float:
        return float(np.sum(o * np.log(np.maximum(a0 + f[0] * d1 + f[1] * d2, eps))))

    def project(f: np.ndarray) -> np.ndarray:
        f = np.clip(f, 0.0, 1.0)
        s = f.sum()
        return f / s if s > 1.0 else f

    f = project(np.asarray(start, dtype=float))
    cur = ll(f)
    for _ in range(100):
        p = np.maximum(a0 + f[0] * d1 + f[1] * d2, eps)
        w = o / p
        g = np.array([np.dot(w, d1), np.dot(w, d2)])
        w2 = w / p
        hess = -np.array(
            [[np.dot(w2, d1 * d1), np.dot(w2, d1 * d2)], [np.dot(w2, d1 * d2), np.dot(w2, d2 * d2)]]
        )
        free = ~((f <= 0) & (g < 0))
        step = np.zeros(2)
        if free.any():
            hf = hess[np.ix_(free, free)]
            hf = hf - (1e-9 * abs(np.trace(hf)) + 1e-300) * np.eye(free.sum())
            step[free] = -np.linalg.lstsq(hf, g[free], rcond=1e-12)[0]
        t = 1.0
        while t > 1e-8:
            nf = project(f + t * step)
            nl = ll(nf)
            if nl >= cur - 1e-10:
                break
            t *= 0.5
        if t <= 1e-8 or np.max(np.abs(nf - f)) < 1e-10:
            f, cur = (nf, nl) if nl > cur else (f, cur)
            break
        f, cur = nf, nl
    return f, cur


def _clean_from_hist(obs: np.ndarray) -> _Clean:
    """Klimek's recipe: centre = mode of the smoothed marginal (top 3 % excluded), spread from
    the stations below it."""
    bins = obs.shape[0]
    centers = (np.arange(bins) + 0.5) / bins
    width = 1.0 / bins
    out = []
    for marg in (obs.sum(axis=1), obs.sum(axis=0)):
        k = np.arange(-4, 5)
        kern = np.exp(-0.5 * (k / 1.0) ** 2)
        sm = np.convolve(marg, kern / kern.sum(), mode="same")
        top = int(math.floor(0.97 * bins))
        j = int(np.argmax(sm[:top]))
        mode = centers[j]
        if 0 < j < bins - 1:
            y0, y1, y2 = sm[j - 1], sm[j], sm[j + 1]
            den = y0 - 2 * y1 + y2
            if den < 0:
                mode += 0.5 * (y0 - y2) / den * width
        below = centers < mode
        w = marg[below]
        if w.sum() < 5:
            sd = 0.05
        else:
            sd = math.sqrt(max(np.sum(w * (centers[below] - mode) ** 2) / w.sum(), 0.0))
            sd = math.sqrt(max(sd * sd - width * width / 12.0, (0.25 * width) ** 2))
        out.append((float(mode), float(sd)))
    return _Clean(out[0][0], out[0][1], out[1][0], out[1][1])


class _Objective:
    """Profile log-likelihood in theta (clean + alpha, sigma_x), weights fitted inside."""

    def __init__(self, obs: np.ndarray, model: _Model) -> None:
        self.obs = obs
        self.model = model
        self.f = np.array([0.05, 0.01])
        self.best: tuple[float, np.ndarray, np.ndarray] = (-np.inf, np.zeros(6), self.f)
        self.n_eval = 0

    def __call__(self, theta: np.ndarray) -> float:
        self.n_eval += 1
        h0, h1, h2 = self.model.components(theta)
        f, ll = _fit_weights(self.obs, h0, h1, h2, self.f)
        self.f = f
        if ll > self.best[0]:
            self.best = (ll, np.array(theta, dtype=float), f)
        return -ll


def _fit_theta(
    obs: np.ndarray, model: _Model, start: np.ndarray, grid: bool, max_eval: int
) -> tuple[np.ndarray, np.ndarray, float]:
    obj = _Objective(obs, model)
    if grid:  # (alpha, sigma_x) grid at the starting clean parameters
        best, best_val = start, np.inf
        for la in np.log([0.3, 0.6, 1.0, 1.6, 2.5, 4.0]):
            for ls in np.log([0.05, 0.1, 0.2, 0.35, 0.6]):
                th = start.copy()
                th[4:] = (la, ls)
                val = obj(th)
                if val < best_val:
                    best, best_val = th, val
        start = best
    bounds = [
        (0.01, 0.99),
        (math.log(0.003), math.log(0.5)),
        (0.01, 0.99),
        (math.log(0.003), math.log(0.5)),
        tuple(np.log(_ALPHA_BOUNDS)),
        tuple(np.log(_SIGMA_X_BOUNDS)),
    ]
    start = np.array([min(max(v, lo), hi) for v, (lo, hi) in zip(start, bounds, strict=True)])
    optimize.minimize(
        obj,
        start,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxfun": max_eval, "eps": 1e-6, "ftol": 1e-10, "gtol": 1e-4},
    )
    ll, theta, f = obj.best
    return theta, f, ll


def _whitening(obj: _Objective, theta: np.ndarray) -> np.ndarray:
    """L with L L' ~ inverse Hessian of -loglik at theta (finite differences, eigenvalues
    floored), so that refits in z, theta = theta_hat + L z, are well conditioned."""
    p = len(theta)
    h = np.array([2e-3, 1e-2, 2e-3, 1e-2, 2e-2, 2e-2])
    f0 = obj(theta)
    fp = np.array([obj(theta + h[i] * np.eye(p)[i]) for i in range(p)])
    fm = np.array([obj(theta - h[i] * np.eye(p)[i]) for i in range(p)])
    hess = np.diag((fp + fm - 2 * f0) / h**2)
    for i in range(p):
        for j in range(i + 1, p):
            e = h[i] * np.eye(p)[i] + h[j] * np.eye(p)[j]
            e2 = h[i] * np.eye(p)[i] - h[j] * np.eye(p)[j]
            val = (obj(theta + e) + obj(theta - e) - obj(theta + e2) - obj(theta - e2)) / (
                4 * h[i] * h[j]
            )
            hess[i, j] = hess[j, i] = val
    lam, vec = np.linalg.eigh(0.5 * (hess + hess.T))
    lam = np.maximum(lam, 1e-6 * max(lam.max(), 1e-12))
    return np.asarray(vec / np.sqrt(lam))


def _refit_whitened(
    obs: np.ndarray, model: _Model, theta: np.ndarray, L: np.ndarray, max_iter: int = 8
) -> tuple[np.ndarray, np.ndarray]:
    """Refit starting at theta: Newton steps in whitened coordinates z (theta = theta + L z),
    where the Hessian is close to the identity, with finite-difference gradients."""
    obj = _Objective(obs, model)
    p = len(theta)
    z = np.zeros(p)
    fz = obj(theta)
    h = 1e-3
    for _ in range(max_iter):
        g = np.array([(obj(theta + L @ (z + h * np.eye(p)[j])) - fz) / h for j in range(p)])
        if np.linalg.norm(g) < 2e-2:
            break
        step, t = -g, 1.0
        while t > 1e-3:
            fn = obj(theta + L @ (z + t * step))
            if fn < fz:
                z, fz = z + t * step, fn
                break
            t *= 0.5
        else:
            break
    _, tb, fb = obj.best
    return tb, fb


def _expected(model: _Model, theta: np.ndarray, f: np.ndarray) -> np.ndarray:
    h0, h1, h2 = model.components(theta)
    p = (1 - f.sum()) * h0 + f[0] * h1 + f[1] * h2
    return np.asarray(p / p.sum())


def _deviance(obs: np.ndarray, expected: np.ndarray) -> float:
    m = obs > 0
    return float(2.0 * np.sum(obs[m] * np.log(obs[m] / np.maximum(expected[m], 1e-12))))


def fit_klimek(
    turnout: np.ndarray,
    share: np.ndarray,
    *,
    bins: int = 50,
    n_bootstrap: int = 30,
    seed: int = 0,
    level: float = ANALYSIS.confidence_level,
) -> KlimekFit:
    """Fit Klimek et al.'s fraud model to stations' turnout and leader's share (fractions).

    Stations with a non-finite value are dropped. The clean parameters start from the paper's
    clean-part estimates and are refined jointly with ``alpha`` and ``sigma_x`` by maximum
    likelihood (the clean-part centre is pulled up by low-intensity fraud). ``n_bootstrap``
    parametric-bootstrap refits give percentile intervals at confidence ``level`` and the
    goodness-of-fit p-value (0 turns both off).
    """
    t_start = time.perf_counter()
    turnout = np.asarray(turnout, dtype=float)
    share = np.asarray(share, dtype=float)
    ok = np.isfinite(turnout) & np.isfinite(share)
    n = int(ok.sum())
    if n < 50:
        raise ValueError(f"only {n} usable stations; the Klimek model needs at least 50")
    obs = fingerprint(turnout[ok], share[ok], bins)
    model = _Model(bins)
    start = _pack(_clean_from_hist(obs), 1.0, 0.2)
    theta, f_hat, _ = _fit_theta(obs, model, start, grid=True, max_eval=600)
    probs = _expected(model, theta, f_hat)
    dev = _deviance(obs, n * probs)
    rng = np.random.default_rng(seed)
    boot, devs = [], []
    L = _whitening(_Objective(obs, model), theta) if n_bootstrap else np.eye(6)
    for _ in range(n_bootstrap):
        o = rng.multinomial(n, probs.ravel()).reshape(probs.shape).astype(float)
        tb, fb = _refit_whitened(o, model, theta, L)
        devs.append(_deviance(o, n * _expected(model, tb, fb)))
        boot.append([fb[0], fb[1], *_unpack(tb)[4:]])
    t0, st, v0, sv, alpha, sigma = _unpack(theta)

    def interval(j: int, est: float) -> Estimate:
        if not boot:
            return Estimate(est, Interval(math.nan, math.nan, level))
        return Estimate(est, Interval.percentile(np.array(boot)[:, j], level))

    pval = float((1 + np.sum(np.array(devs) >= dev)) / (1 + len(devs))) if devs else float("nan")
    fair = model.components(theta)[0] * n
    return KlimekFit(
        f_incremental=interval(0, float(f_hat[0])),
        f_extreme=interval(1, float(f_hat[1])),
        alpha=interval(2, alpha),
        sigma_x=interval(3, sigma),
        turnout_mean=t0,
        turnout_sd=st,
        share_mean=v0,
        share_sd=sv,
        observed=obs,
        fitted=probs * n,
        fair=fair,
        edges=np.linspace(0.0, 1.0, bins + 1),
        deviance=dev,
        df=int(np.sum(probs > 1e-12) - 1 - 8),
        gof_pvalue=pval,
        n_stations=n,
        n_bootstrap=n_bootstrap,
        seconds=time.perf_counter() - t_start,
    )


# --------------------------------------------------------------------------------------------
# plot and battery entry
# --------------------------------------------------------------------------------------------


def plot_klimek(fit: KlimekFit, path: Path | str, title: str = "") -> Path:
    """Observed, fitted and fair (no-fraud) fingerprints side by side, same colour scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    path = Path(path)
    fig, ax = plt.subplots(1, 3, figsize=(16, 5.8), sharey=True)
    vmax = max(fit.observed.max(), fit.fitted.max(), 1.0)
    norm = LogNorm(vmin=0.5, vmax=vmax)
    panels = (
        (fit.observed, "observed"),
        (
            fit.fitted,
            f"fitted: f_inc = {fit.f_incremental.estimate:.3f}, "
            f"f_ext = {fit.f_extreme.estimate:.3f}, alpha = {fit.alpha.estimate:.2f}",
        ),
        (fit.fair, "fair model (f_inc = f_ext = 0)"),
    )
    for a, (h, lab) in zip(ax, panels, strict=True):
        shown = np.where(h >= 0.5, h, np.nan)  # empty cells blank, as in the observed panel
        im = a.imshow(
            shown.T,
            origin="lower",
            extent=(0, 1, 0, 1),
            aspect="auto",
            cmap="viridis",
            norm=norm,
        )
        a.set_title(lab, fontsize=10)
        a.set_xlabel("turnout")
    ax[0].set_ylabel("leader's share of valid votes")
    fig.subplots_adjust(left=0.05, right=0.9, bottom=0.11, top=0.84, wspace=0.08)
    cax = fig.add_axes((0.915, 0.11, 0.012, 0.73))
    fig.colorbar(im, cax=cax, label="stations per cell")
    floor = f" (smallest possible: {1 / (fit.n_bootstrap + 1):.3f})" if fit.n_bootstrap else ""
    gof = f"deviance {fit.deviance:.0f} on {fit.df} df, bootstrap p = {fit.gof_pvalue:.3f}{floor}"
    fig.suptitle(
        (title + "\n" if title else "")
        + "Klimek et al. fraud model (model-based anomaly estimate, not a finding of fraud)\n"
        + gof,
        fontsize=11,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def election_fractions(data: ElectionData, leader: str) -> tuple[np.ndarray, np.ndarray]:
    """Turnout (ballots cast / registered) and leader's share of valid votes; NaN if unusable.

    Stations with more ballots than registered voters or no ballots are unusable (NaN).
    """
    reg = data.stations["registered_voters"].to_numpy(dtype=float)
    ballots = data.lines["ballots_cast"].to_numpy(dtype=float)
    if "valid" in data.lines:
        valid = data.lines["valid"].to_numpy(dtype=float)
    else:
        valid = data.official[data.choice_option_ids].sum(axis=1, min_count=1).to_numpy(float)
    votes = data.official[leader].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        turnout = ballots / reg
        share = votes / valid
        bad = ~((reg > 0) & (ballots > 0) & (ballots <= reg) & (valid > 0) & (votes <= valid))
    turnout[bad] = np.nan
    share[bad] = np.nan
    return turnout, share


@dataclass(frozen=True)
class KlimekEntry:
    """The Klimek model's entry in the forensics battery: the fit, or why it did not run."""

    leader: str
    fit: KlimekFit | Skipped
    n_excluded: int = 0
    plots: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        if isinstance(self.fit, Skipped):
            return {**self.fit.as_dict(), "note": NOTE}
        out: dict[str, Any] = {
            "method": "Klimek et al. (PNAS 2012) parametric fraud model of the fingerprint",
            "leader": self.leader,
            **self.fit.summary(),
            "n_excluded": self.n_excluded,
        }
        if self.plots:
            out["plots"] = list(self.plots)
        return out


def klimek_entry(
    data: ElectionData,
    leader: str,
    *,
    plots_dir: Path | None = None,
    n_bootstrap: int = 30,
    seed: int = 0,
    level: float = ANALYSIS.confidence_level,
) -> KlimekEntry:
    """Fit the Klimek model to an election (and plot it into ``plots_dir``)."""
    turnout, share = election_fractions(data, leader)
    ok = np.isfinite(turnout) & np.isfinite(share)
    if ok.sum() < 50:
        reason = "fewer than 50 stations with turnout and leader's share"
        return KlimekEntry(leader, Skipped(reason))
    fit = fit_klimek(turnout, share, n_bootstrap=n_bootstrap, seed=seed, level=level)
    plots: tuple[str, ...] = ()
    if plots_dir is not None:
        path = plot_klimek(fit, Path(plots_dir) / "klimek_fingerprint.png", data.election.name)
        plots = (str(path),)
    return KlimekEntry(leader, fit, int(len(turnout) - ok.sum()), plots)


def battery_entry(
    data: ElectionData,
    leader: str,
    *,
    plots_dir: Path | None = None,
    n_bootstrap: int = 30,
    seed: int = 0,
    level: float = ANALYSIS.confidence_level,
) -> dict[str, Any]:
    """The JSON form of :func:`klimek_entry` (the model's entry in the forensics battery)."""
    entry = klimek_entry(
        data, leader, plots_dir=plots_dir, n_bootstrap=n_bootstrap, seed=seed, level=level
    )
    return entry.as_dict()
