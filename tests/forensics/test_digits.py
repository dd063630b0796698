from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from honestcount.forensics import digits as dg


def test_benford_second_digit_law():
    assert dg.BENFORD_SECOND.sum() == pytest.approx(1.0)
    assert abs(dg.BENFORD_SECOND_MEAN - 4.187) < 5e-4
    assert np.all(np.diff(dg.BENFORD_SECOND) < 0)
    x = np.array([10, 19, 105, 999, 1234, 50_000, 987_654_321])
    assert dg.second_digits(x).tolist() == [int(str(v)[1]) for v in x]


def test_benford_data_pass_and_uniform_two_digit_data_fail():
    rng = np.random.default_rng(0)
    benford = np.floor(10 ** rng.uniform(1, 7, 50_000))
    r = dg.second_digit_test(benford)
    assert r.p_chi2 > 1e-3 and r.p_value > 1e-3
    assert r.statistic == pytest.approx(dg.BENFORD_SECOND_MEAN, abs=0.05)
    uniform = rng.integers(10, 100, 50_000)  # second digit uniform: mean 4.5
    bad = dg.second_digit_test(uniform)
    assert bad.p_chi2 < 1e-6 and bad.statistic == pytest.approx(4.5, abs=0.05)
    assert dg.second_digit_test(np.array([1, 5, 9])).n == 0


def test_last_digit_and_zero_five():
    rng = np.random.default_rng(1)
    honest = rng.integers(10, 5000, 20_000)
    assert dg.last_digit_test(honest).p_chi2 > 1e-3
    zf = dg.zero_five_test(honest)
    assert zf.statistic == pytest.approx(0.2, abs=0.01) and zf.p_value > 1e-3
    heaped = honest.copy()
    heaped[:2000] = np.round(heaped[:2000] / 5) * 5  # 10 % of counts written as round numbers
    assert dg.zero_five_test(heaped).p_value < 1e-6
    assert dg.zero_five_test(heaped).statistic > 0.25
    assert dg.last_digit_test(heaped).p_chi2 < 1e-6


def test_percent_zero_five():
    den = np.full(1000, 1000.0)
    num = np.arange(1000.0) * 0.9  # percentages 0..89.9: whole percents uniform
    r = dg.percent_zero_five_test(num, den)
    assert r.statistic == pytest.approx(0.2, abs=0.02)
    num5 = np.round(np.arange(1000) / 50) * 50.0  # every percentage a multiple of 5
    assert dg.percent_zero_five_test(num5, den).statistic == 1.0
    assert np.isnan(dg.whole_percent(np.array([1.0]), np.array([0.0]))[0])
    assert dg.whole_percent(np.array([125.0]), np.array([1000.0]))[0] == 13.0  # half up


def test_moments_and_dip():
    rng = np.random.default_rng(2)
    x = rng.standard_normal(20_000)
    sk, ku = dg.skew_kurtosis(x)
    assert abs(sk) < 0.1 and abs(ku) < 0.15
    assert dg.skew_kurtosis(rng.exponential(size=20_000))[0] == pytest.approx(2.0, abs=0.2)
    assert dg.dip_test(x).p_value > 0.05
    bimodal = np.concatenate([rng.normal(0.4, 0.05, 5000), rng.normal(0.8, 0.05, 5000)])
    assert dg.dip_test(bimodal).p_value < 1e-3


def test_sobyanin_sukhovolsky_recovers_slope():
    rng = np.random.default_rng(3)
    reg = rng.integers(500, 3000, 5000).astype(float)
    turnout = rng.uniform(0.4, 0.9, 5000)
    bal = np.round(reg * turnout)
    lead = np.round(reg * np.clip(-0.1 + 0.8 * turnout + rng.normal(0, 0.02, 5000), 0, None))
    r = dg.sobyanin_sukhovolsky(reg, bal, lead)
    assert r.slope == pytest.approx(0.8, abs=0.02)
    assert r.intercept == pytest.approx(-0.1, abs=0.02)
    assert r.r2 > 0.8


def test_bootstrap_point_totals_and_intervals():
    rng = np.random.default_rng(4)
    n = 6000
    region = rng.choice(["A", "B", "C"], n)
    reg = rng.integers(500, 3000, n).astype(float)
    bal = np.round(reg * rng.beta(12, 8, n))
    lead = np.round(bal * rng.beta(10, 10, n))
    comp = dg.station_components(reg, bal, lead)
    names, point, boot, national = dg.stratified_bootstrap_totals(comp, region, n_boot=400)
    assert names.tolist() == ["A", "B", "C"]
    np.testing.assert_allclose(point.sum(axis=0), comp.sum(axis=0))
    # resampling within regions keeps each region's number of stations
    np.testing.assert_allclose(
        boot[:, :, dg._C["t_n"]], np.broadcast_to(point[:, dg._C["t_n"]], (400, 3))
    )
    nat, regs = dg.bootstrap_levels(reg, bal, lead, region, n_boot=400)
    assert [r.level for r in regs] == ["A", "B", "C"] and nat.stations == n
    direct = dg.statistics_from_totals(comp.sum(axis=0))
    turnout = bal / reg
    skew = nat.stats["turnout_skewness"]
    assert skew.estimate == pytest.approx(stats.skew(turnout))
    assert direct["sobyanin_slope"] == pytest.approx(dg.sobyanin_sukhovolsky(reg, bal, lead).slope)
    assert skew.ci_low < skew.estimate < skew.ci_high
    # bootstrap width of a mean agrees with its analytic standard error
    mean_last = nat.stats["last_digit_mean"]
    digits = np.round(lead).astype(int) % 10
    se = digits[lead >= 10].std() / np.sqrt((lead >= 10).sum())
    assert (mean_last.ci_high - mean_last.ci_low) == pytest.approx(2 * 1.96 * se, rel=0.2)
    # each region's interval is wider than the national one
    for r in regs:
        s = r.stats["second_digit_mean"]
        assert (
            s.ci_high - s.ci_low
            > nat.stats["second_digit_mean"].ci_high - nat.stats["second_digit_mean"].ci_low
        )


def test_without_registered_turnout_statistics_are_nan():
    rng = np.random.default_rng(5)
    bal = rng.integers(100, 1000, 500).astype(float)
    lead = np.round(bal * 0.6)
    nat, _ = dg.bootstrap_levels(None, bal, lead, np.full(500, "R"), n_boot=50)
    assert np.isnan(nat.stats["turnout_skewness"].estimate)
    assert np.isfinite(nat.stats["share_skewness"].estimate)
