"""Protection: nothing identifying in clear at rest or in any export, the key outside the
database, the relatives' search that tells only whether and where."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, text

from honestcount.ledger import cases, commands
from honestcount.ledger.crypto import LedgerKeyError, Vault, generate_key
from honestcount.store import tables as t
from honestcount.store.db import make_engine

# distinctive people, so that a hit in the bytes cannot be chance
LIST = """ФИО;Год рождения;Дата задержания;Место задержания;Где находится;Статус;Примечание
Ціханоўская Святлана;1937;10.08.2020;Мінск;ЦИП на Окрестина;освобождена;тел. +375291234567
Зайцевский Аркадий Эдуардович;1941;09.08.2020;Гомель;ИВС Гомель;задержан;избит при задержании
Навумовіч Дзмітрый;1943;11.08.2020;Мінск;Жодино, СИЗО-8;задержан;
"""
LATIN = """Name,Year of birth,City,Released on
Sviatlana Tsikhanouskaya,1937,Minsk,Aug 13
Dzmitry Navumovich,1943,Minsk,Aug 15
"""
SECRETS = [
    "Ціханоўская", "Святлана", "Tsikhanouskaya", "Sviatlana", "tsikhanovskaia", "svetlana",
    "Зайцевский", "Аркадий", "Эдуардович", "zaitsevski", "arkadi", "Навумовіч", "Дзмітрый",
    "Navumovich", "navumovich", "dmitri", "1937", "1941", "1943", "375291234567", "избит",
]  # fmt: skip


@pytest.fixture
def ledger(db_url, vault, tmp_path):
    engine = make_engine(db_url)
    (tmp_path / "a.csv").write_text(LIST, encoding="utf-8")
    (tmp_path / "b.csv").write_text(LATIN, encoding="utf-8")
    commands.ledger_import(tmp_path / "a.csv", "hotline", db=engine, vault=vault, date="2020-08-12",
                           source_kind="relative")  # fmt: skip
    commands.ledger_import(tmp_path / "b.csv", "media", db=engine, vault=vault, date="2020-08-15",
                           source_kind="media", kind="released")  # fmt: skip
    commands.ledger_link(db=engine, vault=vault, train=False)
    yield engine
    engine.dispose()


def _stored_bytes(engine, db_url: str) -> bytes:
    """Everything the database holds: the SQLite files, or every row of PostgreSQL."""
    if db_url.startswith("sqlite"):
        path = Path(db_url.removeprefix("sqlite:///"))
        engine.dispose()
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    chunks = []
    with engine.connect() as conn:
        for table in ("ledger_sources", "ledger_persons", "ledger_records", "ledger_facts",
                      "ledger_links", "ledger_runs", "ledger_claims", "ledger_access"):  # fmt: skip
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                for value in row:
                    chunks.append(
                        value if isinstance(value, bytes | memoryview) else str(value).encode()
                    )
    return b"\n".join(bytes(c) for c in chunks)


def test_no_name_or_birth_year_in_clear(ledger, db_url, vault, tmp_path):
    engine = ledger
    figures = commands.ledger_figures(db=engine)
    claims = commands.ledger_claims(db=engine)
    public = cases.public_cases(engine, vault)
    assert figures["people"]["best"] == 3  # the Latin spellings were linked to the Cyrillic
    assert public == []  # nobody consented
    exports = json.dumps([figures, claims, public], ensure_ascii=False).encode()
    stored = _stored_bytes(engine, db_url)
    for secret in SECRETS:
        for form in {secret, secret.lower(), secret.upper()}:
            assert form.encode() not in stored, form
            assert form.encode() not in exports, form
    # what figures need is stored in the clear
    assert b"Akrestsina detention centre" in stored


def test_key_is_needed_and_checked(ledger, vault):
    other = Vault.from_key(generate_key())
    with pytest.raises(LedgerKeyError, match="sealed with key"):
        commands.ledger_link(db=ledger, vault=other)
    with pytest.raises(LedgerKeyError, match="not set"):
        Vault.from_env({})
    with pytest.raises(LedgerKeyError, match="32 random bytes"):
        Vault.from_key("too short")
    # the key itself is nowhere in the database
    with ledger.connect() as conn:
        key_ids = set(conn.execute(select(t.ledger_records.c.key_id)).scalars())
    assert key_ids == {vault.key_id}


def test_sealing_round_trip_and_padding(vault):
    a, b = vault.seal("Іван"), vault.seal("Іван")
    assert a != b and vault.open(a) == vault.open(b) == "Іван"
    assert len(vault.seal("Ян")) == len(vault.seal("Аляксандр Ціханоўскі"))
    assert vault.blind("n", "ivan", "zhuk") == vault.blind("n", "ivan", "zhuk")
    assert vault.blind("n", "ivan", "zhuk") != Vault.from_key(generate_key()).blind(
        "n", "ivan", "zhuk"
    )


def test_relatives_search_tells_only_whether_and_where(ledger, vault):
    engine = ledger
    # any script and order: the Latin released record is the latest one for her
    found = cases.relatives_search(engine, vault, "Святлана Ціханоўская", 1937)
    assert found == {
        "found": True,
        "last_recorded": {"date": "2020-08-13", "place": "Minsk", "facility": None},
    }
    assert cases.relatives_search(engine, vault, "Tikhanovskaya Svetlana", "1937") == found
    assert cases.relatives_search(engine, vault, "Зайцевский Аркадий", 1941) == {
        "found": True,
        "last_recorded": {
            "date": "2020-08-12",
            "place": "Homiel",
            "facility": "Homiel detention centre",
        },
    }
    # a partial name, a wrong year, no year: nothing about anyone
    for name, year in (("Ціханоўская", 1937), ("Святлана", 1937), ("Ціх", 1937),
                       ("Ціханоўская Святлана", 1938), ("Ціханоўская Святлана", None)):  # fmt: skip
        assert cases.relatives_search(engine, vault, name, year)["found"] is False
    with engine.connect() as conn:
        logged = (
            conn.execute(
                select(t.ledger_access.c.detail).where(
                    t.ledger_access.c.action == "relatives_search"
                )
            )
            .scalars()
            .all()
        )
    assert len(logged) == 8  # every query is logged, without any name
    assert all("Ціх" not in json.dumps(d, ensure_ascii=False) for d in logged)


def test_namesakes_born_the_same_year_are_not_told_apart(db_url, vault):
    engine = make_engine(db_url)
    for source, place in (("list a", "Мінск"), ("list b", "Брест")):
        fact = {"kind": "held", "place": place}
        cases.add_record(engine, vault, source=source, source_kind="relative", name="Іван Жук",
                         birth_year=1990, facts=[fact], actor="t")  # fmt: skip
    # the one-record-per-list rule cannot merge them, and linkage was not asked to
    with engine.begin() as conn:
        conn.execute(t.ledger_records.update().values(person_id=None))
    assert cases.relatives_search(engine, vault, "Жук Иван", 1990) == {
        "found": True,
        "last_recorded": None,
        "ambiguous": True,
    }
    engine.dispose()
