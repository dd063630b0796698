from __future__ import annotations

import numpy as np
import pytest

from honestcount.forensics import spatial as sp


def _points(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(50, 54, n), rng.uniform(30, 36, n)


def _permutation_moments(x: np.ndarray, w: sp.Neighbours, reps: int, seed: int):
    rng = np.random.default_rng(seed)
    vals = []
    for _ in range(reps):
        z = rng.permutation(x)
        z = z - z.mean()
        vals.append((z * sp.spatial_lag(z, w)).sum() / (z * z).sum())
    return np.mean(vals), np.var(vals)


@pytest.mark.parametrize("kind", ["knn", "district"])
def test_moran_randomisation_moments_match_permutations(kind):
    rng = np.random.default_rng(0)
    n = 1500
    lat, lon = _points(n, 1)
    x = rng.exponential(size=n)  # skewed values exercise the kurtosis term
    w = (
        sp.knn_neighbours(lat, lon, 6)
        if kind == "knn"
        else sp.district_neighbours(rng.integers(0, 60, n))
    )
    r = sp.morans_i(x, w)
    mean, var = _permutation_moments(x, w, 800, 2)
    assert r.expected == pytest.approx(-1 / (n - 1))
    assert mean == pytest.approx(r.expected, abs=4 * np.sqrt(r.variance / 800))
    assert var == pytest.approx(r.variance, rel=0.15)
    assert abs(r.z) < 3.5


def test_moran_detects_smooth_field_not_noise():
    lat, lon = _points(3000, 3)
    rng = np.random.default_rng(4)
    w = sp.knn_neighbours(lat, lon, 8)
    smooth = np.sin(lat * 2) + np.cos(lon * 1.5) + 0.3 * rng.standard_normal(3000)
    assert sp.morans_i(smooth, w).p_value < 1e-10
    assert sp.morans_i(smooth, w).i > 0.3
    assert sp.morans_i(rng.standard_normal(3000), w).p_value > 1e-3


def test_gi_star_finds_planted_cluster():
    lat, lon = _points(4000, 5)
    rng = np.random.default_rng(6)
    x = rng.standard_normal(4000)
    cluster = (lat - 52) ** 2 + ((lon - 33) * 0.6) ** 2 < 0.3**2
    x[cluster] += 2.5
    r = sp.spatial_screen(x, latitude=lat, longitude=lon, k=8, indicator="x")
    hot = r.gi.hot
    assert cluster.sum() > 50
    recall = (hot & cluster).sum() / cluster.sum()
    precision = (hot & cluster).sum() / max(hot.sum(), 1)
    assert recall > 0.7 and precision > 0.8
    assert r.neighbours == "knn(k=8)" and r.moran.p_value < 1e-6
    noise = sp.spatial_screen(rng.standard_normal(4000), latitude=lat, longitude=lon)
    assert noise.hot + noise.cold <= 5


def test_district_screen_flags_the_planted_district():
    rng = np.random.default_rng(7)
    n = 5000
    district = np.array([f"D{k:03d}" for k in rng.integers(0, 200, n)])
    x = rng.normal(0.6, 0.08, n)
    x[district == "D042"] += 0.12
    r = sp.spatial_screen(x, district=district, indicator="turnout")
    assert r.neighbours == "district"
    assert r.hot_units[:1] == ("D042",)
    assert set(r.hot_units) == {"D042"}
    assert r.cold == 0


def test_missing_coordinates_fall_back_to_districts():
    lat, lon = _points(300, 8)
    lat[:100] = np.nan
    district = np.repeat(np.arange(30), 10)
    r = sp.spatial_screen(
        np.random.default_rng(9).random(300), latitude=lat, longitude=lon, district=district
    )
    assert r.neighbours == "district"
    with pytest.raises(ValueError):
        sp.spatial_screen(np.ones(10))


def test_knn_excludes_self_with_duplicate_coordinates():
    lat = np.array([50.0, 50.0, 50.0, 51.0, 52.0, 53.0])
    lon = np.array([30.0, 30.0, 30.0, 31.0, 32.0, 33.0])
    w = sp.knn_neighbours(lat, lon, 2)
    assert w.index.shape == (6, 2)
    assert not (w.index == np.arange(6)[:, None]).any()
