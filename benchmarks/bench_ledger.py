"""Ledger benchmark: link 35,000 records from synthetic volunteer lists, through the store.

The lists are generated with known identities (``ledger synth``, or with ``--generator
realistic`` the second generator, :mod:`honestcount.ledger.realistic`), written as CSV and XLSX,
and imported into a fresh database (import is timed apart). Then ``ledger link`` is timed: it
decrypts every record's linkage features, trains the Splink model on them (u by random
sampling, m by expectation maximisation), scores all candidate pairs, stores the links and
assigns people. Quality is *pairwise* precision and recall of the best reading against the
true identities: a pair of records counts when both are put in one person.

    python benchmarks/bench_ledger.py [--records 35000] [--seed 1] [--db URL]
        [--generator synth|realistic]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from honestcount.ledger import commands
from honestcount.ledger.crypto import Vault, generate_key
from honestcount.ledger.linkage import pairwise_quality
from honestcount.ledger.runs import current_clusterings
from honestcount.ledger.validation import write_lists
from honestcount.store import tables as t
from honestcount.store.db import make_engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=35_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--generator", choices=("synth", "realistic"), default="synth")
    args = parser.parse_args()
    vault = Vault.from_key(generate_key())
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        clock = time.perf_counter()
        (tmp / "lists").mkdir()
        write_lists(args.generator, args.seed, args.records, tmp / "lists")
        synth_s = time.perf_counter() - clock
        url = args.db or f"sqlite:///{tmp / 'ledger.db'}"
        engine = make_engine(url)
        clock = time.perf_counter()
        commands.ledger_import_synth(tmp / "lists", db=engine, vault=vault)
        import_s = time.perf_counter() - clock
        clock = time.perf_counter()
        summary = commands.ledger_link(db=engine, vault=vault, train=True)
        link_s = time.perf_counter() - clock

        truth = pd.read_csv(tmp / "lists" / "truth.csv")[["list", "row", "person"]]
        lists = len(json.loads((tmp / "lists" / "manifest.json").read_text())["lists"])
        with engine.connect() as conn:
            rows = conn.execute(
                select(
                    t.ledger_records.c.id, t.ledger_sources.c.name, t.ledger_records.c.row_no
                ).join(t.ledger_sources)
            ).all()
            _, readings = current_clusterings(conn)
        ids = pd.DataFrame(rows, columns=["id", "list", "row"])
        who = ids.merge(truth, on=["list", "row"], how="left").set_index("id")["person"]
        engine.dispose()
        if url.startswith("sqlite"):
            os.remove(tmp / "ledger.db")

    print(f"{len(truth):,} records from {lists} lists, {truth['person'].nunique():,} people "
          f"({args.generator}, seed {args.seed}; generated in {synth_s:.1f} s)")  # fmt: skip
    print(f"import: {import_s:.1f} s   link: {link_s:.1f} s "
          f"(decrypt {summary['seconds']['decrypt']:.1f} s, Splink train and score "
          f"{summary['seconds']['score']:.1f} s)")  # fmt: skip
    print(f"pairs stored: {summary['pairs']:,} ({summary['auto']:,} linked, "
          f"{summary['review']:,} to review)")  # fmt: skip
    print("pairwise quality against the true identities:")
    for name, labels in readings.items():
        q = pairwise_quality(labels, who)
        print(
            f"  {name:>4}: precision {q['precision']:.4f}  recall {q['recall']:.4f}  "
            f"people {labels.nunique():,} (true {who.nunique():,})"
        )
    best = pairwise_quality(readings["best"], who)
    low, high = readings["low"].nunique(), readings["high"].nunique()
    print(f"true number of people inside low..high: {low <= who.nunique() <= high}")
    ok = best["precision"] >= 0.95 and best["recall"] >= 0.90 and link_s < 60
    print(f"target (best reading: precision >= 0.95, recall >= 0.90, link < 60 s): "
          f"{'met' if ok else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()
