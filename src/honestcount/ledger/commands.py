"""The ledger's command-line jobs as plain functions returning JSON-ready dicts, wired into
the CLI by :mod:`honestcount.cli.ledger` as ``honestcount ledger ...``:

========================================================  ===================================
``ledger import FILE --source NAME [--kind K ...]``       :func:`ledger_import`
``ledger link [--review-low P --review-high P]``          :func:`ledger_link`
``ledger claims --json``                                  :func:`ledger_claims`
``ledger figures --json [--as-of DATE]``                  :func:`ledger_figures`
``ledger synth --out DIR --seed N [--records N]``         :func:`ledger_synth`
``ledger review --actor WHO``                             :func:`ledger_review`
``ledger decide A B --actor WHO --same/--different``      :func:`ledger_decide`
``ledger search NAME --year Y``                           :func:`ledger_search`
``ledger case PERSON --actor WHO --purpose TEXT``         :func:`ledger_case`
``ledger purge [--older-than DAYS]``                      :func:`ledger_purge`
``ledger keygen``                                         :func:`ledger_keygen`
========================================================  ===================================

Functions that read or write names take the organisation's key from ``HONESTCOUNT_LEDGER_KEY``
(through :func:`honestcount.settings.get_settings`, or a
:class:`~honestcount.ledger.crypto.Vault` passed in); ``claims`` and ``figures`` need no key.
``review``, ``decide``, ``case`` and ``purge`` are written to the access log with their actor.
``db`` is a database URL as everywhere in honestcount (``--db`` / ``HONESTCOUNT_DB``).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from honestcount.ledger import cases, claims, figures, importer, runs, synth
from honestcount.ledger.crypto import Vault, generate_key
from honestcount.ledger.training import SYNTH_IMPORT
from honestcount.store.db import make_engine


def _engine(db: str | Engine | None) -> Engine:
    return db if isinstance(db, Engine) else make_engine(db)


def _vault(vault: Vault | None) -> Vault:
    return vault or Vault.from_env()


def ledger_import(
    file: str | Path,
    source: str,
    *,
    db: str | Engine | None = None,
    vault: Vault | None = None,
    source_kind: str = "volunteer_list",
    kind: str | None = "detained",
    date: dt.date | str | None = None,
    place: str | None = None,
    confidence: str | None = None,
    columns: dict[str, str] | None = None,
    retention_days: int | None = None,
    actor: str = "cli",
) -> dict[str, Any]:
    """``ledger import FILE --source NAME``: one list into the ledger (replacing an earlier
    import under the same source name). ``kind`` is what every row of the list reports
    (detained, released, held, tried, injured...); ``date`` the list's date (for ages and
    dates without a year); ``columns`` maps roles to headers the reader does not know."""
    if isinstance(date, str):
        date = dt.date.fromisoformat(date)
    return importer.import_list(
        _engine(db),
        _vault(vault),
        Path(file),
        source,
        source_kind=source_kind,
        kind=kind,
        list_date=date,
        place=place,
        confidence=confidence,
        columns=columns,
        retention_days=retention_days,
        actor=actor,
    )


def ledger_link(
    *,
    db: str | Engine | None = None,
    vault: Vault | None = None,
    review_low: float = 0.2,
    review_high: float = 0.9,
    train: bool | None = None,
    seed: int = 42,
    actor: str = "cli",
) -> dict[str, Any]:
    """``ledger link``: who is who across all lists (Splink), people assigned, counts."""
    return runs.link(
        _engine(db),
        _vault(vault),
        review_low=review_low,
        review_high=review_high,
        train=train,
        seed=seed,
        actor=actor,
    )


def ledger_claims(
    *, db: str | Engine | None = None, include_bundled: bool = True
) -> dict[str, Any]:
    """``ledger claims --json``: each claim (kind, quantity, source, date, scope) with what
    the cases support and the gap."""
    return claims.claims_report(_engine(db), include_bundled=include_bundled)


def ledger_figures(
    *, db: str | Engine | None = None, as_of: dt.date | str | None = None, min_cell: int = 0
) -> dict[str, Any]:
    """``ledger figures --json``: people detained, held, released, injured, dead, by day,
    place and facility, each as a low/best/high range."""
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    return figures.figures(_engine(db), as_of=as_of, min_cell=min_cell)


def ledger_synth(
    out: str | Path, *, seed: int = 0, records: int = 35_000, lists: int = 10
) -> dict[str, Any]:
    """``ledger synth --out DIR --seed N``: synthetic lists with known identities (CSV and
    XLSX), ``truth.csv`` (list, row, person) and ``manifest.json`` (how to import each)."""
    out = Path(out)
    data = synth.synthesize(records, lists, seed=seed)
    paths = synth.write(data, out)
    manifest = {
        "seed": seed,
        "records": data.records,
        "people": int(data.truth["person"].nunique()),
        "lists": [
            {
                "source": name,
                "file": paths[name].name,
                "rows": len(data.lists[name]),
                "source_kind": SYNTH_IMPORT[name][0],
                "kind": SYNTH_IMPORT[name][1],
                "date": synth.LISTS[name].list_date.isoformat(),
            }
            for name in data.lists
        ],
        "truth": "truth.csv",
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    return {**manifest, "out": str(out)}


def ledger_import_synth(
    directory: str | Path, *, db: str | Engine | None = None, vault: Vault | None = None
) -> dict[str, Any]:
    """Import every list of a ``ledger synth`` directory as its manifest says."""
    directory = Path(directory)
    manifest = json.loads((directory / "manifest.json").read_text())
    engine, vault = _engine(db), _vault(vault)
    done = [
        ledger_import(
            directory / item["file"],
            item["source"],
            db=engine,
            vault=vault,
            source_kind=item["source_kind"],
            kind=item["kind"],
            date=item["date"],
            actor="synth",
        )
        for item in manifest["lists"]
    ]
    return {"imported": [{k: d[k] for k in ("source", "records", "facts")} for d in done]}


def ledger_review(
    *, db: str | Engine | None = None, vault: Vault | None = None, actor: str, limit: int = 50
) -> dict[str, Any]:
    """``ledger review``: the uncertain pairs for a reviewer (names shown; logged)."""
    engine = _engine(db)
    pairs = runs.review_queue(engine, _vault(vault), actor=actor, limit=limit)
    return {"pairs": pairs, "pending": runs.pending_reviews(engine)}


def ledger_decide(
    record_a: int, record_b: int, same: bool, *, db: str | Engine | None = None, actor: str
) -> dict[str, Any]:
    """``ledger decide A B --same|--different``: a reviewer's decision, kept across runs."""
    return runs.decide_pair(_engine(db), record_a, record_b, same, actor=actor)


def ledger_search(
    name: str, year: int | str, *, db: str | Engine | None = None, vault: Vault | None = None,
    actor: str = "relatives-search",
) -> dict[str, Any]:  # fmt: skip
    """``ledger search NAME --year Y``: the relatives' search (found, and where last recorded)."""
    return cases.relatives_search(_engine(db), _vault(vault), name, year, actor=actor)


def ledger_case(
    person: int, *, db: str | Engine | None = None, vault: Vault | None = None, actor: str,
    purpose: str,
) -> dict[str, Any]:  # fmt: skip
    """``ledger case PERSON --purpose TEXT``: one person's full case (logged)."""
    return cases.read_case(_engine(db), _vault(vault), person, actor=actor, purpose=purpose)


def ledger_purge(
    *, db: str | Engine | None = None, older_than_days: int | None = None, actor: str = "cli"
) -> dict[str, Any]:
    """``ledger purge [--older-than DAYS]``: apply the retention rule."""
    return cases.purge(_engine(db), older_than_days=older_than_days, actor=actor)


def ledger_keygen() -> dict[str, Any]:
    """``ledger keygen``: a new organisation key, to keep outside the database."""
    return {"key": generate_key(), "env": "HONESTCOUNT_LEDGER_KEY"}
