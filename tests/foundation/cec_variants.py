"""CEC-style polling-station tables built from the protocol wordings of 2003-2024.

Each variant is a protocol form: its lines (caption, canonical line or None for a line the
grammar does not know) and its options. ``write_table`` makes a small, internally consistent
station table in the CEC layout (``region,tik,uik``, the lines, the options); the committed
CSVs in ``tests/foundation/cec/`` were written by ``python tests/foundation/cec_variants.py``.
The wordings follow the protocol forms of the federal laws on the elections of deputies of
the State Duma (2002, 2005, 2014), of the President (2003), on the referendum (2004) and the
2020 all-Russian vote; numbers are made up.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent / "cec"

B = "Число избирательных бюллетеней"
REGISTERED_2011 = (
    "Число избирателей, внесенных в список избирателей на момент окончания голосования"
)
ABSENTEE = [
    (
        "Число открепительных удостоверений, полученных участковой избирательной комиссией",
        "absentee_received",
    ),
    (
        "Число открепительных удостоверений, выданных участковой избирательной комиссией "
        "избирателям на избирательном участке до дня голосования",
        "absentee_issued_station",
    ),
    (
        "Число избирателей, проголосовавших по открепительным удостоверениям на избирательном "
        "участке",
        "absentee_voted",
    ),
    ("Число погашенных неиспользованных открепительных удостоверений", "absentee_cancelled"),
    (
        "Число открепительных удостоверений, выданных избирателям территориальной избирательной "
        "комиссией",
        "absentee_issued_territorial",
    ),
    ("Число утраченных открепительных удостоверений", "absentee_lost"),
]


@dataclass(frozen=True)
class Variant:
    name: str
    lines: tuple[tuple[str, str | None], ...]
    options: tuple[str, ...]
    leader: int = 0  # index of the option with most votes


DUMA_2011 = Variant(
    "duma-2011",
    (
        (REGISTERED_2011, "registered"),
        (f"{B}, полученных участковой избирательной комиссией", "ballots_received"),
        (f"{B}, выданных избирателям, проголосовавшим досрочно", "issued_early"),
        (
            f"{B}, выданных участковой избирательной комиссией избирателям в помещении для "
            "голосования в день голосования",
            "issued_on_day",
        ),
        (
            f"{B}, выданных избирателям, проголосовавшим вне помещения для голосования в день "
            "голосования",
            "issued_outside",
        ),
        ("Число погашенных избирательных бюллетеней", "cancelled"),
        (f"{B}, содержащихся в переносных ящиках для голосования", "ballots_portable"),
        (f"{B}, содержащихся в стационарных ящиках для голосования", "ballots_stationary"),
        ("Число недействительных избирательных бюллетеней", "invalid"),
        ("Число действительных избирательных бюллетеней", "valid"),
        *ABSENTEE,
        ("Число утраченных избирательных бюллетеней", "lost"),
        (f"{B}, не учтенных при получении", "unaccounted"),
    ),
    (
        '1. Политическая партия "СПРАВЕДЛИВАЯ РОССИЯ"',
        '2. Политическая партия "Либерально-демократическая партия России"',
        '3. Политическая партия "ПАТРИОТЫ РОССИИ"',
        '4. Политическая партия "Коммунистическая партия Российской Федерации"',
        '5. Политическая партия "Российская объединенная демократическая партия "ЯБЛОКО""',
        '6. Всероссийская политическая партия "ЕДИНАЯ РОССИЯ"',
        '7. Всероссийская политическая партия "ПРАВОЕ ДЕЛО"',
    ),
    leader=5,
)

# 2003: "в помещениях" (plural), a vote against all lists, absentee certificates, ё spelt out.
DUMA_2003 = Variant(
    "duma-2003",
    (
        ("1. Число избирателей, внесённых в список избирателей", "registered"),
        (f"2. {B}, полученных участковой избирательной комиссией", "ballots_received"),
        (f"3. {B}, выданных избирателям, проголосовавшим досрочно", "issued_early"),
        (f"4. {B}, выданных избирателям в помещениях для голосования", "issued_on_day"),
        (f"5. {B}, выданных избирателям вне помещений для голосования", "issued_outside"),
        ("6. Число погашенных избирательных бюллетеней", "cancelled"),
        (
            "7. Число избирательных бюллетеней в переносных ящиках для голосования",
            "ballots_portable",
        ),
        (
            "8. Число избирательных бюллетеней в стационарных ящиках для голосования",
            "ballots_stationary",
        ),
        ("9. Число недействительных избирательных бюллетеней", "invalid"),
        ("10. Число действительных избирательных бюллетеней", "valid"),
        *ABSENTEE,
        ("17. Число утраченных избирательных бюллетеней", "lost"),
        ("18. Число избирательных бюллетеней, не учтённых при получении", "unaccounted"),
    ),
    ("1. Блок «Родина»", "2. ЕДИНАЯ РОССИЯ", "3. КПРФ", "Против всех"),
    leader=1,
)

# 2020 all-Russian vote on the constitutional amendments: participants, not voters; ДА / НЕТ.
VOTE_2020 = Variant(
    "vote-2020",
    (
        (
            "Число участников голосования, включенных в список участников голосования на момент "
            "окончания голосования",
            "registered",
        ),
        ("Число бюллетеней, полученных участковой комиссией", "ballots_received"),
        (
            "Число бюллетеней, выданных участникам голосования в помещении для голосования в день "
            "голосования",
            "issued_on_day",
        ),
        (
            "Число бюллетеней, выданных участникам голосования вне помещения для голосования",
            "issued_outside",
        ),
        ("Число погашенных бюллетеней", "cancelled"),
        ("Число бюллетеней, содержащихся в переносных ящиках для голосования", "ballots_portable"),
        (
            "Число бюллетеней, содержащихся в стационарных ящиках для голосования",
            "ballots_stationary",
        ),
        ("Число недействительных бюллетеней", "invalid"),
        ("Число действительных бюллетеней", "valid"),
        ("Число утраченных бюллетеней", "lost"),
        ("Число бюллетеней, не учтенных при получении", "unaccounted"),
    ),
    ("ДА", "НЕТ"),
)

# A referendum table that prints the answers as "число голосов" lines, boxes as one line and
# ballots issued "в день голосования" without "в помещении".
REFERENDUM = Variant(
    "referendum",
    (
        ("Число участников референдума, внесенных в список участников референдума", "registered"),
        (
            "Число бюллетеней для голосования на референдуме, полученных участковой комиссией",
            "ballots_received",
        ),
        ("Число бюллетеней, выданных участникам референдума в день голосования", "issued_on_day"),
        (
            "Число бюллетеней, выданных участникам референдума, проголосовавшим вне помещения",
            "issued_outside",
        ),
        ("Число погашенных бюллетеней", "cancelled"),
        ("Число бюллетеней, содержащихся в ящиках для голосования", "ballots_cast"),
        ("Число недействительных бюллетеней", "invalid"),
        ("Число действительных бюллетеней", "valid"),
    ),
    ("Число голосов участников референдума «ДА»", "Число голосов участников референдума «НЕТ»"),
    leader=1,
)

# A presidential table with no box lines at all (ballots in boxes = valid + invalid), an
# early-voting breakdown and an electronic-ballot line the grammar keeps as extra lines.
PRESIDENT_2012 = Variant(
    "president-2012",
    (
        ("Число избирателей, включенных в список избирателей", "registered"),
        (f"{B}, выданных избирателям, проголосовавшим досрочно", "issued_early"),
        (
            f"{B}, выданных избирателям, проголосовавшим досрочно, в том числе в помещении "
            "территориальной избирательной комиссии",
            None,
        ),
        (f"{B}, выданных в помещении для голосования в день голосования", "issued_on_day"),
        (f"{B}, выданных вне помещения для голосования в день голосования", "issued_outside"),
        ("Число недействительных избирательных бюллетеней", "invalid"),
        ("Число действительных избирательных бюллетеней", "valid"),
        ("Число электронных бюллетеней", None),
        ("Число бюллетеней, обработанных КОИБ", None),
    ),
    (
        "Жириновский Владимир Вольфович",
        "Зюганов Геннадий Андреевич",
        "Миронов Сергей Михайлович",
        "Прохоров Михаил Дмитриевич",
        "Путин Владимир Владимирович",
    ),
    leader=4,
)

VARIANTS = (DUMA_2011, DUMA_2003, VOTE_2020, REFERENDUM, PRESIDENT_2012)


def station_rows(v: Variant, n: int, seed: int) -> list[dict[str, object]]:
    """``n`` stations whose lines obey the protocol's control relations."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        registered = int(rng.integers(400, 3000))
        cast = int(registered * rng.uniform(0.4, 0.9))
        invalid = int(rng.integers(0, 15))
        valid = cast - invalid
        share = rng.dirichlet(np.full(len(v.options), 1.0))
        share[v.leader] += 2.0  # the leader wins everywhere
        votes = rng.multinomial(valid, share / share.sum())
        portable = int(rng.integers(0, cast // 10 + 1))
        early = int(rng.integers(0, 20))
        outside = portable
        on_day = cast - portable - early
        received = registered + int(rng.integers(0, 100))
        cancelled = received - early - on_day - outside
        values = {
            "registered": registered,
            "ballots_received": received,
            "issued_early": early,
            "issued_on_day": on_day,
            "issued_outside": outside,
            "cancelled": cancelled,
            "ballots_portable": portable,
            "ballots_stationary": cast - portable,
            "ballots_cast": cast,
            "invalid": invalid,
            "valid": valid,
            "lost": 0,
            "unaccounted": 0,
        }
        row: dict[str, object] = {"region": f"Регион {i % 3 + 1}", "tik": f"ТИК {i % 5 + 1}"}
        row["uik"] = f"УИК №{100 + i}"
        for caption, line in v.lines:
            row[caption] = values.get(line, int(rng.integers(0, 30))) if line else i % 7
        for option, count in zip(v.options, votes, strict=True):
            row[option] = int(count)
        rows.append(row)
    return rows


def write_table(v: Variant, path: Path, n: int = 60, seed: int = 1) -> Path:
    rows = station_rows(v, n, seed)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    for number, variant in enumerate(VARIANTS):
        print(write_table(variant, HERE / f"{variant.name}.csv", seed=number + 1))
