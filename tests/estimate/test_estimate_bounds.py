"""Hard lower bounds and the clean-station selection."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from honestcount.estimate import (
    coverage,
    lower_bounds,
    proven_falsification,
    select_clean,
    station_lower_bounds,
    stratum_labels,
)

NAN = np.nan
IDX = pd.Index(["s1", "s2", "s3", "s4"], name="station_id")


def frames():
    official = pd.DataFrame(
        {"a": [100.0, 10.0, NAN, 50.0], "b": [300.0, 400.0, NAN, -5.0]}, index=IDX
    )
    photo = pd.DataFrame({"a": [40.0, 25.0, 7.0, 5.0], "b": [0.0, 1.0, 2.0, NAN]}, index=IDX)
    declared = pd.DataFrame({"a": [60.0, 30.0, 9.0, 6.0], "b": [1.0, 1.0, 3.0, 0.0]}, index=IDX)
    return official, photo, declared


def test_station_lower_bounds_take_the_larger_where_known_and_photos_elsewhere():
    official, photo, _ = frames()
    lb = station_lower_bounds(official, photo)
    assert lb.loc["s1"].tolist() == [100.0, 300.0]
    assert lb.loc["s2"].tolist() == [25.0, 400.0]  # photo exceeds the protocol for a
    assert lb.loc["s3"].tolist() == [7.0, 2.0]  # no protocol: photos only
    assert lb.loc["s4"].tolist() == [50.0, 0.0]  # negative count and unknown photo


def test_national_lower_bounds_and_shares():
    official, photo, _ = frames()
    res = lower_bounds(official, photo, ballots_cast=1000.0)
    assert res.votes.to_dict() == {"a": 182.0, "b": 702.0}
    assert res.photo_votes.to_dict() == {"a": 77.0, "b": 3.0}
    assert res.share["a"] == pytest.approx(0.182)
    assert res.photo_share["b"] == pytest.approx(0.003)
    assert res.stations_with_protocol == 3
    assert np.isnan(lower_bounds(official, photo).share["a"])


def test_proven_falsification_and_coverage():
    official, photo, _ = frames()
    assert proven_falsification(official, photo).tolist() == [False, True, False, False]
    cov = coverage(official, photo)
    assert cov["s1"] == pytest.approx(40 / 400)
    assert np.isnan(cov["s3"])


def test_select_clean_applies_every_rule():
    official, photo, declared = frames()
    sel = select_clean(official, photo, declared, threshold=0.05)
    # s2 proven, s3 no protocol, s4 negative count
    assert sel.clean.tolist() == [True, False, False, False]
    assert sel.counts()["proven_falsified"] == 1
    checks = pd.Series({"s1": False}, dtype=bool)
    assert select_clean(official, photo, declared, checks, threshold=0.0).n_clean == 0
    assert select_clean(official, photo, declared, threshold=0.2).n_clean == 0
    none = select_clean(official, photo, declared, threshold=0.0, definition="none")
    assert none.clean.tolist() == [True, True, False, False]
    strict = select_clean(official, photo, declared, threshold=0.0, definition="strict")
    assert strict.clean.tolist() == [True, False, False, False]
    with pytest.raises(ValueError):
        select_clean(official, photo, declared, definition="lenient")  # type: ignore[arg-type]


def test_stratum_labels_nest():
    st = pd.DataFrame({"region": ["1", "1", "2", None], "settlement_type": ["v", "c", "v", "v"]})
    fine, coarse = stratum_labels(st, ["region", "settlement_type"])
    assert list(fine) == ["1|v", "1|c", "2|v", "?|v"]
    assert list(coarse) == ["v", "c", "v", "v"]
