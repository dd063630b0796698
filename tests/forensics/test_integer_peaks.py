from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

from honestcount.forensics import integer_peaks as ip
from honestcount.forensics.common import benjamini_hochberg, station_arrays
from honestcount.forensics.simulate import simulate_election


def _is_integer_fraction(k: int, n: int, h: Fraction = Fraction(1, 20)) -> bool:
    x = Fraction(100 * k, n)
    j = round(x)
    return any(jj - h <= x < jj + h for jj in (j - 1, j, j + 1))


def test_mask_matches_rational_arithmetic():
    rng = np.random.default_rng(0)
    n = rng.integers(1, 6000, 5000)
    k = (rng.random(5000) * (n + 1)).astype(np.int64)
    # exact ties on the window edges occur for n multiple of 2000
    n[:50], k[:50] = 2000, np.arange(50)
    expected = [_is_integer_fraction(int(a), int(b)) for a, b in zip(k, n, strict=True)]
    assert ip.integer_percent_mask(k, n).tolist() == expected
    wide = [_is_integer_fraction(int(a), int(b), Fraction(1, 5)) for a, b in zip(k, n, strict=True)]
    assert ip.integer_percent_mask(k, n, halfwidth=0.2).tolist() == wide


def test_mask_edges_and_invalid():
    # 100 * 1 / 2000 = 0.05: on the right edge of 0's window (open) -> not integer
    assert not ip.integer_percent_mask(np.array([1]), np.array([2000]))[0]
    # 100 * 1999 / 2000 = 99.95: left edge of 100's window (closed) -> integer
    assert ip.integer_percent_mask(np.array([1999]), np.array([2000]))[0]
    assert not ip.integer_percent_mask(np.array([0]), np.array([0]))[0]
    with pytest.raises(ValueError):
        ip.integer_percent_mask(np.array([1]), np.array([10]), halfwidth=0.5)


def test_window_probability_equals_binomial_sum():
    rng = np.random.default_rng(1)
    n = rng.integers(1, 2500, 150)
    p = rng.random(150)
    p[:5], p[5:10], p[10:15] = 0.0, 1.0, rng.uniform(0, 0.003, 5)
    got = ip.window_probability(n, p)
    for nn, pp, g in zip(n, p, got, strict=True):
        k = np.arange(nn + 1)
        brute = stats.binom.pmf(k, nn, pp)[ip.integer_percent_mask(k, np.full(nn + 1, nn))].sum()
        assert g == pytest.approx(brute, abs=1e-10)


def test_poisson_binomial_tail_exact_and_approximate():
    rng = np.random.default_rng(2)
    probs = rng.uniform(0, 0.3, 200)
    sims = (rng.random((100_000, probs.size)) < probs).sum(axis=1)
    for k in (35, 40, 45):
        mc = (sims >= k).mean()
        tol = 4 * np.sqrt(mc / 1e5) + 1e-5
        assert ip.poisson_binomial_sf(k, probs) == pytest.approx(mc, abs=tol)
    # refined normal approximation (> EXACT_TAIL_MAX) against the exact DFT on the same input
    big = rng.uniform(0, 0.3, 3000)
    mu = big.sum()
    exact_max = ip.EXACT_TAIL_MAX
    try:
        ip.EXACT_TAIL_MAX = 10_000
        exact = [ip.poisson_binomial_sf(int(mu + d), big) for d in (0, 30, 60)]
    finally:
        ip.EXACT_TAIL_MAX = exact_max
    approx = [ip.poisson_binomial_sf(int(mu + d), big) for d in (0, 30, 60)]
    np.testing.assert_allclose(approx, exact, rtol=0.03)
    assert ip.poisson_binomial_sf(0, big) == 1.0
    assert ip.poisson_binomial_sf(big.size + 1, big) == 0.0


def _arrays(sim):
    a = station_arrays(sim.data, "leader")
    return a.registered, a.ballots, a.leader, a.region


def test_exact_null_agrees_with_monte_carlo():
    reg, bal, lead, _ = _arrays(simulate_election(3000, seed=7))
    exact = ip.integer_peaks(reg, bal, lead)
    mc = ip.integer_peaks_montecarlo(reg, bal, lead, n_sims=1000, seed=3, mode="fixed")
    for part in ("turnout", "result", "either"):
        e, m = getattr(exact, part), getattr(mc, part)
        assert m.observed == e.observed
        assert abs(m.mean - e.expected) < 4 * e.sd / np.sqrt(mc.n_sims)
        assert m.sd == pytest.approx(e.sd, rel=0.1)
    # the paper's null (leader votes drawn in the simulated ballots) differs only slightly
    paper = ip.integer_peaks_montecarlo(reg, bal, lead, n_sims=500, seed=4, mode="paper")
    assert abs(paper.either.mean - exact.either.expected) < 0.5 * exact.either.sd


def _false_positives(reps: int, n_stations: int, first_seed: int, alpha: float = 0.01):
    hits = np.zeros(3, dtype=int)
    for seed in range(first_seed, first_seed + reps):
        reg, bal, lead, _ = _arrays(simulate_election(n_stations, seed=seed))
        r = ip.integer_peaks(reg, bal, lead)
        hits += [r.turnout.p_value <= alpha, r.result.p_value <= alpha, r.either.p_value <= alpha]
    return hits


def test_false_positive_rate_on_clean_elections_fast():
    reps = 150
    hits = _false_positives(reps, 1000, 50_000)
    assert (hits <= 4).all(), hits  # <= 2.7 % at alpha = 1 % (smoke version of the slow test)


@pytest.mark.slow
def test_false_positive_rate_on_clean_elections_is_at_most_2_percent():
    reps = 4000  # about 2.5 minutes
    hits = _false_positives(reps, 1000, 200_000)
    # one-sided 95 % Clopper-Pearson upper bound of each false-positive rate
    upper = stats.beta.ppf(0.95, hits + 1, reps - hits)
    assert (upper < 0.02).all(), (hits, upper)


def test_detects_planted_rounding():
    sim = simulate_election(20_000, seed=11, rounding=0.05)
    reg, bal, lead, _ = _arrays(sim)
    r = ip.integer_peaks(reg, bal, lead)
    n_rounded = int(sim.truth.rounded.sum())
    assert r.either.p_value < 1e-6
    assert r.turnout.p_value < 1e-6 and r.result.p_value < 1e-6
    assert 0.3 * n_rounded < r.either.excess < n_rounded + 4 * r.either.sd
    clean = simulate_election(20_000, seed=11)
    rc = ip.integer_peaks(*_arrays(clean)[:3])
    assert rc.either.p_value > 1e-3
    assert abs(rc.either.excess) < 4 * rc.either.sd


def test_region_screen_finds_the_rounded_region():
    sim = simulate_election(8000, n_regions=10, seed=5)
    reg, bal, lead, region = _arrays(sim)
    bal, lead = bal.copy(), lead.copy()
    target = region == "Region 03"
    # write turnout and result to whole percents in one region
    t_pct = np.round(100 * bal[target] / reg[target])
    bal[target] = np.round(t_pct * reg[target] / 100)
    s_pct = np.round(100 * lead[target] / bal[target])
    lead[target] = np.round(s_pct * bal[target] / 100)
    screen = ip.integer_peaks_by_region(reg, bal, lead, region)
    flagged = screen.regions[screen.q_value < 0.01]
    assert flagged.tolist() == ["Region 03"]
    i = int(np.nonzero(screen.regions == "Region 03")[0][0])
    assert screen.excess[i] > 0.4 * target.sum()
    assert screen.stations.sum() == ip.integer_peaks_selection(reg, bal, lead).sum()


def test_without_registered_only_the_result_is_tested():
    sim = simulate_election(2000, seed=3, registered_known=False)
    reg, bal, lead, region = _arrays(sim)
    r = ip.integer_peaks(reg, bal, lead)
    assert r.turnout is None and r.either is None
    assert r.result.stations == int((bal >= 100).sum())
    assert ip.integer_peaks_by_region(reg, bal, lead, region).basis == "result"
    mc = ip.integer_peaks_montecarlo(reg, bal, lead, n_sims=50)
    assert mc.turnout is None and mc.result.observed == r.result.observed


def test_selection_follows_the_paper():
    reg = np.array([99, 100, 1000, 1000, 1000, 1000, 1000])
    bal = np.array([50, 50, 990, 991, 500, 500, 0])
    lead = np.array([10, 10, 100, 100, 495, 496, 0])
    sel = ip.integer_peaks_selection(reg, bal, lead)
    assert sel.tolist() == [False, True, True, False, True, False, False]


def test_benjamini_hochberg():
    p = np.array([0.01, 0.04, 0.03, 0.005, np.nan, 0.5])
    q = benjamini_hochberg(p)
    # sorted p: .005 .01 .03 .04 .5 with m = 5 -> .025 .025 .05 .05 .5
    np.testing.assert_allclose(q[[3, 0, 2, 1, 5]], [0.025, 0.025, 0.05, 0.05, 0.5])
    assert np.isnan(q[4])
