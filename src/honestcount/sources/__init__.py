"""Loaders: each reads one kind of source into an :class:`~honestcount.model.ElectionData`."""

from __future__ import annotations

from pathlib import Path

from honestcount.errors import InputError
from honestcount.model import Election, ElectionData
from honestcount.sources.assemble import with_leader

FORMATS = ("belarus-2020", "golos", "ru-cec", "generic")


def read_source(
    fmt: str, path: Path | None, election_id: str | None, leader: str | None = None
) -> ElectionData:
    """Read ``path`` in format ``fmt`` as election ``election_id``; ``leader`` (an option id or
    name) is the option the forensics follow, by default the one with most votes."""
    data = _read(fmt, path, election_id)
    if leader is not None:
        data.election = with_leader(data.election, leader, data.options, str(path or fmt))
    return data


def _read(fmt: str, path: Path | None, election_id: str | None) -> ElectionData:
    from honestcount.sources import generic, golos, ru_cec

    if fmt == "belarus-2020":
        return golos.load_belarus_2020(path)
    if fmt == "generic":
        if path is None:
            raise InputError("the generic format needs a mapping file")
        return generic.load_generic(path, election_id)
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; known formats: {', '.join(FORMATS)}")
    if path is None or not election_id:
        raise InputError(f"format {fmt!r} needs a path and --election ID")
    if fmt == "golos":
        election = Election(
            election_id,
            election_id,
            "",
            protocol_schema="golos",
            source=f"Golos layout folder {Path(path).name}",
        )
        return golos.load_golos(path, election)
    election = Election(
        election_id,
        election_id,
        "RU",
        protocol_schema="ru-cec",
        source=f"Central Election Commission tables, {Path(path).name}",
    )
    return ru_cec.load_ru_cec(path, election)
