"""Finite mixture model of election frauds (after Ferrari, McAlister & Mebane; ``eforensics``).

Model-based anomaly estimates, not findings of fraud: see ``NOTE`` and docs/mixture-models.md.

Parametrisation (station ``i``; ``N`` registered voters, ``A`` abstentions = ``N`` - ballots
cast, ``K`` valid ballots, ``W`` valid ballots for the leader)

* Clean behaviour, binomial-logit with a station random effect (overdispersion):
  ``logit tau_i ~ Normal(x_i' beta_turnout, sigma_turnout^2)`` is the honest turnout probability,
  ``logit nu_i ~ Normal(x_i' beta_share, sigma_share^2)`` the honest leader's share of valid
  ballots. Honest voters ``V0 ~ Bin(N, tau)``, honest leader votes ``W0 ~ Bin(K0, nu)``.
* Latent class ``Z_i`` in (no_fraud, incremental, extreme) with weights ``pi``.
* In a fraud class, a proportion ``m`` of the non-voters is turned into ballots for the leader
  (manufactured votes ``M ~ Bin(N - V0, m)``) and a proportion ``s`` of the other options' valid
  votes is moved to the leader (stolen votes ``S ~ Bin(K0 - W0, s)``). Hence
  ``A ~ Bin(N, (1 - tau)(1 - m))`` and ``W - M ~ Bin(K - M, s + (1 - s) nu)``.
  ``m`` and ``s`` are independent, ``lo + (hi - lo) * Beta(a, b)`` with class-specific
  ``(a, b)`` (``a, b >= 1``) on the class range: incremental ``(0, 0.7)``, extreme ``(0.7, 1)``.
  No-fraud stations have ``m = s = 0``.

Estimation: maximum likelihood by EM. The E-step integrates numerically, vectorised over
stations: the no-fraud class in closed form (normal approximation of the binomial on the logit
scale, convolved with the random effect), a fraud class on a fixed grid of standardised nodes
for the honest turnout (which fixes ``m`` and ``M`` for the station) and three Gauss-Hermite
nodes for the binomial of the leader's votes, where the density of the leader's share under the
class's ``s`` distribution comes from a table rebuilt each iteration (a fine grid over ``s``).
The M-step is closed form for ``pi`` and the regression coefficients and a concave 2-parameter
fit for each Beta. Uncertainty: the empirical (score outer-product) observed information from
per-station scores by Fisher's identity (Louis 1982; Meilijson 1989), delta method for derived
quantities, plus the posterior spread of the latent votes for vote totals. Calibration of these
intervals is checked by simulation in tests/forensics/test_mixture.py.
"""

from __future__ import annotations

import math
import os
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from honestcount.model import ElectionData

CLASSES = ("no_fraud", "incremental", "extreme")

NOTE = (
    "Model-based anomaly estimates, not findings of fraud. The 'incremental' and 'extreme' "
    "classes and the manufactured/stolen votes are what a specific statistical model needs to "
    "reproduce the published numbers; any misspecification (turnout or support that is not "
    "logit-normal, regional heterogeneity, special polling stations, strategic or mobilised "
    "voting) can produce the same signal, and the absence of a signal does not show the count "
    "was honest."
)

_GH_X = np.array([-math.sqrt(3.0), 0.0, math.sqrt(3.0)])
_GH_W = np.array([1.0 / 6.0, 2.0 / 3.0, 1.0 / 6.0])
_LOG_FLOOR = -800.0
_LOG2PI = math.log(2.0 * math.pi)
# moments kept per station and class: 1, z_t, z_t^2, z_s, z_s^2, log u_m, log(1-u_m), log u_s,
# log(1-u_s)  (z_t, z_s: honest logit turnout and share; u: fraud proportion on its range)
_NMOM = 9
_THREADS = min(2, os.cpu_count() or 1)


# --------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """A point estimate with a nominal 95 % interval."""

    estimate: float
    ci_low: float
    ci_high: float
    se: float = float("nan")

    def as_dict(self) -> dict[str, float | None]:
        return {
            k: (float(v) if math.isfinite(v) else None)
            for k, v in (
                ("estimate", self.estimate),
                ("ci_low", self.ci_low),
                ("ci_high", self.ci_high),
                ("se", self.se),
            )
        }


@dataclass(frozen=True)
class SimulatedMixture:
    """Counts drawn from the mixture model, with the latent truth."""

    registered: np.ndarray
    ballots_cast: np.ndarray
    valid: np.ndarray
    leader: np.ndarray
    true_class: np.ndarray  # 0 no_fraud, 1 incremental, 2 extreme
    manufactured: np.ndarray
    stolen: np.ndarray
    x: np.ndarray | None
    params: dict[str, Any]


@dataclass(frozen=True)
class PredictiveCheck:
    """Parametric predictive checks: discrepancy of the data vs replicates from the fit.

    ``discrepancy`` is a chi-square distance between a histogram and its predictive mean;
    ``p_value`` the share of replicates at least as far from the mean as the data.
    """

    statistics: dict[str, float]
    p_values: dict[str, float]
    n_replicates: int
    observed: dict[str, np.ndarray]
    expected: dict[str, np.ndarray]
    edges: np.ndarray


@dataclass(frozen=True)
class MixtureFit:
    """Result of :func:`fit_mixture`. Station arrays are aligned with the input (NaN = unused)."""

    pi: dict[str, Interval]
    beta_turnout: np.ndarray
    beta_share: np.ndarray
    beta_turnout_se: np.ndarray
    beta_share_se: np.ndarray
    sigma_turnout: Interval
    sigma_share: Interval
    fraud_proportions: dict[str, dict[str, Any]]
    manufactured_votes: Interval
    stolen_votes: Interval
    station_probabilities: np.ndarray  # (n, 3)
    station_probabilities_se: np.ndarray  # (n, 3), parameter uncertainty (delta method)
    manufactured: np.ndarray
    manufactured_sd: np.ndarray
    stolen: np.ndarray
    stolen_sd: np.ndarray
    used: np.ndarray  # bool mask of stations that entered the fit
    loglik: float
    n_iter: int
    converged: bool
    n_stations: int
    n_excluded: int
    param_names: tuple[str, ...]
    params: np.ndarray
    cov: np.ndarray
    seconds: float
    settings: dict[str, Any]
    note: str = NOTE
    _inputs: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def modal_class(self) -> np.ndarray:
        """Most probable class per station (-1 where the station was not used)."""
        out = np.full(self.used.shape, -1, dtype=int)
        out[self.used] = np.argmax(self.station_probabilities[self.used], axis=1)
        return out

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary (no station arrays)."""
        return {
            "pi": {k: v.as_dict() for k, v in self.pi.items()},
            "manufactured_votes": self.manufactured_votes.as_dict(),
            "stolen_votes": self.stolen_votes.as_dict(),
            "beta_turnout": _floats(self.beta_turnout),
            "beta_turnout_se": _floats(self.beta_turnout_se),
            "beta_share": _floats(self.beta_share),
            "beta_share_se": _floats(self.beta_share_se),
            "sigma_turnout": self.sigma_turnout.as_dict(),
            "sigma_share": self.sigma_share.as_dict(),
            "fraud_proportions": _jsonable(self.fraud_proportions),
            "loglik": float(self.loglik),
            "n_iter": int(self.n_iter),
            "converged": bool(self.converged),
            "n_stations": int(self.n_stations),
            "n_excluded": int(self.n_excluded),
            "seconds": round(float(self.seconds), 3),
            "settings": _jsonable(self.settings),
            "note": self.note,
        }


# --------------------------------------------------------------------------------------------
# simulator
# --------------------------------------------------------------------------------------------


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
    """Draw station counts from the mixture model (see the module docstring).

    ``turnout`` and ``share`` are the medians of the honest turnout and leader's share (the
    intercepts are their logits); ``shape_*`` give Beta ``(a, b)`` for ``(m, s)`` on the class
    range; ``registered`` is a ``(low, high)`` uniform range or an array of station sizes.
    With ``n_covariates`` > 0, standard-normal covariates enter both linear predictors with
    coefficient ``beta_covariates`` and are returned in ``x``.
    """
    rng = np.random.default_rng(seed)
    pi = np.asarray(pi, dtype=float)
    if pi.shape != (3,) or np.any(pi < 0) or abs(pi.sum() - 1) > 1e-9:
        raise ValueError("pi must be three non-negative weights summing to 1")
    n = int(n_stations)
    if isinstance(registered, tuple):
        n_reg = rng.integers(registered[0], registered[1] + 1, size=n)
    else:
        n_reg = np.asarray(registered, dtype=np.int64)
        if n_reg.shape != (n,):
            raise ValueError("registered must have one size per station")
    x = rng.standard_normal((n, n_covariates)) if n_covariates else None
    eta_t = np.full(n, _logit(turnout))
    eta_s = np.full(n, _logit(share))
    if x is not None:
        eta_t = eta_t + x @ np.full(n_covariates, beta_covariates)
        eta_s = eta_s + x @ np.full(n_covariates, -beta_covariates)
    shapes = np.array([shape_incremental, shape_extreme], dtype=float)
    ranges = np.array([incremental, extreme], dtype=float)
    invalid = np.full(n, float(invalid_rate))
    v, k, w, cls, manufactured, stolen = _draw_counts(
        rng, n_reg, eta_t, eta_s, sigma_turnout, sigma_share, pi, ranges, shapes, invalid
    )
    params = {
        "pi": pi.tolist(),
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


def _draw_counts(
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
    tau = _expit(eta_t + sig_t * rng.standard_normal(n))
    nu = _expit(eta_s + sig_s * rng.standard_normal(n))
    cls = rng.choice(3, size=n, p=pi)
    m = np.zeros(n)
    s = np.zeros(n)
    for c in (1, 2):
        k = cls == c
        lo, hi = ranges[c - 1]
        m[k] = lo + (hi - lo) * rng.beta(*shapes[c - 1, 0], size=k.sum())
        s[k] = lo + (hi - lo) * rng.beta(*shapes[c - 1, 1], size=k.sum())
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


# --------------------------------------------------------------------------------------------
# internals: data, parameters
# --------------------------------------------------------------------------------------------


def _expit(x: np.ndarray | float) -> np.ndarray:
    return special.expit(x)


def _logit(p: np.ndarray | float) -> np.ndarray:
    return special.logit(p)


def _floats(a: np.ndarray) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in np.asarray(a, dtype=float).ravel()]


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, Interval):
        return obj.as_dict()
    if isinstance(obj, np.bool_ | bool):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating | float):
        return float(obj) if math.isfinite(float(obj)) else None
    return obj


@dataclass
class _Data:
    n: int
    N: np.ndarray
    A: np.ndarray
    K: np.ndarray
    W: np.ndarray
    others: np.ndarray  # K - W, valid ballots for the other options
    t_hat: np.ndarray  # empirical logit turnout and its sampling variance
    v_t: np.ndarray
    w_hat: np.ndarray  # empirical logit share and its sampling variance
    v_w: np.ndarray
    Xt: np.ndarray
    Xs: np.ndarray

    def take(self, idx: np.ndarray) -> _Data:
        return _Data(
            n=len(idx),
            **{
                k: getattr(self, k)[idx]
                for k in ("N", "A", "K", "W", "others", "t_hat", "v_t", "w_hat", "v_w", "Xt", "Xs")
            },
        )


@dataclass
class _Params:
    pi: np.ndarray  # (3,)
    beta_t: np.ndarray
    sig_t: float
    beta_s: np.ndarray
    sig_s: float
    shape: np.ndarray  # (2 classes, 2 dims (m, s), 2 (a, b))

    def copy(self) -> _Params:
        return _Params(
            self.pi.copy(),
            self.beta_t.copy(),
            self.sig_t,
            self.beta_s.copy(),
            self.sig_s,
            self.shape.copy(),
        )

    def vector(self) -> np.ndarray:
        return np.concatenate(
            [
                self.pi[1:],
                self.beta_t,
                [math.log(self.sig_t)],
                self.beta_s,
                [math.log(self.sig_s)],
                np.log(self.shape).ravel(),
            ]
        )

    @classmethod
    def from_vector(cls, v: np.ndarray, p_t: int, p_s: int) -> _Params:
        i = 2
        beta_t = v[i : i + p_t]
        i += p_t
        sig_t = math.exp(v[i])
        i += 1
        beta_s = v[i : i + p_s]
        i += p_s
        sig_s = math.exp(v[i])
        i += 1
        shape = np.exp(v[i : i + 8]).reshape(2, 2, 2)
        pi = np.array([1.0 - v[0] - v[1], v[0], v[1]])
        return cls(pi, beta_t.copy(), sig_t, beta_s.copy(), sig_s, shape)


def _param_names(p_t: int, p_s: int) -> tuple[str, ...]:
    names = ["pi_incremental", "pi_extreme"]
    names += [f"beta_turnout[{j}]" for j in range(p_t)] + ["log_sigma_turnout"]
    names += [f"beta_share[{j}]" for j in range(p_s)] + ["log_sigma_share"]
    for c in ("incremental", "extreme"):
        for dim in ("m", "s"):
            names += [f"log_a_{dim}_{c}", f"log_b_{dim}_{c}"]
    return tuple(names)


def _design(x: np.ndarray | None, n: int) -> np.ndarray:
    if x is None:
        return np.ones((n, 1))
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    return np.column_stack([np.ones(n), x])


def _prepare(
    registered: np.ndarray,
    ballots_cast: np.ndarray,
    valid: np.ndarray,
    leader: np.ndarray,
    x_turnout: np.ndarray | None,
    x_share: np.ndarray | None,
    min_registered: int,
) -> tuple[_Data, np.ndarray]:
    N = np.asarray(registered, dtype=float)
    V = np.asarray(ballots_cast, dtype=float)
    K = np.asarray(valid, dtype=float)
    W = np.asarray(leader, dtype=float)
    if not (N.shape == V.shape == K.shape == W.shape) or N.ndim != 1:
        raise ValueError("registered, ballots_cast, valid and leader must be 1-D of equal length")
    n_all = len(N)
    Xt = _design(x_turnout, n_all)
    Xs = _design(x_share, n_all)
    with np.errstate(invalid="ignore"):
        used = np.isfinite(N) & np.isfinite(V) & np.isfinite(K) & np.isfinite(W)
        used &= np.all(np.isfinite(Xt), axis=1) & np.all(np.isfinite(Xs), axis=1)
        used &= (min_registered <= N) & (V <= N) & (V > 0) & (K > 0) & (K <= V)
        used &= (W >= 0) & (W <= K)
    N, V, K, W = N[used], V[used], K[used], W[used]
    A = N - V
    oth = K - W
    d = _Data(
        n=int(used.sum()),
        N=N,
        A=A,
        K=K,
        W=W,
        others=oth,
        t_hat=np.log((V + 0.5) / (A + 0.5)),
        v_t=1.0 / (V + 0.5) + 1.0 / (A + 0.5),
        w_hat=np.log((W + 0.5) / (oth + 0.5)),
        v_w=1.0 / (W + 0.5) + 1.0 / (oth + 0.5),
        Xt=Xt[used],
        Xs=Xs[used],
    )
    return d, used


def _initial(d: _Data, ranges: np.ndarray) -> _Params:
    """Start from the lower, cleaner half of each distribution (fraud only pushes upwards)."""
    t_med = np.median(d.t_hat)
    s_med = np.median(d.w_hat)
    low_t = d.t_hat[d.t_hat <= t_med]
    low_s = d.w_hat[d.w_hat <= s_med]
    sig_t = max(np.sqrt(np.mean((low_t - t_med) ** 2)), 0.05)
    sig_s = max(np.sqrt(np.mean((low_s - s_med) ** 2)), 0.05)
    beta_t = np.zeros(d.Xt.shape[1])
    beta_s = np.zeros(d.Xs.shape[1])
    beta_t[0] = t_med
    beta_s[0] = s_med
    shape = np.full((2, 2, 2), 2.0)
    return _Params(np.array([0.8, 0.15, 0.05]), beta_t, sig_t, beta_s, sig_s, shape)


# --------------------------------------------------------------------------------------------
# tables of the leader's-share density under a fraud class
# --------------------------------------------------------------------------------------------

# table functions: 0 log D, then E[f | y] for f in the list below
_TAB_BASE = ("zs", "zs2", "lu", "l1u")
_TAB_FINAL = ("g", "g2", "gzs", "gzs2", "glu", "gl1u")  # g = s (1 - nu) / q: stolen / (W - M)


@dataclass
class _Tables:
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
    edges = np.concatenate([[0.0], _expit(lg), [1.0]])
    mid_lg = np.concatenate([[lg[0] - 0.5], 0.5 * (lg[1:] + lg[:-1]), [lg[-1] + 0.5]])
    prob = np.diff(special.betainc(a, b, edges))
    u = _expit(mid_lg)
    log_u = -np.logaddexp(0.0, -mid_lg)
    log_1mu = -np.logaddexp(0.0, mid_lg)
    keep = prob > 1e-300
    return prob[keep], lo + (hi - lo) * u[keep], log_u[keep], log_1mu[keep]


def _build_tables(
    th: _Params, d: _Data, ranges: np.ndarray, final: bool, n_cells: int = 200
) -> _Tables:
    names = ("logD",) + _TAB_BASE + (_TAB_FINAL if final else ())
    # the E-step evaluates logit(q) at yhat +- sqrt(3 v) with v <= 4 and yhat in this range
    dy = 0.025
    y0 = math.floor((float(np.log(0.5 / (d.others.max() + 0.5))) - 3.6) / dy) * dy
    y1 = float(d.w_hat.max()) + 3.6
    y = np.arange(y0, y1 + dy, dy)
    n_y = len(y)
    mu_s = d.Xs @ th.beta_s
    lo_mu, hi_mu = float(mu_s.min()), float(mu_s.max())
    if hi_mu - lo_mu < 1e-9:
        mus = np.array([lo_mu])
        dmu = 1.0
    else:
        mus = np.linspace(lo_mu, hi_mu, 41)
        dmu = mus[1] - mus[0]
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
        log_jac += np.log(prob)[None, :] - math.log(sig) - 0.5 * _LOG2PI
        log_jac[~ok] = -np.inf
        g = s[None, :] * one_m_nu / np.exp(log_q)[:, None]  # stolen share of leader's votes
        for j, mu in enumerate(mus):
            ld = log_jac - 0.5 * ((z - mu) / sig) ** 2
            mx = np.max(ld, axis=1)
            mx_safe = np.where(np.isfinite(mx), mx, 0.0)
            wgt = np.exp(ld - mx_safe[:, None])
            tot = wgt.sum(axis=1)
            good = tot > 0
            with np.errstate(divide="ignore"):
                logd = np.log(np.where(good, tot, 1.0)) + mx_safe
            tab[c, 0, j] = np.where(good, np.maximum(logd, _LOG_FLOOR), _LOG_FLOOR)
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
            for f, name in enumerate(names[1:], start=1):
                tab[c, f, j] = res[name] * inv
    flat = [np.ascontiguousarray(tab[c].reshape(len(names), -1).T) for c in range(2)]
    return _Tables(tab, names, y0, dy, n_y, float(mus[0]), float(dmu), len(mus), flat)


def _lookup(tables: _Tables, c: int, y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Linear (in y) / bilinear (y, mu) interpolation; returns ``y.shape + (F,)``."""
    t = tables.flat[c]  # (n_mu * n_y, F)
    fy = (y - tables.y0) / tables.dy
    iy = np.clip(np.floor(fy), 0, tables.n_y - 2).astype(np.int64)
    wy = np.clip(fy - iy, 0.0, 1.0)[..., None]
    if tables.n_mu == 1:
        lo = t[iy]
        out = lo + (t[iy + 1] - lo) * wy
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
        out[..., 0][outside] = _LOG_FLOOR
    return out


# --------------------------------------------------------------------------------------------
# E-step
# --------------------------------------------------------------------------------------------


@dataclass
class _EStep:
    loglik: float
    ll: np.ndarray  # (n,)
    r: np.ndarray  # (n, 3) class posteriors
    mom: np.ndarray  # (n, 3, _NMOM) class-conditional moments
    mom_m: np.ndarray | None = None  # (n, 3, _NMOM): E[M * moment | class]
    mom_s: np.ndarray | None = None  # (n, 3, _NMOM): E[S * moment | class]
    m2: np.ndarray | None = None  # (n, 3) E[M^2 | class]
    s2: np.ndarray | None = None  # (n, 3) E[S^2 | class]


def _logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    mx = np.max(a, axis=axis, keepdims=True)
    mx_safe = np.where(np.isfinite(mx), mx, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(a - mx_safe), axis=axis, keepdims=True)) + mx_safe
    return np.squeeze(out, axis=axis)


def _norm_logpdf(x: np.ndarray, mu: np.ndarray, var: np.ndarray) -> np.ndarray:
    return -0.5 * ((x - mu) ** 2 / var + np.log(var) + _LOG2PI)


def _estep(
    d: _Data,
    th: _Params,
    ranges: np.ndarray,
    nodes: np.ndarray,
    final: bool = False,
    chunk: int = 4096,
) -> _EStep:
    tables = _build_tables(th, d, ranges, final)
    fidx = {name: i for i, name in enumerate(tables.names)}
    n = d.n
    ll = np.empty(n)
    r = np.empty((n, 3))
    mom = np.zeros((n, 3, _NMOM))
    if final:
        mom_m = np.zeros((n, 3, _NMOM))
        mom_s = np.zeros((n, 3, _NMOM))
        m2 = np.zeros((n, 3))
        s2 = np.zeros((n, 3))
    log_w_nodes = -0.5 * nodes**2
    log_w_nodes -= _logsumexp(log_w_nodes, axis=0)
    log_pi = np.log(np.maximum(th.pi, 1e-300))
    st2, ss2 = th.sig_t**2, th.sig_s**2

    def run(start: int) -> None:
        sl = slice(start, min(start + chunk, n))
        C = sl.stop - sl.start
        N, A, K, W, oth = d.N[sl], d.A[sl], d.K[sl], d.W[sl], d.others[sl]
        mu_t = d.Xt[sl] @ th.beta_t
        mu_s = d.Xs[sl] @ th.beta_s
        lc = np.empty((C, 3))
        # ---- class 0: closed form
        vt, vw = d.v_t[sl], d.v_w[sl]
        lc[:, 0] = (
            log_pi[0]
            + np.log(vt)
            + _norm_logpdf(d.t_hat[sl], mu_t, st2 + vt)
            + np.log(vw)
            + _norm_logpdf(d.w_hat[sl], mu_s, ss2 + vw)
        )
        m0 = np.zeros((C, _NMOM))
        m0[:, 0] = 1.0
        pm = (d.t_hat[sl] * st2 + mu_t * vt) / (st2 + vt)
        pv = st2 * vt / (st2 + vt)
        m0[:, 1], m0[:, 2] = pm, pm * pm + pv
        pm = (d.w_hat[sl] * ss2 + mu_s * vw) / (ss2 + vw)
        pv = ss2 * vw / (ss2 + vw)
        m0[:, 3], m0[:, 4] = pm, pm * pm + pv
        cond = [(m0, None, None, None, None)]
        # ---- fraud classes: nodes over the logit of the honest turnout count V0 / N, whose
        # spread is the random effect plus the binomial sampling variance
        p_bar = _expit(mu_t)
        v_bin = 1.0 / (N * p_bar * (1.0 - p_bar))
        s_eff = np.sqrt(st2 + v_bin)
        z = mu_t[:, None] + s_eff[:, None] * nodes[None, :]
        # honest logit turnout given the node: normal, shrunk towards mu_t
        rho = st2 / (st2 + v_bin)
        zt = mu_t[:, None] + rho[:, None] * (z - mu_t[:, None])
        zt_var = st2 * v_bin / (st2 + v_bin)
        nv = N[:, None] * _expit(-z)  # honest non-voters
        m_star = 1.0 - (A[:, None] + 1.0) / (nv + 2.0)
        man = np.maximum(nv - A[:, None], 0.0)
        for c in (1, 2):
            lo, hi = ranges[c - 1]
            a_m, b_m = th.shape[c - 1, 0]
            u = (m_star - lo) / (hi - lo)
            ok = (u > 0) & (u < 1) & (man <= W[:, None]) & (man < K[:, None])
            with np.errstate(divide="ignore", invalid="ignore"):
                lu = np.log(np.where(ok, u, 0.5))
                l1u = np.log1p(-np.where(ok, u, 0.5))
                base = (
                    log_w_nodes[None, :]
                    + (a_m - 1) * lu
                    + (b_m - 1) * l1u
                    - special.betaln(a_m, b_m)
                    - math.log(hi - lo)
                    - np.log(nv + 1.0)
                )
            base = np.where(ok, base, -np.inf)
            mx = np.max(base, axis=1, keepdims=True)
            keep = ok & (base > mx - 18.0)
            ii, kk = np.nonzero(keep)
            mk = man[ii, kk]
            yk = W[ii] - mk
            ok_i = oth[ii]
            yhat = np.log((yk + 0.5) / (ok_i + 0.5))
            v = 1.0 / (yk + 0.5) + 1.0 / (ok_i + 0.5)
            ynodes = yhat[:, None] + np.sqrt(v)[:, None] * _GH_X[None, :]
            vals = _lookup(tables, c - 1, ynodes, mu_s[ii])
            dj = np.exp(vals[..., 0]) * _GH_W[None, :]
            dsum = dj.sum(axis=1)
            with np.errstate(divide="ignore"):
                lw = np.log(v) + np.log(dsum)
            tot = np.full((C, len(nodes)), -np.inf)
            tot[ii, kk] = base[ii, kk] + lw
            lclass = _logsumexp(tot, axis=1)
            lc[:, c] = log_pi[c] + lclass
            lcl_safe = np.where(np.isfinite(lclass), lclass, 0.0)
            rk = np.exp(tot[ii, kk] - lcl_safe[ii])  # node posteriors within the class
            safe = np.where(dsum > 0, dsum, 1.0)
            e_pair = {
                name: np.where(dsum > 0, (dj * vals[..., fidx[name]]).sum(axis=1) / safe, 0.0)
                for name in tables.names[1:]
            }
            zk = zt[ii, kk]
            per = np.empty((len(ii), _NMOM))
            per[:, 0] = 1.0
            per[:, 1] = zk
            per[:, 2] = zk * zk + zt_var[ii]
            per[:, 3] = e_pair["zs"]
            per[:, 4] = e_pair["zs2"]
            per[:, 5] = lu[ii, kk]
            per[:, 6] = l1u[ii, kk]
            per[:, 7] = e_pair["lu"]
            per[:, 8] = e_pair["l1u"]
            mc = np.empty((C, _NMOM))
            for j in range(_NMOM):
                mc[:, j] = np.bincount(ii, weights=rk * per[:, j], minlength=C)
            if final:
                # stolen votes among the leader's non-manufactured votes Y: Bin(Y, g),
                # g = s (1 - nu) / q
                st = yk * e_pair["g"]  # E[S | node]
                # E[S * moment | node]: honest-turnout and m parts are fixed at the node
                sper = per * st[:, None]
                sper[:, 3] = yk * e_pair["gzs"]
                sper[:, 4] = yk * e_pair["gzs2"]
                sper[:, 7] = yk * e_pair["glu"]
                sper[:, 8] = yk * e_pair["gl1u"]
                mmc = np.empty((C, _NMOM))
                smc = np.empty((C, _NMOM))
                for j in range(_NMOM):
                    mmc[:, j] = np.bincount(ii, weights=rk * mk * per[:, j], minlength=C)
                    smc[:, j] = np.bincount(ii, weights=rk * sper[:, j], minlength=C)
                m2c = np.bincount(ii, weights=rk * mk * mk, minlength=C)
                es2 = yk * yk * e_pair["g2"] + yk * (e_pair["g"] - e_pair["g2"])
                s2c = np.bincount(ii, weights=rk * es2, minlength=C)
                cond.append((mc, mmc, smc, m2c, s2c))
            else:
                cond.append((mc, None, None, None, None))
        lli = _logsumexp(lc, axis=1)
        ll[sl] = lli
        rr = np.exp(lc - lli[:, None])
        r[sl] = rr
        for c in range(3):
            mom[sl, c] = cond[c][0]
            if final and c > 0:
                mom_m[sl, c] = cond[c][1]
                mom_s[sl, c] = cond[c][2]
                m2[sl, c] = cond[c][3]
                s2[sl, c] = cond[c][4]

    starts = range(0, n, chunk)
    if _THREADS > 1 and n > 2 * chunk:
        with ThreadPoolExecutor(max_workers=_THREADS) as pool:
            list(pool.map(run, starts))
    else:
        for start in starts:
            run(start)
    out = _EStep(float(np.sum(ll)), ll, r, mom)
    if final:
        out.mom_m, out.mom_s, out.m2, out.s2 = mom_m, mom_s, m2, s2
    return out


# --------------------------------------------------------------------------------------------
# M-step
# --------------------------------------------------------------------------------------------


def _beta_mle(g1: float, g2: float, start: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    """Maximise (a-1) g1 + (b-1) g2 - log B(a, b) over a, b in ``bounds`` (concave; Newton)."""
    lo, hi = bounds
    p = np.clip(np.asarray(start, dtype=float), lo, hi)

    def obj(q: np.ndarray) -> float:
        return (q[0] - 1) * g1 + (q[1] - 1) * g2 - special.betaln(q[0], q[1])

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
    return p


def _mstep(d: _Data, e: _EStep, th: _Params, shape_bounds: tuple[float, float]) -> _Params:
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
            out.shape[c - 1, dim] = _beta_mle(g1, g2, th.shape[c - 1, dim], shape_bounds)
    return out


# --------------------------------------------------------------------------------------------
# EM driver (SQUAREM-accelerated)
# --------------------------------------------------------------------------------------------


def _clip_vector(v: np.ndarray, shape_bounds: tuple[float, float]) -> np.ndarray:
    v = v.copy()
    v[:2] = np.clip(v[:2], 1e-8, 1.0)
    if v[0] + v[1] > 1.0 - 1e-8:
        v[:2] *= (1.0 - 1e-8) / (v[0] + v[1])
    v[-8:] = np.clip(v[-8:], math.log(shape_bounds[0]), math.log(shape_bounds[1]))
    return v


def _run_em(
    d: _Data,
    th: _Params,
    ranges: np.ndarray,
    nodes: np.ndarray,
    shape_bounds: tuple[float, float],
    tol: float,
    max_iter: int,
    param_tol: float = 2e-4,
) -> tuple[_Params, float, int, bool]:
    """EM with SQUAREM steps (Varadhan & Roland 2008) and a monotonicity fallback."""
    p_t, p_s = d.Xt.shape[1], d.Xs.shape[1]

    def em_map(t: _Params) -> tuple[_Params, float]:
        e = _estep(d, t, ranges, nodes)
        return _mstep(d, e, t, shape_bounds), e.loglik

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
        alpha = -np.linalg.norm(r) / nv if nv > 0 else -1.0
        alpha = min(alpha, -1.0)
        th_next = th2
        if alpha < -1.0:
            vp = _clip_vector(v0 - 2 * alpha * r + alpha * alpha * v, shape_bounds)
            thp = _Params.from_vector(vp, p_t, p_s)
            th3, llp = em_map(thp)
            n_eval += 1
            if np.isfinite(llp) and llp >= ll1:
                th_next = th3
        ll_old = ll1
        th = th_next
    return th, ll1, n_eval, converged


# --------------------------------------------------------------------------------------------
# scores, information, derived quantities
# --------------------------------------------------------------------------------------------


def _score_map(d: _Data, th: _Params, mom: np.ndarray, ranges: np.ndarray) -> np.ndarray:
    """Complete-data scores, linear in the moments: (n, 3, _NMOM) -> (n, 3, P)."""
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


def _wald(est: float, se: float, lo: float = -np.inf, hi: float = np.inf) -> Interval:
    if not math.isfinite(se):
        return Interval(est, float("nan"), float("nan"), se)
    return Interval(est, max(lo, est - 1.959964 * se), min(hi, est + 1.959964 * se), se)


# --------------------------------------------------------------------------------------------
# public fit
# --------------------------------------------------------------------------------------------


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
) -> MixtureFit:
    """Fit the three-class fraud mixture by EM (see the module docstring for the model).

    Inputs are per-station counts (NaN = unknown; such stations and impossible rows, e.g.
    ballots > registered, are left out and reported in ``n_excluded``). Optional covariates
    ``x_turnout``/``x_share`` (n x p, no intercept column) enter the honest turnout and share.
    EM stops when the log-likelihood changes by less than ``tol`` per station or the parameters
    (weights, coefficients, log-spreads, log-shapes) by less than ``param_tol`` over two
    iterations. With more than ``warm_start``
    stations, EM first converges on a random subsample of that size (``seed``) and then
    continues on all stations.
    """
    t_start = time.perf_counter()
    ranges = np.array([incremental, extreme], dtype=float)
    if not (0 <= ranges[0, 0] < ranges[0, 1] <= ranges[1, 0] < ranges[1, 1] <= 1):
        raise ValueError(
            "need 0 <= incremental[0] < incremental[1] <= extreme[0] < extreme[1] <= 1"
        )
    d, used = _prepare(registered, ballots_cast, valid, leader, x_turnout, x_share, min_registered)
    if d.n < 50:
        raise ValueError(f"only {d.n} usable stations; the mixture model needs at least 50")
    nodes = np.linspace(-4.5, 4.5, n_nodes)
    th = _initial(d, ranges)
    n_iter = 0
    if warm_start and d.n > 1.5 * warm_start:
        rng = np.random.default_rng(seed)
        sub = d.take(np.sort(rng.choice(d.n, size=warm_start, replace=False)))
        th, _, k, _ = _run_em(
            sub, th, ranges, nodes, shape_bounds, 10 * tol, max_iter, 5 * param_tol
        )
        n_iter += k
    th, ll, k, converged = _run_em(d, th, ranges, nodes, shape_bounds, tol, max_iter, param_tol)
    n_iter += k
    e = _estep(d, th, ranges, nodes, final=True)
    ll = e.loglik
    p_t, p_s = d.Xt.shape[1], d.Xs.shape[1]
    names = _param_names(p_t, p_s)
    P = len(names)

    # per-station scores (Fisher's identity) and their outer product
    sc_c = _score_map(d, th, e.mom, ranges)  # (n, 3, P)
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

    # mixture weights
    g0 = np.zeros(P)
    g0[:2] = -1.0
    se_pi = [math.sqrt(max(g0 @ cov @ g0, 0.0)), se[0], se[1]]
    pi = {k: _wald(float(th.pi[i]), se_pi[i], 0.0, 1.0) for i, k in enumerate(CLASSES)}

    # station-level: class probabilities and their delta-method se
    r = e.r
    prob_se = np.empty_like(r)
    for c in range(3):
        grad = r[:, c : c + 1] * (sc_c[:, c] - sc)
        prob_se[:, c] = np.sqrt(np.maximum(np.einsum("np,pq,nq->n", grad, cov, grad), 0.0))
    e_m = np.einsum("nc,nc->n", r, e.mom_m[:, :, 0])
    e_s = np.einsum("nc,nc->n", r, e.mom_s[:, :, 0])
    var_m = np.maximum(np.einsum("nc,nc->n", r, e.m2) - e_m**2, 0.0)
    var_s = np.maximum(np.einsum("nc,nc->n", r, e.s2) - e_s**2, 0.0)

    # totals: parameter uncertainty (Cov identity for the gradient) + latent uncertainty
    def total(e_x: np.ndarray, var_x: np.ndarray, mom_x: np.ndarray) -> Interval:
        sc_x = np.einsum("nc,ncp->np", r, _score_map(d, th, mom_x, ranges))
        grad = (sc_x - e_x[:, None] * sc).sum(axis=0)
        var = float(grad @ cov @ grad + var_x.sum())
        return _wald(float(e_x.sum()), math.sqrt(max(var, 0.0)), 0.0)

    manufactured_votes = total(e_m, var_m, e.mom_m)
    stolen_votes = total(e_s, var_s, e.mom_s)

    # coefficients, spreads and fraud proportions
    i = 2
    beta_t_se = se[i : i + p_t]
    i += p_t
    ls_t = se[i]
    i += 1
    beta_s_se = se[i : i + p_s]
    i += p_s
    ls_s = se[i]
    sigma_t = Interval(
        th.sig_t,
        th.sig_t * math.exp(-1.96 * ls_t),
        th.sig_t * math.exp(1.96 * ls_t),
        th.sig_t * ls_t,
    )
    sigma_s = Interval(
        th.sig_s,
        th.sig_s * math.exp(-1.96 * ls_s),
        th.sig_s * math.exp(1.96 * ls_s),
        th.sig_s * ls_s,
    )
    props: dict[str, dict[str, Any]] = {}
    for c, cname in ((1, "incremental"), (2, "extreme")):
        lo, hi = ranges[c - 1]
        props[cname] = {"range": [float(lo), float(hi)]}
        for dim, dname in enumerate(("manufactured", "stolen")):
            a, b = th.shape[c - 1, dim]
            j = base + 4 * (c - 1) + 2 * dim
            # mean proportion lo + (hi - lo) a / (a + b); gradient w.r.t. (log a, log b)
            mean = lo + (hi - lo) * a / (a + b)
            gm = (hi - lo) * np.array([a * b, -a * b]) / (a + b) ** 2
            sm = math.sqrt(max(gm @ cov[j : j + 2, j : j + 2] @ gm, 0.0))
            props[cname][dname] = {
                "beta_a": float(a),
                "beta_b": float(b),
                "mean_proportion": _wald(mean, sm if free[j] or free[j + 1] else math.nan, lo, hi),
            }

    n_all = len(used)

    def expand(a: np.ndarray) -> np.ndarray:
        out = np.full((n_all,) + a.shape[1:], np.nan)
        out[used] = a
        return out

    return MixtureFit(
        pi=pi,
        beta_turnout=th.beta_t.copy(),
        beta_share=th.beta_s.copy(),
        beta_turnout_se=beta_t_se.copy(),
        beta_share_se=beta_s_se.copy(),
        sigma_turnout=sigma_t,
        sigma_share=sigma_s,
        fraud_proportions=props,
        manufactured_votes=manufactured_votes,
        stolen_votes=stolen_votes,
        station_probabilities=expand(r),
        station_probabilities_se=expand(prob_se),
        manufactured=expand(e_m),
        manufactured_sd=expand(np.sqrt(var_m)),
        stolen=expand(e_s),
        stolen_sd=expand(np.sqrt(var_s)),
        used=used,
        loglik=ll,
        n_iter=n_iter,
        converged=converged,
        n_stations=d.n,
        n_excluded=int(n_all - d.n),
        param_names=names,
        params=th.vector(),
        cov=cov,
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
        _inputs={
            "registered": np.asarray(registered, dtype=float),
            "ballots_cast": np.asarray(ballots_cast, dtype=float),
            "valid": np.asarray(valid, dtype=float),
            "leader": np.asarray(leader, dtype=float),
            "x_turnout": None if x_turnout is None else np.asarray(x_turnout, dtype=float),
            "x_share": None if x_share is None else np.asarray(x_share, dtype=float),
            "ranges": ranges,
            "params": th,
        },
    )


# --------------------------------------------------------------------------------------------
# model checking
# --------------------------------------------------------------------------------------------


def _histograms(
    registered: np.ndarray, ballots: np.ndarray, valid: np.ndarray, leader: np.ndarray
) -> dict[str, np.ndarray]:
    turnout = np.clip(ballots / registered, 0.0, 1.0)
    share = np.clip(leader / valid, 0.0, 1.0)
    e1 = np.linspace(0.0, 1.0, 101)
    e2 = np.linspace(0.0, 1.0, 51)
    return {
        "fingerprint": np.histogram2d(turnout, share, bins=[e2, e2])[0],
        "turnout": np.histogram(turnout, bins=e1)[0].astype(float),
        "share": np.histogram(share, bins=e1)[0].astype(float),
    }


def _discrepancy(obs: np.ndarray, expected: np.ndarray) -> float:
    return float(np.sum((obs - expected) ** 2 / (expected + 1.0)))


def predictive_check(fit: MixtureFit, *, n_replicates: int = 19, seed: int = 0) -> PredictiveCheck:
    """Parametric predictive check of the fingerprint and the turnout and share distributions.

    Replicates are drawn from the fitted model for the used stations (their registered voters,
    covariates and observed share of invalid ballots). The predictive mean of each histogram
    comes from ``n_replicates`` draws; the discrepancy ``sum (O - E)^2 / (E + 1)`` of the data
    is compared with that of ``n_replicates`` further draws (p-value = share at least as large).
    Small p-values say the model does not reproduce that feature of the data.
    """
    inp = fit._inputs
    th: _Params = inp["params"]
    used = fit.used
    N = inp["registered"][used]
    V, K, W = inp["ballots_cast"][used], inp["valid"][used], inp["leader"][used]
    Xt = _design(inp["x_turnout"], len(used))[used]
    Xs = _design(inp["x_share"], len(used))[used]
    inval = np.where(V > 0, (V - K) / np.maximum(V, 1), 0.0)
    rng = np.random.default_rng(seed)
    obs = _histograms(N, V, K, W)
    reps: dict[str, list[np.ndarray]] = {k: [] for k in obs}
    for _ in range(2 * n_replicates):
        v, k, w, *_ = _draw_counts(
            rng,
            N,
            Xt @ th.beta_t,
            Xs @ th.beta_s,
            th.sig_t,
            th.sig_s,
            th.pi,
            inp["ranges"],
            th.shape,
            inval,
        )
        for name, h in _histograms(N, v, k, w).items():
            reps[name].append(h)
    stats, pvals, expected = {}, {}, {}
    for name, hs in reps.items():
        first = np.mean(hs[:n_replicates], axis=0)
        expected[name] = first
        d_obs = _discrepancy(obs[name], first)
        d_rep = np.array([_discrepancy(h, first) for h in hs[n_replicates:]])
        stats[name] = d_obs
        pvals[name] = float((1 + np.sum(d_rep >= d_obs)) / (1 + n_replicates))
    return PredictiveCheck(stats, pvals, n_replicates, obs, expected, np.linspace(0, 1, 101))


# --------------------------------------------------------------------------------------------
# plots
# --------------------------------------------------------------------------------------------


def plot_mixture(
    fit: MixtureFit, check: PredictiveCheck, path: Path | str, title: str = ""
) -> Path:
    """Observed vs model-replicated fingerprint, stations by modal class, marginal checks."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    path = Path(path)
    inp = fit._inputs
    used = fit.used
    turnout = np.clip(inp["ballots_cast"][used] / inp["registered"][used], 0, 1)
    share = np.clip(inp["leader"][used] / inp["valid"][used], 0, 1)
    fig, ax = plt.subplots(2, 3, figsize=(15, 9.5))
    vmax = max(check.observed["fingerprint"].max(), check.expected["fingerprint"].max(), 1)
    for a, key, lab in (
        (ax[0, 0], "observed", "observed fingerprint"),
        (ax[0, 1], "expected", "fitted model (predictive mean)"),
    ):
        h = getattr(check, key)["fingerprint"]
        im = a.imshow(
            np.where(h >= 0.5, h, np.nan).T,
            origin="lower",
            extent=(0, 1, 0, 1),
            aspect="auto",
            cmap="viridis",
            norm=LogNorm(vmin=0.5, vmax=vmax),
        )
        a.set_title(lab)
        a.set_xlabel("turnout")
        a.set_ylabel("leader's share of valid votes")
    fig.colorbar(im, ax=ax[0, 1], label="stations per 2 % x 2 % cell")
    cls = np.argmax(fit.station_probabilities[used], axis=1)
    colors = np.array(["#4c72b0", "#dd8452", "#c44e52"])
    order = np.argsort(cls, kind="stable")
    ax[0, 2].scatter(
        turnout[order],
        share[order],
        s=2,
        c=colors[cls[order]],
        alpha=0.5,
        rasterized=True,
        linewidths=0,
    )
    for c, name in enumerate(CLASSES):
        ax[0, 2].scatter([], [], s=20, c=colors[c], label=f"{name} ({np.mean(cls == c):.1%})")
    ax[0, 2].legend(loc="lower right", fontsize=8, markerscale=1.5)
    ax[0, 2].set(
        xlim=(0, 1), ylim=(0, 1), xlabel="turnout", title="stations by most probable class"
    )
    x = 0.5 * (check.edges[1:] + check.edges[:-1])
    for a, name, lab in ((ax[1, 0], "turnout", "turnout"), (ax[1, 1], "share", "leader's share")):
        a.step(x, check.observed[name], where="mid", color="k", lw=1, label="observed")
        a.plot(x, check.expected[name], color="#c44e52", lw=1.5, label="fitted model")
        floor = 1.0 / (check.n_replicates + 1)
        bound = " (smallest possible)" if check.p_values[name] <= floor + 1e-12 else ""
        a.set_title(f"{lab}: predictive p = {check.p_values[name]:.2f}{bound}")
        a.set_xlabel(lab)
        a.set_ylabel("stations per 1 % bin")
        a.legend(fontsize=8)
    est = [fit.pi[k].estimate for k in CLASSES]
    err = np.array(
        [[e - fit.pi[k].ci_low, fit.pi[k].ci_high - e] for e, k in zip(est, CLASSES, strict=True)]
    ).T
    ax[1, 2].bar(CLASSES, est, yerr=err, color=colors, capsize=6)
    ax[1, 2].set_ylim(0, 1)
    ax[1, 2].set_title("mixture weights (95 % intervals)")
    for i, e in enumerate(est):
        ax[1, 2].text(i, min(e + 0.05, 0.95), f"{e:.3f}", ha="center")
    fig.suptitle(
        (title + "\n" if title else "")
        + "Mixture model of fraud: model-based anomaly estimates, not findings of fraud",
        fontsize=12,
    )
    fig.subplots_adjust(left=0.05, right=0.98, bottom=0.07, top=0.88, wspace=0.3, hspace=0.35)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# --------------------------------------------------------------------------------------------
# ElectionData layer
# --------------------------------------------------------------------------------------------

_CACHE: dict[tuple[int, str], tuple[weakref.ref, MixtureFit]] = {}


def election_arrays(data: ElectionData, leader: str) -> dict[str, np.ndarray]:
    """Registered, ballots cast, valid and leader's votes per station (NaN = unknown)."""
    registered = data.stations["registered_voters"].to_numpy(dtype=float)
    ballots = data.lines["ballots_cast"].to_numpy(dtype=float)
    if "valid" in data.lines:
        valid = data.lines["valid"].to_numpy(dtype=float)
    else:  # no valid-ballots line: the sum of the votes for the choices
        valid = data.official[data.choice_option_ids].sum(axis=1, min_count=1).to_numpy(float)
    return {
        "registered": registered,
        "ballots_cast": ballots,
        "valid": valid,
        "leader": data.official[leader].to_numpy(dtype=float),
    }


def fit_election(data: ElectionData, leader: str | None = None, **kwargs: Any) -> MixtureFit:
    """Fit the mixture to an election; the fit is cached per (data object, leader)."""
    leader = leader or data.leader()
    key = (id(data), leader)
    hit = _CACHE.get(key)
    if not kwargs and hit is not None and hit[0]() is data:
        return hit[1]
    arr = election_arrays(data, leader)
    fit = fit_mixture(arr["registered"], arr["ballots_cast"], arr["valid"], arr["leader"], **kwargs)
    if not kwargs:
        for k in [k for k, (ref, _) in _CACHE.items() if ref() is None]:
            del _CACHE[k]
        _CACHE[key] = (weakref.ref(data), fit)
    return fit


def station_probabilities(
    data: ElectionData, leader: str | None = None, *, fit: MixtureFit | None = None
) -> pd.DataFrame:
    """Per-station class probabilities (with delta-method se), manufactured and stolen votes.

    Index: the election's station ids. ``*_sd`` are posterior standard deviations given the
    fitted parameters; stations that did not enter the fit are NaN.
    """
    fit = fit or fit_election(data, leader)
    p, pse = fit.station_probabilities, fit.station_probabilities_se
    df = pd.DataFrame(
        {
            "p_no_fraud": p[:, 0],
            "p_incremental": p[:, 1],
            "p_extreme": p[:, 2],
            "p_no_fraud_se": pse[:, 0],
            "p_incremental_se": pse[:, 1],
            "p_extreme_se": pse[:, 2],
            "modal_class": pd.Series(
                [CLASSES[c] if c >= 0 else None for c in fit.modal_class], dtype="object"
            ).to_numpy(),
            "manufactured": fit.manufactured,
            "manufactured_sd": fit.manufactured_sd,
            "stolen": fit.stolen,
            "stolen_sd": fit.stolen_sd,
        },
        index=data.stations.index.copy(),
    )
    df.index.name = "station_id"
    return df


def battery_entry(
    data: ElectionData,
    leader: str,
    *,
    plots_dir: Path | None = None,
    fit: MixtureFit | None = None,
    n_replicates: int = 19,
    seed: int = 0,
) -> dict[str, Any]:
    """The mixture model's entry in the forensics battery (JSON-serialisable)."""
    arr = election_arrays(data, leader)
    if not np.isfinite(arr["registered"]).any():
        return {"skipped": True, "reason": "registered voters unknown: no turnout", "note": NOTE}
    try:
        fit = fit or fit_election(data, leader)
    except ValueError as exc:
        return {"skipped": True, "reason": str(exc), "note": NOTE}
    check = predictive_check(fit, n_replicates=n_replicates, seed=seed)
    leader_total = float(np.nansum(arr["leader"][fit.used]))
    out: dict[str, Any] = {
        "method": "finite mixture of no-fraud/incremental/extreme classes (Mebane-type), EM",
        "leader": leader,
        **fit.summary(),
        "leader_votes": leader_total,
        "predictive_checks": {
            name: {"discrepancy": check.statistics[name], "p_value": check.p_values[name]}
            for name in check.statistics
        },
        "n_replicates": n_replicates,
    }
    out["note"] = NOTE
    if plots_dir is not None:
        path = plot_mixture(
            fit, check, Path(plots_dir) / "mixture_model.png", title=f"{data.election.name}"
        )
        out["plots"] = [str(path)]
    return _jsonable(out)
