"""Normalisation of names: one linkage form for Belarusian, Russian and Latin spellings."""

from __future__ import annotations

import pytest

from honestcount.ledger.names import (
    facility_canonical,
    fold,
    given_canonical,
    place_canonical,
    skeleton,
    split_full_name,
)


@pytest.mark.parametrize(
    "spelling",
    [
        "Александр",
        "Аляксандр",
        "Aliaksandr",
        "Alyaksandr",
        "Alexander",
        "Aleksandr",
        "Алесь",
        "Саша",
    ],
)
def test_given_name_variants_meet(spelling):
    assert given_canonical(spelling) == "aleksandr"


@pytest.mark.parametrize(
    ("a", "b"),
    [("Сергей", "Siarhei"), ("Дзмітрый", "Dmitry"), ("Вольга", "Olga"), ("Ганна", "Anna"),
     ("Кацярына", "Ekaterina"), ("Яўген", "Yevgeny"), ("Пётр", "Piotr")],
)  # fmt: skip
def test_belarusian_and_russian_given_names(a, b):
    assert given_canonical(a) == given_canonical(b) is not None


def test_one_typo_in_a_given_name_is_forgiven():
    assert given_canonical("Aleksnadr") == "aleksandr"
    assert given_canonical("Кирл") == "kiril"
    assert given_canonical("Жук") is None


@pytest.mark.parametrize(
    "name",
    ["Ціханоўская Святлана", "Тихановская Светлана Георгиевна", "Sviatlana Tsikhanouskaya",
     "Svetlana Tikhanovskaya", "TSIKHANOUSKAYA SVIATLANA"],
)  # fmt: skip
def test_surname_skeleton_shared_by_belarusian_russian_and_latin_forms(name):
    parts = split_full_name(name)
    assert parts.given == "svetlana"
    assert parts.surname_skeleton == "thnvsk"
    assert parts.gender == "f"


def test_word_order_does_not_matter():
    a = split_full_name("Иванов Иван Петрович")
    b = split_full_name("Иван Петрович Иванов")
    c = split_full_name("Ivan Ivanov")
    assert (a.surname, a.given, a.patronymic) == ("ivanov", "ivan", "petrovich")
    assert (b.surname, b.given, b.patronymic) == (a.surname, a.given, a.patronymic)
    assert c.sorted_tokens == a.sorted_tokens == "ivan ivanov"


def test_belarusian_ovich_surname_is_not_a_patronymic():
    parts = split_full_name("Дзмітрый Навумовіч")
    assert (parts.surname, parts.given, parts.patronymic) == ("navumovich", "dmitri", "")
    assert skeleton(fold("Наумович")) == parts.surname_skeleton


def test_unknown_given_name_before_a_patronymic():
    parts = split_full_name("Бабкиков Кирл Кириллович")
    assert (parts.surname, parts.given) == ("babkikov", "kiril")


def test_year_and_age_are_not_part_of_the_name():
    assert split_full_name("Лукашевич Иван, 1990 г.р.").surname == "lukashevich"
    assert split_full_name("Бойкик Григорий").given == "grigori"  # "Гр" is not "г.р."
    assert split_full_name("Петров Гриша (25 лет)").given == "grigori"


def test_places_and_facilities():
    assert place_canonical("в Мінску") == "Minsk"
    assert place_canonical("г. Гомель") == place_canonical("Homiel") == "Homiel"
    assert facility_canonical("ЦИП на Окрестина") == "Akrestsina detention centre"
    assert facility_canonical("Жодино, СИЗО-8") == "Zhodino prison No 8"
    assert facility_canonical("РУВД Фрунзенского р-на") == "РУВД Фрунзенского р-на"
