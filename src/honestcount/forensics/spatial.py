"""Spatial screen: global Moran's I and local Getis–Ord Gi* on a station-level indicator.

Neighbours are the k nearest stations by great-circle geometry (coordinates on the unit sphere,
``scipy.spatial.cKDTree``) or, without coordinates, the other stations of the same district.
Moran's I uses row-standardised weights (neighbours only) with the randomisation moments of
Cliff & Ord (1981); Gi* (Getis & Ord 1992; Ord & Getis 1995) uses binary weights that include
the station itself and is a z-score, with two-sided normal p-values and Benjamini–Hochberg
q-values. The Gi* of overlapping neighbourhoods are positively dependent, the setting in which
BH still controls the FDR (Benjamini & Yekutieli 2001).

What it does not show: turnout and support cluster in space for honest reasons (regions,
towns, social geography), so spatial clustering says where anomalies concentrate, not that the
counting there was dishonest. With district neighbours Gi* is one value per district.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from honestcount.forensics.common import NOTE, benjamini_hochberg, label_codes

if TYPE_CHECKING:
    from scipy import sparse


def _two_sided_p(z: np.ndarray | float) -> np.ndarray:
    from scipy import stats  # heavy import, only when a screen runs

    return np.asarray(2 * stats.norm.sf(np.abs(z)), dtype=float)


@dataclass(frozen=True)
class Neighbours:
    """Spatial neighbours: ``knn`` (``index``: n x k neighbour indices, self excluded) or
    ``district`` (``groups``: group code per unit; all other members are neighbours)."""

    kind: str
    index: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    groups: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def n(self) -> int:
        return int(self.index.shape[0] if self.kind == "knn" else self.groups.size)

    def group_sizes(self) -> np.ndarray:
        return np.asarray(np.bincount(self.groups)[self.groups])


def knn_neighbours(latitude: np.ndarray, longitude: np.ndarray, k: int = 8) -> Neighbours:
    """k nearest neighbours on the sphere (chord distance of unit vectors)."""
    lat, lon = np.radians(latitude), np.radians(longitude)
    xyz = np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    from scipy import spatial  # heavy import, only when coordinates are known

    k = min(k, xyz.shape[0] - 1)
    _, idx = spatial.cKDTree(xyz).query(xyz, k=k + 1)
    # drop self; with duplicate coordinates self may not come first
    own = idx == np.arange(idx.shape[0])[:, None]
    has_self = own.any(axis=1)
    keep = np.where(has_self[:, None], ~own, np.arange(k + 1)[None, :] < k)
    return Neighbours("knn", index=idx[keep].reshape(idx.shape[0], k))


def district_neighbours(district: np.ndarray) -> Neighbours:
    """Stations of the same district as neighbours."""
    _, code = label_codes(np.asarray(district))
    return Neighbours("district", groups=code)


def spatial_lag(x: np.ndarray, w: Neighbours) -> np.ndarray:
    """Row-standardised neighbour mean (NaN for a unit without neighbours)."""
    if w.kind == "knn":
        return np.asarray(x[w.index].mean(axis=1))
    sums = np.bincount(w.groups, weights=x)[w.groups]
    m = w.group_sizes()
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(m > 1, (sums - x) / (m - 1), np.nan)


@dataclass(frozen=True)
class MoranResult:
    i: float
    expected: float
    variance: float
    z: float
    p_value: float
    n: int
    note: str = NOTE


@dataclass(frozen=True)
class GiStarResult:
    """Local Gi* z-scores, p-values and BH q-values; ``hot``/``cold`` where q <= alpha."""

    z: np.ndarray
    p_value: np.ndarray
    q_value: np.ndarray
    hot: np.ndarray
    cold: np.ndarray
    alpha: float
    note: str = NOTE


def morans_i(x: np.ndarray, w: Neighbours) -> MoranResult:
    """Global Moran's I with row-standardised weights, randomisation inference (two-sided).

    Units without neighbours (singleton districts) are left out.
    """
    x = np.asarray(x, dtype=float)
    if w.kind == "district":
        keep = w.group_sizes() > 1
        if not keep.all():
            _, g = np.unique(w.groups[keep], return_inverse=True)
            x, w = x[keep], Neighbours("district", groups=g)
    n = x.size
    z = x - x.mean()
    m2 = (z * z).sum()
    lag = spatial_lag(z, w)
    s0 = float(n)
    i_stat = float((z * lag).sum() / m2) if m2 > 0 else float("nan")
    if w.kind == "knn":
        k = w.index.shape[1]
        rows = np.repeat(np.arange(n), k)
        cols = w.index.ravel()
        wmat = spatial_coo(rows, cols, np.full(rows.size, 1.0 / k), n)
        sym = wmat + wmat.T
        s1 = 0.5 * float((sym.data**2).sum())
        colsum = np.asarray(wmat.sum(axis=0)).ravel()
        s2 = float(((1.0 + colsum) ** 2).sum())
    else:
        m = w.group_sizes().astype(float)
        s1 = float((2.0 / (m - 1.0)).sum())
        s2 = 4.0 * n
    e = -1.0 / (n - 1)
    b2 = n * (z**4).sum() / m2**2 if m2 > 0 else float("nan")
    var = (
        n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s0 * s0)
        - b2 * ((n * n - n) * s1 - 2 * n * s2 + 6 * s0 * s0)
    ) / ((n - 1) * (n - 2) * (n - 3) * s0 * s0) - e * e
    zz = (i_stat - e) / np.sqrt(var) if var > 0 else float("nan")
    return MoranResult(
        i=i_stat,
        expected=e,
        variance=float(var),
        z=float(zz),
        p_value=float(_two_sided_p(zz)),
        n=n,
    )


def spatial_coo(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, n: int) -> sparse.csr_matrix:
    """A CSR sparse matrix from coordinates (duplicates summed)."""
    from scipy import sparse

    return sparse.csr_matrix((vals, (rows, cols)), shape=(n, n))


def getis_ord_gi_star(x: np.ndarray, w: Neighbours, alpha: float = 0.05) -> GiStarResult:
    """Local Gi* with binary weights including the unit itself."""
    x = np.asarray(x, dtype=float)
    n = x.size
    xbar = x.mean()
    s = np.sqrt((x * x).mean() - xbar**2)
    if w.kind == "knn":
        wsum = x + x[w.index].sum(axis=1)
        wi = np.full(n, w.index.shape[1] + 1.0)
    else:
        wsum = np.bincount(w.groups, weights=x)[w.groups]
        wi = w.group_sizes().astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = s * np.sqrt((n * wi - wi * wi) / (n - 1))
        z = np.where(denom > 0, (wsum - xbar * wi) / denom, np.nan)
    p = _two_sided_p(z)
    q = benjamini_hochberg(p)
    sig = np.nan_to_num(q, nan=1.0) <= alpha
    return GiStarResult(
        z=z, p_value=p, q_value=q, hot=sig & (z > 0), cold=sig & (z < 0), alpha=alpha
    )


@dataclass(frozen=True)
class SpatialResult:
    """Moran's I and Gi* summary for one indicator; ``hot_units``/``cold_units``: the flagged
    districts (or stations' districts), most extreme first."""

    indicator: str
    neighbours: str
    n: int
    moran: MoranResult
    hot: int
    cold: int
    hot_units: tuple[str, ...]
    cold_units: tuple[str, ...]
    gi: GiStarResult
    note: str = NOTE


def spatial_screen(
    x: np.ndarray,
    *,
    latitude: np.ndarray | None = None,
    longitude: np.ndarray | None = None,
    district: np.ndarray | None = None,
    k: int = 8,
    alpha: float = 0.05,
    indicator: str = "indicator",
    top: int = 20,
) -> SpatialResult:
    """Moran's I and Gi* of ``x`` with k-NN neighbours from coordinates when at least 90 % of
    the units have them, else district neighbours. Units with NaN ``x`` are dropped."""
    x = np.asarray(x, dtype=float)
    ok = np.isfinite(x)
    has_xy = False
    if latitude is not None and longitude is not None:
        lat = np.asarray(latitude, dtype=float)
        lon = np.asarray(longitude, dtype=float)
        xy = np.isfinite(lat) & np.isfinite(lon)
        has_xy = bool(xy[ok].mean() >= 0.9) if ok.any() else False
        if has_xy:
            ok &= xy
    if not has_xy and district is None:
        raise ValueError("need coordinates or districts for a spatial screen")
    labels = np.asarray(district).astype(str)[ok] if district is not None else None
    x = x[ok]
    if has_xy:
        w = knn_neighbours(lat[ok], lon[ok], k)
    else:
        assert labels is not None
        w = district_neighbours(labels)
    moran = morans_i(x, w)
    gi = getis_ord_gi_star(x, w, alpha)

    def units(mask: np.ndarray, sign: float) -> tuple[str, ...]:
        if labels is None or not mask.any():
            return ()
        idx = np.nonzero(mask)[0]
        idx = idx[np.argsort(-sign * gi.z[idx], kind="stable")]
        _, first = np.unique(labels[idx], return_index=True)
        return tuple(str(u) for u in labels[idx][np.sort(first)][:top])

    return SpatialResult(
        indicator=indicator,
        neighbours=f"knn(k={w.index.shape[1]})" if w.kind == "knn" else "district",
        n=int(x.size),
        moran=moran,
        hot=int(gi.hot.sum()),
        cold=int(gi.cold.sum()),
        hot_units=units(gi.hot, 1.0),
        cold_units=units(gi.cold, -1.0),
        gi=gi,
    )
