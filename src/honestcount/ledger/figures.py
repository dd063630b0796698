"""Figures: how many people were detained, held, released, hurt or killed, by day, place and
facility, each as a range over the three readings of the linkage.

A count is the number of distinct *people* (linked records count once), computed under each
reading (``low``: every plausible pair merged; ``best``; ``high``: uncertain pairs kept
apart). Each count is reported as ``{"low", "best", "high"}`` with ``low`` the smallest and
``high`` the largest over the readings. Only aggregates leave this module; it needs no key.

Definitions:

* **detained**: people with any custody fact (detained, held, released: a release implies a
  detention);
* **held** (on a day, and ``held_now`` at ``as_of``): people whose latest custody fact up to
  that day is a detention or a stay in a facility, not a release or a death;
* **released**, **injured**, **died**, **missing**, **tried**: people with such a fact;
* **by day**: people by the *first* exact date a source gives for that kind (undated facts are
  counted in ``undated``); **by place**: where the detention happened (a person counts once in
  each place sources give); **by facility**: people held in or released from it.

A fact without a date of its own takes its list's date as an upper bound ("by then") for
``held`` and for claims, never for counts by day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, select

from honestcount.ledger.runs import current_clusterings
from honestcount.store import tables as t

CUSTODY = ("detained", "held", "tried", "released", "died")
_ORDER = {"detained": 0, "held": 1, "tried": 2, "released": 3, "died": 4}
READINGS = ("low", "best", "high")
KINDS = ("detained", "released", "injured", "died", "missing", "tried")


def load_facts(conn: Connection) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """Facts with their record's list date and the person under each reading."""
    records, readings = current_clusterings(conn)
    rows = conn.execute(
        select(
            t.ledger_facts.c.record_id,
            t.ledger_facts.c.kind,
            t.ledger_facts.c.on_date,
            t.ledger_facts.c.place,
            t.ledger_facts.c.facility,
            t.ledger_facts.c.arrest_days,
            t.ledger_facts.c.fine,
            t.ledger_sources.c.list_date,
        ).select_from(t.ledger_facts.join(t.ledger_records).join(t.ledger_sources))
    ).all()
    facts = pd.DataFrame.from_records(
        [tuple(r) for r in rows],
        columns=[
            "record",
            "kind",
            "on_date",
            "place",
            "facility",
            "arrest_days",
            "fine",
            "list_date",
        ],
    )
    for col in ("on_date", "list_date"):
        facts[col] = pd.to_datetime(facts[col]).dt.normalize()
    facts["effective"] = facts["on_date"].fillna(facts["list_date"])
    for name in READINGS:
        facts[name] = readings[name].reindex(facts["record"]).to_numpy() if len(facts) else []
    return facts, readings


def _range(values: dict[str, int]) -> dict[str, int]:
    return {"low": min(values.values()), "best": values["best"], "high": max(values.values())}


def _count(facts: pd.DataFrame, mask: pd.Series | None = None) -> dict[str, int]:
    sub = facts if mask is None else facts[mask]
    return _range({r: int(sub[r].nunique()) for r in READINGS})


def _custody_spells(facts: pd.DataFrame, reading: str) -> pd.DataFrame:
    """Each person's custody status over time: one row per change, from ``start`` until the
    next change (``end``; NaT for the last), ``held`` when the status is a detention or a
    stay in a facility rather than a release or a death."""
    custody = facts.loc[
        facts["kind"].isin(CUSTODY) & facts["effective"].notna(), [reading, "kind", "effective"]
    ]
    ordered = custody.assign(rank=custody["kind"].map(_ORDER)).sort_values(
        [reading, "effective", "rank"], kind="stable"
    )
    last_of_day = ordered.drop_duplicates([reading, "effective"], keep="last")
    ends = last_of_day.groupby(reading)["effective"].shift(-1)
    return pd.DataFrame(
        {
            "start": last_of_day["effective"].to_numpy(),
            "end": ends.to_numpy(),
            "held": last_of_day["kind"].isin(("detained", "held", "tried")).to_numpy(),
        }
    )


def _held_series(
    facts: pd.DataFrame, days: Iterable[pd.Timestamp]
) -> dict[pd.Timestamp, dict[str, int]]:
    """People held at the end of each of ``days``, under each reading."""
    per_day: dict[pd.Timestamp, dict[str, int]] = {d: {} for d in days}
    for r in READINGS:
        spells = _custody_spells(facts, r)
        spells = spells[spells["held"]]
        start = spells["start"].to_numpy()
        end = spells["end"].to_numpy()
        for d in days:
            day = np.datetime64(d)
            open_ = (start <= day) & ((end > day) | pd.isna(end))
            per_day[d][r] = int(open_.sum())
    return {d: _range(v) for d, v in per_day.items()}


def _held_on(facts: pd.DataFrame, day: pd.Timestamp) -> dict[str, int]:
    return _held_series(facts, [day])[day]


def _grouped(
    facts: pd.DataFrame, key: str, kinds: dict[str, tuple[str, ...]]
) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for label, kind_set in kinds.items():
        sub = facts[facts["kind"].isin(kind_set) & facts[key].notna()]
        if sub.empty:
            continue
        per = {r: sub.groupby(key)[r].nunique() for r in READINGS}
        for value in per["best"].index:
            out.setdefault(value, {key: value})[label] = _range(
                {r: int(per[r].get(value, 0)) for r in READINGS}
            )
    return sorted(
        out.values(), key=lambda d: (-max(v["best"] for k, v in d.items() if k != key), d[key])
    )


def _by_day(facts: pd.DataFrame) -> list[dict[str, Any]]:
    days: dict[str, dict[str, Any]] = {}
    for kind in ("detained", "released", "injured", "died"):
        sub = facts[(facts["kind"] == kind) & facts["on_date"].notna()]
        if sub.empty:
            continue
        per = {}
        for r in READINGS:
            first = sub.groupby(r)["on_date"].min()
            per[r] = first.value_counts()
        for day in per["best"].index.union(per["low"].index).union(per["high"].index):
            key = day.date().isoformat()
            days.setdefault(key, {"date": key})[kind] = _range(
                {r: int(per[r].get(day, 0)) for r in READINGS}
            )
    dated = facts.loc[facts["kind"].isin(CUSTODY), "effective"].dropna()
    if not dated.empty:
        span = list(pd.date_range(dated.min(), dated.max(), freq="D"))
        for day, held in _held_series(facts, span).items():
            key = day.date().isoformat()
            days.setdefault(key, {"date": key})["held"] = held
    return [days[k] for k in sorted(days)]


# how low..high is made, in one sentence a page can show beside the ranges
RANGE_METHOD = (
    "Each count is a range over how the lists' records are linked into people: the low end "
    "joins every pair of records the linkage model gives at least a 20% chance of being one "
    "person (the fewest people the lists can describe), the high end joins only pairs at 90% "
    "or more and keeps every uncertain pair apart (the most); on every validation set of "
    "lists with known identities the true number lay inside the range."
)


def figures(engine: Engine, *, as_of: dt.date | None = None, min_cell: int = 0) -> dict[str, Any]:
    """Counts of people by kind, day, place and facility, each as a low/best/high range.

    ``as_of`` is the day ``held_now`` is counted on (default: the latest date in the ledger).
    ``min_cell`` withholds place and facility counts (not totals) whose best value is below
    it, for public pages where a small number could point at a person.
    """
    with engine.connect() as conn:
        facts, readings = load_facts(conn)
        review = conn.execute(
            select(t.ledger_links.c.record_l).where(t.ledger_links.c.status == "review")
        ).all()
    people = {r: int(s.nunique()) for r, s in readings.items()}
    result: dict[str, Any] = {
        "range_method": RANGE_METHOD,
        "records": int(len(readings["best"])),
        "people": _range(people) if people else {"low": 0, "best": 0, "high": 0},
        "review_pairs": len(review),
    }
    if facts.empty:
        result.update(
            {"as_of": None, "totals": {}, "by_day": [], "by_place": [], "by_facility": []}
        )
        return result
    day = pd.Timestamp(as_of) if as_of else facts["effective"].max()
    current = facts[facts["effective"] <= day]
    totals = {
        "detained": _count(current, current["kind"].isin(("detained", "held", "released"))),
        "held_now": _held_on(current, day),
        "released": _count(current, current["kind"] == "released"),
        "injured": _count(current, current["kind"] == "injured"),
        "died": _count(current, current["kind"] == "died"),
        "missing": _count(current, current["kind"] == "missing"),
        "tried": _count(current, current["kind"] == "tried"),
        "sentenced_to_arrest": _count(
            current, (current["kind"] == "tried") & current["arrest_days"].notna()
        ),
        "fined": _count(current, (current["kind"] == "tried") & current["fine"].notna()),
    }
    undated = {
        kind: _count(current, (current["kind"] == kind) & current["on_date"].isna())
        for kind in ("detained", "released", "injured", "died")
    }
    by_place = _grouped(
        current,
        "place",
        {
            "detained": ("detained",),
            "injured": ("injured",),
            "died": ("died",),
            "released": ("released",),
        },
    )
    by_facility = _grouped(
        current, "facility", {"held": ("held", "released"), "released": ("released",)}
    )
    if min_cell:
        by_place = _suppress(by_place, "place", min_cell)
        by_facility = _suppress(by_facility, "facility", min_cell)
    result.update(
        {
            "as_of": day.date().isoformat(),
            "totals": totals,
            "undated": undated,
            "by_day": _by_day(current),
            "by_place": by_place,
            "by_facility": by_facility,
        }
    )
    return result


def _suppress(rows: list[dict[str, Any]], key: str, min_cell: int) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        kept = {
            k: (v if k == key or v["best"] >= min_cell else f"<{min_cell}") for k, v in row.items()
        }
        out.append(kept)
    return out


def support(
    facts: pd.DataFrame,
    kind: str,
    *,
    places: list[str],
    start: dt.date | None,
    end: dt.date | None,
) -> dict[str, int]:
    """How many people the ledger shows for a claim's kind, places and period (a range).

    ``detained`` counts any custody fact dated in the period, ``released``, ``injured``
    count those facts, ``killed`` and ``died`` count deaths. A fact without its own date is
    counted when its list is dated within the period.
    """
    kinds = {
        "detained": ("detained", "held", "released"),
        "released": ("released",),
        "injured": ("injured",),
        "killed": ("died",),
        "died": ("died",),
        "missing": ("missing",),
        "tried": ("tried",),
    }[kind]
    if facts.empty:
        return {"low": 0, "best": 0, "high": 0}
    mask = facts["kind"].isin(kinds)
    if start is not None:
        mask &= facts["effective"] >= pd.Timestamp(start)
    if end is not None:
        mask &= facts["effective"] <= pd.Timestamp(end)
    if places:
        mask &= facts["place"].isin(places) | facts["facility"].map(_facility_city).isin(places)
    return _count(facts, mask)


def _facility_city(facility: object) -> str | None:
    from honestcount.ledger.names import facility_city

    return facility_city(facility) if isinstance(facility, str) else None
