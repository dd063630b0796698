"""Claims of August 2020 held against a small case set whose answer is known."""

from __future__ import annotations

import datetime as dt

import pytest

from honestcount.errors import InputError
from honestcount.ledger import cases, claims, commands
from honestcount.store.db import make_engine


def test_bundled_claims():
    rows = claims.read_claims()
    assert [(c["kind"], c["quantity"], c["qualifier"]) for c in rows] == [
        ("detained", 7000, "nearly"),
        ("injured", 200, "hundreds"),
        ("died", 1, "at_least"),
        ("killed", 1, "at_least"),
        ("released", 1000, "more_than"),
        ("released", 1000, "about"),
        ("released", 2000, "exact"),
        ("died", 1, "exact"),
    ]
    assert all(c["reported_by"].startswith("Associated Press") for c in rows)
    assert rows[5]["places"] == "Minsk;Zhodino" and rows[7]["places"] == "Homiel"
    assert rows[4]["period_start"] == rows[4]["period_end"] == dt.date(2020, 8, 13)


# (name, birth year, source, facts): five people, one of them on two lists
CASES = [
    ("Аляксей Коваль", 1990, "list A", [
        {"kind": "detained", "date": "2020-08-10", "place": "Minsk"},
        {"kind": "released", "date": "2020-08-13", "facility": "ЦИП на Окрестина"}]),
    ("Aliaksei Koval", 1990, "list B", [
        {"kind": "released", "date": "2020-08-13", "place": "Minsk"}]),
    ("Марына Сакалова", 1985, "list A", [
        {"kind": "detained", "date": "2020-08-11", "place": "Minsk"},
        {"kind": "injured", "date": "2020-08-11", "place": "Minsk", "detail": "ушибы"}]),
    ("Пётр Гаўрыловіч", 1972, "list A", [
        {"kind": "detained", "date": "2020-08-10", "place": "Гомель"},
        {"kind": "died", "date": "2020-08-12", "place": "Гомель"}]),
    ("Ігар Лапіцкі", 2001, "list B", [
        {"kind": "released", "date": "2020-08-14", "facility": "Жодино"}]),
    ("Раман Шыла", 1986, "list B", [{"kind": "died", "date": "2020-08-10", "place": "Minsk"}]),
]  # fmt: skip


def test_claims_beside_what_the_cases_support(db_url, vault):
    engine = make_engine(db_url)
    for name, year, source, facts in CASES:
        cases.add_record(engine, vault, source=source, source_kind="volunteer_list", name=name,
                         birth_year=year, facts=facts, actor="t")  # fmt: skip
    linked = commands.ledger_link(db=engine, vault=vault, train=False)
    assert linked["people"]["best"] == 5
    claims.add_claim(
        engine, kind="injured", quantity=3, qualifier="about", source="A hospital",
        source_kind="other", stated_on="2020-08-12", period_start="2020-08-09",
        period_end="2020-08-12", places="Мінск",
    )  # fmt: skip
    report = commands.ledger_claims(db=engine)
    got = [
        (c["kind"], c["source"].split(",")[0], c["supported"], c["gap"]) for c in report["claims"]
    ]
    assert got == [
        ("detained", "Associated Press", 4, 6996),  # released (Zhodino) implies detained
        ("injured", "Associated Press", 1, 199),
        ("died", "Interior Ministry", 1, 0),  # Minsk, 10 Aug
        ("killed", "Media reports", 1, 0),
        ("released", "Natalya Kochanova", 1, 999),  # one person, on two lists
        ("released", "Valiantsin Stefanovich", 2, 998),  # Minsk and Zhodino
        ("released", "Interior Ministry", 2, 1998),
        ("died", "Authorities", 1, 0),  # Homiel
        ("injured", "A hospital", 1, 2),
    ]
    stored = report["claims"][-1]
    assert stored["bundled"] is False and stored["scope"] == {
        "places": ["Minsk"], "from": "2020-08-09", "to": "2020-08-12",
    }  # fmt: skip
    assert all(c["supported_range"]["low"] <= c["supported"] <= c["supported_range"]["high"]
               for c in report["claims"])  # fmt: skip
    engine.dispose()


def test_bad_claims_are_refused(tmp_path):
    with pytest.raises(InputError, match="kind must be one of"):
        claims._validate(
            {"kind": "arrested", "quantity": 1, "source": "x", "stated_on": "2020-08-14"}
        )
    path = tmp_path / "c.csv"
    path.write_text("kind,quantity,source,stated_on\nreleased,many,x,2020-08-14\n")
    with pytest.raises(InputError, match="line 2, column 'quantity'"):
        claims.read_claims(path)
