"""Names, places and facilities brought to one form before linkage and exact lookups.

The same person appears as ``Аляксандр Ціханоўскі``, ``Тихановский Александр``, ``Aliaksandr
Tsikhanouski`` or ``Alexander Tikhanovsky``. Linkage compares one *linkage form* per name:

1. **Transliteration** of Cyrillic (Belarusian and Russian letters alike) to plain Latin with
   one fixed table (:func:`translit`).
2. **Folding** of every Latin spelling to that same form (:func:`fold`): diacritics, ``x`` and
   ``ks``, ``ya``/``ja``/``ia``, ``h`` (Belarusian г) and ``g``, a Belarusian ``ў`` written ``u``
   after a vowel and Russian ``в``, doubled letters, the many endings of ``-ский``.
3. **Given names** through a table of Belarusian, Russian and Latin forms and common
   diminutives (:data:`GIVEN_NAMES`): ``Аляксандр``, ``Alexander``, ``Алесь``, ``Саша`` all
   become ``aleksandr``. A typo of one letter in a known name is still recognised.
4. **Roles**: which token is the given name (the table), the patronymic (the token after the
   given name, with a patronymic ending) and the surname (what is left). This absorbs any word
   order; :func:`name_features` also gives the name tokens sorted.
5. A **consonant skeleton** of the surname (:func:`skeleton`) that Belarusian and Russian
   forms share (``Ціханоўская`` and ``Тихановская`` both give ``thnvsk``), for blocking and one
   comparison level.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

# --- transliteration -------------------------------------------------------------------------

_CYR = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "ё": "e", "є": "e",
    "ж": "zh", "з": "z", "и": "i", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m",
    "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ў": "u", "ф": "f",
    "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "iu", "я": "ia", "'": "", "’": "", "ʼ": "", "`": "",
}  # fmt: skip

# Latin letters with diacritics that the Belarusian and other Latin alphabets use
_LATIN_SPECIAL = {
    "š": "sh", "č": "ch", "ž": "zh", "ŭ": "u", "ć": "ts", "ś": "s", "ź": "z", "ń": "n",
    "ł": "l", "ĺ": "l", "ß": "ss", "æ": "ae", "ø": "o", "đ": "d",
}  # fmt: skip

_CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")
_VOWELS = "aeiouy"


def has_cyrillic(text: str) -> bool:
    return bool(_CYRILLIC_RE.search(text))


# Latin letters that look like Cyrillic ones, typed or OCR-read inside Cyrillic words
_LOOKALIKE = str.maketrans("aeopcyxkimtbhAEOPCYXKIMTBH", "аеорсухкімтвнАЕОРСУХКІМТВН")
# letters that only the Belarusian Latin alphabet (łacinka) uses
_LACINKA = re.compile(r"[łŭšžčćśźńĺŁŬŠŽČĆŚŹŃĹ]")


def fold_lookalikes(word: str) -> str:
    """A word with Cyrillic letters gets its Latin look-alike letters back in Cyrillic
    (``Kозлов`` with a Latin K is ``Козлов``); a Latin word is left as it is."""
    if not has_cyrillic(word):
        return word
    return word.translate(_LOOKALIKE)


def _lacinka(word: str) -> str:
    """Łacinka's own letters in the transliteration's terms: ``ch`` is х, ``c`` is ц."""
    word = word.replace("ch", "kh").replace("Ch", "Kh").replace("CH", "KH")
    return re.sub("c(?!h)", "ts", re.sub("C(?!h)", "Ts", word))


def translit(text: str) -> str:
    """Lower-case Latin for any mix of Cyrillic and Latin, one fixed table for both languages
    (look-alike letters folded first; łacinka words read as łacinka)."""
    text = " ".join(
        _lacinka(w) if _LACINKA.search(w) else fold_lookalikes(w) for w in text.split(" ")
    )
    out = []
    for ch in text.lower():
        if ch in _CYR:
            out.append(_CYR[ch])
        elif ch in _LATIN_SPECIAL:
            out.append(_LATIN_SPECIAL[ch])
        else:
            out.append(ch)
    text = "".join(out)
    # strip remaining accents (é -> e)
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


_FOLD_RULES: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(p), r)
    for p, r in (
        (r"[^a-z]", ""),
        (r"x", "ks"),
        (r"w", "v"),
        (r"q", "k"),
        (r"ph", "f"),
        (r"tz", "ts"),
        # łacinka's soft ц before a vowel (Kaciaryna) needs no diacritic to mark it
        (r"c(?=i[aeiou])", "ts"),
        (r"c(?!h)", "k"),  # Victor, Nicolai (English c); c before h stays for ch
        (r"j", "i"),
        (r"(?<![kszc])h", "g"),  # Belarusian г written h (Siarhei, Homiel) and g agree
        (r"y(?=[aeiou])", "i"),  # ya, yu, ye, yo -> ia, iu, ie, io
        (r"^ie", "e"),  # Yelena, Yevgeny
        (r"(sk|tsk|ck)(ii|iy|yi|ij|yj|y|i)$", r"\1i"),  # -ский endings
        (r"(ii|iy|yi|ij|yj|ei|ey)$", lambda m: "i" if m.group(1)[0] != "e" else "ei"),
        (r"y", "i"),  # ы and и: no other spelling difference is as often lost
        (r"(?<=[aeo])u(?=[^aeiou]|$)", "v"),  # Belarusian ў after a vowel ~ Russian в
        (r"ie", "e"),  # Belarusian Latin ie for е
        (r"(?<=[^aeiou])io", "e"),  # ё written yo/io (Fyodor, Piotr) and e
        (r"(.)\1+", r"\1"),  # doubled letters
    )
]


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """The linkage form of one word: transliterated, folded to one Latin spelling."""
    word = translit(text)
    for pattern, repl in _FOLD_RULES:
        word = pattern.sub(repl, word)
    return word


_LONE_C = re.compile(r"c(?![hz])", re.IGNORECASE)


def fold_surname(word: str) -> str:
    """:func:`fold` for a surname: a Latin ``c`` not before ``h`` or ``z`` is łacinka's ц
    (``Zaicau`` for Зайцаў, ``Hrynievicki``) even without any diacritic in the word.
    Passport, ICAO and press forms write ц and к as ``ts`` and ``k``; only given names have
    English forms with ``c`` (Victor, Nicolai), and those are read by the name table."""
    if not has_cyrillic(word):
        word = _LONE_C.sub("ts", word)
    return fold(word)


_SKELETON_RULES = [
    (re.compile(p), r)
    for p, r in (
        (r"shch", "S"),
        (r"sh", "S"),
        (r"zh", "Z"),
        (r"ch", "C"),
        (r"kh", "h"),
        (r"ts", "t"),  # Belarusian ц for Russian т (Ціханоўская / Тихановская)
        (r"dz", "d"),  # Belarusian дз for Russian д
        (r"g", "h"),
        (r"k", "k"),
    )
]


@lru_cache(maxsize=200_000)
def skeleton(word: str) -> str:
    """A consonant skeleton of a folded word: the first letter, then consonants only.

    Vowels are where Belarusian and Russian spellings of one surname differ most (akanne,
    yakanne), and where most typos land; ``ц``/``т`` and ``дз``/``д`` are merged for the same
    reason.
    """
    if not word:
        return ""
    for pattern, repl in _SKELETON_RULES:
        word = pattern.sub(repl, word)
    head, tail = word[0], word[1:]
    if head in _VOWELS:
        head = "a"
    # doubled letters were merged by fold(); consonants that meet once vowels are dropped
    # stay two (Semenenovich is not Simonovich)
    return head + re.sub(r"[aeiouy]", "", tail)


# --- given names ----------------------------------------------------------------------------

# (Russian, Belarusian, gender, other spellings and diminutives), one name a row, in
# data/aftermath-2020/given-names.csv (see PROVENANCE.md there). The canonical form of each
# name is the folded Russian form.
GIVEN_NAMES_FILE = Path(__file__).parents[1] / "data" / "aftermath-2020" / "given-names.csv"


def _given_table() -> list[tuple[str, str, str, str]]:
    with GIVEN_NAMES_FILE.open(encoding="utf-8", newline="") as fh:
        return [
            (r["russian"], r["belarusian"], r["gender"], r["other_forms"])
            for r in csv.DictReader(fh)
        ]


_GIVEN_TABLE = _given_table()


@dataclass(frozen=True)
class GivenName:
    canonical: str
    ru: str
    be: str
    gender: str
    latin: tuple[str, ...]
    diminutives: tuple[str, ...]


def _build_given() -> tuple[dict[str, GivenName], dict[str, str]]:
    names: dict[str, GivenName] = {}
    lookup: dict[str, str] = {}
    for ru, be, gender, others in _GIVEN_TABLE:
        canonical = fold(ru)
        words = others.split()
        latin = tuple(w for w in words if not has_cyrillic(w))
        # diminutives: Cyrillic extras that are shorter than the full name, and their Latin
        cyr_extra = [w for w in words if has_cyrillic(w)]
        names[canonical] = GivenName(canonical, ru, be, gender, latin, tuple(cyr_extra))
        for form in (ru, be, *words):
            lookup.setdefault(fold(form), canonical)
    return names, lookup


GIVEN_NAMES, _GIVEN_LOOKUP = _build_given()
_GIVEN_BY_LENGTH: dict[int, list[str]] = {}
for _key in _GIVEN_LOOKUP:
    _GIVEN_BY_LENGTH.setdefault(len(_key), []).append(_key)


def _within_one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by one substitution, insertion, deletion or swap."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]


@lru_cache(maxsize=100_000)
def given_canonical(word: str) -> str | None:
    """The canonical given name a word spells, allowing one typo in names of 4+ letters."""
    folded = fold(word)
    if not folded:
        return None
    if folded in _GIVEN_LOOKUP:
        return _GIVEN_LOOKUP[folded]
    as_kh = word.replace("ch", "kh").replace("Ch", "Kh").replace("CH", "KH")
    if as_kh != word and not has_cyrillic(word):
        # łacinka's ch is х (Locha: Лёха) even in a word without any diacritic
        as_kh_name = given_canonical(as_kh)
        if as_kh_name:
            return as_kh_name
    if len(folded) < 4:
        return None
    found = {
        _GIVEN_LOOKUP[key]
        for n in (len(folded) - 1, len(folded), len(folded) + 1)
        for key in _GIVEN_BY_LENGTH.get(n, ())
        if len(key) >= 4 and key[0] == folded[0] and _within_one_edit(folded, key)
    }
    return found.pop() if len(found) == 1 else None


@lru_cache(maxsize=10_000)
def given_initials(canonical: str | None) -> str:
    """Every letter an initial of this given name may be written with: its Russian and
    Belarusian forms, other spellings and diminutives (Екатерина, Кацярына, Катя: ``ek``;
    Алексей, Лёша: ``al``). A name outside the table: its own first letter."""
    if not canonical:
        return ""
    name = GIVEN_NAMES.get(canonical)
    forms = [canonical] if name is None else [name.ru, name.be, *name.latin, *name.diminutives]
    return "".join(sorted({fold(f)[:1] for f in forms if fold(f)}))


def gender_of_given(canonical: str | None) -> str | None:
    name = GIVEN_NAMES.get(canonical or "")
    return name.gender if name else None


# --- full names -----------------------------------------------------------------------------

_PATRONYMIC_END = re.compile(r"(ovich|evich|avich|ovna|evna|avna|ichna|inichna|ich)$")
_FEMALE_PATRONYMIC_END = re.compile(r"(ovna|evna|avna|ichna)$")
_FEMALE_SURNAME_END = re.compile(r"(ova|eva|ina|yna|skaia|tskaia|aia|kaia)$")
# endings no given name has (folded): a word that ends so is the surname
_SURNAME_END = re.compile(r"(ov|ev|ova|eva|sk|ski|skaia|ska|vich|enko|enka|uk|ets|ich)$")
_TOKEN_SPLIT = re.compile(r"[\s,;/()\[\]\"«»]+")
_YEAR_IN_NAME = re.compile(r"(?<!\d)(19[2-9]\d|20[0-2]\d)(?!\d)")
_AGE_IN_NAME = re.compile(
    r"(?<!\d)(\d{1,2})\s*(?:лет|года?|гадоў|гадоу|гады|years?|y\.?\s?o\.?)(?!\w)", re.I
)
_NOISE_WORDS = {
    "gr", "g", "r", "god", "goda", "rozhd", "rozhdeniia", "let", "gadov", "gady", "yo",
    "gnr", "mr", "mrs", "ms",
}  # fmt: skip


_PATRONYMIC_SPLIT = re.compile(r"^(.{2,}?)(ovich|evich|avich|ovna|evna|avna|ichna|ich)$")


@lru_cache(maxsize=50_000)
def patronymic_canonical(folded: str) -> str:
    """A patronymic as its father's canonical given name and the gender-free ending ``ich``
    (``Мікалаевіч``, ``Николаевич`` and ``Nikolaevna`` are all ``nikolai-ich``), so that
    Belarusian, Russian and Latin forms agree; unknown names stay as folded."""
    m = _PATRONYMIC_SPLIT.match(folded)
    if not m:
        return folded
    stem = m.group(1)
    for candidate in (stem + "i", stem, stem + "a", stem + "ii", stem[:-1] + "i"):
        father = given_canonical(candidate)
        if father and gender_of_given(father) == "m":
            return f"{father}-ich"
    return folded


def clean_name_text(text: str) -> str:
    """A name cell with any year or age and stray punctuation removed."""
    text = _YEAR_IN_NAME.sub(" ", text)
    text = _AGE_IN_NAME.sub(" ", text)
    text = re.sub(r"\d+", " ", text)
    text = re.sub(r"(?<!\w)(г\.\s*р\.?|гр\.|г\.\s*н\.?|y\.o\.?|b\.)(?!\w)", " ", text, flags=re.I)
    return re.sub(r"\s+", " ", text).strip(" .,-;")


def year_in_text(text: str) -> int | None:
    m = _YEAR_IN_NAME.search(text)
    return int(m.group(1)) if m else None


def age_in_text(text: str) -> int | None:
    m = _AGE_IN_NAME.search(text)
    return int(m.group(1)) if m else None


@dataclass(frozen=True)
class NameParts:
    """A name split into roles, each in linkage form (folded; given name canonical)."""

    surname: str
    given: str
    patronymic: str
    gender: str | None
    initials: str = ""  # given name and patronymic given as initials only ("И.И.")

    @property
    def given_initial(self) -> str:
        """The given name's first letter in linkage form, from the name or its initial."""
        return self.given[:1] or self.initials[:1]

    @property
    def sorted_tokens(self) -> str:
        return " ".join(sorted(t for t in (self.surname, self.given) if t))

    @property
    def surname_skeleton(self) -> str:
        return skeleton(self.surname)

    @property
    def complete(self) -> bool:
        """Both a surname and a given name: what an exact lookup needs."""
        return bool(self.surname and self.given)


_INITIALS = re.compile(r"^(?:[^\W\d_]\.){1,3}[^\W\d_]?$|^[^\W\d_]$")


def initials_in(text: str) -> str:
    """The initials a name cell gives (``Иванов И.И.``: ``ii``), in linkage form."""
    found: list[str] = []
    for w in _TOKEN_SPLIT.split(clean_name_text(text)):
        if w and _INITIALS.match(w):
            found.extend(fold(c)[:1] for c in w if c != ".")
    return "".join(found)


def _tokens(text: str) -> list[str]:
    words = [w for w in _TOKEN_SPLIT.split(clean_name_text(text)) if w]
    out = []
    for w in words:
        # hyphenated surnames are one token; initials ("А.", "A.", "А.С.") are not name words
        if _INITIALS.match(w):
            continue
        w = w.strip(".-'’")
        folded = fold(w)
        if len(folded) < 2 or folded in _NOISE_WORDS:
            continue
        out.append(w)
    return out


def split_full_name(text: str) -> NameParts:
    """Roles of the words in one name cell, in any order: given, patronymic, surname."""
    words = _tokens(text)
    folded = [fold(w).replace("-", "") for w in words]
    canon = [given_canonical(w) for w in words]
    given_i: int | None = None
    # a given name followed by a patronymic is the surest pair
    for i, c in enumerate(canon):
        if c and i + 1 < len(folded) and _PATRONYMIC_END.search(folded[i + 1]):
            given_i = i
            break
    if given_i is None:
        known = [i for i, c in enumerate(canon) if c]
        if len(known) == 1 or (known and len(words) == 1):
            given_i = known[0]
        elif len(known) > 1:
            # two name-like words ("Павел Роман"): surname first is the local convention,
            # unless the exact form of only one is a given name
            exact = [i for i in known if folded[i] in _GIVEN_LOOKUP]
            given_i = exact[0] if len(exact) == 1 else known[1]
    patronymic_i: int | None = None
    # a word after the given name with a patronymic ending is the patronymic, unless it is
    # the only word left for the surname (Belarusian surnames end in -ovich too)
    if (
        given_i is not None
        and given_i + 1 < len(folded)
        and len(words) >= 3
        and _PATRONYMIC_END.search(folded[given_i + 1])
    ):
        patronymic_i = given_i + 1
    if patronymic_i is None:
        for i, f in enumerate(folded):
            if i != given_i and _FEMALE_PATRONYMIC_END.search(f) and len(folded) >= 3:
                patronymic_i = i
                break
    if given_i is None and patronymic_i is None and len(words) >= 3:
        # an unknown given name is still the word before a patronymic
        for i in range(1, len(folded)):
            if _PATRONYMIC_END.search(folded[i]) and i - 1 >= 0:
                given_i, patronymic_i = i - 1, i
                break
    rest = [i for i in range(len(words)) if i not in (given_i, patronymic_i)]
    if given_i is None and len(rest) >= 2:
        # unknown given name (a typo, a rare name): the one word with a surname's ending is
        # the surname; else surname first, as local lists write names
        ends = [i for i in rest if _SURNAME_END.search(folded[i])]
        surname_i = ends[0] if len(ends) == 1 else rest[0]
        rest.remove(surname_i)
        given_i = rest[0]
        rest = [surname_i, *rest[1:]]
    surname = "".join(fold_surname(words[i]).replace("-", "") for i in rest)
    given = (canon[given_i] or folded[given_i]) if given_i is not None else ""
    patronymic = patronymic_canonical(folded[patronymic_i]) if patronymic_i is not None else ""
    initials = "" if given else initials_in(text)
    return NameParts(surname, given, patronymic, _gender(given, surname, patronymic), initials)


def name_parts(
    full: str | None = None,
    surname: str | None = None,
    given: str | None = None,
    patronymic: str | None = None,
) -> NameParts:
    """Name roles from one full-name cell, or from separate cells (which win when present)."""
    if surname or given:
        s = "".join(fold_surname(w) for w in _tokens(surname or ""))
        g_words = _tokens(given or "")
        g = ""
        if g_words:
            g = given_canonical(g_words[0]) or fold(g_words[0])
        p = patronymic_canonical("".join(fold(w) for w in _tokens(patronymic or "")))
        # a surname cell that holds "Surname Given" (common when a column is misused)
        if s and not g and full is None and given is None:
            return split_full_name(surname or "")
        initials = "" if g else initials_in(" ".join(x or "" for x in (given, patronymic)))
        return NameParts(s, g, p, _gender(g, s, p), initials)
    return split_full_name(full or "")


def _gender(given: str, surname: str, patronymic: str) -> str | None:
    gender = gender_of_given(given)
    if gender:
        return gender
    if patronymic:
        return "f" if _FEMALE_PATRONYMIC_END.search(patronymic) else "m"
    if surname and _FEMALE_SURNAME_END.search(surname):
        return "f"
    return None


# --- places and facilities ------------------------------------------------------------------

# canonical name: spellings (any script). Canonical names follow the Belarusian-based Latin
# forms used by international media in 2020, with the better-known Russian-based forms for
# the two the claims name that way (Zhodino).
_PLACES: dict[str, str] = {
    "Minsk": "Минск Мінск Miensk Minsk",
    "Homiel": "Гомель Homel Homiel Gomel",
    "Brest": "Брест Брэст Brest Brzesc",
    "Hrodna": "Гродно Гродна Grodno Hrodna",
    "Vitsebsk": "Витебск Віцебск Vitebsk Vitsebsk Viciebsk",
    "Mahiliou": "Могилев Могилёв Магілёў Mogilev Mahilyow Mahiliou Mogilyov",
    "Babruisk": "Бобруйск Бабруйск Bobruisk Babruysk Babruisk",
    "Baranavichy": "Барановичи Баранавічы Baranovichi Baranavichy",
    "Barysau": "Борисов Барысаў Borisov Barysau",
    "Pinsk": "Пинск Пінск Pinsk",
    "Salihorsk": "Солигорск Салігорск Soligorsk Salihorsk",
    "Maladzechna": "Молодечно Маладзечна Molodechno Maladzyechna Maladzechna",
    "Slutsk": "Слуцк Слуцак Slutsk",
    "Lida": "Лида Ліда Lida",
    "Navapolatsk": "Новополоцк Наваполацк Novopolotsk Navapolatsk",
    "Polatsk": "Полоцк Полацак Polotsk Polatsk",
    "Orsha": "Орша Vorsha Orsha Ворша",
    "Mazyr": "Мозырь Мазыр Mozyr Mazyr",
    "Zhlobin": "Жлобин Жлобін Zhlobin",
    "Svetlahorsk": "Светлогорск Светлагорск Svetlogorsk Svetlahorsk",
    "Rechytsa": "Речица Рэчыца Rechitsa Rechytsa",
    "Zhodino": "Жодино Жодзіна Zhodino Zhodzina",
    "Kobryn": "Кобрин Кобрын Kobrin Kobryn",
    "Asipovichy": "Осиповичи Асіповічы Osipovichi Asipovichy",
}

_PLACE_LOOKUP = {fold(w): name for name, forms in _PLACES.items() for w in forms.split()}
PLACES = tuple(_PLACES)

# facility: (city, spelling fragments). Matched as folded fragments within a cell.
_FACILITIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Akrestsina detention centre": (
        "Minsk",
        ("окрестин", "акрэсцін", "akrestsin", "okrestin", "akrescin", "цип", "цiп", "tsip"),
    ),
    "Zhodino prison No 8": ("Zhodino", ("жодин", "жодзін", "zhodin", "zhodzin", "сизо8", "sizo8")),
    "Valadarskaga prison (SIZO-1)": (
        "Minsk",
        ("володарк", "валадарк", "volodark", "valadark", "сизо1", "sizo1"),
    ),
    "Slutsk temporary detention": ("Slutsk", ("слуцк", "slutsk")),
    "Baranavichy detention centre": ("Baranavichy", ("баранович", "баранавіч", "baranovich")),
    "Homiel detention centre": ("Homiel", ("гомел", "homel", "homiel", "gomel")),
    "Mahiliou prison No 4": ("Mahiliou", ("могил", "магіл", "mogil", "mahil")),
    "Brest detention centre": ("Brest", ("брест", "брэст", "brest")),
    "Hrodna detention centre": ("Hrodna", ("гродн", "grodn", "hrodn")),
    "Vitsebsk detention centre": ("Vitsebsk", ("витебск", "віцебск", "vitebsk", "vitsebsk")),
}
_FACILITY_FRAGMENTS = [
    (fold(fragment), name) for name, (_, fragments) in _FACILITIES.items() for fragment in fragments
]
FACILITY_CITY = {name: city for name, (city, _) in _FACILITIES.items()}


def place_canonical(text: str | None) -> str | None:
    """The canonical city for a place cell (``Мінск``, ``г. Минск, пр. Независимости``)."""
    if not text or not str(text).strip():
        return None
    return _place_canonical(str(text))


@lru_cache(maxsize=50_000)
def _place_canonical(text: str) -> str | None:
    words = [fold(w) for w in re.split(r"[\s,.;()/-]+", str(text)) if w]
    for w in words:
        if w in _PLACE_LOOKUP:
            return _PLACE_LOOKUP[w]
    # declined forms: "в Минске", "у Гомелі", "in Minsk"
    for w in words:
        for key, name in _PLACE_LOOKUP.items():
            if len(key) >= 4 and w.startswith(key[:-1]) and len(w) - len(key) <= 2:
                return name
    return None


def facility_canonical(text: str | None) -> str | None:
    """The canonical name of a detention facility, or the cell tidied when not known."""
    if not text or not str(text).strip():
        return None
    return _facility_canonical(str(text))


@lru_cache(maxsize=50_000)
def _facility_canonical(text: str) -> str:
    folded = fold(text)
    for fragment, name in _FACILITY_FRAGMENTS:
        if fragment and fragment in folded:
            return name
    return re.sub(r"\s+", " ", text).strip()[:200]


def facility_city(facility: str | None) -> str | None:
    if not facility:
        return None
    return FACILITY_CITY.get(facility) or place_canonical(facility)
