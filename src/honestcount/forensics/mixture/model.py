"""The mixture model's station data and parameters: preparation, packing, starting values."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np
from scipy import special

GH_X = np.array([-math.sqrt(3.0), 0.0, math.sqrt(3.0)])
GH_W = np.array([1.0 / 6.0, 2.0 / 3.0, 1.0 / 6.0])
LOG_FLOOR = -800.0
LOG2PI = math.log(2.0 * math.pi)
# moments kept per station and class: 1, z_t, z_t^2, z_s, z_s^2, log u_m, log(1-u_m), log u_s,
# log(1-u_s)  (z_t, z_s: honest logit turnout and share; u: fraud proportion on its range)
NMOM = 9
THREADS = min(2, os.cpu_count() or 1)


def expit(x: np.ndarray | float) -> np.ndarray:
    return np.asarray(special.expit(x), dtype=float)


def logit(p: np.ndarray | float) -> np.ndarray:
    return np.asarray(special.logit(p), dtype=float)


@dataclass
class StationData:
    """The used stations' counts and their empirical logits (``N`` registered, ``A``
    abstentions, ``K`` valid, ``W`` leader's votes)."""

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

    def take(self, idx: np.ndarray) -> StationData:
        return StationData(
            len(idx),
            *(
                getattr(self, k)[idx]
                for k in ("N", "A", "K", "W", "others", "t_hat", "v_t", "w_hat", "v_w", "Xt", "Xs")
            ),
        )


@dataclass
class Params:
    """Model parameters: weights, honest-turnout and -share regressions, Beta shapes."""

    pi: np.ndarray  # (3,)
    beta_t: np.ndarray
    sig_t: float
    beta_s: np.ndarray
    sig_s: float
    shape: np.ndarray  # (2 classes, 2 dims (m, s), 2 (a, b))

    def copy(self) -> Params:
        return Params(
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
    def from_vector(cls, v: np.ndarray, p_t: int, p_s: int) -> Params:
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


def param_names(p_t: int, p_s: int) -> tuple[str, ...]:
    names = ["pi_incremental", "pi_extreme"]
    names += [f"beta_turnout[{j}]" for j in range(p_t)] + ["log_sigma_turnout"]
    names += [f"beta_share[{j}]" for j in range(p_s)] + ["log_sigma_share"]
    for c in ("incremental", "extreme"):
        for dim in ("m", "s"):
            names += [f"log_a_{dim}_{c}", f"log_b_{dim}_{c}"]
    return tuple(names)


def design(x: np.ndarray | None, n: int) -> np.ndarray:
    """The design matrix: an intercept column and the covariates ``x`` (if any)."""
    if x is None:
        return np.ones((n, 1))
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    return np.column_stack([np.ones(n), x])


def prepare(
    registered: np.ndarray,
    ballots_cast: np.ndarray,
    valid: np.ndarray,
    leader: np.ndarray,
    x_turnout: np.ndarray | None,
    x_share: np.ndarray | None,
    min_registered: int,
) -> tuple[StationData, np.ndarray]:
    """The usable stations' data and the mask of usable stations."""
    N = np.asarray(registered, dtype=float)
    V = np.asarray(ballots_cast, dtype=float)
    K = np.asarray(valid, dtype=float)
    W = np.asarray(leader, dtype=float)
    if not (N.shape == V.shape == K.shape == W.shape) or N.ndim != 1:
        raise ValueError("registered, ballots_cast, valid and leader must be 1-D of equal length")
    n_all = len(N)
    Xt = design(x_turnout, n_all)
    Xs = design(x_share, n_all)
    with np.errstate(invalid="ignore"):
        used = np.isfinite(N) & np.isfinite(V) & np.isfinite(K) & np.isfinite(W)
        used &= np.all(np.isfinite(Xt), axis=1) & np.all(np.isfinite(Xs), axis=1)
        used &= (min_registered <= N) & (V <= N) & (V > 0) & (K > 0) & (K <= V)
        used &= (W >= 0) & (W <= K)
    N, V, K, W = N[used], V[used], K[used], W[used]
    A = N - V
    oth = K - W
    d = StationData(
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


def initial(d: StationData) -> Params:
    """Start from the lower, cleaner half of each distribution (fraud only pushes upwards)."""
    t_med = np.median(d.t_hat)
    s_med = np.median(d.w_hat)
    low_t = d.t_hat[d.t_hat <= t_med]
    low_s = d.w_hat[d.w_hat <= s_med]
    sig_t = max(float(np.sqrt(np.mean((low_t - t_med) ** 2))), 0.05)
    sig_s = max(float(np.sqrt(np.mean((low_s - s_med) ** 2))), 0.05)
    beta_t = np.zeros(d.Xt.shape[1])
    beta_s = np.zeros(d.Xs.shape[1])
    beta_t[0] = t_med
    beta_s[0] = s_med
    shape = np.full((2, 2, 2), 2.0)
    return Params(np.array([0.8, 0.15, 0.05]), beta_t, sig_t, beta_s, sig_s, shape)
