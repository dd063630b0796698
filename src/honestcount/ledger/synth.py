"""Synthetic volunteer lists with known identities, for tests, benchmarks and training.

A population of detainees is drawn (names, birth years, and what happened to them between
9 and 20 August: detention, facilities, court, release, injury, death), then written out as
the lists that volunteers, lawyers, hospitals, rights groups and the media kept, each in its
own shape: Russian or Belarusian Cyrillic, Belarusian passport, Russian passport or English
Latin spellings, one name cell or several, surname first or given name first, year of birth,
age, date of birth or nothing, typos, diminutives, missing cells. The same person is on one to
six lists. ``truth.csv`` says which person each row is.

Nothing here is real: the names are assembled from common Belarusian and Russian name parts
at random, and any resemblance to a real person's record is chance.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from honestcount.ledger.names import GIVEN_NAMES

YEAR = 2020
Cells = dict[str, Any]
Rng = np.random.Generator
AUG = dt.date(YEAR, 8, 1)

# --- surnames -------------------------------------------------------------------------------


# Russian-form stems, each taking every ending below (Иван: Иванов, Ивановский, Иваненко,
# Иванович, Иванчук, Иваник, and the bare stem where it is a word). Assembled for this project.
_STEMS = str.split(
    """
    Иван Петр Смирн Кузнец Поп Васил Сокол Михайл Новик Федор Мороз Волк Лебед Семен Егор Павл
    Козл Степан Макар Никит Захар Зайц Борис Яков Роман Сорок Виноград Ковал Бел Медвед Антон
    Тарас Жук Журавл Бондар Тихон Богдан Крыл Карп Мельник Рыбак Гончар Сидор Клим Казак Лукаш
    Шевц Мартын Ткач Гаврил Осип Прохор Мирон Русак Баран Щерб Голуб Сав Ермак Гуд Дуд Бык Зуб
    Кравц Шуб Латыш Литвин Корж Гром Хомич Данил Лис Пан Юрк Мазур Шил Ярош Новиц Высоц Лозов
    Рудниц Полян Загор Гриневиц Закрев Тиханов Бабиц Бельск Корсак Свирид Домбров Желез Ясен
    Остров Каменец Глинск Мицкев Вишнев Липск Дубров Березов Красов Соснов Лапиц Радзив Сапег
    Тышкев Чапск Огинск Завадск Шевч Кравч Марч Тимош Давыд Назар Прокоп Зинч Остап Трофим Савч
    Мацк Гавриш Ляш Наум Адам Янк Кузьм Петрас Рутк Войтк Гайдук Стас Шумк Буйниц Мартинк Абрам
    Радк Пашк Ивашк Юшк Статк Бабар Сак Жданов Дашк Грицк Мархел Станк Шидл Ходас Гурин Мельнич
    Макарч Романч Степанч Федорч Климч Кушн Демч Кирил Лапик Шалик Бобр Гудик Ясюк Сенюк Ханик
    Кулик Малик Зайчик Рыжик Карас Чиж Маз Писар Лемеш Макаён Казлён Мураш Азарён Лаптён Сымон
    Шупен Барашен Петрашен Бусл Рак Ёрш Сом Жарк Бойк Гайк Шульг Пацк Дудк Лап Глушк Сушк Цвирк
    Бабк Садов Канаш Мисюк Скиб Шпак Дубин Куль Цыбульк Балабан Ковзел Верас Лагун Лешч Пуцил
    Кисел Гусь Королев Драгун Панкрат Суш Шаблов Цихан Лобан Харитон Ефрем Громык Колас Купал
    Богуш Тарашк Сергеенк Ананич Стрельч Мякиш Пилип Гордей Шапор Дорош Хвед Лукьян Бурак Гарбуз
    Капуст Морк Цыбул Шалам Курган Ясинск Величк Крупен Дятл Снегир Ворон Сорочин Синиц Чайк
    Галк Лебедз
    """
)


def _ending_ov(stem: str) -> tuple[str, str]:
    if stem.endswith(("ов", "ев", "ин")):
        m = stem
    elif stem[-1] in "жшчщц":
        m = stem + "ев"
    elif stem[-1] in "йь":
        m = stem[:-1] + "ев"
    else:
        m = stem + "ов"
    return m, m + "а"


def _ending_sky(stem: str) -> tuple[str, str]:
    stem = stem.rstrip("ь")
    if stem.endswith("ск"):
        base = stem
    elif stem.endswith("ц"):
        base = stem + "к"
    else:
        base = stem + "ск"
    return base + "ий", base + "ая"


def _ending_enko(stem: str) -> str:
    stem = stem.rstrip("ь")
    return stem + ("о" if stem.endswith("нк") else "енко")


def _ending_vich(stem: str) -> str:
    stem = stem.rstrip("ь")
    if stem.endswith("ич"):
        return stem
    if stem.endswith(("ев", "ов")):
        return stem + "ич"
    return stem + ("евич" if stem[-1] in "кшжчц" else "ович")


def _ending_uk(stem: str) -> str:
    stem = stem.rstrip("ь")
    if stem.endswith(("ук", "юк")):
        return stem
    return stem + ("чук" if stem[-1] in "нлр" else "ук")


# Diminutive and agentive infixes multiply the stems, as they do in real Belarusian surnames
# (Ivashkevich, Ivanets, Ivanenka): real surname diversity is high, and the linkage must not
# be tested on a population where every tenth man shares his name with another.
_INFIXES = ("", "ан", "ен", "ец", "ик", "ушк", "ишк", "ейк", "ун", "ась")


def _surname_pool() -> list[tuple[str, str]]:
    """(masculine, feminine) Russian forms of every synthetic surname."""
    given_like = {g.ru for g in GIVEN_NAMES.values()}
    pool: set[tuple[str, str]] = set()
    for base in dict.fromkeys(_STEMS):
        for infix in _INFIXES:
            stem = base.rstrip("ь") + infix if infix else base
            pool.add(_ending_ov(stem))
            pool.add(_ending_sky(stem))
            for word in (_ending_enko(stem), _ending_vich(stem), _ending_uk(stem)):
                pool.add((word, word))
            if not stem.endswith(("ик", "ук", "юк")):
                pool.add((stem.rstrip("ь") + "ик", stem.rstrip("ь") + "ик"))
            if len(stem) >= 3 and stem[-1] not in "аеиоуыэюяь" and stem not in given_like:
                pool.add((stem, stem))
    return sorted(pool)


SURNAMES = _surname_pool()


# --- Belarusian forms and Latin spellings --------------------------------------------------

_BE_RULES = [
    (re.compile(p), r)
    for p, r in (
        (r"щ", "шч"),
        (r"ий$", "і"),
        (r"ый$", "ы"),
        (r"([ое])в$", r"\1ў"),
        (r"ёв$", "ёў"),
        (r"ко$", "ка"),
        (r"т(?=[иеяюь])", "ц"),
        (r"д(?=[иеяюь])", "дз"),
        (r"(?<=[рчшжц])и", "ы"),
        (r"(?<=[рчшжц])е", "э"),
        (r"(?<=р)я", "а"),
        (r"рь$", "р"),
        (r"и", "і"),
        (r"в(?=[кнлмтпсзшчжц])", "ў"),
    )
]


def be_form(ru: str) -> str:
    """A Belarusian spelling of a Russian-form surname, by the usual correspondences (akanne
    for every unstressed-looking о, ц/дз for soft т/д, і for и, hard р, ў for closing в)."""
    w = ru.lower()
    for pattern, repl in _BE_RULES:
        w = pattern.sub(repl, w)
    # akanne: every о but the last becomes а (stress is not marked, so this is approximate)
    last = w.rfind("о")
    w = "".join("а" if c == "о" and i != last else c for i, c in enumerate(w))
    return w[:1].upper() + w[1:]


_VOWELS_CYR = "аеёиіоуыэюяў"
_TABLE_RU_ICAO = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "і": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
    "р": "r", "с": "s", "т": "t", "у": "u", "ў": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch",
    "ш": "sh", "щ": "shch", "ъ": "ie", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia",
    "'": "",
}  # fmt: skip


def lat_ru(word: str) -> str:
    """Russian passport (ICAO) spelling."""
    return _cap("".join(_TABLE_RU_ICAO.get(c, c) for c in word.lower()))


def lat_en(word: str) -> str:
    """English-language media spelling (ye, yo, yu, ya, y; -sky; x)."""
    w = word.lower()
    out = []
    for i, c in enumerate(w):
        prev = w[i - 1] if i else ""
        start = i == 0 or prev in _VOWELS_CYR or prev in "ьъ'"
        if c == "е" and start:
            out.append("ye")
        elif c == "ё":
            out.append("yo")
        elif c == "й":
            out.append("y")
        elif c == "ю":
            out.append("yu")
        elif c == "я":
            out.append("ya")
        else:
            out.append(_TABLE_RU_ICAO.get(c, c))
    s = "".join(out)
    s = re.sub(r"(ii|iy|yy|yi)$", "y", s)
    s = s.replace("ks", "x") if len(s) > 5 and s.startswith("ale") else s
    return _cap(s)


def lat_be(word: str) -> str:
    """Belarusian passport-style spelling (h for г, ie/ia/iu after consonants, u for ў)."""
    w = word.lower()
    out = []
    for i, c in enumerate(w):
        prev = w[i - 1] if i else ""
        start = i == 0 or prev in _VOWELS_CYR or prev in "ьъ'"
        if c == "г":
            out.append("h")
        elif c in "ея" and not start:
            out.append("ie" if c == "е" else "ia")
        elif c in "ея":
            out.append("ye" if c == "е" else "ya")
        elif c == "ю":
            out.append("yu" if start else "iu")
        elif c == "ё":
            out.append("yo" if start else "io")
        elif c == "й":
            out.append("i")
        elif c == "ы":
            out.append("y")
        else:
            out.append(_TABLE_RU_ICAO.get(c, c))
    return _cap("".join(out).replace("iei", "iei"))


def _cap(s: str) -> str:
    return "-".join(p[:1].upper() + p[1:] for p in s.split("-"))


# --- the population -------------------------------------------------------------------------

_CITIES = {
    "Minsk": 0.60, "Homiel": 0.06, "Brest": 0.05, "Hrodna": 0.05, "Vitsebsk": 0.04,
    "Mahiliou": 0.04, "Babruisk": 0.03, "Baranavichy": 0.03, "Barysau": 0.02, "Pinsk": 0.02,
    "Salihorsk": 0.02, "Maladzechna": 0.02, "Lida": 0.01, "Zhodino": 0.01,
}  # fmt: skip
_CITY_FORMS = {
    "Minsk": ("Минск", "Мінск", "Minsk"), "Homiel": ("Гомель", "Гомель", "Homiel"),
    "Brest": ("Брест", "Брэст", "Brest"), "Hrodna": ("Гродно", "Гродна", "Hrodna"),
    "Vitsebsk": ("Витебск", "Віцебск", "Vitsebsk"), "Mahiliou": ("Могилёв", "Магілёў", "Mahiliou"),
    "Babruisk": ("Бобруйск", "Бабруйск", "Babruisk"),
    "Baranavichy": ("Барановичи", "Баранавічы", "Baranavichy"),
    "Barysau": ("Борисов", "Барысаў", "Barysau"), "Pinsk": ("Пинск", "Пінск", "Pinsk"),
    "Salihorsk": ("Солигорск", "Салігорск", "Salihorsk"),
    "Maladzechna": ("Молодечно", "Маладзечна", "Maladzechna"), "Lida": ("Лида", "Ліда", "Lida"),
    "Zhodino": ("Жодино", "Жодзіна", "Zhodino"),
}  # fmt: skip
_FACILITY_FORMS = {
    "akrestsina": ("ЦИП на Окрестина", "ЦІП на Акрэсціна", "Akrestsina detention centre"),
    "zhodino": ("Жодино, СИЗО-8", "Жодзіна, СІЗА-8", "Zhodino prison No 8"),
    "valadarka": ("СИЗО-1 (Володарского)", "СІЗА-1 (Валадарскага)", "Valadarskaga SIZO-1"),
    "slutsk": ("ИВС Слуцк", "ІЧУ Слуцк", "Slutsk temporary detention"),
    "local": ("РОВД {ru}", "РАУС {be}", "{lat} police station"),
}  # fmt: skip
_AGENCIES = ("ОМОН", "ГУБОПиК", "сотрудники в штатском", "милиция", "внутренние войска")
_INJURIES = (
    ("ушибы, гематомы", "bruises"), ("перелом руки", "broken arm"),
    ("сотрясение мозга", "concussion"), ("ранение резиновой пулей", "rubber bullet wound"),
    ("ожоги от светошумовой гранаты", "stun grenade burns"), ("перелом рёбер", "broken ribs"),
)  # fmt: skip
_COURTS = ("Фрунзенский", "Московский", "Партизанский", "Центральный", "Советский",
           "Заводской", "Ленинский", "Октябрьский", "Первомайский")  # fmt: skip


@dataclass
class Person:
    pid: int
    gender: str
    given: str  # canonical key of GIVEN_NAMES
    surname_ru: str
    patronymic_ru: str
    birth: dt.date
    city: str
    detained: dt.date
    detained_time: str
    agency: str | None
    facilities: list[str]
    tried: tuple[str, str, int | None, int | None] | None  # court, article, days, fine
    released: dt.date | None
    injured: tuple[str, str, bool] | None
    died: dt.date | None
    lists: list[str] = field(default_factory=list)


_MALE = [k for k, g in GIVEN_NAMES.items() if g.gender == "m"]
_FEMALE = [k for k, g in GIVEN_NAMES.items() if g.gender == "f"]


def _zipf(n: int, s: float) -> np.ndarray:
    w: np.ndarray = 1.0 / np.arange(1, n + 1) ** s
    return w / w.sum()


def _patronymic(father: str, gender: str) -> str:
    ru = GIVEN_NAMES[father].ru.replace("ё", "е")
    if ru.endswith("ий"):
        stem, m, f = ru[:-2], "иевич", "иевна"
    elif ru.endswith("ей") or ru.endswith("ай"):
        stem, m, f = ru[:-1], "евич", "евна"
    elif ru.endswith("а"):  # Никита, Илья
        stem, m, f = ru[:-1], "ич", "ична"
    elif ru.endswith("ья"):
        stem, m, f = ru[:-2], "ьич", "ьинична"
    elif ru.endswith("ь"):
        stem, m, f = ru[:-1], "евич", "евна"
    else:
        stem, m, f = ru, "ович", "овна"
    if ru == "Пётр" or ru == "Петр":
        stem = "Петр"
    if ru == "Павел":
        stem = "Павл"
    return stem + (m if gender == "m" else f)


def population(n: int, rng: np.random.Generator) -> list[Person]:
    """``n`` synthetic detainees with what happened to them."""
    surnames_p = _zipf(len(SURNAMES), 0.5)
    surname_order = rng.permutation(len(SURNAMES))
    male_p, female_p = _zipf(len(_MALE), 0.75), _zipf(len(_FEMALE), 0.75)
    male_order, female_order = rng.permutation(len(_MALE)), rng.permutation(len(_FEMALE))
    cities, city_p = list(_CITIES), np.array(list(_CITIES.values()))
    city_p = city_p / city_p.sum()
    people = []
    for pid in range(n):
        gender = "m" if rng.random() < 0.78 else "f"
        if gender == "m":
            given = _MALE[male_order[rng.choice(len(_MALE), p=male_p)]]
        else:
            given = _FEMALE[female_order[rng.choice(len(_FEMALE), p=female_p)]]
        masc, fem = SURNAMES[surname_order[rng.choice(len(SURNAMES), p=surnames_p)]]
        father = _MALE[male_order[rng.choice(len(_MALE), p=male_p)]]
        year = int(np.clip(round(rng.normal(1991, 9.5)), 1948, 2003))
        birth = dt.date(year, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365)))
        city = cities[rng.choice(len(cities), p=city_p)]
        day = int(rng.choice([9, 10, 11, 12, 13], p=[0.3, 0.33, 0.22, 0.1, 0.05]))
        detained = dt.date(YEAR, 8, day)
        time = (
            f"{int(rng.choice([19, 20, 21, 22, 23, 0, 1])) % 24:02d}:{int(rng.integers(0, 60)):02d}"
        )
        facilities = []
        if city == "Minsk":
            facilities.append("akrestsina" if rng.random() < 0.85 else "valadarka")
            if rng.random() < 0.35:
                facilities.append("zhodino" if rng.random() < 0.85 else "slutsk")
        elif city == "Zhodino":
            facilities.append("zhodino")
        else:
            facilities.append("local")
        tried: tuple[str, str, int | None, int | None] | None = None
        if rng.random() < 0.4:
            court = str(rng.choice(_COURTS)) if city == "Minsk" else ""
            if rng.random() < 0.6:
                tried = (court, "23.34", int(rng.choice([7, 10, 13, 15])), None)
            else:
                tried = (court, "23.34", None, int(rng.choice([10, 15, 20, 25, 30])))
        released = None
        if rng.random() < 0.9:
            if tried and tried[2]:
                released = detained + dt.timedelta(days=tried[2])
            else:
                released = dt.date(
                    YEAR, 8, int(rng.choice([12, 13, 14, 15, 16], p=[0.1, 0.35, 0.35, 0.12, 0.08]))
                )
                released = max(released, detained + dt.timedelta(days=1))
        injured = None
        if rng.random() < 0.13:
            ru, en = _INJURIES[int(rng.integers(0, len(_INJURIES)))]
            injured = (ru, en, bool(rng.random() < 0.4))
        died = None
        if rng.random() < 0.0004:
            died = detained + dt.timedelta(days=int(rng.integers(0, 3)))
            released = None
        people.append(
            Person(
                pid, gender, given, masc if gender == "m" else fem, _patronymic(father, gender),
                birth, city, detained, time,
                str(rng.choice(_AGENCIES)) if rng.random() < 0.5 else None,
                facilities, tried, released, injured, died,
            )
        )  # fmt: skip
    return people


# --- rendering one person in one list --------------------------------------------------------

_KEYBOARD_NEAR_LAT = {
    c: n for c, n in zip("abcdefghijklmnopqrstuvwxyz", "svxsrdfjoklknbpowtayibezux", strict=True)
}
_SIMILAR_CYR = {"е": "и", "и": "е", "а": "о", "о": "а", "ы": "и", "і": "ы", "я": "а", "к": "л",
                "н": "м", "с": "ш", "ш": "щ", "в": "ф", "т": "ь", "л": "д", "р": "п"}  # fmt: skip


def typo(word: str, rng: np.random.Generator) -> str:
    """One slip of the keyboard or the ear: a letter dropped, doubled, swapped or changed."""
    if len(word) < 4:
        return word
    i = int(rng.integers(1, len(word) - 1))
    kind = rng.integers(0, 4)
    if kind == 0:
        return word[:i] + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    if kind == 2:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    c = word[i].lower()
    new = _SIMILAR_CYR.get(c) or _KEYBOARD_NEAR_LAT.get(c) or c
    return word[:i] + new + word[i + 1 :]


@dataclass(frozen=True)
class ListSpec:
    """How one list looks: its script, its columns, how careful its authors were."""

    name: str
    file: str  # csv | xlsx
    script: str  # ru | be | lat_be | lat_ru | lat_en | mixed
    weight: float
    eligible: Callable[[Person], bool]
    columns: Callable[[Person, dict[str, Any], np.random.Generator], dict[str, Any]]
    list_date: dt.date
    given_first: float = 0.0  # share of rows that write the given name first
    patronymic: float = 0.0
    typo: float = 0.04
    diminutive: float = 0.0
    missing_year: float = 0.1
    swap_script: float = 0.0  # rows written in the other Cyrillic language
    delimiter: str = ","


def _name_forms(p: Person, script: str, rng: np.random.Generator, spec: ListSpec) -> dict[str, Any]:
    g = GIVEN_NAMES[p.given]
    if script == "mixed":
        script = "ru" if rng.random() < 0.75 else "be"
    if script in ("ru", "be") and rng.random() < spec.swap_script:
        script = "be" if script == "ru" else "ru"
    surname_ru = p.surname_ru
    if script == "be":
        given = g.be
        surname = be_form(surname_ru)
        patronymic = be_form(p.patronymic_ru)
    else:
        given, surname, patronymic = g.ru, surname_ru, p.patronymic_ru
    if spec.diminutive and g.diminutives and rng.random() < spec.diminutive:
        given = str(rng.choice(g.diminutives))
    if script.startswith("lat"):
        if script == "lat_be":
            conv = lat_be
            given, surname = g.be, be_form(surname_ru)
        elif script == "lat_ru":
            conv = lat_ru
        else:
            conv = lat_en
        english = [w for w in g.latin if w[0].isupper()]
        if script == "lat_en" and english and rng.random() < 0.5:
            given = english[0]
        elif script == "lat_be" and rng.random() < 0.6:
            given = lat_be(g.be)
        else:
            given = conv(given) if not given.isascii() else given
        surname = conv(surname)
        patronymic = conv(patronymic)
    if rng.random() < spec.typo:
        if rng.random() < 0.6:
            surname = typo(surname, rng)
        else:
            given = typo(given, rng)
    return {"surname": surname, "given": given, "patronymic": patronymic}


def _full(forms: dict[str, Any], p: Person, spec: ListSpec, rng: np.random.Generator) -> str:
    parts = [forms["surname"], forms["given"]]
    if rng.random() < spec.given_first:
        parts = [forms["given"], forms["surname"]]
    if rng.random() < spec.patronymic:
        i = parts.index(forms["given"]) + 1
        parts.insert(i, forms["patronymic"])
    text = " ".join(parts)
    if rng.random() < 0.05:
        text = text.upper()
    return text


def _age(p: Person, on: dt.date) -> int:
    return on.year - p.birth.year - ((on.month, on.day) < (p.birth.month, p.birth.day))


_MONTHS_RU = {7: "июля", 8: "августа", 9: "сентября"}
_MONTHS_BE = {7: "ліпеня", 8: "жніўня", 9: "верасня"}


def _date(d: dt.date | None, style: str) -> str:
    if d is None:
        return ""
    if style == "dmy":
        return d.strftime("%d.%m.%Y")
    if style == "dm":
        return d.strftime("%d.%m")
    if style == "ru":
        return f"{d.day} {_MONTHS_RU[d.month]}"
    if style == "be":
        return f"{d.day} {_MONTHS_BE[d.month]}"
    if style == "en":
        return d.strftime("%b %d").replace(" 0", " ")
    return d.isoformat()


def _facility_text(p: Person, key: str, lang: int) -> str:
    text = _FACILITY_FORMS[key][lang]
    forms = _CITY_FORMS[p.city]
    return text.format(ru=forms[0], be=forms[1], lat=forms[2])


def _where(p: Person, lang: int) -> str:
    return _CITY_FORMS[p.city][lang]


def _year_cell(p: Person, spec: ListSpec, rng: np.random.Generator) -> int | None:
    if rng.random() < spec.missing_year:
        return None
    year = p.birth.year
    if rng.random() < 0.015:  # a mistyped year
        year += int(rng.choice([-10, -1, 1, 10]))
    return year


def _status_ru(p: Person, on: dt.date) -> str:
    if p.died and p.died <= on:
        return "погиб"
    if p.released and p.released <= on:
        return "освобождён" if p.gender == "m" else "освобождена"
    return "задержан" if p.gender == "m" else "задержана"


# Russian list kept by a rights group: one name cell
def _detained_list(p: Person, f: Cells, rng: Rng) -> Cells:
    spec = LISTS["rights-detained"]
    return {
        "ФИО": _full(f, p, spec, rng),
        "Год рождения": _year_cell(p, spec, rng) or "",
        "Дата задержания": _date(p.detained, "dmy"),
        "Место задержания": _where(p, 0),
        "Где находится": _facility_text(p, p.facilities[0], 0) if rng.random() < 0.7 else "",
    }


# Belarusian list from outside the jail gate
def _akrestsina_exit(p: Person, f: Cells, rng: Rng) -> Cells:
    spec = LISTS["akrestsina-exit"]
    year = _year_cell(p, spec, rng)
    return {
        "Прозвішча": f["surname"],
        "Імя": f["given"],
        "Год нараджэння": year or "",
        "Дата вызвалення": _date(p.released, "be"),
        "Адкуль": _facility_text(p, "akrestsina", 1),
    }


# Latin list from lawyers at Zhodino, with ages
def _zhodino_lawyers(p: Person, f: Cells, rng: Rng) -> Cells:
    spec = LISTS["zhodino-lawyers"]
    on = spec.list_date
    released = p.released is not None and p.released <= on
    row = {
        "Full name": _full(f, p, spec, rng),
        "Age": "" if rng.random() < spec.missing_year else _age(p, on),
        "Facility": "Zhodino prison No 8" if rng.random() < 0.5 else "Жодино",
        "Status": "released" if released else "held",
        "Outcome": "",
    }
    if p.tried:
        row["Outcome"] = f"{p.tried[2]} days" if p.tried[2] else f"fine {p.tried[3]} BV"
    return row


# hospitals' admissions passed to volunteers
def _hospitals(p: Person, f: Cells, rng: Rng) -> Cells:
    spec = LISTS["hospitals"]
    on = p.released or p.detained
    name = _full(f, p, spec, rng)
    if rng.random() > spec.missing_year:
        name += f" ({_age(p, on)} лет)" if rng.random() < 0.7 else f", {p.birth.year} г.р."
    return {
        "ФИО": name,
        "Больница": "БСМП" if p.city == "Minsk" else f"больница, {_where(p, 0)}",
        "Травмы": p.injured[0] if p.injured else "",
        "Дата поступления": _date(on, "dm"),
        "Справка": "снятие побоев" if p.injured and p.injured[2] else "",
    }


def _media_en(p: Person, f: Cells, rng: Rng) -> Cells:  # an English-language media tracker
    spec = LISTS["media-en"]
    return {
        "Name": _full(f, p, spec, rng),
        "Year of birth": _year_cell(p, spec, rng) or "",
        "City": _where(p, 2),
        "Detained on": _date(p.detained, "en"),
        "Released on": _date(p.released, "en")
        if p.released and p.released <= spec.list_date
        else "",
    }


# a chat of relatives: messy, swapped names, diminutives
def _telegram(p: Person, f: Cells, rng: Rng) -> Cells:
    spec = LISTS["telegram-search"]
    year = _year_cell(p, spec, rng)
    seen = p.detained if rng.random() < 0.6 else (p.released or p.detained)
    return {
        "ФИО": _full(f, p, spec, rng) + (f" {year}" if year and rng.random() < 0.5 else ""),
        "г.р.": "" if year is None or rng.random() < 0.5 else year,
        "Когда видели": _date(seen, "ru") + (f" {p.detained_time}" if rng.random() < 0.3 else ""),
        "Где видели": _where(p, 0),
        "Статус": _status_ru(p, spec.list_date) if rng.random() < 0.8 else "",
    }


# court lists kept by lawyers: separate cells, full date of birth
def _courts(p: Person, f: Cells, rng: Rng) -> Cells:
    spec = LISTS["courts"]
    assert p.tried is not None  # the list takes only people who were tried
    court, article, days, fine = p.tried
    return {
        "Фамилия": f["surname"],
        "Имя": f["given"],
        "Отчество": f["patronymic"] if rng.random() < spec.patronymic else "",
        "Дата рождения": "" if rng.random() < spec.missing_year else p.birth.strftime("%d.%m.%Y"),
        "Суд": f"суд {court} района г. Минска" if court else f"суд г. {_where(p, 0)}",
        "Статья": article,
        "Решение": f"{days} суток ареста" if days else f"штраф {fine} БВ",
        "Дата суда": _date(p.detained + dt.timedelta(days=1), "dmy"),
    }


# regional volunteers outside Minsk, Russian or Belarusian
def _regions(p: Person, f: Cells, rng: Rng) -> Cells:
    spec = LISTS["regions"]
    year = _year_cell(p, spec, rng)
    return {
        "ФИО, г.р.": _full(f, p, spec, rng) + (f", {year} г.р." if year else ""),
        "Город": _where(p, 0),
        "Где содержится": _facility_text(p, p.facilities[0], 0),
        "Дата": _date(p.detained, "dm"),
        "Статус": _status_ru(p, spec.list_date),
    }


def _hotline(p: Person, f: Cells, rng: Rng) -> Cells:  # a hotline's notes from relatives
    spec = LISTS["hotline"]
    year = _year_cell(p, spec, rng)
    last = p.facilities[-1]
    return {
        "ФИО": _full(f, p, spec, rng),
        "Год рождения": year or "",
        "Последнее известное место": _facility_text(p, last, 0)
        if rng.random() < 0.6
        else _where(p, 0),
        "Дата звонка": _date(p.detained + dt.timedelta(days=1), "dmy"),
        "Примечание": "родственники ищут" if rng.random() < 0.3 else "",
    }


def _volunteers_be(p: Person, f: Cells, rng: Rng) -> Cells:  # a Belarusian-language volunteer list
    spec = LISTS["volunteers-be"]
    year = _year_cell(p, spec, rng)
    on = spec.list_date
    status = "вызвалены" if p.released and p.released <= on else "затрыманы"
    if p.died and p.died <= on:
        status = "памёр"
    return {
        "Прозвішча, імя": _full(f, p, spec, rng),
        "Год нараджэння": year or "",
        "Дата затрымання": _date(p.detained, "be"),
        "Месца": _where(p, 1),
        "Стан": status,
    }


def _in(facility: str) -> Callable[[Person], bool]:
    return lambda p: facility in p.facilities


LISTS: dict[str, ListSpec] = {
    s.name: s
    for s in (
        ListSpec("rights-detained", "csv", "ru", 1.0, lambda p: True, _detained_list,
                 dt.date(YEAR, 8, 14), patronymic=0.6, typo=0.04, missing_year=0.12),
        ListSpec("akrestsina-exit", "xlsx", "be", 1.0,
                 lambda p: "akrestsina" in p.facilities and p.released is not None
                 and p.released <= dt.date(YEAR, 8, 16),
                 _akrestsina_exit, dt.date(YEAR, 8, 16), typo=0.05, missing_year=0.3,
                 swap_script=0.25),
        ListSpec("zhodino-lawyers", "csv", "lat_be", 0.9, _in("zhodino"), _zhodino_lawyers,
                 dt.date(YEAR, 8, 15), given_first=0.7, typo=0.05, missing_year=0.2,
                 delimiter=";"),
        ListSpec("hospitals", "xlsx", "ru", 1.0, lambda p: p.injured is not None, _hospitals,
                 dt.date(YEAR, 8, 16), patronymic=0.5, typo=0.04, missing_year=0.15),
        ListSpec("media-en", "csv", "lat_en", 0.5, lambda p: True, _media_en,
                 dt.date(YEAR, 8, 15), given_first=0.9, typo=0.03, missing_year=0.3),
        ListSpec("telegram-search", "csv", "mixed", 0.7, lambda p: True, _telegram,
                 dt.date(YEAR, 8, 13), given_first=0.45, typo=0.12, diminutive=0.15,
                 missing_year=0.4),
        ListSpec("courts", "csv", "ru", 1.0, lambda p: p.tried is not None, _courts,
                 dt.date(YEAR, 8, 16), patronymic=0.85, typo=0.03, missing_year=0.1),
        ListSpec("regions", "csv", "mixed", 1.0, lambda p: p.city != "Minsk", _regions,
                 dt.date(YEAR, 8, 15), patronymic=0.3, typo=0.05, missing_year=0.2),
        ListSpec("hotline", "csv", "ru", 0.6, lambda p: True, _hotline,
                 dt.date(YEAR, 8, 13), patronymic=0.4, typo=0.08, diminutive=0.05,
                 missing_year=0.25),
        ListSpec("volunteers-be", "xlsx", "be", 0.6, lambda p: True, _volunteers_be,
                 dt.date(YEAR, 8, 15), typo=0.05, missing_year=0.2, swap_script=0.2),
    )
}  # fmt: skip

_K_P = np.array([0.22, 0.22, 0.2, 0.16, 0.12, 0.08])  # a person is on 1 to 6 lists


@dataclass
class Synthetic:
    """Lists as data frames (in the order rows were written) and who each row is."""

    lists: dict[str, pd.DataFrame]
    truth: pd.DataFrame  # list, row (1-based, as imported), person
    people: list[Person]

    @property
    def records(self) -> int:
        return len(self.truth)


def synthesize(
    records: int = 35_000,
    lists: int | list[str] = 10,
    seed: int = 0,
    duplicate_rate: float = 0.01,
) -> Synthetic:
    """Draw people until the chosen lists hold ``records`` rows between them."""
    rng = np.random.default_rng(seed)
    names = list(LISTS)[:lists] if isinstance(lists, int) else list(lists)
    specs = [LISTS[n] for n in names]
    mean_k = float((_K_P * np.arange(1, 7)).sum())
    people = population(int(records / mean_k * 1.5) + 10, rng)
    rows: dict[str, list[tuple[int, dict[str, Any]]]] = {n: [] for n in names}
    total = 0
    used = []
    for p in people:
        if total >= records:
            break
        eligible = [s for s in specs if s.eligible(p)]
        if not eligible:
            continue
        k = min(int(rng.choice(6, p=_K_P)) + 1, len(eligible), records - total)
        w = np.array([s.weight for s in eligible])
        chosen = rng.choice(len(eligible), size=k, replace=False, p=w / w.sum())
        for i in chosen:
            s = eligible[int(i)]
            copies = 2 if rng.random() < duplicate_rate and total + 1 < records else 1
            for _ in range(copies):
                forms = _name_forms(p, s.script, rng, s)
                rows[s.name].append((p.pid, s.columns(p, forms, rng)))
                p.lists.append(s.name)
                total += 1
        used.append(p)
    frames: dict[str, pd.DataFrame] = {}
    truth: list[tuple[str, int, int]] = []
    for name in names:
        order = rng.permutation(len(rows[name]))
        shuffled = [rows[name][i] for i in order]
        frames[name] = pd.DataFrame([r for _, r in shuffled])
        truth.extend((name, i + 1, pid) for i, (pid, _) in enumerate(shuffled))
    return Synthetic(frames, pd.DataFrame(truth, columns=["list", "row", "person"]), used)


def write(synthetic: Synthetic, out: Path) -> dict[str, Path]:
    """Write each list in its own format (CSV or XLSX) and ``truth.csv``; paths by list."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, frame in synthetic.lists.items():
        spec = LISTS[name]
        if spec.file == "xlsx":
            path = out / f"{name}.xlsx"
            frame.to_excel(path, index=False, sheet_name="list")
        else:
            path = out / f"{name}.csv"
            frame.to_csv(path, index=False, sep=spec.delimiter, quoting=csv.QUOTE_MINIMAL)
        paths[name] = path
    synthetic.truth.to_csv(out / "truth.csv", index=False)
    return paths
