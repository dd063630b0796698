"""Loader for the Golos/Zubr layout (Belarus 2020) and any election collected the same way.

Files in the folder: ``voice.csv`` (required), ``geo-categorized.csv``, ``zubr.csv`` or
``zubr-observers.csv``, ``zubr-messages.json``, ``zubr-violation-codes.csv``,
``official-totals.csv``. See ``data/belarus-2020/PROVENANCE.md``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from honestcount.errors import InputError
from honestcount.model import BallotOption, Election, ElectionData, OfficialSource, OptionKind
from honestcount.sources.assemble import assemble
from honestcount.sources.tables import counts, numbers, read_csv

# (column prefix in voice.csv, stable option id, display name, kind)
OPTIONS: tuple[tuple[str, str, str, OptionKind], ...] = (
    ("tihanovkaja", "tsikhanouskaya", "Sviatlana Tsikhanouskaya", OptionKind.CANDIDATE),
    ("lukashenko", "lukashenko", "Alexander Lukashenko", OptionKind.CANDIDATE),
    ("dmitriyev", "dzmitryieu", "Andrei Dzmitryieu", OptionKind.CANDIDATE),
    ("kanopatskaja", "kanapatskaya", "Hanna Kanapatskaya", OptionKind.CANDIDATE),
    ("cherechen", "cherachen", "Siarhei Cherachen", OptionKind.CANDIDATE),
    ("against", "against_all", "Against all", OptionKind.AGAINST),
    ("corrupted", "invalid", "Invalid (spoiled) ballots", OptionKind.INVALID),
    ("ignore", "not_voting", "Will not vote (declared to the platform)", OptionKind.ABSTENTION),
)
REGIONS = {
    "1": "Brest",
    "2": "Viciebsk",
    "3": "Homiel",
    "4": "Hrodna",
    "5": "Minsk region",
    "6": "Mahilioŭ",
    "7": "Minsk city",
    "8": "abroad",
}
UNCODED = "uncoded"
BELARUS_2020 = Election(
    id="belarus-2020",
    name="Presidential election, Belarus, 9 August 2020",
    country="BY",
    date=dt.date(2020, 8, 9),
    protocol_schema="golos",
    source="Golos and Zubr citizens' evidence, published in demidov91/voice (October 2020)",
)


def bundled_belarus_dir() -> Path:
    return Path(str(resources.files("honestcount") / "data" / "belarus-2020"))


def load_belarus_2020(folder: Path | None = None) -> ElectionData:
    """The bundled Belarus 2020 evidence (or the same files in ``folder``)."""
    return load_golos(folder or bundled_belarus_dir(), BELARUS_2020)


@dataclass
class GolosTables:
    """The files of a Golos-layout folder as tables (read from disk, or made by a simulator).

    ``where`` is the folder that error messages name; each table is as its CSV reads.
    """

    voice: pd.DataFrame
    geo: pd.DataFrame | None = None
    observers: pd.DataFrame | None = None
    messages: dict | None = None
    codes: pd.DataFrame | None = None
    totals: pd.DataFrame | None = None
    where: Path = Path(".")


VOICE_COLUMNS = ["id", "officialVotes", "officialVoters"] + [
    f"{prefix}_{part}"
    for prefix, *_ in OPTIONS
    for part in ("registered", "photoVoices", "officialVotes")
]
GEO_COLUMNS = ["id", "town", "area", "latitude", "longitude", "region"]


def read_golos_tables(folder: Path) -> GolosTables:
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("not a folder", file=str(folder))

    def optional(name: str, columns: list[str], **kw) -> pd.DataFrame | None:
        path = folder / name
        return read_csv(path, columns, **kw) if path.exists() else None

    observers = optional("zubr.csv", ["id", "observers"], key="id")
    if observers is None:
        observers = optional("zubr-observers.csv", ["id", "observers"], key="id")
    messages = None
    messages_path = folder / "zubr-messages.json"
    if messages_path.exists():
        try:
            messages = json.loads(messages_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"invalid JSON: {exc}", file=str(messages_path)) from None
        if not isinstance(messages, dict):
            raise InputError("expected an object of station id -> codes", str(messages_path))
    return GolosTables(
        voice=read_csv(folder / "voice.csv", required=VOICE_COLUMNS, key="id"),
        geo=optional("geo-categorized.csv", GEO_COLUMNS, key="id"),
        observers=observers,
        messages=messages,
        codes=optional(
            "zubr-violation-codes.csv", ["code", "reason"], key="code", text_columns=["reason"]
        ),
        totals=optional("official-totals.csv", ["line", "value"], key="line"),
        where=folder,
    )


def load_golos(folder: Path, election: Election) -> ElectionData:
    return golos_data(read_golos_tables(folder), election)


def golos_data(tables: GolosTables, election: Election) -> ElectionData:
    """Map Golos tables onto the model.

    ``officialVotes`` is every ballot the protocol counts, spoiled included: the ballots in the
    boxes (``ballots_cast``, also kept as ``votes_counted``). ``officialVoters`` is the
    protocol's number of voters on the list (``registered``): at the 1,335 stations with both,
    their ratio has median 0.83 and mean 0.81, as turnout does (84% nationally), and the
    6 stations where it exceeds 1 are the data's "turnout over 100%".
    """
    voice_path = tables.where / "voice.csv"
    voice = tables.voice.set_index("id")
    ids = list(voice.index)
    geo = None
    if tables.geo is not None:
        geo_path = tables.where / "geo-categorized.csv"
        geo = tables.geo.set_index("id")
        geo["latitude"] = numbers(tables.geo, "latitude", geo_path).to_numpy()
        geo["longitude"] = numbers(tables.geo, "longitude", geo_path).to_numpy()
        ids = list(geo.index) + [i for i in voice.index if i not in geo.index]
    index = pd.Index(ids, name="station_id")

    flat = voice.reset_index()

    def count(column: str, negative: bool = False) -> pd.Series:
        return counts(flat, column, voice_path, allow_negative=negative).set_axis(voice.index)

    def per_option(part: str, allow_negative: bool) -> pd.DataFrame:
        return pd.DataFrame(
            {oid: count(f"{prefix}_{part}", allow_negative) for prefix, oid, *_ in OPTIONS}
        )

    for total in ("registered", "photoVoices"):  # platform totals: validated, derivable
        if total in flat:
            count(total)
    # Official counts are what a protocol photo shows: odd values are data, checked later.
    counted = count("officialVotes", negative=True)
    on_list = count("officialVoters", negative=True)
    lines = pd.DataFrame({"registered": on_list, "ballots_cast": counted, "votes_counted": counted})

    stations = pd.DataFrame(index=index)
    stations["district"] = [i.rsplit("-", 1)[0] if "-" in i else None for i in index]
    if geo is not None:
        stations["region"] = geo["region"].map(lambda r: REGIONS.get(str(r).strip(), r))
        stations["settlement_type"] = geo["area"]
        stations["town"] = geo["town"]
        stations["latitude"] = geo["latitude"]
        stations["longitude"] = geo["longitude"]
    stations["registered_voters"] = on_list  # known where a protocol was photographed
    observers, violations, codes = _observers(tables)
    return assemble(
        election,
        [BallotOption(oid, name, kind, i) for i, (_, oid, name, kind) in enumerate(OPTIONS)],
        stations,
        lines=lines,
        official=per_option("officialVotes", allow_negative=True),
        official_source=OfficialSource.PHOTOGRAPHED_PROTOCOL.value,
        declared=per_option("registered", allow_negative=False),
        photo=per_option("photoVoices", allow_negative=False),
        observers=observers,
        violations=violations,
        violation_codes=codes,
        national_totals=_national_totals(tables),
    )


def _observers(
    tables: GolosTables,
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, dict[str, str]]:
    observers = None
    if tables.observers is not None:
        table = tables.observers
        path = tables.where / "zubr.csv"
        observers = pd.DataFrame(
            {"observers": counts(table, "observers", path).to_numpy()},
            index=table["id"].astype(str),
        )
    codes: dict[str, str] = {}
    if tables.codes is not None:
        table = tables.codes
        codes = dict(zip(table["code"].astype(str).str.strip(), table["reason"], strict=True))
    violations = None
    if tables.messages is not None:
        # A report without a code (null in the file) is still a reported violation.
        rows = [
            (str(sid), UNCODED if code is None else str(code))
            for sid, station_codes in tables.messages.items()
            for code in sorted(set(station_codes), key=str)
        ]
        violations = pd.DataFrame(rows, columns=["station_id", "code"])
        if codes and any(code == UNCODED for _, code in rows):
            codes[UNCODED] = "reported without a code"
        unknown = sorted(set(violations["code"]) - set(codes)) if codes else []
        if unknown:
            raise InputError(
                f"violation codes {unknown} are not in zubr-violation-codes.csv",
                file=str(tables.where / "zubr-messages.json"),
            )
    return observers, violations, codes


def _national_totals(tables: GolosTables) -> dict[str, float]:
    if tables.totals is None:
        return {}
    table = tables.totals
    values = counts(table, "value", tables.where / "official-totals.csv")
    return dict(zip(table["line"].astype(str).str.strip(), values.tolist(), strict=True))
