"""Validation of the honest-count mixture on simulated widespread falsification (issue 15).

200 elections per regime of 2,500 stations, with 100 bootstrap refits per election (fewer
than the 400 of a real run, to keep this to minutes): figures in docs/estimation.md.
"""

from __future__ import annotations

import pytest

from honestcount.estimate.validation import regime_study, regime_summary, summarize

pytestmark = pytest.mark.slow

N_SIMS = 200
LEADING = ("tsikhanouskaya", "lukashenko")


def _show(regime: str, rec: object, sims: object) -> None:
    """The figures of docs/estimation.md (visible with ``pytest -s``)."""
    s = regime_summary(rec, sims)  # type: ignore[arg-type]
    print(f"\n== {regime}: {sims.shape[0]} elections")  # type: ignore[attr-defined]
    print(s.round(3).to_string())
    print({k: round(v, 3) if isinstance(v, float) else v for k, v in s.attrs.items()})


def test_coverage_where_the_mixture_assumptions_hold():
    rec, sims = regime_study(N_SIMS, "large_thefts", n_boot=100, n_stations=2500, seed=0)
    _show("large_thefts", rec, sims)
    s = summarize(rec)
    for option in LEADING:
        mix, ratio = s.loc[("mixture", option)], s.loc[("ratio", option)]
        assert mix["coverage"] >= 0.9, (option, mix.to_dict())
        assert abs(mix["bias"]) < 0.02
        assert abs(mix["bias"]) < 0.2 * abs(ratio["bias"])
        assert mix["rmse"] < ratio["rmse"] / 3
    assert sims["accuracy"].mean() > 0.85
    assert sims["listed_honest"].mean() > 0.9  # the P(honest) >= 0.9 list is mostly honest


@pytest.mark.parametrize("regime", ["widespread", "weak_platform"])
def test_mixture_is_less_biased_than_ratio_when_thefts_are_small(regime):
    rec, sims = regime_study(50, regime, n_boot=40, n_stations=2500, seed=0)
    _show(regime, rec, sims)
    s = summarize(rec)
    for option in LEADING:
        mix, ratio = s.loc[("mixture", option)], s.loc[("ratio", option)]
        assert abs(mix["bias"]) < 0.5 * abs(ratio["bias"])
        assert mix["coverage"] > ratio["coverage"]
    assert sims["accuracy"].mean() > 0.75


def test_the_thin_regime_always_warns():
    rec, sims = regime_study(N_SIMS, "thin", n_boot=10, n_stations=2500, seed=0)
    _show("thin", rec, sims)
    assert (sims["warnings"] > 0).all()
    assert sims["thin_warning"].all()
