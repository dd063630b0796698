"""Reading volunteer lists as they really are: CSV or XLSX, headers in Russian, Belarusian or
English, a title row above the header, one name cell or several, dates in any local form.

:func:`read_list` gives the table; :func:`column_roles` says what each column holds;
:func:`parse_row` turns one row into name cells, a birth year and the events it reports.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from honestcount.errors import InputError
from honestcount.ledger.names import (
    FACILITY_CITY,
    age_in_text,
    facility_canonical,
    facility_city,
    place_canonical,
    year_in_text,
)

# role: header spellings (normalised: lower case, letters and digits, single spaces). A header
# matches a role when it equals a spelling, or failing that starts with one.
ROLES: dict[str, tuple[str, ...]] = {
    "full_name": (
        "фио", "ф и о", "фамилия имя отчество", "фамилия имя", "имя фамилия", "фио гр",
        "фио г р", "прозвішча імя", "прозвішча імя імя па бацьку", "піб", "прозвішча і імя",
        "name", "full name", "person", "name surname", "surname name", "фио задержанного",
        "фио задержанной", "задержанный", "задержанные",
    ),
    "surname": ("фамилия", "прозвішча", "surname", "last name", "family name"),
    "given": ("имя", "імя", "first name", "given name", "forename"),
    "patronymic": ("отчество", "імя па бацьку", "па бацьку", "patronymic", "middle name"),
    "birth_year": (
        "год рождения", "г р", "гр", "год рожд", "год нараджэння", "г н", "год нар", "г нар",
        "гады нараджэння", "year of birth",
        "birth year", "born", "yob",
    ),
    "birth_date": (
        "дата рождения", "дата нараджэння", "дата нар", "дата рожд", "date of birth", "dob",
        "birth date",
    ),
    "age": ("возраст", "узрост", "age", "лет", "гадоў"),
    "detained_date": (
        "дата задержания", "когда задержан", "когда задержали", "дата затрымання",
        "калі затрыманы", "detained on", "date detained", "date of detention", "arrested on",
        "detention date",
    ),
    "detained_place": (
        "место задержания", "где задержан", "где задержали", "месца затрымання",
        "дзе затрыманы", "place of detention", "where detained", "detained in",
    ),
    "city": ("город", "горад", "населенный пункт", "city", "town", "region", "область"),
    "facility": (
        "где находится", "где содержится", "место содержания", "куда доставлен",
        "куда увезли", "месца ўтрымання", "дзе знаходзіцца", "установа", "facility",
        "held at", "jail", "prison", "последнее известное место", "апошняе вядомае месца",
        "last known location", "last known place", "изолятор",
    ),
    "released_date": (
        "дата освобождения", "когда вышел", "когда освобожден", "освобожден", "вышел",
        "дата вызвалення", "калі вызвалены", "вызвалены", "released on", "release date",
        "date released", "released",
    ),
    "released_from": ("откуда", "откуда вышел", "адкуль", "released from", "откуда освобожден"),
    "status": (
        "статус", "состояние", "стан", "статус задержания", "что известно", "status",
        "state", "судьба", "лёс",
    ),
    "court": ("суд", "court"),
    "article": ("статья", "артыкул", "article", "charge", "обвинение"),
    "outcome": (
        "решение", "приговор", "решение суда", "рашэнне", "прысуд", "outcome", "sentence",
        "verdict", "наказание",
    ),
    "court_date": ("дата суда", "дата суду", "court date", "date of trial"),
    "injury": (
        "травмы", "травма", "телесные повреждения", "повреждения", "пабоі", "траўмы",
        "injuries", "injury", "medical",
    ),
    "medical": (
        "справка", "медицинская справка", "медицинские документы", "даведка", "medical evidence",
    ),
    "hospital": ("больница", "бальніца", "hospital"),
    "agency": ("кто задержал", "кем задержан", "хто затрымаў", "detained by", "by whom"),
    "seen_date": (
        "когда видели", "когда видели последний раз", "калі бачылі", "last seen on",
        "date seen", "дата поступления", "дата звонка", "дата", "date", "when", "калі",
        "когда",
    ),
    "seen_place": (
        "где видели", "дзе бачылі", "место", "месца", "where", "place", "location", "seen at",
    ),
    "notes": (
        "примечание", "комментарий", "заўвагі", "заўвага", "notes", "note", "comment",
        "comments", "информация", "інфармацыя", "info", "подробности", "details",
    ),
    "contact": ("телефон", "контакт", "контакты", "тэлефон", "phone", "contact", "родственники"),
}  # fmt: skip


def _normal_header(text: object) -> str:
    s = str(text).lower().replace("ё", "е")
    s = re.sub(r"[^\w]+", " ", s)
    return re.sub(r"\s+", " ", s).strip()


_ROLE_LOOKUP = {_normal_header(s): role for role, spellings in ROLES.items() for s in spellings}


def role_of(header: object) -> str | None:
    h = _normal_header(header)
    if not h:
        return None
    if h in _ROLE_LOOKUP:
        return _ROLE_LOOKUP[h]
    # "ФИО, г.р." and the like: a name column that also holds the year
    if h.startswith(("фио", "прозвішча імя", "full name", "name")):
        return "full_name"
    best = None
    for spelling, role in _ROLE_LOOKUP.items():
        if (
            len(spelling) >= 4
            and h.startswith(spelling)
            and (best is None or len(spelling) > best[0])
        ):
            best = (len(spelling), role)
    return best[1] if best else None


def column_roles(headers: list[object], overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Which column holds which role (role -> header). Explicit ``overrides`` win."""
    roles: dict[str, str] = {}
    for header in headers:
        role = role_of(header)
        if role and role not in roles:
            roles[role] = str(header)
    if "full_name" not in roles and "surname" not in roles and "given" in roles:
        # a lone "Имя"/"Name" column holds the whole name
        roles["full_name"] = roles.pop("given")
    for role, header in (overrides or {}).items():
        if role not in ROLES:
            raise InputError(f"unknown column role {role!r} (known: {', '.join(ROLES)})")
        roles[role] = header
    return roles


def read_list(path: Path) -> pd.DataFrame:
    """The list's table, every cell as text (empty cells as ""), with its header row found."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        raw = _read_xlsx(path)
    elif suffix in (".csv", ".tsv", ".txt"):
        raw = _read_csv(path)
    else:
        raise InputError("not a list this reader knows (CSV or XLSX)", file=str(path))
    if not raw:
        raise InputError("the list is empty", file=str(path))
    header_at = _header_row(raw)
    if header_at is None:
        raise InputError(
            "no column of names found in the first rows (a header such as ФИО, Прозвішча, "
            "Фамилия, Name)",
            file=str(path),
        )
    header = [str(h).strip() or f"column {i + 1}" for i, h in enumerate(raw[header_at])]
    seen: dict[str, int] = {}
    for i, h in enumerate(header):  # duplicate headers get a suffix
        if h in seen:
            seen[h] += 1
            header[i] = f"{h} ({seen[h]})"
        else:
            seen[h] = 1
    body = [r + [""] * (len(header) - len(r)) for r in raw[header_at + 1 :]]
    frame = pd.DataFrame([r[: len(header)] for r in body], columns=header, dtype=object)
    frame.attrs["header_line"] = header_at + 1
    return frame


def _header_row(rows: list[list[str]]) -> int | None:
    best = None
    for i, row in enumerate(rows[:15]):
        roles = {role_of(c) for c in row if str(c).strip()} - {None}
        names = roles & {"full_name", "surname", "given"}
        if names and (best is None or len(roles) > best[1]):
            best = (i, len(roles))
    return best[0] if best else None


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return (
            value.strftime("%Y-%m-%d %H:%M")
            if (value.hour or value.minute)
            else value.date().isoformat()
        )
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_xlsx(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many kinds for a damaged file
        raise InputError(f"cannot read the workbook: {err}", file=str(path)) from err
    try:
        sheet = book.worksheets[0]
        rows = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    while rows and not any(rows[-1]):
        rows.pop()
    return rows


def _read_csv(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1251 decodes any byte string
        raise InputError("cannot decode the file (UTF-8 or Windows-1251)", file=str(path))
    sample = text[:20_000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = max(",;\t", key=sample.count)
    rows = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text), delimiter=delimiter)]
    return [r for r in rows if any(r)] if rows else []


# --- cells ----------------------------------------------------------------------------------

_MONTHS = {
    "январ": 1, "студз": 1, "jan": 1, "феврал": 2, "лют": 2, "feb": 2, "март": 3, "сакав": 3,
    "mar": 3, "апрел": 4, "крас": 4, "apr": 4, "ма": 5, "трав": 5, "may": 5, "июн": 6,
    "чэрв": 6, "jun": 6, "июл": 7, "ліп": 7, "jul": 7, "август": 8, "жнів": 8, "жнiв": 8,
    "жні": 8, "aug": 8, "сентябр": 9, "верас": 9, "sep": 9, "октябр": 10, "кастр": 10, "oct": 10,
    "ноябр": 11, "лістап": 11, "nov": 11, "декабр": 12, "снеж": 12, "dec": 12,
}  # fmt: skip
_MONTH_KEYS = sorted(_MONTHS, key=len, reverse=True)
_TIME = re.compile(r"\b([01]?\d|2[0-3])[:.]([0-5]\d)\b(?!\.\d)")


def parse_date(text: str, year: int) -> tuple[dt.date | None, str | None]:
    """A date and a time (HH:MM) from a cell: 10.08.2020, 10.08, 2020-08-10, 10 августа,
    10 жніўня, Aug 10, 10/08/20; ``year`` when the cell gives none."""
    s = text.strip().lower()
    if not s:
        return None, None
    m = re.search(r"\b(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t](\d{1,2}):(\d{2}))?", s)
    if m:
        time = f"{int(m.group(4)):02d}:{m.group(5)}" if m.group(4) else None
        return _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3))), time
    m = re.search(r"\b(\d{1,2})[./](\d{1,2})(?:[./](\d{2,4}))?\b", s)
    if m:
        y = m.group(3)
        yy = year if not y else int(y) + (2000 if len(y) == 2 else 0)
        rest = s[: m.start()] + " " + s[m.end() :]
        return _safe_date(yy, int(m.group(2)), int(m.group(1))), _time(rest)
    for key in _MONTH_KEYS:
        i = s.find(key)
        if i >= 0:
            month = _MONTHS[key]
            digits = re.findall(r"\b(\d{1,4})\b", s[:i] + " " + s[i + len(key) :])
            days = [int(d) for d in digits if 1 <= int(d) <= 31]
            years = [int(d) for d in digits if int(d) > 1900]
            if days:
                rest = re.sub(r"\b\d{1,2}\b", " ", s.replace(key, " "), count=1)
                return _safe_date(years[0] if years else year, month, days[0]), _time(rest)
    return None, _time(s)


def _time(text: str) -> str | None:
    m = _TIME.search(text)
    return f"{int(m.group(1)):02d}:{m.group(2)}" if m else None


def _safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def parse_birth_year(text: str, *, on: dt.date, kind: str) -> tuple[int | None, str | None]:
    """A birth year and how it was given: ``year``, ``dob``, ``age`` (approximate)."""
    s = text.strip()
    if not s:
        return None, None
    if kind == "age":
        m = re.search(r"\d{1,3}", s)
        if m and 10 <= int(m.group()) <= 100:
            return on.year - int(m.group()) - (1 if on.month < 7 else 0), "age"
        return None, None
    m = re.search(r"(?<!\d)(19\d\d|20[0-2]\d)(?!\d)", s)
    if m:
        return int(m.group(1)), "dob" if kind == "birth_date" else "year"
    m = re.fullmatch(r"(\d{2})(?:\s*г\.?\s*р\.?)?", s)
    if m:  # two-digit years: 95 -> 1995, 01 -> 2001
        yy = int(m.group(1))
        return (2000 + yy if yy <= on.year % 100 else 1900 + yy), "year"
    return None, None


_DAYS = re.compile(r"(\d{1,3})\s*(?:сут|сутак|дн|days?|d\b|арест)", re.I)
_FINE = re.compile(
    r"(?:штраф\w*|fine[ds]?|штрафу)\D{0,12}(\d[\d\s]*)\s*(бв|bv|базов\w*|руб\w*|byn|br)?", re.I
)


def parse_outcome(text: str) -> tuple[int | None, int | None, str | None]:
    """Days of arrest, a fine and its unit, from a court outcome cell."""
    days = fine = unit = None
    m = _DAYS.search(text)
    if m:
        days = int(m.group(1))
    m = _FINE.search(text)
    if m:
        fine = int(re.sub(r"\s", "", m.group(1)))
        u = (m.group(2) or "").lower()
        unit = "BV" if u.startswith(("бв", "bv", "базов")) else "BYN" if u else None
    return days, fine, unit


_NEGATIVE = {"", "нет", "не", "no", "не освобожден", "не вызвалены", "n"}


def _bare_place(text: str) -> bool:
    words = [w for w in re.split(r"[\s,.]+", text) if w]
    return bool(place_canonical(text)) and len(words) <= 2


# status words -> kinds (matched as lower-case fragments)
_STATUS = (
    ("died", (
        "умер", "погиб", "скончал", "смерть", "памёр", "памер", "загінуў", "died", "dead",
        "killed", "deceased",
    )),
    ("missing", (
        "пропал", "не выходит на связь", "неизвестно где", "знік", "зьнік", "missing",
        "whereabouts unknown",
    )),
    ("released", (
        "освобожд", "отпущ", "вышел", "вышла", "выпущ", "на свобод", "вызвал", "выйшаў",
        "выйшла", "released", "freed", "free",
    )),
    ("injured", (
        "травм", "избит", "побо", "больниц", "госпитал", "ранен", "перелом", "траўм", "збіт",
        "бальніц", "injur", "beaten", "hospital", "wounded",
    )),
    ("tried", (
        "суд", "сутк", "суток", "штраф", "осужд", "court", "sentenced", "fined", "tried",
    )),
    ("held", (
        "содерж", "находится", "в цип", "в ивс", "в сизо", "утрым", "знаходзіцца", "held",
        "in custody",
    )),
    ("detained", (
        "задерж", "затрыман", "detained", "arrested",
    )),
)  # fmt: skip


def status_kinds(text: str) -> list[str]:
    s = text.lower()
    kinds = [kind for kind, words in _STATUS if any(w in s for w in words)]
    if "released" in kinds and "held" in kinds:
        kinds.remove("held")
    return kinds


# --- rows -----------------------------------------------------------------------------------


@dataclass
class Fact:
    kind: str
    on_date: dt.date | None = None
    at_time: str | None = None
    place: str | None = None
    facility: str | None = None
    agency: str | None = None
    court: str | None = None
    article: str | None = None
    arrest_days: int | None = None
    fine: int | None = None
    fine_unit: str | None = None
    medical_evidence: str | None = None
    detail: str | None = None  # sealed before storing


@dataclass
class Row:
    """One list row: name cells (raw), birth year, the facts it reports, all cells as read."""

    full_name: str
    surname: str
    given: str
    patronymic: str
    birth_year: int | None
    birth_from: str | None
    place: str | None
    facts: list[Fact] = field(default_factory=list)
    cells: dict[str, str] = field(default_factory=dict[str, Any])
    notes: str = ""

    @property
    def has_name(self) -> bool:
        return bool((self.full_name or self.surname or self.given).strip())


def _birth(
    get: Callable[[str], str], full: str, list_date: dt.date
) -> tuple[int | None, str | None]:
    """The birth year and where it came from: a year, date or age column, or the name cell
    ("Иванов Иван, 1990г.р.", "Іваноў Іван, 30 гадоў")."""
    birth, birth_from = None, None
    for role in ("birth_year", "birth_date", "age"):
        if get(role):
            kind = "age" if role == "age" else role
            birth, birth_from = parse_birth_year(get(role), on=list_date, kind=kind)
            if birth:
                break
    name_text = " ".join(x for x in (full, get("surname"), get("given")) if x)
    if birth is None and (y := year_in_text(name_text)):
        birth, birth_from = y, "name"
    if birth is None and (a := age_in_text(name_text)):
        birth, birth_from = list_date.year - a - (1 if list_date.month < 7 else 0), "age"
    return birth, birth_from


def _other_facts(
    get: Callable[[str], str],
    kinds: list[str],
    status_text: str,
    default_kind: str | None,
    year: int,
    seen_date: dt.date | None,
    seen_time: str | None,
    city: str | None,
    facility: str | None,
) -> list[Fact]:
    """Trials, injuries, deaths and disappearances a row reports."""
    facts: list[Fact] = []
    outcome = get("outcome")
    if get("court") or get("article") or outcome or "tried" in kinds or default_kind == "tried":
        days, fine, unit = parse_outcome(outcome or status_text)
        court_date, _ = parse_date(get("court_date"), year)
        facts.append(
            Fact(
                "tried",
                court_date or (seen_date if default_kind == "tried" else None),
                None,
                place_canonical(get("court")) or city,
                court=get("court") or None,
                article=(get("article") or None) and get("article")[:64],
                arrest_days=days,
                fine=fine,
                fine_unit=unit,
                detail=outcome or None,
            )
        )
    injury = get("injury")
    if injury or "injured" in kinds or default_kind == "injured":
        evidence = get("medical")
        facts.append(
            Fact(
                "injured",
                seen_date,
                None,
                city,
                facility=get("hospital") or None,
                medical_evidence="medical_record" if evidence else None,
                detail="; ".join(x for x in (injury, evidence) if x) or None,
            )
        )
    if "died" in kinds or default_kind == "died":
        facts.append(Fact("died", seen_date, None, city, facility))
    if "missing" in kinds or default_kind == "missing":
        facts.append(Fact("missing", seen_date, seen_time, city))
    return facts


def parse_row(
    cells: dict[str, str],
    roles: dict[str, str],
    *,
    list_date: dt.date,
    default_kind: str | None,
    default_place: str | None = None,
) -> Row:
    """Name, birth year and the events one row reports (nothing is dropped: every cell stays
    in ``cells``, to be sealed with the record)."""

    def get(role: str) -> str:
        header = roles.get(role)
        return str(cells.get(header, "") or "").strip() if header else ""

    year = list_date.year
    full = get("full_name")
    birth, birth_from = _birth(get, full, list_date)

    city = place_canonical(get("detained_place")) or place_canonical(get("city"))
    city = city or place_canonical(get("seen_place")) or default_place
    stated_city = city  # for linkage: a facility's city is not where a person was from
    facility = facility_canonical(get("facility")) if get("facility") else None
    if facility and facility not in FACILITY_CITY and _bare_place(get("facility")):
        # "last known place: Minsk" names a city, not a facility
        city = city or place_canonical(get("facility"))
        facility = None
    released_from = facility_canonical(get("released_from")) if get("released_from") else None
    if not city:
        city = facility_city(facility) or facility_city(released_from)

    seen_date, seen_time = parse_date(get("seen_date"), year)
    status_text = " ".join(get(r) for r in ("status",))
    kinds = status_kinds(status_text) if status_text else []
    facts: list[Fact] = []

    detained_date, detained_time = parse_date(get("detained_date"), year)
    if (
        get("detained_date")
        or get("detained_place")
        or "detained" in kinds
        or default_kind == "detained"
    ):
        facts.append(
            Fact(
                "detained",
                detained_date
                or (seen_date if default_kind == "detained" or "detained" in kinds else None),
                detained_time or (seen_time if not detained_date else None),
                place_canonical(get("detained_place")) or city,
                agency=get("agency") or None,
            )
        )
    released_date, _ = parse_date(get("released_date"), year)
    released_flag = bool(released_date) or "released" in kinds or default_kind == "released"
    if get("released_date") and not released_date:
        # a "Released" column may hold yes/no rather than a date
        negative = _normal_header(get("released_date")) in _NEGATIVE
        released_flag = released_flag or not negative
    if released_flag:
        when = released_date or (
            seen_date if "released" in kinds or default_kind == "released" else None
        )
        origin = released_from or facility
        facts.append(Fact("released", when, None, facility_city(origin) or city, origin))
    if facility and not released_flag and "died" not in kinds:
        facts.append(
            Fact(
                "held",
                seen_date if default_kind == "held" else None,
                None,
                facility_city(facility) or city,
                facility,
            )
        )
    elif default_kind == "held" and not released_flag:
        facts.append(Fact("held", seen_date, None, city, facility))
    facts.extend(
        _other_facts(get, kinds, status_text, default_kind, year, seen_date, seen_time, city,
                     facility)
    )  # fmt: skip
    if not facts and default_kind:
        facts.append(Fact(default_kind, seen_date, seen_time, city, facility))

    return Row(
        full_name=full,
        surname=get("surname"),
        given=get("given"),
        patronymic=get("patronymic"),
        birth_year=birth,
        birth_from=birth_from,
        place=stated_city,
        facts=facts,
        cells={k: v for k, v in cells.items() if v},
        notes="; ".join(x for x in (get("notes"), get("contact")) if x),
    )
