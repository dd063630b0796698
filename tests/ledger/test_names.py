"""Normalisation of names: one linkage form for Belarusian, Russian and Latin spellings."""

from __future__ import annotations

import pytest

from honestcount.ledger.names import (
    age_in_text,
    facility_canonical,
    fold,
    given_canonical,
    place_canonical,
    skeleton,
    split_full_name,
    year_in_text,
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
    assert (a.surname, a.given, a.patronymic) == ("ivanov", "ivan", "petr-ich")
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


def test_lookalike_latin_letters_inside_cyrillic_words_are_folded():
    # "Козлов" typed with Latin K, o and a Latin c in "Сергей"
    assert fold("Kозлов") == fold("Козлов") == fold("Kozlov")
    assert split_full_name("Koзлов Cергей").given == split_full_name("Козлов Сергей").given
    assert fold("Ivanov") == "ivanov"  # a Latin word is left alone


@pytest.mark.parametrize(
    ("lacinka", "cyrillic"),
    [("Cichanoŭski", "Ціханоўскі"), ("Kavaloŭ", "Кавалёў"), ("Łukašenka", "Лукашэнка")],
)
def test_lacinka_meets_cyrillic(lacinka, cyrillic):
    assert skeleton(fold(lacinka)) == skeleton(fold(cyrillic))


@pytest.mark.parametrize("diminutive", ["Саня", "Лёха", "Серый", "Женя", "Антоха"])
def test_everyday_diminutives(diminutive):
    assert given_canonical(diminutive) is not None
    assert given_canonical(diminutive) != fold(diminutive)


def test_patronymics_agree_across_scripts_and_genders():
    forms = ["Іваноў Іван Мікалаевіч", "Иванов Иван Николаевич", "Ivanova Anna Nikolaevna"]
    assert len({split_full_name(f).patronymic for f in forms}) == 1


def test_initials_only():
    parts = split_full_name("Ковалёв А.С.")
    assert (parts.surname, parts.given, parts.initials) == ("kovalev", "", "as")
    assert parts.given_initial == split_full_name("Ковалёв Александр").given_initial == "a"


@pytest.mark.parametrize(
    "cell", ["Лукашевич Иван 1990г.р.", "Лукашевич Иван, 1990 г. р.", "Лукашевич Иван 30 лет",
             "Лукашевіч Іван, 30 гадоў", "Лукашевич Иван 34 года"],
)  # fmt: skip
def test_years_and_ages_glued_to_the_name(cell):
    parts = split_full_name(cell)
    assert (parts.surname, parts.given) == ("lukashevich", "ivan")
    assert year_in_text(cell) or age_in_text(cell)


@pytest.mark.parametrize(
    ("lacinka", "cyrillic"),
    [("Zaicanienka Kanstancin", "Зайцаненка Канстанцін"),
     ("Sidarecuk Arciom", "Сидорецук Артём"),
     ("Hrynievicki Mikalaj", "Гриневицкий Николай")],
)  # fmt: skip
def test_lacinka_c_is_ts_in_a_surname_without_any_diacritic(lacinka, cyrillic):
    latin, cyr = split_full_name(lacinka), split_full_name(cyrillic)
    assert skeleton(latin.surname) == skeleton(cyr.surname)
    assert latin.given == cyr.given


def test_an_english_c_in_a_given_name_is_still_k():
    assert split_full_name("Victor Kovalenko").given == split_full_name("Виктор Коваленко").given


def test_lacinka_ch_in_a_given_name_is_kh():
    # Лёха written in łacinka without diacritics: ch is х, not ч
    assert given_canonical("Locha") == given_canonical("Лёха") == given_canonical("Алексей")


@pytest.mark.parametrize("cell", ["Vola Zhuravlacheva", "Zhuravlacheva Vola"])
def test_an_unknown_given_name_leaves_the_surname_to_its_ending(cell):
    # "Vola" is Volha with a letter lost: no given name of the table, in either order
    assert split_full_name(cell).surname == "zhuravlacheva"
