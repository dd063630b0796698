"""The E-step: class posteriors and class-conditional moments, vectorised over stations.

The no-fraud class is in closed form (normal approximation of the binomial on the logit
scale, convolved with the random effect). A fraud class is integrated on a fixed grid of
standardised nodes for the honest turnout (which fixes ``m`` and the manufactured votes ``M``
of the station) and three Gauss-Hermite nodes for the binomial of the leader's votes, with the
density of the leader's share read from :mod:`~honestcount.forensics.mixture.tables`.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy import special

from honestcount.forensics.mixture.model import (
    GH_W,
    GH_X,
    LOG2PI,
    NMOM,
    THREADS,
    Params,
    StationData,
    expit,
)
from honestcount.forensics.mixture.tables import Tables, build_tables, lookup


@dataclass
class EStep:
    loglik: float
    ll: np.ndarray  # (n,)
    r: np.ndarray  # (n, 3) class posteriors
    mom: np.ndarray  # (n, 3, NMOM) class-conditional moments
    # the manufactured (M) and stolen (S) votes, final E-step only (else no rows)
    mom_m: np.ndarray  # (n, 3, NMOM): E[M * moment | class]
    mom_s: np.ndarray  # (n, 3, NMOM): E[S * moment | class]
    m2: np.ndarray  # (n, 3) E[M^2 | class]
    s2: np.ndarray  # (n, 3) E[S^2 | class]


@dataclass
class _Nodes:
    """One chunk's honest-turnout nodes (stations x nodes)."""

    log_w: np.ndarray  # log weights of the standardised nodes
    zt: np.ndarray  # honest logit turnout at each node (its posterior mean)
    zt_var: np.ndarray  # and its variance, per station
    nv: np.ndarray  # honest non-voters
    m_star: np.ndarray  # the manufactured proportion that the node implies
    man: np.ndarray  # and the manufactured votes


@dataclass
class _ClassMoments:
    """One class's contribution for a chunk of stations (the ``final`` parts fraud only)."""

    lclass: np.ndarray  # (C,) log-likelihood within the class (no-fraud: with log pi)
    mom: np.ndarray  # (C, NMOM)
    mom_m: np.ndarray | None = None
    mom_s: np.ndarray | None = None
    m2: np.ndarray | None = None
    s2: np.ndarray | None = None


def logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    mx = np.max(a, axis=axis, keepdims=True)
    mx_safe = np.where(np.isfinite(mx), mx, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(a - mx_safe), axis=axis, keepdims=True)) + mx_safe
    return np.asarray(np.squeeze(out, axis=axis))


def _norm_logpdf(x: np.ndarray, mu: np.ndarray, var: np.ndarray) -> np.ndarray:
    return np.asarray(-0.5 * ((x - mu) ** 2 / var + np.log(var) + LOG2PI))


def _clean_class(
    d: StationData, sl: slice, th: Params, mu_t: np.ndarray, mu_s: np.ndarray, log_pi0: float
) -> _ClassMoments:
    """The no-fraud class in closed form (its log-likelihood includes ``log pi``)."""
    st2, ss2 = th.sig_t**2, th.sig_s**2
    vt, vw = d.v_t[sl], d.v_w[sl]
    ll = (
        log_pi0
        + np.log(vt)
        + _norm_logpdf(d.t_hat[sl], mu_t, st2 + vt)
        + np.log(vw)
        + _norm_logpdf(d.w_hat[sl], mu_s, ss2 + vw)
    )
    m0 = np.zeros((len(vt), NMOM))
    m0[:, 0] = 1.0
    pm = (d.t_hat[sl] * st2 + mu_t * vt) / (st2 + vt)
    pv = st2 * vt / (st2 + vt)
    m0[:, 1], m0[:, 2] = pm, pm * pm + pv
    pm = (d.w_hat[sl] * ss2 + mu_s * vw) / (ss2 + vw)
    pv = ss2 * vw / (ss2 + vw)
    m0[:, 3], m0[:, 4] = pm, pm * pm + pv
    return _ClassMoments(ll, m0)


def _turnout_nodes(
    N: np.ndarray, A: np.ndarray, mu_t: np.ndarray, sig_t: float, nodes: np.ndarray
) -> _Nodes:
    """Nodes over the logit of the honest turnout count V0 / N, whose spread is the random
    effect plus the binomial sampling variance."""
    log_w = -0.5 * nodes**2
    log_w -= logsumexp(log_w, axis=0)
    st2 = sig_t**2
    p_bar = expit(mu_t)
    v_bin = 1.0 / (N * p_bar * (1.0 - p_bar))
    s_eff = np.sqrt(st2 + v_bin)
    z = mu_t[:, None] + s_eff[:, None] * nodes[None, :]
    # honest logit turnout given the node: normal, shrunk towards mu_t
    rho = st2 / (st2 + v_bin)
    zt = mu_t[:, None] + rho[:, None] * (z - mu_t[:, None])
    zt_var = st2 * v_bin / (st2 + v_bin)
    nv = N[:, None] * expit(-z)
    m_star = 1.0 - (A[:, None] + 1.0) / (nv + 2.0)
    man = np.maximum(nv - A[:, None], 0.0)
    return _Nodes(log_w, zt, zt_var, nv, m_star, man)


def _node_weights(
    c: int, th: Params, ranges: np.ndarray, nd: _Nodes, W: np.ndarray, K: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Log weight of each (station, node) under class ``c``'s ``m`` distribution, and where
    the node is possible; with ``log u``, ``log(1 - u)`` of the proportion on its range."""
    lo, hi = ranges[c - 1]
    a_m, b_m = th.shape[c - 1, 0]
    u = (nd.m_star - lo) / (hi - lo)
    ok = (u > 0) & (u < 1) & (nd.man <= W[:, None]) & (nd.man < K[:, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        lu = np.log(np.where(ok, u, 0.5))
        l1u = np.log1p(-np.where(ok, u, 0.5))
        base = (
            nd.log_w[None, :]
            + (a_m - 1) * lu
            + (b_m - 1) * l1u
            - special.betaln(a_m, b_m)
            - math.log(hi - lo)
            - np.log(nd.nv + 1.0)
        )
    return np.where(ok, base, -np.inf), ok, lu, l1u


def _fraud_class(
    c: int,
    d: StationData,
    sl: slice,
    th: Params,
    ranges: np.ndarray,
    tables: Tables,
    nd: _Nodes,
    mu_s: np.ndarray,
    final: bool,
) -> _ClassMoments:
    """Fraud class ``c`` (1 incremental, 2 extreme) for the stations ``sl``."""
    fidx = {name: i for i, name in enumerate(tables.names)}
    W, K, oth = d.W[sl], d.K[sl], d.others[sl]
    C = len(W)
    base, ok, lu, l1u = _node_weights(c, th, ranges, nd, W, K)
    mx = np.max(base, axis=1, keepdims=True)
    keep = ok & (base > mx - 18.0)
    ii, kk = np.nonzero(keep)
    mk = nd.man[ii, kk]
    yk = W[ii] - mk
    ok_i = oth[ii]
    yhat = np.log((yk + 0.5) / (ok_i + 0.5))
    v = 1.0 / (yk + 0.5) + 1.0 / (ok_i + 0.5)
    ynodes = yhat[:, None] + np.sqrt(v)[:, None] * GH_X[None, :]
    vals = lookup(tables, c - 1, ynodes, mu_s[ii])
    dj = np.exp(vals[..., 0]) * GH_W[None, :]
    dsum = dj.sum(axis=1)
    with np.errstate(divide="ignore"):
        lw = np.log(v) + np.log(dsum)
    tot = np.full((C, base.shape[1]), -np.inf)
    tot[ii, kk] = base[ii, kk] + lw
    lclass = logsumexp(tot, axis=1)
    lcl_safe = np.where(np.isfinite(lclass), lclass, 0.0)
    rk = np.exp(tot[ii, kk] - lcl_safe[ii])  # node posteriors within the class
    safe = np.where(dsum > 0, dsum, 1.0)
    e_pair = {
        name: np.where(dsum > 0, (dj * vals[..., fidx[name]]).sum(axis=1) / safe, 0.0)
        for name in tables.names[1:]
    }
    zk = nd.zt[ii, kk]
    per = np.empty((len(ii), NMOM))
    per[:, 0] = 1.0
    per[:, 1] = zk
    per[:, 2] = zk * zk + nd.zt_var[ii]
    per[:, 3] = e_pair["zs"]
    per[:, 4] = e_pair["zs2"]
    per[:, 5] = lu[ii, kk]
    per[:, 6] = l1u[ii, kk]
    per[:, 7] = e_pair["lu"]
    per[:, 8] = e_pair["l1u"]
    mc = np.empty((C, NMOM))
    for j in range(NMOM):
        mc[:, j] = np.bincount(ii, weights=rk * per[:, j], minlength=C)
    out = _ClassMoments(lclass, mc)
    if final:
        _stolen_moments(out, ii, rk, mk, yk, per, e_pair, C)
    return out


def _stolen_moments(
    out: _ClassMoments,
    ii: np.ndarray,
    rk: np.ndarray,
    mk: np.ndarray,
    yk: np.ndarray,
    per: np.ndarray,
    e_pair: dict[str, np.ndarray],
    C: int,
) -> None:
    """Add the manufactured- and stolen-vote moments: stolen votes among the leader's
    non-manufactured votes Y are Bin(Y, g), g = s (1 - nu) / q."""
    st = yk * e_pair["g"]  # E[S | node]
    # E[S * moment | node]: honest-turnout and m parts are fixed at the node
    sper = per * st[:, None]
    sper[:, 3] = yk * e_pair["gzs"]
    sper[:, 4] = yk * e_pair["gzs2"]
    sper[:, 7] = yk * e_pair["glu"]
    sper[:, 8] = yk * e_pair["gl1u"]
    mmc = np.empty((C, NMOM))
    smc = np.empty((C, NMOM))
    for j in range(NMOM):
        mmc[:, j] = np.bincount(ii, weights=rk * mk * per[:, j], minlength=C)
        smc[:, j] = np.bincount(ii, weights=rk * sper[:, j], minlength=C)
    es2 = yk * yk * e_pair["g2"] + yk * (e_pair["g"] - e_pair["g2"])
    out.mom_m, out.mom_s = mmc, smc
    out.m2 = np.bincount(ii, weights=rk * mk * mk, minlength=C)
    out.s2 = np.bincount(ii, weights=rk * es2, minlength=C)


def estep(
    d: StationData,
    th: Params,
    ranges: np.ndarray,
    nodes: np.ndarray,
    final: bool = False,
    chunk: int = 4096,
) -> EStep:
    """Posteriors and moments at ``th``; ``final`` adds the manufactured and stolen votes."""
    tables = build_tables(th, d, ranges, final)
    n = d.n
    ll = np.empty(n)
    r = np.empty((n, 3))
    mom = np.zeros((n, 3, NMOM))
    n_final = n if final else 0
    mom_m = np.zeros((n_final, 3, NMOM))
    mom_s = np.zeros((n_final, 3, NMOM))
    m2 = np.zeros((n_final, 3))
    s2 = np.zeros((n_final, 3))
    log_pi = np.log(np.maximum(th.pi, 1e-300))

    def run(start: int) -> None:
        sl = slice(start, min(start + chunk, n))
        mu_t = d.Xt[sl] @ th.beta_t
        mu_s = d.Xs[sl] @ th.beta_s
        nd = _turnout_nodes(d.N[sl], d.A[sl], mu_t, th.sig_t, nodes)
        classes = [_clean_class(d, sl, th, mu_t, mu_s, float(log_pi[0]))]
        classes += [_fraud_class(c, d, sl, th, ranges, tables, nd, mu_s, final) for c in (1, 2)]
        lc = np.column_stack([classes[0].lclass] + [log_pi[c] + classes[c].lclass for c in (1, 2)])
        lli = logsumexp(lc, axis=1)
        ll[sl] = lli
        r[sl] = np.exp(lc - lli[:, None])
        for c, cm in enumerate(classes):
            mom[sl, c] = cm.mom
            if final and c > 0:
                assert cm.mom_m is not None and cm.mom_s is not None
                assert cm.m2 is not None and cm.s2 is not None
                mom_m[sl, c], mom_s[sl, c] = cm.mom_m, cm.mom_s
                m2[sl, c], s2[sl, c] = cm.m2, cm.s2

    starts = range(0, n, chunk)
    if THREADS > 1 and n > 2 * chunk:
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            list(pool.map(run, starts))
    else:
        for start in starts:
            run(start)
    return EStep(float(np.sum(ll)), ll, r, mom, mom_m, mom_s, m2, s2)
