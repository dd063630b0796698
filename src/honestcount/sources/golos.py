"""Loader for the Golos/Zubr layout (Belarus 2020) and any election collected the same way.

Files in the folder: ``voice.csv`` (required), ``geo-categorized.csv``, ``zubr.csv`` or
``zubr-observers.csv``, ``zubr-messages.json``, ``zubr-violation-codes.csv``,
``official-totals.csv``. See ``data/belarus-2020/PROVENANCE.md``.
"""

from __future__ import annotations

import datetime as dt
import json
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


def load_golos(folder: Path, election: Election) -> ElectionData:
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("not a folder", file=str(folder))
    voice_path = folder / "voice.csv"
    required = ["id", "officialVotes", "officialVoters"] + [
        f"{prefix}_{part}"
        for prefix, *_ in OPTIONS
        for part in ("registered", "photoVoices", "officialVotes")
    ]
    voice = read_csv(voice_path, required=required, key="id").set_index("id")
    ids = list(voice.index)

    geo = None
    geo_path = folder / "geo-categorized.csv"
    if geo_path.exists():
        geo = read_csv(
            geo_path, ["id", "town", "area", "latitude", "longitude", "region"], key="id"
        )
        lat, lon = numbers(geo, "latitude", geo_path), numbers(geo, "longitude", geo_path)
        geo = geo.set_index("id")
        geo["latitude"], geo["longitude"] = lat.to_numpy(), lon.to_numpy()
        ids = list(geo.index) + [i for i in voice.index if i not in geo.index]
    index = pd.Index(ids, name="station_id")

    stations = pd.DataFrame(index=index)
    stations["district"] = [i.rsplit("-", 1)[0] if "-" in i else None for i in index]
    if geo is not None:
        stations["region"] = geo["region"].map(lambda r: REGIONS.get(str(r).strip(), r))
        stations["settlement_type"] = geo["area"]
        stations["town"] = geo["town"]
        stations["latitude"] = geo["latitude"]
        stations["longitude"] = geo["longitude"]
    stations["registered_voters"] = float("nan")  # not published per station

    def per_option(part: str, allow_negative: bool) -> pd.DataFrame:
        return pd.DataFrame(
            {
                oid: counts(
                    voice.reset_index(),
                    f"{prefix}_{part}",
                    voice_path,
                    allow_negative=allow_negative,
                ).to_numpy()
                for prefix, oid, *_ in OPTIONS
            },
            index=voice.index,
        )

    flat = voice.reset_index()
    for total in ("registered", "photoVoices"):  # platform totals: validated, derivable
        if total in flat:
            counts(flat, total, voice_path)
    # Official counts are what a protocol photo shows: odd values are data, checked later.
    lines = pd.DataFrame(
        {
            "votes_counted": counts(flat, "officialVotes", voice_path, allow_negative=True),
            "ballots_cast": counts(flat, "officialVoters", voice_path, allow_negative=True),
        }
    ).set_axis(voice.index)
    observers, violations, codes = _observers(folder)
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
        national_totals=_national_totals(folder / "official-totals.csv"),
    )


def _observers(folder: Path) -> tuple[pd.DataFrame | None, pd.DataFrame | None, dict[str, str]]:
    observers = None
    for name in ("zubr.csv", "zubr-observers.csv"):
        path = folder / name
        if path.exists():
            table = read_csv(path, ["id", "observers"], key="id")
            observers = pd.DataFrame(
                {"observers": counts(table, "observers", path).to_numpy()}, index=table["id"]
            )
            break
    codes: dict[str, str] = {}
    codes_path = folder / "zubr-violation-codes.csv"
    if codes_path.exists():
        table = read_csv(codes_path, ["code", "reason"], key="code", text_columns=["reason"])
        codes = dict(zip(table["code"].str.strip(), table["reason"], strict=True))
    violations = None
    messages_path = folder / "zubr-messages.json"
    if messages_path.exists():
        try:
            messages = json.loads(messages_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"invalid JSON: {exc}", file=str(messages_path)) from None
        if not isinstance(messages, dict):
            raise InputError("expected an object of station id -> codes", str(messages_path))
        # A report without a code (null in the file) is still a reported violation.
        rows = [
            (sid, UNCODED if code is None else str(code))
            for sid, station_codes in messages.items()
            for code in sorted(set(station_codes), key=str)
        ]
        if codes and any(code == UNCODED for _, code in rows):
            codes[UNCODED] = "reported without a code"
        violations = pd.DataFrame(rows, columns=["station_id", "code"])
        unknown = sorted(set(violations["code"]) - set(codes)) if codes else []
        if unknown:
            raise InputError(
                f"violation codes {unknown} are not in zubr-violation-codes.csv",
                file=str(messages_path),
            )
    return observers, violations, codes


def _national_totals(path: Path) -> dict[str, float]:
    if not path.exists():
        return {}
    table = read_csv(path, ["line", "value"], key="line")
    values = counts(table, "value", path)
    return dict(zip(table["line"].str.strip(), values.tolist(), strict=True))
