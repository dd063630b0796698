"""Outlines to orient by on a map without base tiles: the extent of each region's and each
district's stations, computed from their coordinates.

These are not borders. An outline is the convex hull of a group's stations, so it cuts
corners, overlaps its neighbours and leaves out land with no station; the map labels it as
the stations' extent. Nothing is fetched from elsewhere, and the outlines follow the data
(a re-import redraws them). A station placed far from the rest of its group (a wrong
geocode: Belarus 2020 has a Kleck raion station 4 degrees of longitude from the others) would
stretch the hull over half the country, so stations farther from the group's median point
than ``FAR`` times the group's median distance (and than ``FLOOR_KM``) are left out of its
outline, and counted (``left_out``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

FAR = 4.0
FLOOR_KM = 15.0
DIGITS = 3  # about 100 m: an outline is approximate anyway
ABROAD = "abroad"


def hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The convex hull of ``points`` (x, y), counter-clockwise, without repeating the first
    point (Andrew's monotone chain); fewer than three distinct points give what there is."""
    pts = sorted(set(points))
    if len(pts) < 3:
        return pts

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    upper: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def core(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Which points are not far from the rest (see the module docstring)."""
    mid_lat, mid_lon = float(np.median(lat)), float(np.median(lon))
    km_lon = 111.32 * math.cos(math.radians(mid_lat))
    dist = np.hypot((lat - mid_lat) * 110.57, (lon - mid_lon) * km_lon)
    limit = max(FAR * float(np.quantile(dist, 0.75)), FLOOR_KM)
    return dist <= limit


def _outline(group: pd.DataFrame) -> dict | None:
    lat, lon = group["latitude"].to_numpy(float), group["longitude"].to_numpy(float)
    ring = hull(list(zip(lat.round(DIGITS), lon.round(DIGITS), strict=True)))
    if len(ring) < 3:
        return None
    return {
        "ring": [[float(a), float(b)] for a, b in ring],
        # where a name goes: the median of the stations, inside the outline
        "label": [round(float(np.median(lat)), 4), round(float(np.median(lon)), 4)],
        "stations": len(group),
    }


def outlines(index: pd.DataFrame) -> dict[str, list[dict]]:
    """Region and district outlines of the located stations in ``index`` (a snapshot's:
    ``region``, ``district``, ``latitude``, ``longitude``); stations abroad have none. A
    region's outline is drawn round the stations its districts' outlines kept."""
    located = index[index["latitude"].notna() & index["longitude"].notna()]
    located = located[located["region"] != ABROAD]
    keep = pd.Series(True, index=located.index)
    districts = []
    for code, group in located.groupby("district", sort=True):
        near = core(group["latitude"].to_numpy(float), group["longitude"].to_numpy(float))
        keep[group.index[~near]] = False
        shape = _outline(group[near])
        if shape is not None:
            districts.append({"district": code, **shape, "left_out": int((~near).sum())})
    regions = []
    for region, group in located[keep.to_numpy()].groupby("region", sort=True):
        shape = _outline(group)
        if shape is not None:
            left_out = int((located["region"] == region).sum()) - len(group)
            regions.append({"region": region, **shape, "left_out": left_out})
    return {"regions": regions, "districts": districts}
