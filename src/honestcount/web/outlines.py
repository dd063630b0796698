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
    point; fewer than three distinct points, or points on one line, give their ends."""
    from scipy.spatial import ConvexHull, QhullError

    pts = sorted(set(points))
    if len(pts) < 3:
        return pts
    try:
        corners = ConvexHull(np.asarray(pts, dtype=float)).vertices
    except QhullError:  # all on one line: no area to outline
        return [pts[0], pts[-1]]
    return [pts[i] for i in corners]


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
