"""A second generator of volunteer lists, written apart from :mod:`~honestcount.ledger.synth`,
to validate linkage on lists shaped the way 2020's lists were written.

It shares no spelling rule with ``synth`` or with :mod:`~honestcount.ledger.names`: its own
given-name table (with everyday diminutives such as Саня, Лёха, Серый), its own Belarusian
forms (akanne, і, ў, дз, ц), four Latin systems of its own (Belarusian passport, Russian
passport/ICAO, press forms, łacinka), its own errors (keyboard and hearing typos, Latin
look-alike letters inside Cyrillic words, ё written е, capitals), its own birth-year forms
("34 года", "30 гадоў", "1990г.р.", full dates, a year off by one, a year in the name cell)
and its own files (UTF-8, UTF-8 with BOM and a totals footer, Windows-1251 with ";", XLSX
with title rows). Surnames are concentrated (Zipf), so namesakes are common; some people are
detained twice (two cases, one person) and some rows are entered twice in one list.

Each seed draws its own mix of list kinds, scripts and error rates. Every row carries tags
(script, diminutive, typo, initials, year given...) so that recall can be measured by kind
of pair. Nothing here is real.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# (Russian, Belarusian, press Latin, diminutives, gender); written for this generator
_GIVEN: list[tuple[str, str, str, str, str]] = [
    ("Александр", "Аляксандр", "Alexander", "Саша Саня Шура", "m"),
    ("Алексей", "Аляксей", "Alexei", "Лёша Лёха", "m"),
    ("Андрей", "Андрэй", "Andrei", "Андрюха", "m"),
    ("Дмитрий", "Дзмітрый", "Dmitry", "Дима Митя", "m"),
    ("Сергей", "Сяргей", "Sergei", "Серёжа Серый", "m"),
    ("Евгений", "Яўген", "Yevgeny", "Женя", "m"),
    ("Максим", "Максім", "Maxim", "Макс", "m"),
    ("Владимир", "Уладзімір", "Vladimir", "Вова Володя", "m"),
    ("Николай", "Мікалай", "Nikolai", "Коля", "m"),
    ("Иван", "Іван", "Ivan", "Ваня", "m"),
    ("Павел", "Павел", "Pavel", "Паша", "m"),
    ("Михаил", "Міхаіл", "Mikhail", "Миша", "m"),
    ("Артём", "Арцём", "Artyom", "Тёма", "m"),
    ("Денис", "Дзяніс", "Denis", "Дэн", "m"),
    ("Игорь", "Ігар", "Igor", "", "m"),
    ("Виктор", "Віктар", "Viktor", "Витя", "m"),
    ("Олег", "Алег", "Oleg", "", "m"),
    ("Юрий", "Юрый", "Yuri", "Юра", "m"),
    ("Константин", "Канстанцін", "Konstantin", "Костя", "m"),
    ("Владислав", "Уладзіслаў", "Vladislav", "Влад", "m"),
    ("Никита", "Мікіта", "Nikita", "", "m"),
    ("Кирилл", "Кірыл", "Kirill", "", "m"),
    ("Антон", "Антон", "Anton", "Антоха", "m"),
    ("Роман", "Раман", "Roman", "Рома", "m"),
    ("Вадим", "Вадзім", "Vadim", "Вадик", "m"),
    ("Илья", "Ілья", "Ilya", "", "m"),
    ("Станислав", "Станіслаў", "Stanislav", "Стас", "m"),
    ("Тарас", "Тарас", "Taras", "", "m"),
    ("Ефим", "Яўхім", "Yefim", "", "m"),
    ("Анна", "Ганна", "Anna", "Аня", "f"),
    ("Елена", "Алена", "Elena", "Лена", "f"),
    ("Ольга", "Вольга", "Olga", "Оля", "f"),
    ("Татьяна", "Таццяна", "Tatiana", "Таня", "f"),
    ("Наталья", "Наталля", "Natalia", "Наташа", "f"),
    ("Мария", "Марыя", "Maria", "Маша", "f"),
    ("Екатерина", "Кацярына", "Ekaterina", "Катя", "f"),
    ("Анастасия", "Анастасія", "Anastasia", "Настя", "f"),
    ("Юлия", "Юлія", "Yulia", "Юля", "f"),
    ("Светлана", "Святлана", "Svetlana", "Света", "f"),
    ("Ирина", "Ірына", "Irina", "Ира", "f"),
    ("Дарья", "Дар'я", "Daria", "Даша", "f"),
    ("Ксения", "Ксенія", "Ksenia", "Ксюша", "f"),
    ("Виктория", "Вікторыя", "Victoria", "Вика", "f"),
    ("Полина", "Паліна", "Polina", "", "f"),
]

_STEM_TEXT = (
    "Ковал Кравч Шевч Бондар Мельник Новик Лукаш Жук Козл Волк Сидор Петр Иван Павл Семен "
    "Гончар Рыбак Ткач Мороз Лис Бобр Сокол Ворон Голуб Журавл Медвед Зайц Карп Щерб Гром "
    "Тихон Богдан Макар Захар Степан Антон Роман Борис Тарас Мирон Осип Клим Данил Юрк Янк "
    "Бел Черн Красн Сер Рыж Глух Мал Кругл Дуб Берез Сосн Липск Вишн Бурак Капуст Морк "
    "Кушнер Пекар Писар Столяр Гайдук Казак Латыш Литвин Русак Мазур Ляш Хомич Ярош Корж "
    "Лапиц Радзив Сапег Огинск Завадск Домбров Высоц Лозов Рудниц Загор Гриневиц Остров "
    "Кисел Драгун Пилип Гордей Дорош Лукьян Курган Величк Дятл Снегир Синиц Чайк Галк Сорок"
)
_STEMS = _STEM_TEXT.split()


# infixes multiply the stems as they do in real surnames (Ковалёнак, Кавальчук, Ковалец)
_INFIX = ("", "ен", "ец", "ик", "ач", "ун", "ейк", "ушк", "ан", "ось", "ель", "ин")


def _surnames() -> list[tuple[str, str]]:
    out = []
    for stem in (b + i for b in _STEMS for i in _INFIX):
        s = stem.rstrip("ь")
        out.append((s + "ов", s + "ова") if s[-1] not in "жшчщц" else (s + "ев", s + "ева"))
        out.append((s + "енко", s + "енко"))
        out.append((s + "ович", s + "ович"))
        out.append((s + "ский", s + "ская") if not s.endswith("ск") else (s + "ий", s + "ая"))
        out.append((s + "ук", s + "ук"))
        out.append((s + "ик", s + "ик"))
    return out


SURNAMES = _surnames()

# --- Belarusian forms and Latin systems -----------------------------------------------------

_CYR_VOWELS = "аеёиоуыэюяі"


def belarusian(ru: str) -> str:
    """A Belarusian Cyrillic form of a Russian name word (akanne, і/ы, ц/дз, ў, -скі)."""
    w = ru.lower()
    for a, b in (("ский", "скі"), ("цкий", "цкі"), ("ская", "ская"), ("щ", "шч"), ("ъ", "'")):
        w = w.replace(a, b)
    w = w.replace("ий", "і") if w.endswith("ий") else w
    out: list[str] = []
    vowels = [i for i, c in enumerate(w) if c in _CYR_VOWELS]
    last = vowels[-1] if vowels else -1
    for i, c in enumerate(w):
        nxt = w[i + 1] if i + 1 < len(w) else ""
        prev = out[-1][-1] if out else ""
        if c == "и":
            c = "ы" if i and w[i - 1] in "жшчрц" else "і"
        if c == "т" and nxt in "иіеяюь":
            c = "ц"
        elif c == "д" and nxt in "иіеяюь":
            c = "дз"
        elif c == "о" and i != last and i != 0:
            c = "а"
        elif c == "е" and i != last and i == (vowels[0] if vowels else -1) and prev:
            c = "я"
        elif c == "в" and prev in _CYR_VOWELS and (not nxt or nxt not in _CYR_VOWELS):
            c = "ў"
        out.append(c)
    word = "".join(out)
    return word[:1].upper() + word[1:] if ru[:1].isupper() else word


_ICAO = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіў",
        "a b v g d e e zh z i i k l m n o p r s t u f kh ts ch sh shch ie y - e iu ia i u".split(),  # noqa: SIM905
        strict=True,
    )
)
_ICAO["ь"] = ""


def _soft_vowel(c: str, start: bool, after_vowel: bool, j: str) -> str:
    base = {"е": "e", "ё": "o", "ю": "u", "я": "a"}[c]
    return (j + base) if start or after_vowel else ("i" + base)


def latin(word: str, system: str) -> str:
    """``word`` (Cyrillic) in one Latin system: ``passport_be`` (Belarusian passport rules,
    from a Belarusian form), ``icao`` (Russian passport), ``press`` (English-language press),
    ``lacinka`` (Belarusian Latin alphabet, from a Belarusian form)."""
    w = word.lower()
    out: list[str] = []
    for i, c in enumerate(w):
        prev = w[i - 1] if i else ""
        nxt = w[i + 1] if i + 1 < len(w) else ""
        start, after_vowel = i == 0, prev in _CYR_VOWELS or prev in "ўь'"
        if system == "icao":
            out.append(_ICAO.get(c, c))
        elif system == "press":
            if c in "еёюя":
                out.append(_soft_vowel(c, start, after_vowel, "y") if c != "е" or start else "e")
            elif c == "й":
                out.append("y")
            elif c == "и" and nxt == "й":
                out.append("")
            else:
                out.append(_ICAO.get(c, c))
        elif system == "passport_be":
            if c in "еёюя":
                out.append(_soft_vowel(c, start, after_vowel, "y"))
            elif c == "г":
                out.append("h")
            else:
                out.append(_ICAO.get(c, c))
        else:  # łacinka
            out.append(_lacinka(c, prev, nxt, start or after_vowel))
    text = "".join(out).replace("-", "")
    return text[:1].upper() + text[1:] if word[:1].isupper() else text


_LAC = {"ж": "ž", "ч": "č", "ш": "š", "х": "ch", "ц": "c", "ў": "ŭ", "г": "h", "й": "j",
        "ы": "y", "і": "i", "э": "e", "'": "", "ь": ""}  # fmt: skip


def _lacinka(c: str, prev: str, nxt: str, iotated: bool) -> str:
    soft = nxt in "ьеёюяі"
    if c == "л":
        return "l" if soft else "ł"
    if c in "нсзц" and nxt == "ь":
        return {"н": "ń", "с": "ś", "з": "ź", "ц": "ć"}[c]
    if c in "еёюя":
        base = {"е": "e", "ё": "o", "ю": "u", "я": "a"}[c]
        if prev == "л":
            return base
        return ("j" + base) if iotated else ("i" + base)
    return _LAC.get(c, _ICAO.get(c, c))


# --- errors ---------------------------------------------------------------------------------

_HEARING = {"о": "а", "а": "о", "е": "и", "и": "е", "з": "с", "д": "т", "б": "п", "в": "ф",
            "ж": "ш", "ё": "е", "я": "е", "ы": "и"}  # fmt: skip
_KEYS = ["йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю"]
_LOOKALIKE = {"а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y", "і": "i",
              "А": "A", "Е": "E", "О": "O", "Р": "P", "С": "C", "Х": "X", "К": "K", "М": "M",
              "Т": "T", "Н": "H", "В": "B", "І": "I"}  # fmt: skip


def typo(word: str, rng: np.random.Generator) -> str:
    """One keyboard, hearing or copying error."""
    if len(word) < 4:
        return word
    i = int(rng.integers(1, len(word) - 1))
    c = word[i]
    kind = rng.random()
    if kind < 0.35 and c.lower() in _HEARING:
        return word[:i] + _HEARING[c.lower()] + word[i + 1 :]
    if kind < 0.6:
        for row in _KEYS:
            j = row.find(c.lower())
            if j >= 0:
                near = row[max(j - 1, 0)] if rng.random() < 0.5 else row[min(j + 1, len(row) - 1)]
                return word[:i] + near + word[i + 1 :]
    if kind < 0.8:
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def lookalike(word: str, rng: np.random.Generator) -> str:
    """One or two Cyrillic letters replaced by Latin ones that look the same (OCR, keyboards)."""
    spots = [i for i, c in enumerate(word) if c in _LOOKALIKE]
    if not spots:
        return word
    chosen = rng.choice(spots, size=min(len(spots), int(rng.integers(1, 3))), replace=False)
    chars = list(word)
    for i in chosen:
        chars[int(i)] = _LOOKALIKE[chars[int(i)]]
    return "".join(chars)


# --- people ---------------------------------------------------------------------------------


@dataclass
class Person:
    pid: int
    given: int  # index in _GIVEN
    surname: str  # Russian form, gendered
    patronymic: str
    birth: dt.date
    city: str
    detentions: list[dt.date] = field(default_factory=list)


_FATHERS = [g for g in _GIVEN if g[4] == "m"]
_CITIES = ["Минск"] * 6 + ["Гомель", "Брест", "Гродно", "Витебск", "Могилев", "Бобруйск"]


def _patronymic(father: str, gender: str) -> str:
    stem = father[:-1] if father.endswith(("й", "ь")) else father
    if father.endswith("а"):
        stem = father[:-1]
    soft = father.endswith(("й", "ь"))
    male = stem + ("евич" if soft else "ович")
    return male if gender == "m" else male[:-2] + "на"


def population(n: int, rng: np.random.Generator, *, zipf: float) -> list[Person]:
    """``n`` people; surnames drawn with Zipf exponent ``zipf`` (higher: more namesakes)."""
    weights = 1.0 / np.arange(1, len(SURNAMES) + 1) ** zipf
    order = rng.permutation(len(SURNAMES))
    surname_p = weights / weights.sum()
    given_w = 1.0 / np.arange(1, len(_GIVEN) + 1) ** 0.8
    given_order = rng.permutation(len(_GIVEN))
    people = []
    for pid in range(n):
        gi = int(given_order[rng.choice(len(_GIVEN), p=given_w / given_w.sum())])
        gender = _GIVEN[gi][4]
        masc, fem = SURNAMES[int(order[rng.choice(len(SURNAMES), p=surname_p)])]
        father = _FATHERS[int(rng.integers(len(_FATHERS)))][0]
        birth = dt.date(int(rng.integers(1955, 2004)), int(rng.integers(1, 13)), 1) + (
            dt.timedelta(days=int(rng.integers(0, 28)))
        )
        first = dt.date(2020, 8, 9) + dt.timedelta(days=int(rng.integers(0, 5)))
        detentions = [first]
        if rng.random() < 0.1:  # detained again weeks later
            detentions.append(first + dt.timedelta(days=int(rng.integers(14, 120))))
        people.append(
            Person(
                pid, gi, masc if gender == "m" else fem, _patronymic(father, gender), birth,
                _CITIES[int(rng.integers(len(_CITIES)))], detentions,
            )
        )  # fmt: skip
    return people


# --- lists ----------------------------------------------------------------------------------

_HEADERS = {
    "ru": {"full": "ФИО", "surname": "Фамилия", "given": "Имя", "patronymic": "Отчество",
           "year": "Год рождения", "age": "Возраст", "dob": "Дата рождения",
           "date": "Дата задержания", "city": "Город"},
    "be": {"full": "Прозвішча, імя", "surname": "Прозвішча", "given": "Імя",
           "patronymic": "Імя па бацьку", "year": "Год нар.", "age": "Узрост",
           "dob": "Дата нар.", "date": "Дата затрымання", "city": "Горад"},
    "en": {"full": "Full name", "surname": "Surname", "given": "First name",
           "patronymic": "Patronymic", "year": "Year of birth", "age": "Age",
           "dob": "Date of birth", "date": "Detained on", "city": "City"},
}  # fmt: skip
_CITY_LAT = {"Минск": "Minsk", "Гомель": "Homiel", "Брест": "Brest", "Гродно": "Hrodna",
             "Витебск": "Vitsebsk", "Могилев": "Mahiliou", "Бобруйск": "Babruisk"}  # fmt: skip


@dataclass(frozen=True)
class ListKind:
    """How one list is written."""

    name: str
    header: str  # ru | be | en
    scripts: dict[str, float]  # ru | be | passport_be | icao | press | lacinka
    layout: str  # full | separate | initials
    birth: dict[str, float]  # year | gr | age | dob | in_name | none
    file: str  # utf8 | bom_footer | cp1251 | xlsx
    given_first: float = 0.0
    patronymic: float = 0.3
    weight: float = 1.0
    diminutive: float = 0.0
    source_kind: str = "volunteer_list"


KINDS = [
    ListKind("rights-ru", "ru", {"ru": 0.9, "be": 0.1}, "full",
             {"year": 0.5, "gr": 0.2, "age": 0.1, "none": 0.2}, "utf8", patronymic=0.6,
             weight=1.4, source_kind="rights_group"),
    ListKind("volunteers-be", "be", {"be": 0.8, "ru": 0.2}, "full",
             {"age": 0.4, "year": 0.3, "none": 0.3}, "xlsx", given_first=0.2),
    ListKind("passport-latin", "en", {"passport_be": 1.0}, "full",
             {"year": 0.6, "none": 0.4}, "bom_footer", given_first=0.7, weight=0.7,
             source_kind="lawyer"),
    ListKind("icao-latin", "en", {"icao": 1.0}, "separate",
             {"dob": 0.5, "year": 0.3, "none": 0.2}, "utf8", weight=0.7,
             source_kind="rights_group"),
    ListKind("press", "en", {"press": 1.0}, "full", {"age": 0.5, "none": 0.5}, "utf8",
             given_first=0.9, patronymic=0.0, weight=0.6, source_kind="media"),
    ListKind("lacinka", "be", {"lacinka": 1.0}, "full", {"year": 0.5, "none": 0.5}, "xlsx",
             patronymic=0.1, weight=0.5),
    ListKind("courts", "ru", {"ru": 1.0}, "initials", {"dob": 0.8, "none": 0.2}, "cp1251",
             weight=0.8, source_kind="lawyer"),
    ListKind("telegram", "ru", {"ru": 0.6, "be": 0.3, "passport_be": 0.1}, "full",
             {"in_name": 0.3, "gr": 0.2, "age": 0.2, "none": 0.3}, "utf8", given_first=0.5,
             patronymic=0.1, weight=1.0, diminutive=0.25, source_kind="relative"),
]  # fmt: skip
_BE_BASED = ("be", "passport_be", "lacinka")
_LATIN = ("passport_be", "icao", "press", "lacinka")


@dataclass(frozen=True)
class Rates:
    """Error rates of one validation set (drawn per seed)."""

    typo: float
    lookalike: float
    diminutive: float
    yo_lost: float
    year_off: float
    duplicate: float
    capitals: float

    @classmethod
    def draw(cls, rng: np.random.Generator) -> Rates:
        u = rng.uniform
        return cls(u(0.03, 0.1), u(0.01, 0.05), u(0.05, 0.15), u(0.3, 0.9), u(0.01, 0.05),
                   u(0.01, 0.04), u(0.02, 0.08))  # fmt: skip


def _pick(weights: dict[str, float], rng: np.random.Generator) -> str:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def _name(
    p: Person, kind: ListKind, rates: Rates, rng: np.random.Generator
) -> tuple[str, str, str, dict[str, Any]]:
    ru, be, press, dims, _ = _GIVEN[p.given]
    script = _pick(kind.scripts, rng)
    tags: dict[str, Any] = {"script": script}
    given = be if script in _BE_BASED else ru
    dim = bool(dims) and rng.random() < rates.diminutive + kind.diminutive
    if dim:
        given = str(rng.choice(dims.split()))
    surname = belarusian(p.surname) if script in _BE_BASED else p.surname
    patronymic = belarusian(p.patronymic) if script in _BE_BASED else p.patronymic
    if script in ("ru", "be") and rng.random() < rates.yo_lost:
        given, surname = given.replace("ё", "е"), surname.replace("ё", "е")
    if script in _LATIN:
        system = {"passport_be": "passport_be", "icao": "icao", "press": "press"}.get(
            script, "lacinka"
        )
        given = press if script == "press" and not dim and rng.random() < 0.6 else (
            latin(given, system)
        )  # fmt: skip
        surname, patronymic = latin(surname, system), latin(patronymic, system)
    tags["dim"] = dim
    tags["typo"] = bool(rng.random() < rates.typo)
    if tags["typo"]:
        if rng.random() < 0.6:
            surname = typo(surname, rng)
        else:
            given = typo(given, rng)
    tags["ocr"] = script in ("ru", "be") and bool(rng.random() < rates.lookalike)
    if tags["ocr"]:
        surname = lookalike(surname, rng)
    return surname, given, patronymic, tags


def _birth(
    p: Person, kind: ListKind, rates: Rates, on: dt.date, rng: np.random.Generator
) -> tuple[str, str, dict[str, Any]]:
    """(form, text, tags): the birth cell's text and which column it goes in."""
    form = _pick(kind.birth, rng)
    year = p.birth.year
    if rng.random() < rates.year_off:
        year += int(rng.choice([-1, 1]))
    age = on.year - year - ((on.month, on.day) < (p.birth.month, p.birth.day))
    tags = {"has_year": form != "none"}
    if form == "year":
        return "year", str(year), tags
    if form == "gr":
        return "year", f"{year}{rng.choice(['г.р.', ' г.р.', 'г.р', ' г. р.'])}", tags
    if form == "age":
        word = {"ru": "лет" if age % 10 in (0, 5, 6, 7, 8, 9) else "года", "be": "гадоў",
                "en": "y.o."}[kind.header]  # fmt: skip
        return "age", str(age) if rng.random() < 0.5 else f"{age} {word}", tags
    if form == "dob":
        return "dob", p.birth.replace(year=year).strftime("%d.%m.%Y"), tags
    if form == "in_name":
        return "in_name", f"{year}{rng.choice(['г.р.', ' г.р.', ' г.р'])}", tags
    return "none", "", tags


def _row(
    p: Person, detention: int, kind: ListKind, rates: Rates, on: dt.date, rng: np.random.Generator
) -> tuple[dict[str, str], dict[str, Any]]:
    h = _HEADERS[kind.header]
    surname, given, patronymic, tags = _name(p, kind, rates, rng)
    form, birth, btags = _birth(p, kind, rates, on, rng)
    tags.update(btags)
    tags["initials"] = kind.layout == "initials"
    cells: dict[str, str] = {}
    with_patronymic = rng.random() < kind.patronymic
    if kind.layout == "separate":
        cells = {h["surname"]: surname, h["given"]: given}
        cells[h["patronymic"]] = patronymic if with_patronymic else ""
    else:
        if kind.layout == "initials":
            parts = [surname, f"{given[0]}.{patronymic[0]}." if patronymic else f"{given[0]}."]
        else:
            parts = [given, surname] if rng.random() < kind.given_first else [surname, given]
            if with_patronymic:
                parts.insert(parts.index(given) + 1, patronymic)
        text = " ".join(parts)
        if rng.random() < rates.capitals:
            text = text.upper()
        if form == "in_name":
            text += rng.choice([", ", " "]) + birth
        cells[h["full"]] = text
    for col in ("year", "age", "dob"):
        cells[h[col]] = birth if form == col else ""
    d = p.detentions[detention]
    if rng.random() < 0.12:  # reported as the day it became known, or misremembered
        d += dt.timedelta(days=int(rng.choice([-1, 1, 2])))
    date = d.strftime("%d.%m.%Y") if rng.random() < 0.7 else d.strftime("%d.%m")
    cells[h["date"]] = date if rng.random() > 0.15 else ""
    city = p.city if rng.random() > 0.05 else _CITIES[int(rng.integers(len(_CITIES)))]
    city = city if kind.header != "en" else _CITY_LAT[city]
    cells[h["city"]] = city if rng.random() < 0.8 else ""
    tags["detention"] = detention
    return cells, tags


@dataclass
class Generated:
    lists: dict[str, list[dict[str, str]]]
    truth: pd.DataFrame  # list, row, person, and the row's tags
    kinds: list[ListKind]
    rates: Rates


def generate(
    records: int, seed: int, *, rates: Rates | None = None, zipf: float | None = None
) -> Generated:
    """Lists holding about ``records`` rows between them, with a mix drawn from ``seed``
    (or the error ``rates`` and surname Zipf exponent ``zipf`` given, to test beyond the
    drawn range: a higher ``zipf`` makes more namesakes)."""
    rng = np.random.default_rng(seed)
    drawn = Rates.draw(rng)
    rates = rates or drawn
    weights = {k.name: k.weight * rng.uniform(0.5, 1.5) for k in KINDS}
    drawn_zipf = float(rng.uniform(0.35, 0.7))
    people = population(int(records / 2.4) + 10, rng, zipf=zipf or drawn_zipf)
    on = dt.date(2020, 8, 20)
    rows: dict[str, list[tuple[dict[str, str], dict[str, Any]]]] = {k.name: [] for k in KINDS}
    by_name = {k.name: k for k in KINDS}
    total = 0
    for p in people:
        if total >= records:
            break
        key = f"{p.surname}|{_GIVEN[p.given][0]}"
        for detention in range(len(p.detentions)):
            k = int(min(rng.geometric(0.45), len(KINDS)))
            names = list(weights)
            w = np.array([weights[n] for n in names])
            chosen = rng.choice(len(names), size=k, replace=False, p=w / w.sum())
            for i in chosen:
                kind = by_name[names[int(i)]]
                copies = 2 if rng.random() < rates.duplicate else 1
                for copy in range(copies):
                    cells, tags = _row(p, detention, kind, rates, on, rng)
                    rows[kind.name].append(
                        (cells, {**tags, "person": p.pid, "dup": copy, "name_key": key})
                    )
                    total += 1
    lists: dict[str, list[dict[str, str]]] = {}
    truth: list[dict[str, Any]] = []
    for name, entries in rows.items():
        order = rng.permutation(len(entries))
        lists[name] = [entries[i][0] for i in order]
        truth.extend({"list": name, "row": r + 1, **entries[i][1]} for r, i in enumerate(order))
    return Generated(lists, pd.DataFrame(truth), KINDS, rates)


def write(data: Generated, out: Path) -> list[dict[str, Any]]:
    """Write each list in its file form, ``truth.csv`` and ``manifest.json``; the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    manifest = []
    for kind in data.kinds:
        entries = data.lists[kind.name]
        if not entries:
            continue
        header = list(entries[0])
        body = [[e.get(h, "") for h in header] for e in entries]
        if kind.file == "xlsx":
            path = out / f"{kind.name}.xlsx"
            _write_xlsx(path, kind, header, body)
        else:
            path = out / f"{kind.name}.csv"
            _write_csv(path, kind, header, body)
        manifest.append(
            {"source": kind.name, "file": path.name, "rows": len(entries),
             "source_kind": kind.source_kind, "kind": "detained", "date": "2020-08-20"}
        )  # fmt: skip
    data.truth.to_csv(out / "truth.csv", index=False)
    (out / "manifest.json").write_text(json.dumps({"lists": manifest}, ensure_ascii=False))
    return manifest


def _write_csv(path: Path, kind: ListKind, header: list[str], body: list[list[str]]) -> None:
    encoding = {"utf8": "utf-8", "bom_footer": "utf-8-sig", "cp1251": "cp1251"}[kind.file]
    delimiter = ";" if kind.file == "cp1251" else ","
    with path.open("w", encoding=encoding, errors="replace", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(body)
        if kind.file == "bom_footer":
            writer.writerow([f"Total: {len(body)}"] + [""] * (len(header) - 1))


def _write_xlsx(path: Path, kind: ListKind, header: list[str], body: list[list[str]]) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("спіс")
    sheet.append([f"Спіс затрыманых ({kind.name}), абноўлены 20.08.2020"])
    sheet.append([])
    sheet.append(header)
    for row in body:
        sheet.append(row)
    book.save(path)
