"""Integer-percentage peaks (Kobak, Shpilkin & Pshenichnikov, Ann. Appl. Stat. 10(1), 2016).

When protocols are written to a target rather than counted, officials tend to pick round
numbers, so too many stations report a turnout or a leader's result that is a whole percent.
The test counts stations whose percentage lies in a 0.1-point window centred on a whole percent
and compares the count with its distribution under a binomial null at each station's own rates.

Definitions: turnout = ballots found in the boxes / registered voters; leader's result =
leader's votes / ballots found in the boxes, i.e. valid + invalid ballots, *not* valid votes
only (the paper's denominator: its published code sums the valid and invalid ballot lines; in
Russian protocols the ballots in the boxes equal valid + invalid). Default station filter (the
paper's): registered >= 100, ballots > 0, turnout <= 99 %, leader's result <= 99 %.

Window: a percentage ``x`` is *integer* when ``x ∈ [j - h, j + h)`` for a whole ``j`` with the
half-width ``h = 0.05`` points (a 0.1-point histogram bin centred on ``j``); membership is
decided in exact integer arithmetic.

Null model (denominators fixed, rates at their observed values): ballots ~ Bin(registered,
turnout) and leader votes ~ Bin(ballots, result), independently. The share is drawn in the
*observed* ballots (conditioning on the denominator), so the turnout and result events are
independent and P(either) = 1 - (1 - p_t)(1 - p_r) exactly. The paper's Monte Carlo draws the
leader's votes in the *drawn* ballots instead; that couples the two events only through the
lattice of k/n as n moves by a few per cent, a second-order effect:
:func:`integer_peaks_montecarlo` offers both (``mode="fixed"`` matches the exact null,
``mode="paper"`` the paper) so the difference can be checked on any election.

Each station's window probability is an exact sum of binomial probabilities over the integers
``k`` with ``k / n`` in a window (within 7 sd + 10 of the mean; the rest is < 1e-11). The count of
integer stations is Poisson-binomial: mean = sum p, var = sum p(1 - p). Its upper tail is exact
(characteristic-function DFT) for up to 500 stations, and otherwise the refined normal
approximation (Volkova 1996: normal with continuity and skewness correction).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from honestcount.forensics.common import NOTE, benjamini_hochberg, label_codes

EXACT_TAIL_MAX = 500
P_VALUE_METHOD = (
    "upper tail of the Poisson-binomial count: exact (DFT of the characteristic function) up to "
    f"{EXACT_TAIL_MAX} stations, refined normal approximation with continuity and skewness "
    "correction above"
)


@dataclass(frozen=True)
class PeakCount:
    """Integer-percentage count for one quantity against its binomial null."""

    observed: int
    expected: float
    excess: float
    sd: float
    z: float
    p_value: float
    stations: int


@dataclass(frozen=True)
class IntegerPeaksResult:
    """Counts for turnout, leader's result and either; ``turnout``/``either`` are None when
    registered voters are unknown."""

    turnout: PeakCount | None
    result: PeakCount
    either: PeakCount | None
    halfwidth: float
    p_value_method: str
    note: str = NOTE


@dataclass(frozen=True)
class IntegerPeakStations:
    """Per-station flags and null probabilities behind the counts (for screens and plots)."""

    selected: np.ndarray
    turnout_flag: np.ndarray | None
    result_flag: np.ndarray
    turnout_prob: np.ndarray | None
    result_prob: np.ndarray

    @property
    def either_flag(self) -> np.ndarray:
        if self.turnout_flag is None:
            return self.result_flag
        return np.asarray(self.turnout_flag | self.result_flag)

    @property
    def either_prob(self) -> np.ndarray:
        if self.turnout_prob is None:
            return self.result_prob
        return 1.0 - (1.0 - self.turnout_prob) * (1.0 - self.result_prob)


@dataclass(frozen=True)
class RegionScreen:
    """Per-region integer-percentage counts; ``basis`` is ``either`` or ``result``."""

    basis: str
    regions: np.ndarray
    stations: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    excess: np.ndarray
    p_value: np.ndarray
    q_value: np.ndarray
    note: str = NOTE


@dataclass(frozen=True)
class MonteCarloPart:
    observed: int
    mean: float
    sd: float
    p_value: float


@dataclass(frozen=True)
class MonteCarloNull:
    """Simulated null counts; ``mode`` is ``fixed`` (as the exact null) or ``paper``."""

    n_sims: int
    mode: str
    seed: int
    turnout: MonteCarloPart | None
    result: MonteCarloPart
    either: MonteCarloPart | None
    note: str = NOTE


def _rational(halfwidth: float) -> tuple[int, int]:
    if not 0 < halfwidth < 0.5:
        raise ValueError("halfwidth must be in (0, 0.5) percentage points")
    frac = Fraction(halfwidth).limit_denominator(1000)
    if abs(float(frac) - halfwidth) > 1e-12:
        raise ValueError("halfwidth must be a simple decimal such as 0.05")
    return frac.numerator, frac.denominator


def _ceil_div(x: np.ndarray, d: int) -> np.ndarray:
    return -((-x) // d)


def integer_percent_mask(k: np.ndarray, n: np.ndarray, halfwidth: float = 0.05) -> np.ndarray:
    """True where ``100 k / n`` lies in ``[j - halfwidth, j + halfwidth)`` for a whole ``j``.

    Exact integer arithmetic; ``n <= 0`` gives False.
    """
    a, b = _rational(halfwidth)
    k = np.asarray(k, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    safe = np.where(n > 0, n, 1)
    r = np.mod(100 * b * k + a * safe, b * safe)
    return np.asarray((r < 2 * a * safe) & (n > 0))


def window_probability(
    n: np.ndarray,
    p: np.ndarray,
    halfwidth: float = 0.05,
    tail_sd: float = 7.0,
    chunk: int = 4096,
) -> np.ndarray:
    """P(100 X / n is integer within ``halfwidth``) for X ~ Bin(n, p), per element, exactly.

    Sums the binomial pmf over the integers k in the windows, within ``tail_sd`` sd (+ 10) of
    n p. Stations are processed ``chunk`` at a time so that the work arrays stay in cache.
    """
    a, b = _rational(halfwidth)
    n = np.asarray(n, dtype=np.int64)
    p = np.asarray(p, dtype=float)
    if not np.isfinite(p).all():
        raise ValueError("probabilities must be finite")
    p = np.clip(p, 0.0, 1.0)
    if n.size == 0:
        return np.zeros(0)
    # lgamma(i + 1) by table lookup: far cheaper than evaluating it per element
    lgam = _log_gamma_table(int(n.max()) + 2)
    out = np.empty(n.size)
    for s in range(0, n.size, chunk):
        out[s : s + chunk] = _window_chunk(n[s : s + chunk], p[s : s + chunk], a, b, tail_sd, lgam)
    degenerate = (p <= 0.0) | (p >= 1.0)
    if degenerate.any():  # point mass at k = n p
        d = np.nonzero(degenerate)[0]
        k_d = np.where(p[d] >= 1.0, n[d], 0)
        out[d] = integer_percent_mask(k_d, n[d], halfwidth).astype(float)
    return np.minimum(out, 1.0)


def _log_gamma_table(size: int) -> np.ndarray:
    """``lgamma(i)`` for ``i = 0 .. size - 1`` (``inf`` at 0), without importing scipy."""
    return np.array([math.inf] + [math.lgamma(i) for i in range(1, size)])


def _window_chunk(
    n: np.ndarray, p: np.ndarray, a: int, b: int, tail_sd: float, lgam: np.ndarray
) -> np.ndarray:
    m = n.size
    mu = n * p
    sd = np.sqrt(n * p * (1.0 - p))
    klo = np.clip(np.floor(mu - tail_sd * sd - 10.0), 0, n)
    khi = np.clip(np.ceil(mu + tail_sd * sd + 10.0), 0, n)
    nf = np.maximum(n, 1).astype(float)
    h = a / b
    # whole percents j whose window [j - h, j + h) meets [100 klo / n, 100 khi / n]
    jlo = np.clip(np.floor(100.0 * klo / nf - h) + 1, 0, 100).astype(np.int64)
    jhi = np.clip(np.floor(100.0 * khi / nf + h), 0, 100).astype(np.int64)
    nj = np.where(n > 0, np.maximum(jhi - jlo + 1, 0), 0)
    # flatten (station, j). Window bounds ceil(n (b j -+ a) / (100 b)) in float64 are exact:
    # the numerator is an integer < 2**53 and a non-integer quotient is at least 1 / (100 b)
    # away from the next integer, far more than the rounding error.
    st = np.repeat(np.arange(m, dtype=np.int32), nj)
    j = (jlo[st] + (np.arange(st.size) - np.repeat(np.cumsum(nj) - nj, nj))).astype(float)
    nn = nf[st]
    k0 = np.maximum(np.ceil(nn * (b * j - a) / (100 * b)), klo[st])
    k1 = np.minimum(np.ceil(nn * (b * j + a) / (100 * b)) - 1, khi[st])
    nk = np.maximum(k1 - k0 + 1, 0).astype(np.int64)
    keep = nk > 0
    st, k0, nk = st[keep], k0[keep].astype(np.int64), nk[keep]
    # flatten (station, k in a window)
    row = np.repeat(np.arange(st.size, dtype=np.int32), nk)
    k = k0[row] + (np.arange(row.size) - np.repeat(np.cumsum(nk) - nk, nk))
    st = st[row]
    # log pmf = [lgamma(n+1) + n log(1-p)] + k log(p/(1-p)) - lgamma(k+1) - lgamma(n-k+1)
    interior = (p > 0.0) & (p < 1.0)
    safe_p = np.where(interior, p, 0.5)
    lq = np.log1p(-safe_p)
    base = lgam[n + 1] + n * lq
    logit = np.log(safe_p) - lq
    logpmf = base[st] + k * logit[st] - lgam[k + 1] - lgam[n[st] - k + 1]
    return np.bincount(st, weights=np.exp(logpmf), minlength=m)


def poisson_binomial_sf(k: int, probs: np.ndarray) -> float:
    """P(S >= k) for S a sum of independent Bernoulli(probs); see :data:`P_VALUE_METHOD`."""
    probs = np.asarray(probs, dtype=float)
    probs = probs[probs > 0]
    m = probs.size
    if k <= 0:
        return 1.0
    if k > m:
        return 0.0
    if m <= EXACT_TAIL_MAX:
        omega = 2.0 * np.pi / (m + 1)
        z = 1.0 - probs[None, :] + probs[None, :] * np.exp(1j * omega * np.arange(m + 1))[:, None]
        cf = np.prod(z, axis=1)
        pmf = np.fft.fft(cf).real / (m + 1)
        return float(np.clip(pmf[k:].sum(), 0.0, 1.0))
    mu = probs.sum()
    var = (probs * (1.0 - probs)).sum()
    if var <= 0:
        return float(k <= mu)
    sigma = math.sqrt(var)
    gamma = float((probs * (1.0 - probs) * (1.0 - 2.0 * probs)).sum()) / sigma**3
    x = float(k - 0.5 - mu) / sigma
    # standard normal upper tail and density (as math.erfc / exp: no scipy import for two scalars)
    norm_sf = 0.5 * math.erfc(x / math.sqrt(2.0))
    norm_pdf = math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    sf = norm_sf - gamma * (1.0 - x * x) * norm_pdf / 6.0
    return float(np.clip(sf, 0.0, 1.0))


def integer_peaks_selection(
    registered: np.ndarray | None,
    ballots: np.ndarray,
    leader: np.ndarray,
    *,
    min_registered: float = 100,
    max_turnout: float = 0.99,
    max_share: float = 0.99,
) -> np.ndarray:
    """Stations the test uses (the paper's filter). Without registered voters: ballots >=
    ``min_registered``, ballots > 0 and leader's result <= ``max_share``."""
    ballots = np.asarray(ballots, dtype=float)
    leader = np.asarray(leader, dtype=float)
    ok = np.isfinite(ballots) & np.isfinite(leader) & (ballots > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ok &= leader / np.where(ok, ballots, 1.0) <= max_share
    if registered is None or not np.isfinite(registered).any():
        return np.asarray(ok & (ballots >= min_registered))
    registered = np.asarray(registered, dtype=float)
    ok &= np.isfinite(registered) & (registered >= min_registered)
    with np.errstate(divide="ignore", invalid="ignore"):
        ok &= ballots / np.where(ok, registered, 1.0) <= max_turnout
    return np.asarray(ok)


def _selected_counts(
    registered: np.ndarray | None,
    ballots: np.ndarray,
    leader: np.ndarray,
    min_registered: float,
    max_turnout: float,
    max_share: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The paper's selection, and the selected stations' ballots and leader votes as integers."""
    sel = integer_peaks_selection(
        registered,
        ballots,
        leader,
        min_registered=min_registered,
        max_turnout=max_turnout,
        max_share=max_share,
    )
    b = np.asarray(ballots, dtype=float)[sel].round().astype(np.int64)
    lead = np.asarray(leader, dtype=float)[sel].round().astype(np.int64)
    return sel, b, lead


def integer_peak_stations(
    registered: np.ndarray | None,
    ballots: np.ndarray,
    leader: np.ndarray,
    *,
    halfwidth: float = 0.05,
    min_registered: float = 100,
    max_turnout: float = 0.99,
    max_share: float = 0.99,
) -> IntegerPeakStations:
    """Flags and exact null probabilities of the selected stations."""
    sel, b, lead = _selected_counts(
        registered, ballots, leader, min_registered, max_turnout, max_share
    )
    r_flag = integer_percent_mask(lead, b, halfwidth)
    r_prob = window_probability(b, lead / b, halfwidth)
    t_flag = t_prob = None
    if registered is not None and np.isfinite(registered).any():
        reg = np.asarray(registered, dtype=float)[sel].round().astype(np.int64)
        t_flag = integer_percent_mask(b, reg, halfwidth)
        t_prob = window_probability(reg, b / reg, halfwidth)
    return IntegerPeakStations(sel, t_flag, r_flag, t_prob, r_prob)


def _count(flag: np.ndarray, prob: np.ndarray) -> PeakCount:
    observed = int(flag.sum())
    expected = float(prob.sum())
    sd = float(np.sqrt((prob * (1.0 - prob)).sum()))
    z = (observed - expected) / sd if sd > 0 else float("nan")
    return PeakCount(
        observed=observed,
        expected=expected,
        excess=observed - expected,
        sd=sd,
        z=float(z),
        p_value=poisson_binomial_sf(observed, prob),
        stations=int(flag.size),
    )


def integer_peaks(
    registered: np.ndarray | None,
    ballots: np.ndarray,
    leader: np.ndarray,
    *,
    halfwidth: float = 0.05,
    min_registered: float = 100,
    max_turnout: float = 0.99,
    max_share: float = 0.99,
    stations: IntegerPeakStations | None = None,
) -> IntegerPeaksResult:
    """Integer-percentage test with the exact binomial null (see the module docstring).

    ``registered`` may be None or all-NaN: then only the leader's result is tested.
    ``stations`` reuses a precomputed :func:`integer_peak_stations` (same arguments).
    """
    s = stations or integer_peak_stations(
        registered,
        ballots,
        leader,
        halfwidth=halfwidth,
        min_registered=min_registered,
        max_turnout=max_turnout,
        max_share=max_share,
    )
    turnout = either = None
    if s.turnout_flag is not None and s.turnout_prob is not None:
        turnout = _count(s.turnout_flag, s.turnout_prob)
        either = _count(s.either_flag, s.either_prob)
    return IntegerPeaksResult(
        turnout=turnout,
        result=_count(s.result_flag, s.result_prob),
        either=either,
        halfwidth=halfwidth,
        p_value_method=P_VALUE_METHOD,
    )


def integer_peaks_by_region(
    registered: np.ndarray | None,
    ballots: np.ndarray,
    leader: np.ndarray,
    region: np.ndarray,
    *,
    halfwidth: float = 0.05,
    min_registered: float = 100,
    max_turnout: float = 0.99,
    max_share: float = 0.99,
    stations: IntegerPeakStations | None = None,
) -> RegionScreen:
    """Per-region observed/expected/excess/p of integer stations (``either`` when turnout is
    known, else ``result``), with Benjamini–Hochberg q-values across regions."""
    s = stations or integer_peak_stations(
        registered,
        ballots,
        leader,
        halfwidth=halfwidth,
        min_registered=min_registered,
        max_turnout=max_turnout,
        max_share=max_share,
    )
    flag, prob = s.either_flag, s.either_prob
    names, code = label_codes(np.asarray(region)[s.selected])
    g = names.size
    n_st = np.bincount(code, minlength=g)
    obs = np.bincount(code, weights=flag.astype(float), minlength=g)
    exp = np.bincount(code, weights=prob, minlength=g)
    order = np.argsort(code, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(n_st)])
    sorted_prob = prob[order]
    p = np.array(
        [poisson_binomial_sf(int(obs[i]), sorted_prob[bounds[i] : bounds[i + 1]]) for i in range(g)]
    )
    return RegionScreen(
        basis="either" if s.turnout_flag is not None else "result",
        regions=names,
        stations=n_st,
        observed=obs.astype(int),
        expected=exp,
        excess=obs - exp,
        p_value=p,
        q_value=benjamini_hochberg(p),
    )


def integer_peaks_montecarlo(
    registered: np.ndarray | None,
    ballots: np.ndarray,
    leader: np.ndarray,
    *,
    n_sims: int = 1000,
    seed: int = 0,
    mode: str = "fixed",
    halfwidth: float = 0.05,
    min_registered: float = 100,
    max_turnout: float = 0.99,
    max_share: float = 0.99,
    batch_elements: int = 4_000_000,
) -> MonteCarloNull:
    """Monte Carlo null of the integer counts, vectorised over simulations in batches.

    ``mode="fixed"``: leader ~ Bin(observed ballots, result), matching the exact null;
    ``mode="paper"``: leader ~ Bin(simulated ballots, result), as in Kobak et al. (2016).
    p-values are (1 + #{sim >= observed}) / (1 + n_sims).
    """
    if mode not in ("fixed", "paper"):
        raise ValueError("mode must be 'fixed' or 'paper'")
    sel, b, lead = _selected_counts(
        registered, ballots, leader, min_registered, max_turnout, max_share
    )
    q = lead / b
    reg = None
    if registered is not None and np.isfinite(registered).any():
        reg = np.asarray(registered, dtype=float)[sel].round().astype(np.int64)
    rng = np.random.default_rng(seed)
    m = max(b.size, 1)
    per = max(1, batch_elements // m)
    counts: dict[str, list[np.ndarray]] = {"turnout": [], "result": [], "either": []}
    done = 0
    while done < n_sims:
        bs = min(per, n_sims - done)
        t_flag = None
        if reg is not None:
            b_sim = rng.binomial(reg, b / reg, size=(bs, b.size))
            t_flag = integer_percent_mask(b_sim, reg, halfwidth)
            denom = b_sim if mode == "paper" else np.broadcast_to(b, b_sim.shape)
        else:
            denom = np.broadcast_to(b, (bs, b.size))
        l_sim = rng.binomial(denom, q)
        r_flag = integer_percent_mask(l_sim, denom, halfwidth)
        counts["result"].append(r_flag.sum(axis=1))
        if t_flag is not None:
            counts["turnout"].append(t_flag.sum(axis=1))
            counts["either"].append((t_flag | r_flag).sum(axis=1))
        done += bs
    obs_r = int(integer_percent_mask(lead, b, halfwidth).sum())
    observed = {"result": obs_r}
    if reg is not None:
        t_obs = integer_percent_mask(b, reg, halfwidth)
        observed["turnout"] = int(t_obs.sum())
        observed["either"] = int((t_obs | integer_percent_mask(lead, b, halfwidth)).sum())

    def part(name: str) -> MonteCarloPart:
        sims = np.concatenate(counts[name])
        return MonteCarloPart(
            observed=observed[name],
            mean=float(sims.mean()),
            sd=float(sims.std(ddof=1)) if sims.size > 1 else float("nan"),
            p_value=float((1 + (sims >= observed[name]).sum()) / (1 + sims.size)),
        )

    return MonteCarloNull(
        n_sims=n_sims,
        mode=mode,
        seed=seed,
        turnout=part("turnout") if reg is not None else None,
        result=part("result"),
        either=part("either") if reg is not None else None,
    )
