"""Finding a voter's station: by its number, by town or address text in any script, or by
the nearest stations to a shared location.

Text is matched on the search skeleton of :func:`honestcount.web.search.fold`, the one the
public pages use, so Мінск, Минск and Minsk find the same stations there and here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, select

from honestcount.store import tables as t
from honestcount.web.search import fold

EARTH_RADIUS_KM = 6371.0088
_NUMBER = re.compile(r"[\d\s./-]+")


@dataclass(frozen=True)
class Station:
    """A polling station as a voter recognises it."""

    id: str
    town: str | None = None
    name: str | None = None
    district: str | None = None
    region: str | None = None
    latitude: float | None = None
    longitude: float | None = None

    def label(self) -> str:
        """What a button shows: the id first (the engine reads it back), then where it is."""
        place = ", ".join(p for p in (self.town, self.name) if p)
        return f"{self.id} · {place}" if place else self.id


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _last_number(station_id: str) -> str:
    groups = re.findall(r"\d+", station_id)
    return groups[-1].lstrip("0") if groups else ""


class StationDirectory:
    """One election's stations, held in memory (5,767 for Belarus: a few hundred KB)."""

    def __init__(self, stations: Iterable[Station]) -> None:
        self.stations = list(stations)
        self.by_id = {s.id: s for s in self.stations}
        self._text = [
            fold(" ".join(p for p in (s.id, s.town, s.name, s.district, s.region) if p))
            for s in self.stations
        ]
        self._town = [fold(s.town or "") for s in self.stations]
        self._digits = [_digits(s.id) for s in self.stations]
        self._last = [_last_number(s.id) for s in self.stations]

    @classmethod
    def from_store(cls, engine: Engine, election_id: str) -> StationDirectory:
        """The stations of ``election_id`` in the evidence store."""
        s = t.stations.c
        query = (
            select(s.station_id, s.town, s.name, s.district, s.region, s.latitude, s.longitude)
            .where(s.election_id == election_id)
            .order_by(s.station_id)
        )
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        return cls(
            Station(
                r.station_id,
                r.town,
                r.name,
                r.district,
                r.region,
                None if r.latitude is None or math.isnan(r.latitude) else float(r.latitude),
                None if r.longitude is None or math.isnan(r.longitude) else float(r.longitude),
            )
            for r in rows
        )

    def __len__(self) -> int:
        return len(self.stations)

    def get(self, station_id: str) -> Station | None:
        return self.by_id.get(station_id.strip())

    def find(self, query: str, limit: int = 8) -> list[Station]:
        """Stations matching ``query``: an exact id; a number (all the id's digits, or its
        last number: "42" finds 07-006-0042 and every other station 42); else every word of
        the folded text."""
        query = query.strip()
        if not query:
            return []
        exact = self.get(query)
        if exact is not None:
            return [exact]
        if _NUMBER.fullmatch(query):
            digits = _digits(query)
            hits = [s for s, d in zip(self.stations, self._digits, strict=True) if d == digits]
            if not hits:  # the station's own number, as printed on the invitation
                hits = [
                    s
                    for s, n in zip(self.stations, self._last, strict=True)
                    if n == digits.lstrip("0")
                ]
            return hits[:limit]
        words = fold(query).split()
        whole = " ".join(words)
        ranked: list[tuple[int, int]] = [
            (0 if town == whole else 1 if all(w in town for w in words) else 2, n)
            for n, (text, town) in enumerate(zip(self._text, self._town, strict=True))
            if all(w in text for w in words)
        ]
        # A town of that name first, then towns containing the words, then stations in a
        # region or district of that name ("Minsk": the city before the Minsk region).
        ranked.sort()
        return [self.stations[n] for _, n in ranked[:limit]]

    def count(self, query: str) -> int:
        """How many stations ``query`` matches (to say when a list was cut)."""
        return len(self.find(query, limit=len(self.stations) or 1))

    def nearest(self, latitude: float, longitude: float, k: int = 5) -> list[Station]:
        """The ``k`` stations closest to a point (those with coordinates)."""
        placed = [s for s in self.stations if s.latitude is not None and s.longitude is not None]
        placed.sort(
            key=lambda s: distance_km(latitude, longitude, s.latitude, s.longitude)  # type: ignore[arg-type]
        )
        return placed[:k]
