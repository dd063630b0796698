"""Reading lists as volunteers keep them: title rows, headers in three languages, CSV or XLSX."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import Workbook

from honestcount.errors import InputError
from honestcount.ledger.importer import parse_list
from honestcount.ledger.reading import (
    column_roles,
    parse_birth_year,
    parse_date,
    parse_outcome,
    read_list,
    status_kinds,
)

AUG14 = dt.date(2020, 8, 14)


def test_csv_with_title_row_semicolons_and_cp1251(tmp_path):
    path = tmp_path / "list.csv"
    text = (
        "Список задержанных 10.08\n"
        "ФИО;г.р.;Дата задержания;Где находится;Статус\n"
        "Иванов Иван Иванович;1990;10.08.2020;ЦИП на Окрестина;освобожден\n"
        ";;;;\n"
        "Петрова Анна;;11.08;Жодино;задержана\n"
    )
    path.write_bytes(text.encode("cp1251"))
    frame = read_list(path)
    assert list(frame.columns)[:2] == ["ФИО", "г.р."]
    parsed = parse_list(path, list_date=AUG14)
    assert [r.row_no for r in parsed.records] == [1, 2]
    first, second = (r.row for r in parsed.records)
    assert first.birth_year == 1990
    kinds = {f.kind: f for f in first.facts}
    assert kinds["detained"].on_date == dt.date(2020, 8, 10)
    assert kinds["released"].facility == "Akrestsina detention centre"
    assert {f.kind for f in second.facts} == {"detained", "held"}
    assert second.facts[0].on_date == dt.date(2020, 8, 11)


def test_xlsx_with_separate_name_columns(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["Прозвішча", "Імя", "Узрост", "Дата вызвалення", "Адкуль"])
    sheet.append(["Ціханоўскі", "Сяргей", 41, "14 жніўня", "ЦІП на Акрэсціна"])
    book.save(tmp_path / "exit.xlsx")
    parsed = parse_list(tmp_path / "exit.xlsx", kind="released", list_date=AUG14)
    (rec,) = parsed.records
    assert (rec.parts.given, rec.parts.surname_skeleton) == ("sergei", "thnvsk")
    assert rec.row.birth_year == 1979 and rec.row.birth_from == "age"
    (fact,) = rec.row.facts
    assert (fact.kind, fact.on_date) == ("released", AUG14)
    assert fact.facility == "Akrestsina detention centre"


def test_list_without_a_name_column_is_refused(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="no column of names"):
        read_list(path)


def test_roles_in_three_languages():
    roles = column_roles(["Full name", "Year of birth", "Detained on", "City", "Notes"])
    assert roles == {
        "full_name": "Full name",
        "birth_year": "Year of birth",
        "detained_date": "Detained on",
        "city": "City",
        "notes": "Notes",
    }
    assert column_roles(["ФИО, г.р.", "Где содержится"])["facility"] == "Где содержится"
    assert column_roles(["X"], {"full_name": "X"}) == {"full_name": "X"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10.08.2020", (dt.date(2020, 8, 10), None)), ("10.08", (dt.date(2020, 8, 10), None)),
     ("2020-08-10 23:40", (dt.date(2020, 8, 10), "23:40")),
     ("9 августа", (dt.date(2020, 8, 9), None)), ("9 жніўня 21:15", (dt.date(2020, 8, 9), "21:15")),
     ("Aug 12", (dt.date(2020, 8, 12), None)), ("", (None, None))],
)  # fmt: skip
def test_dates(text, expected):
    assert parse_date(text, 2020) == expected


def test_birth_years_ages_and_outcomes():
    assert parse_birth_year("1987", on=AUG14, kind="birth_year") == (1987, "year")
    assert parse_birth_year("87", on=AUG14, kind="birth_year") == (1987, "year")
    assert parse_birth_year("03.02.1999", on=AUG14, kind="birth_date") == (1999, "dob")
    assert parse_birth_year("25", on=AUG14, kind="age") == (1995, "age")
    assert parse_outcome("15 суток ареста") == (15, None, None)
    assert parse_outcome("штраф 25 БВ") == (None, 25, "BV")
    assert status_kinds("освобождён") == ["released"]
    assert status_kinds("вызвалены, збіты") == ["released", "injured"]


def test_bom_totals_footer_belarusian_headers_and_read_report(tmp_path):
    path = tmp_path / "list.csv"
    text = (
        '"Прозвішча, імя",Год нар.,Дата нар.,Узрост\n'
        "Кавалёў Андрэй,1991г.р.,,\n"
        "Ціханоўская Ганна,,03.02.1985,\n"
        "Іваноў Іван,,,34 гады\n"
        "Разам: 3,,,\n"
    )
    path.write_bytes(text.encode("utf-8-sig"))
    parsed = parse_list(path, list_date=AUG14)
    years = [(r.row.birth_year, r.row.birth_from) for r in parsed.records]
    assert years == [(1991, "year"), (1985, "dob"), (1986, "age")]
    report = parsed.report()
    assert report["records"] == 3
    assert report["skipped"] == {"totals row": 1} and report["skipped_rows"]["totals row"] == [4]
    assert report["birth_year_from"] == {"age": 1, "dob": 1, "year": 1}
    assert report["columns"]["birth_year"] == "Год нар."


def test_initials_only_court_schedule_in_cp1251(tmp_path):
    path = tmp_path / "court.csv"
    path.write_bytes("ФИО;Дата рождения\nКовалёв А.С.;12.03.1990\n".encode("cp1251"))
    (rec,) = parse_list(path, list_date=AUG14).records
    assert (rec.parts.surname, rec.parts.given_initial, rec.row.birth_year) == (
        "kovalev",
        "a",
        1990,
    )
