"""run_estimate (the CLI's entry) and the sensitivity analysis on a simulated election."""

from __future__ import annotations

import json

import pytest

from honestcount.estimate import (
    ASSUMPTIONS,
    RECOMMENDED,
    estimates_table,
    plot_sensitivity,
    run_estimate,
    sensitivity,
)

BELARUS_OPTIONS = ["tsikhanouskaya", "lukashenko", "dzmitryieu", "kanapatskaya", "cherachen",
                   "against_all", "invalid"]  # fmt: skip


@pytest.fixture(scope="module")
def result(small_sim):
    return run_estimate(small_sim.data, n_boot=200, seed=1).as_dict()


def test_result_is_json_and_complete(result):
    text = json.dumps(result, allow_nan=False)
    assert json.loads(text) == result
    assert result["election"] == "sim-11"
    assert result["options"] == BELARUS_OPTIONS
    assert set(result["lower_bounds"]) == set(BELARUS_OPTIONS)
    assert set(result["assumptions"]) == {"lower_bound", "ratio", "ratio_photo", "pvt", "mixture"}
    assert result["assumptions"]["ratio"] == ASSUMPTIONS["ratio"]
    assert set(result["stations_used"]) == {"ratio", "ratio_photo", "pvt", "mixture"}
    for est in result["estimates"]:
        assert set(est) >= {"method", "option", "share", "ci_low", "ci_high", "votes"}
        assert est["ci_low"] <= est["share"] <= est["ci_high"]


def test_recommended_method_comes_first_for_each_option(result):
    seen: dict[str, str] = {}
    for est in result["estimates"]:
        seen.setdefault(est["option"], est["method"])
    assert list(seen) == BELARUS_OPTIONS
    assert all(seen[o] == result["recommended"][o] == RECOMMENDED for o in BELARUS_OPTIONS)
    assert RECOMMENDED == "mixture"  # it validates better: docs/estimation.md


def test_shares_add_up_and_bounds_hold(result, small_sim):
    for method in ("ratio", "ratio_photo", "pvt", "mixture"):
        total = sum(e["share"] for e in result["estimates"] if e["method"] == method)
        assert total == pytest.approx(1.0)
    truth = small_sim.truth.votes.sum()
    for o, lb in result["lower_bounds"].items():
        assert lb["photo_votes"] <= truth[o]
    table = estimates_table(result)
    assert list(table.index) == BELARUS_OPTIONS
    assert {"official", "lower_bound", "ratio", "ratio_ci", "pvt"} <= set(table.columns)


def test_method_selection_and_unknown_methods(small_sim):
    res = run_estimate(small_sim.data, methods=["pvt"], n_boot=10).as_dict()
    assert {e["method"] for e in res["estimates"]} == {"pvt"}
    assert res["recommended"]["lukashenko"] == "pvt"
    with pytest.raises(ValueError):
        run_estimate(small_sim.data, methods=["magic"])


def test_sensitivity_table_and_plot(small_sim, tmp_path):
    table = sensitivity(small_sim.data, thresholds=(0.0, 0.1), n_boot=20)
    assert set(table["definition"]) == {"none", "proof", "strict"}
    assert set(table.columns) >= {
        "definition",
        "threshold",
        "option",
        "share",
        "ci_low",
        "ci_high",
        "stations_used",
    }
    used = table.groupby(["definition", "threshold"])["stations_used"].first()
    assert used["none", 0.0] >= used["proof", 0.0] >= used["strict", 0.0]
    assert used["proof", 0.0] >= used["proof", 0.1]
    png = plot_sensitivity(table, tmp_path / "s.png")
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_fit_ratio_matches_run_estimate(small_sim, result):
    from honestcount.estimate import fit_ratio

    res = fit_ratio(small_sim.data, n_boot=200, seed=1)
    ratio = [e for e in result["estimates"] if e["method"] == "ratio"]
    assert [e["share"] for e in ratio] == pytest.approx(list(res.shares))
    assert res.n_clean == result["stations_used"]["ratio"]
