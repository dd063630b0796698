"""The honest-count mixture estimator: which protocols were counted honestly, from the evidence.

Where falsification is widespread, "no photo-proven falsification" keeps most falsified
protocols (photos prove only the largest thefts), so the clean-station ratio is pulled towards
the official result. The evidence itself separates the two kinds of station: at a protocol
station, log(official / declared) of the challenger (the option most voters declared) is

* honest: log(1 / coverage) of the station's stratum, plus station-to-station variation of
  the coverage (sd ``honest_sd``) and the binomial noise of the declarations (variance about
  1 / declared);
* falsified: the same shifted by ``delta`` < 0 (the protocol keeps a fraction exp(delta) of
  her votes), with a wider spread ``falsified_sd``.

A two-component normal mixture on that log ratio, with the honest mean per stratum (region x
settlement type, shrunk towards the settlement type and the nation) and the prior share of
honest stations per stratum (shrunk towards the nation), is fitted by EM; photo-proven
falsification fixes P(honest) = 0. Then each option's ratio (votes per declaration) is learnt
from the honest stations weighted by P(honest), pooled as in :mod:`.ratio`, and every vote
that is not an honest official count is predicted from declarations: the expected total
under the posterior. Intervals: a Poisson bootstrap over protocol stations that refits the
mixture (classification and coverage uncertainty), plus the prediction noise of the
predicted votes; all replicates are fitted at once (arrays over replicates).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from honestcount.estimate.ratio import (
    _colsum,
    _deviation_strength,
    _group_codes,
    _group_rows,
    _hierarchy,
    _impute,
    _main_rates,
    _ratios,
    _summarize,
)
from honestcount.results import DEFAULT_LEVEL, tail_quantiles

# The fraction of her votes a falsified protocol keeps lies on this grid (its weights are
# fitted): thefts below ~30% cannot be told from the spread of honest stations' coverage, so
# the model does not try (they count as honest and pull the estimate towards the official).
KEPT = np.geomspace(0.02, 0.7, 13)
LOG_KEPT = np.log(KEPT)
MAX_REFITS = 400  # bootstrap refits of the mixture (the prediction noise uses every replicate)
BATCH = 100  # refits fitted together (memory: ~20 arrays of BATCH x stations)
SMOOTH_PASSES = 2
# Honest stations' coverage varies within a stratum by at most ~30% (sd of its log): a wider
# honest part would swallow the falsified majority when most stations are falsified
MAX_HONEST_SD = 0.3
SHRINK_STATIONS = 3.0  # stations' worth of pull of a stratum's parameters towards its parent
LEVEL_STRENGTH = 50.0  # as in the ratio method


@dataclass(frozen=True)
class Components:
    """EM parameters, one row per replicate (row 0: the fit to the data)."""

    mu: np.ndarray  # (B, S) honest log(official / declared) per stratum
    s2: np.ndarray  # (B,) station variation of the log coverage (beyond binomial noise)
    pi: np.ndarray  # (B, S) prior share of honest stations per stratum
    omega: np.ndarray  # (B, G) distribution of the kept fraction over KEPT, falsified stations

    def repeat(self, n: int) -> Components:
        return Components(
            np.repeat(self.mu, n, 0),
            np.repeat(self.s2, n, 0),
            np.repeat(self.pi, n, 0),
            np.repeat(self.omega, n, 0),
        )

    @staticmethod
    def stack(a: Components, b: Components) -> Components:
        return Components(
            np.vstack([a.mu, b.mu]),
            np.concatenate([a.s2, b.s2]),
            np.vstack([a.pi, b.pi]),
            np.vstack([a.omega, b.omega]),
        )


@dataclass(frozen=True)
class _Groups:
    """Stations sorted by stratum, for fast per-stratum sums over replicate arrays."""

    order: np.ndarray
    starts: np.ndarray
    codes: np.ndarray  # stratum code of each station (unsorted order)
    parent: np.ndarray  # (S,) parent code of each stratum
    n_parent: int
    names: np.ndarray  # (S,) stratum labels

    def sums(self, a: np.ndarray) -> np.ndarray:
        """(B, m) -> (B, S) sums per stratum."""
        return np.add.reduceat(a[:, self.order], self.starts, axis=1)

    def up(self, a: np.ndarray) -> np.ndarray:
        """(B, S) -> (B, T) sums per parent."""
        out = np.zeros((a.shape[0], self.n_parent))
        np.add.at(out.T, self.parent, a.T)
        return out


def _groups(fine: np.ndarray, parent_label: np.ndarray) -> _Groups:
    codes, names = pd.factorize(pd.Series(fine, dtype=object), sort=True)
    codes = codes.astype(np.intp)
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(len(names)))
    p_codes, p_names = pd.factorize(pd.Series(parent_label, dtype=object), sort=True)
    parent = np.zeros(len(names), dtype=np.intp)
    parent[codes] = p_codes
    return _Groups(order, starts, codes, parent, len(p_names), np.asarray(names, dtype=object))


@dataclass(frozen=True)
class _Posterior:
    honest: np.ndarray  # (B, m) P(honest)
    shift: np.ndarray  # (B, m) E[log kept]
    shift2: np.ndarray  # (B, m) E[(log kept)^2]
    mass: np.ndarray  # (B, G) weighted posterior mass of each falsified grid point


def _e_step(
    x: np.ndarray, v: np.ndarray, proven: np.ndarray, w: np.ndarray, g: _Groups, c: Components
) -> _Posterior:
    """The posterior of every classified station under each replicate's parameters.

    Every component has the same variance (coverage variation plus binomial noise): a
    falsified station differs from an honest one only by the log of the fraction kept, so
    the term in y^2 cancels and component g's log weight is log prior + (2 y l - l^2) / 2V."""
    y = x[None] - c.mu[:, g.codes]
    half_prec = 0.5 / (c.s2[:, None] + v[None])
    pi = c.pi[:, g.codes]
    lin = 2.0 * y * half_prec
    log_fals = np.log1p(-pi)
    log_omega = np.log(np.maximum(c.omega, 1e-300))
    logits = [np.log(pi)]
    for i, lg in enumerate(LOG_KEPT):
        logits.append(log_fals + log_omega[:, i : i + 1] + lg * lin - lg * lg * half_prec)
    top = np.maximum.reduce(logits)
    weights = [np.exp(lg - top) for lg in logits]
    falsified_total = np.add.reduce(weights[1:])
    honest = weights[0] / (weights[0] + falsified_total)
    honest[:, proven] = 0.0
    scale = (1.0 - honest) / np.maximum(falsified_total, 1e-300)
    shift = np.zeros_like(y)
    shift2 = np.zeros_like(y)
    mass = np.empty((len(w), len(LOG_KEPT)))
    for i, lg in enumerate(LOG_KEPT):
        r = weights[i + 1] * scale  # P(kept = KEPT[i])
        shift += r * lg
        shift2 += r * (lg * lg)
        mass[:, i] = (w * r).sum(1)
    return _Posterior(honest, shift, shift2, mass)


def _shrunk_mean(num: np.ndarray, den: np.ndarray, g: _Groups, k0: np.ndarray) -> np.ndarray:
    """Per-stratum weighted means shrunk towards the parent's, the parent's towards the nation."""
    nat = num.sum(1) / np.maximum(den.sum(1), 1e-12)
    pn, pd_ = g.up(num), g.up(den)
    parent = (pn + k0[:, None] * nat[:, None]) / (pd_ + k0[:, None])
    return np.asarray((num + k0[:, None] * parent[:, g.parent]) / (den + k0[:, None]))


def _m_step(
    x: np.ndarray, v: np.ndarray, w: np.ndarray, post: _Posterior, g: _Groups, c: Components
) -> Components:
    a = w / (c.s2[:, None] + v[None])
    # every station tells its stratum's honest level, net of the theft it probably suffered
    k0 = SHRINK_STATIONS * a.sum(1) / np.maximum(w.sum(1), 1e-12)
    mu = _shrunk_mean(g.sums(a * (x[None] - post.shift)), g.sums(a), g, k0)
    y = x[None] - mu[:, g.codes]
    sq = y**2 - 2 * y * post.shift + post.shift2  # E[(y - log kept)^2]
    # the likelihood's fixed point for the variance of heteroscedastic normals
    p2 = w / (c.s2[:, None] + v[None]) ** 2
    s2 = (p2 * (sq - v[None])).sum(1) / np.maximum(p2.sum(1), 1e-12)
    kp = np.full(len(w), SHRINK_STATIONS)
    pi = _shrunk_mean(g.sums(w * post.honest), g.sums(w), g, kp)
    omega = post.mass / np.maximum(post.mass.sum(1, keepdims=True), 1e-12)
    # smoothed EM (EMS): neighbouring thefts are about as likely, so the fitted distribution
    # of the kept fraction has no holes that honest-looking small thefts could fall into
    for _ in range(SMOOTH_PASSES):
        padded = np.concatenate([omega[:, :1], omega, omega[:, -1:]], axis=1)
        omega = 0.25 * padded[:, :-2] + 0.5 * padded[:, 1:-1] + 0.25 * padded[:, 2:]
    return Components(mu, np.clip(s2, 0.002, MAX_HONEST_SD**2), np.clip(pi, 0.005, 0.995), omega)


START_QUANTILES = (0.6, 0.75, 0.9)  # where the honest level may start, per stratum


def _initial(x: np.ndarray, g: _Groups, quantiles: Sequence[float] = (0.75,)) -> Components:
    """Start each stratum's honest level at an upper quantile of its own stations (one row
    per quantile): the honest stations are the top of the distribution (falsification only
    lowers her count), and how far down they reach depends on how many were falsified."""
    n_s, q = len(g.starts), np.asarray(quantiles, dtype=float)
    ends = np.append(g.starts[1:], x.size)
    xs = x[g.order]
    top = np.quantile(x, q) if x.size else np.zeros(len(q))
    mu = np.stack(
        [
            np.quantile(xs[a:b], q) if b - a >= 5 else top
            for a, b in zip(g.starts, ends, strict=True)
        ],
        axis=1,
    )
    return Components(
        mu,
        np.full(len(q), 0.05),
        np.full((len(q), n_s), 0.5),
        np.full((len(q), len(KEPT)), 1.0 / len(KEPT)),
    )


def _loglik(
    x: np.ndarray, v: np.ndarray, proven: np.ndarray, g: _Groups, c: Components
) -> np.ndarray:
    """The log likelihood of each row of parameters (photo-proven stations: falsified)."""
    y = x[None] - c.mu[:, g.codes]
    var = c.s2[:, None] + v[None]
    pi = np.where(proven[None], 0.0, c.pi[:, g.codes])
    dens = pi * np.exp(-0.5 * y**2 / var)
    for i, lg in enumerate(LOG_KEPT):
        dens = dens + (1.0 - pi) * c.omega[:, i : i + 1] * np.exp(-0.5 * (y - lg) ** 2 / var)
    return np.asarray(np.log(np.maximum(dens, 1e-300) / np.sqrt(2 * np.pi * var)).sum(1))


def em(
    x: np.ndarray,
    v: np.ndarray,
    proven: np.ndarray,
    g: _Groups,
    w: np.ndarray,
    start: Components,
    n_iter: int,
    tol: float = 1e-6,
) -> tuple[Components, np.ndarray, int]:
    """Fit the mixture for every row of the weights ``w`` (B, m) from ``start``.

    Returns the parameters, P(honest) per replicate and station, and the iterations run."""
    c = start
    post = _e_step(x, v, proven, w, g, c)
    it = 0
    while it < n_iter:
        it += 1
        c = _m_step(x, v, w, post, g, c)
        new = _e_step(x, v, proven, w, g, c)
        done = float(np.abs(new.honest - post.honest).max(initial=0.0)) < tol
        post = new
        if done:
            break
    return c, post.honest, it


@dataclass(frozen=True)
class MixtureEstimate:
    """Result of :func:`mixture_estimate` (arrays per option, in ``options`` order).

    ``p_honest``: P(honest) per station (NaN without a protocol); ``log_ratio``: the
    challenger's log(official / declared) where it entered the fit; ``honest_mean``: the
    fitted honest log ratio at each station (its stratum's); ``coverage``: the fitted share of
    the challenger's voters who declared, per stratum (exp(-honest mean)).
    """

    options: tuple[str, ...]
    challenger: str
    votes: np.ndarray
    shares: np.ndarray
    share_ci: np.ndarray
    votes_ci: np.ndarray
    ballots: float
    ballots_ci: tuple[float, float]
    p_honest: pd.Series
    log_ratio: pd.Series
    noise_var: pd.Series
    honest_mean: pd.Series
    prior: pd.Series  # the stratum's prior share of honest stations, per classified station
    honest_fraction: float
    honest_sd: float
    kept: np.ndarray  # weight of each fraction in KEPT among falsified stations
    coverage: dict[str, float]
    pooled_strata: tuple[str, ...]
    iterations: int
    n_boot: int
    level: float
    by_group: pd.DataFrame

    @property
    def mean_kept(self) -> float:
        """The average fraction of her votes that a falsified protocol kept."""
        return float((KEPT * self.kept).sum())

    @property
    def n_classified(self) -> int:
        return int(self.log_ratio.notna().sum())

    @property
    def n_honest(self) -> int:
        """Stations more likely honest than not."""
        return int((self.p_honest >= 0.5).sum())


def challenger_of(official: pd.DataFrame, declared: pd.DataFrame) -> str:
    """The option with the most declarations at stations with a protocol."""
    prot = official.notna().any(axis=1)
    sums = declared[prot].sum()
    return str(sums.idxmax())


@dataclass(frozen=True)
class _Classified:
    x: np.ndarray
    v: np.ndarray
    proven: np.ndarray
    idx: np.ndarray  # station positions


def _classified(
    official: pd.DataFrame, declared: pd.DataFrame, proven: np.ndarray, challenger: str
) -> _Classified:
    o = official[challenger].to_numpy(float)
    d = declared[challenger].to_numpy(float)
    ok = np.isfinite(o) & np.isfinite(d) & (d > 0) & (o >= 0)
    idx = np.flatnonzero(ok)
    # +0.5: a protocol that gives her nothing is not infinitely far from the honest mode
    x = np.log((o[idx] + 0.5) / (d[idx] + 0.5))
    v = 1.0 / (d[idx] + 1.0)
    return _Classified(x, v, proven[idx], idx)


def _binomial_noise(cl: _Classified, g: _Groups) -> _Classified:
    """Var log(declared) = (1 - coverage) / declared: the coverage from the start values."""
    cover = np.clip(np.exp(-_initial(cl.x, g).mu[0]), 0.02, 0.95)
    return _Classified(cl.x, cl.v * (1.0 - cover[g.codes]), cl.proven, cl.idx)


def _fit_all(cl: _Classified, g: _Groups, w: np.ndarray) -> tuple[Components, np.ndarray, int]:
    """The point fit (row 0 of ``w``: all ones) and the bootstrap refits (rows 1..), each
    refit started from the point fit."""
    starts = _initial(cl.x, g, START_QUANTILES)
    ones = np.ones((len(START_QUANTILES), cl.x.size))
    fits, r_all, iters = em(cl.x, cl.v, cl.proven, g, ones, starts, 3000, tol=1e-5)
    best = int(np.argmax(_loglik(cl.x, cl.v, cl.proven, g, fits)))
    point = Components(
        fits.mu[best : best + 1],
        fits.s2[best : best + 1],
        fits.pi[best : best + 1],
        fits.omega[best : best + 1],
    )
    r0 = r_all[best : best + 1]
    comp, rows = point, [r0]
    for lo in range(1, len(w), BATCH):
        wb = w[lo : lo + BATCH]
        boot, rb, _ = em(cl.x, cl.v, cl.proven, g, wb, point.repeat(len(wb)), 30, tol=1e-4)
        comp = Components.stack(comp, boot)
        rows.append(rb)
    return comp, np.vstack(rows), iters


def pooled_levels(
    strata: Sequence[np.ndarray], sample: np.ndarray, min_n: int = 2
) -> tuple[list[np.ndarray], tuple[str, ...]]:
    """Strata for the ratios where no stratum rests on a single station: a finest stratum
    with 1..``min_n``-1 stations of ``sample`` is pooled with the other thin strata of its
    parent (then with the nation's); one with none keeps its label (its ratio comes from the
    main-effects model). Returns the levels (finest, parent) and the pooled strata's labels."""
    fine = np.asarray(strata[0], dtype=object)
    parent = (
        np.asarray(strata[1], dtype=object)
        if len(strata) > 1
        else np.full(len(fine), "all", dtype=object)
    )
    counts = pd.Series(sample.astype(int)).groupby(fine).transform("sum").to_numpy()
    thin = (counts > 0) & (counts < min_n)
    if not thin.any():
        return [np.asarray(s, dtype=object) for s in strata], ()
    lab = fine.copy()
    lab[thin] = np.array([f"{p}|~" for p in parent[thin]], dtype=object)
    counts = pd.Series(sample.astype(int)).groupby(lab).transform("sum").to_numpy()
    lab[thin & (counts < min_n)] = "~"
    upper = np.where(lab == "~", "~", parent)
    pooled = tuple(sorted({str(s) for s in fine[thin]}))
    return ([lab, upper] if len(strata) > 1 else [lab]), pooled


def _grouped(weights: np.ndarray, values: np.ndarray, codes: np.ndarray, m: int) -> np.ndarray:
    """sum over stations i with codes[i] = c of weights[b, i] * values[i, j]: (B, m, k)."""
    out = np.zeros((weights.shape[0], m, values.shape[1]))
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    present = np.unique(sorted_codes)
    starts = np.searchsorted(sorted_codes, present)
    ends = np.searchsorted(sorted_codes, present, side="right")
    for c, lo, hi in zip(present, starts, ends, strict=True):
        at = order[lo:hi]
        out[:, c, :] = weights[:, at] @ values[at]
    return out


@dataclass(frozen=True)
class _Layers:
    options: tuple[str, ...]
    o: np.ndarray  # official (n, k), NaN unknown
    e: np.ndarray  # declared, imputed where unknown
    prot: np.ndarray  # station positions with a protocol
    proven: np.ndarray  # (n,) photo-proven falsification


def _layers(
    official: pd.DataFrame, declared: pd.DataFrame, photo: pd.DataFrame, codes: list[np.ndarray]
) -> _Layers:
    o = official.to_numpy(float)
    e, _ = _impute(declared.reindex(columns=official.columns).to_numpy(float), codes)
    ph = photo.reindex(columns=official.columns).to_numpy(float)
    proven = np.asarray((ph > o).any(axis=1), dtype=bool)  # NaN compares False
    prot = np.flatnonzero(~np.isnan(o).all(axis=1))
    return _Layers(tuple(str(c) for c in official.columns), o, e, prot, proven)


def _totals(
    lay: _Layers,
    honest: np.ndarray,
    weights: np.ndarray,
    levels: list[np.ndarray],
    g_codes: np.ndarray,
    ng: int,
    pool_strength: float | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Votes per replicate and group (B, G, k): honest official counts weighted by P(honest),
    every other vote predicted from declarations with ratios learnt where the count is honest.

    ``honest``: P(honest) per replicate and protocol station (B, p); ``weights``: the
    bootstrap weights of those stations. Returns the totals and the sd of the prediction
    noise per group and option (point fit)."""
    n, k = lay.o.shape
    h = _hierarchy(levels, n)
    s1 = len(h.names[0])
    code = h.codes[0]
    cp = code[lay.prot]
    op = lay.o[lay.prot]
    ok = ~np.isnan(op)
    o0 = np.where(ok, op, 0.0)
    ep = lay.e[lay.prot]
    e_ok = np.where(ok, ep, 0.0)
    hw = honest * weights
    so = _grouped(hw, o0, cp, s1)
    sd = _grouped(hw, e_ok, cp, s1)
    if pool_strength is None:
        nu = _deviation_strength(so[0], sd[0], _main_rates(so[0], sd[0], h, LEVEL_STRENGTH))
    else:
        nu = np.full(k, float(pool_strength))
    r = _ratios(so, sd, h, nu, LEVEL_STRENGTH)
    r0 = np.where(np.isfinite(r[0]), r[0], 0.0)
    r = np.where(np.isfinite(r), r, r0[None])

    pair = code * ng + g_codes
    fixed = _grouped(honest, o0, g_codes[lay.prot], ng)  # honest official counts
    # declarations whose votes are predicted: all of them, less the honest-counted part
    u = _colsum(pair, lay.e, s1 * ng)[None] - _grouped(honest, e_ok, pair[lay.prot], s1 * ng)
    u = u.reshape(len(honest), s1, ng, k)
    totals = fixed + np.einsum("bsk,bsgk->bgk", r, u)

    # prediction noise per predicted vote, from the honest stations' residuals (point fit)
    resid = np.where(ok, op - r0[cp] * ep, 0.0)
    h0 = honest[0][:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = (h0 * resid**2).sum(0) / (h0 * r0[cp] * e_ok).sum(0)
    unit = np.nan_to_num(unit, nan=0.0, posinf=0.0)
    predicted = np.einsum("sk,sgk->gk", r0, u[0])
    return totals, np.sqrt(np.maximum(unit[None, :] * predicted, 0.0))


def _honest_per_protocol(lay: _Layers, cl: _Classified, r: np.ndarray, w: np.ndarray) -> np.ndarray:
    """P(honest) per replicate at every protocol station (B, p): the fitted posterior where the
    challenger's ratio entered the fit, the national share of honest stations elsewhere, 0
    where photos prove falsification."""
    col = np.full(len(lay.o), -1, dtype=np.intp)
    col[lay.prot] = np.arange(len(lay.prot))
    wc = w[:, col[cl.idx]]
    prior = (wc * r).sum(1) / np.maximum(wc.sum(1), 1e-12)
    out = np.repeat(prior[:, None], len(lay.prot), axis=1)
    out[:, col[cl.idx]] = r
    out[:, lay.proven[lay.prot]] = 0.0
    return out


def mixture_estimate(
    official: pd.DataFrame,
    declared: pd.DataFrame,
    photo: pd.DataFrame,
    strata: Sequence[np.ndarray],
    groups: np.ndarray | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = DEFAULT_LEVEL,
    challenger: str | None = None,
    pool_strength: float | None = None,
) -> MixtureEstimate:
    """Estimate each option's true votes and shares with the honest-count mixture.

    ``official``, ``declared``, ``photo``: stations x options (NaN unknown); ``strata``:
    nested labels, finest first (region x settlement type, settlement type); ``groups``:
    e.g. region, for ``by_group``. ``challenger``: the option whose official / declared
    ratio tells honest from falsified counts (default: the most declared option). Raises
    ValueError when fewer than 10 protocol stations have declarations of the challenger.
    """
    strata = [np.asarray(s, dtype=object) for s in strata] or [
        np.full(len(official), "all", dtype=object)
    ]
    parent = strata[1] if len(strata) > 1 else np.full(len(official), "all", dtype=object)
    h0 = _hierarchy(strata, len(official))
    lay = _layers(official, declared, photo, h0.codes)
    chal = challenger or challenger_of(official, declared.reindex(columns=official.columns))
    cl = _classified(official, declared, lay.proven, chal)
    if cl.x.size < 10:
        raise ValueError(f"only {cl.x.size} protocol stations have declarations for {chal}")
    rng = np.random.default_rng(seed)
    refits = min(max(n_boot, 0), MAX_REFITS)
    w = np.vstack([np.ones((1, len(lay.prot))), rng.poisson(1.0, (refits, len(lay.prot)))])
    col = np.full(len(official), -1, dtype=np.intp)
    col[lay.prot] = np.arange(len(lay.prot))
    g = _groups(strata[0][cl.idx], parent[cl.idx])
    cl = _binomial_noise(cl, g)
    comp, r, iters = _fit_all(cl, g, w[:, col[cl.idx]])
    honest = _honest_per_protocol(lay, cl, r, w)

    in_sample = np.zeros(len(official), dtype=bool)
    in_sample[lay.prot] = honest[0] >= 0.5
    levels, pooled = pooled_levels(strata, in_sample)
    g_codes, g_names = _group_codes(groups, len(official))
    totals, noise_sd = _totals(lay, honest, w, levels, g_codes, len(g_names), pool_strength)
    reps = totals[1:] + rng.standard_normal(totals[1:].shape) * noise_sd[None]
    reps = np.maximum(reps, 0.0)
    q = tail_quantiles(level)
    nat_point, nat_b = totals[0].sum(0), reps.sum(1)
    share, share_ci, votes_ci = _summarize(nat_point, nat_b, q, "percentile")
    ballots_b = nat_b.sum(1)
    p_honest = np.full(len(official), np.nan)
    p_honest[lay.prot] = honest[0]
    idx = official.index
    return MixtureEstimate(
        options=lay.options,
        challenger=chal,
        votes=nat_point,
        shares=share,
        share_ci=share_ci,
        votes_ci=votes_ci,
        ballots=float(nat_point.sum()),
        ballots_ci=(
            (float(np.quantile(ballots_b, q[0])), float(np.quantile(ballots_b, q[1])))
            if n_boot
            else (float("nan"), float("nan"))
        ),
        p_honest=pd.Series(p_honest, index=idx),
        log_ratio=_at(idx, cl.idx, cl.x),
        noise_var=_at(idx, cl.idx, cl.v),
        honest_mean=_at(idx, cl.idx, comp.mu[0, g.codes]),
        honest_fraction=float((r[0]).mean()),
        honest_sd=float(np.sqrt(comp.s2[0])),
        kept=comp.omega[0].copy(),
        coverage={str(s): float(np.exp(-m)) for s, m in zip(g.names, comp.mu[0], strict=True)},
        pooled_strata=pooled,
        iterations=iters,
        n_boot=refits,
        level=level,
        by_group=_group_rows(g_names, lay.options, totals[0], reps, q, "percentile"),
        prior=_at(idx, cl.idx, comp.pi[0, g.codes]),
    )


def _at(index: pd.Index, positions: np.ndarray, values: np.ndarray) -> pd.Series:
    out = np.full(len(index), np.nan)
    out[positions] = values
    return pd.Series(out, index=index)


def component_curves(
    fit: MixtureEstimate, bins: int = 40, points: int = 200
) -> dict[str, list[float]]:
    """The histogram of official / declared (log-spaced bins) and the fitted components as
    expected stations per bin, on a grid: what :func:`plots.plot_honest_mixture` draws."""
    ok = fit.log_ratio.notna().to_numpy()
    x = fit.log_ratio.to_numpy()[ok]
    mu = fit.honest_mean.to_numpy()[ok]
    v = fit.noise_var.to_numpy()[ok]
    pi = fit.prior.to_numpy()[ok]
    lo, hi = np.quantile(x, [0.005, 0.995])
    lo, hi = min(lo, float(mu.min())) - 0.3, max(hi, float(mu.max())) + 0.3
    edges = np.linspace(lo, hi, bins + 1)
    counts, _ = np.histogram(np.clip(x, lo, hi), edges)
    grid = np.linspace(lo, hi, points)
    width = float(edges[1] - edges[0])

    def density(mean: np.ndarray, var: np.ndarray, weight: np.ndarray) -> np.ndarray:
        z = (grid[:, None] - mean[None]) ** 2 / var[None]
        dens = weight[None] * np.exp(-0.5 * z) / np.sqrt(2 * np.pi * var[None])
        return np.asarray(dens.sum(1) * width)

    honest = density(mu, fit.honest_sd**2 + v, pi)
    falsified = np.zeros_like(grid) + sum(
        density(mu + lg, fit.honest_sd**2 + v, (1.0 - pi) * wt)
        for lg, wt in zip(np.log(KEPT), fit.kept, strict=True)
    )
    return {
        "edges": np.exp(edges).tolist(),
        "counts": [int(c) for c in counts],
        "grid": np.exp(grid).tolist(),
        "honest": honest.tolist(),
        "falsified": falsified.tolist(),
    }


def threshold_sensitivity(
    fit: MixtureEstimate,
    official: pd.DataFrame,
    declared: pd.DataFrame,
    photo: pd.DataFrame,
    strata: Sequence[np.ndarray],
    thresholds: Sequence[float] = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95),
) -> pd.DataFrame:
    """How the estimate moves when the stations with P(honest) >= t, and no others, are
    taken as honestly counted (point estimates; the mixture's own estimate weighs every
    station by its P(honest)). One row per threshold and option: ``threshold, option, share,
    votes, stations``."""
    strata = [np.asarray(s, dtype=object) for s in strata]
    lay = _layers(official, declared, photo, _hierarchy(strata, len(official)).codes)
    p = fit.p_honest.reindex(official.index).to_numpy()[lay.prot]
    zeros = np.zeros(len(official), dtype=np.intp)
    rows = []
    for t in thresholds:
        honest = (p >= t).astype(float)[None]
        in_sample = np.zeros(len(official), dtype=bool)
        in_sample[lay.prot] = honest[0] > 0
        levels, _ = pooled_levels(strata, in_sample)
        totals, _ = _totals(lay, honest, np.ones_like(honest), levels, zeros, 1, None)
        votes = totals[0].sum(0)
        for j, o in enumerate(lay.options):
            rows.append(
                {"threshold": float(t), "option": o, "share": float(votes[j] / votes.sum()),
                 "votes": float(votes[j]), "stations": int(in_sample.sum())}
            )  # fmt: skip
    return pd.DataFrame(rows)
