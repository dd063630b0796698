"""Validation of linkage against lists with known identities, from either generator.

``validate("realistic", seed, records)`` writes a set of lists with
:mod:`~honestcount.ledger.realistic` (or ``"synth"``: :mod:`~honestcount.ledger.synth`), reads
them with the same reader as ``ledger import``, links them as ``ledger link`` does (in memory,
no database) and measures pairwise precision and recall under each reading, the number of
people against the truth, whether the truth lies in low..high, and recall by kind of pair.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
from itertools import combinations
from pathlib import Path
from typing import Any

import pandas as pd

from honestcount.ledger import linkage, realistic, synth
from honestcount.ledger.importer import parse_list
from honestcount.ledger.training import SYNTH_IMPORT

_LATIN = {"passport_be", "icao", "press", "lacinka"}


# a harsher mix than any seed draws: every error rate at or above its drawn range, and more
# namesakes (a steeper Zipf law of surnames)
HARSH = {
    "rates": realistic.Rates(typo=0.15, lookalike=0.08, diminutive=0.25, yo_lost=0.9,
                             year_off=0.08, duplicate=0.06, capitals=0.1),
    "zipf": 0.8,
}  # fmt: skip


def write_lists(generator: str, seed: int, records: int, out: Path) -> None:
    """Lists, ``truth.csv`` and ``manifest.json`` in ``out``. Generators: ``synth``,
    ``realistic`` (its mix drawn from the seed) and ``realistic-harsh`` (:data:`HARSH`)."""
    if generator.startswith("realistic"):
        mix: dict[str, Any] = HARSH if generator == "realistic-harsh" else {}
        realistic.write(realistic.generate(records, seed, **mix), out)
        return
    data = synth.synthesize(records, 10, seed=seed)
    paths = synth.write(data, out)
    lists = [
        {"source": name, "file": path.name, "source_kind": SYNTH_IMPORT[name][0],
         "kind": SYNTH_IMPORT[name][1], "date": synth.LISTS[name].list_date.isoformat()}
        for name, path in paths.items()
    ]  # fmt: skip
    (out / "manifest.json").write_text(json.dumps({"lists": lists}))


def read_lists(directory: Path) -> tuple[pd.DataFrame, pd.DataFrame, list[dict[str, Any]]]:
    """Linkage features, the truth and tags of each record (by ``unique_id``), and each
    list's read report."""
    manifest = json.loads((directory / "manifest.json").read_text())
    truth = pd.read_csv(directory / "truth.csv")
    rows: list[dict[str, Any]] = []
    keys: list[tuple[str, int]] = []
    reports = []
    for source, item in enumerate(manifest["lists"]):
        parsed = parse_list(
            directory / item["file"],
            kind=item["kind"],
            list_date=dt.date.fromisoformat(item["date"]),
        )
        reports.append({"list": item["source"], **parsed.report()})
        for rec in parsed.records:
            rows.append(rec.features(source, len(rows) + 1))
            keys.append((item["source"], rec.row_no))
    frame = linkage.feature_frame(rows)
    ids = pd.DataFrame(keys, columns=["list", "row"]).assign(unique_id=frame["unique_id"])
    tags = ids.merge(truth, on=["list", "row"], how="left").set_index("unique_id")
    return frame, tags, reports


def pair_kinds(a: pd.Series, b: pd.Series) -> list[str]:
    """The kinds a true pair of records belongs to (a pair may be of several kinds)."""
    kinds = ["all"]
    if "script" not in a.index:
        return kinds + (["same list"] if a["list"] == b["list"] else [])
    scripts = {a["script"], b["script"]}
    if scripts == {"ru", "be"}:
        kinds.append("Russian vs Belarusian Cyrillic")
    if len(scripts & _LATIN) == 1 and scripts - _LATIN:
        kinds.append("Latin vs Cyrillic")
    if "lacinka" in scripts:
        kinds.append("łacinka")
    if a["dim"] or b["dim"]:
        kinds.append("diminutive")
    if a["typo"] or b["typo"]:
        kinds.append("typo")
    if a["ocr"] or b["ocr"]:
        kinds.append("look-alike letters")
    if bool(a["has_year"]) != bool(b["has_year"]):
        kinds.append("birth year in one record only")
    if a["initials"] or b["initials"]:
        kinds.append("initials only")
    if a["list"] == b["list"]:
        kinds.append("same list")
    if a["detention"] != b["detention"]:
        kinds.append("re-detention")
    return kinds


def recall_by_kind(labels: pd.Series, tags: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Share of true pairs of each kind that the clustering ``labels`` puts in one person."""
    found: dict[str, list[int]] = {}
    cluster = labels.to_dict()
    for _, group in tags.groupby("person"):
        if len(group) < 2:
            continue
        for (ia, a), (ib, b) in combinations(group.iterrows(), 2):
            same = int(cluster[ia] == cluster[ib])
            for kind in pair_kinds(a, b):
                found.setdefault(kind, []).append(same)
    return {
        k: {"pairs": len(v), "recall": round(sum(v) / len(v), 4)} for k, v in sorted(found.items())
    }


def false_merges(labels: pd.Series, tags: pd.DataFrame) -> dict[str, int]:
    """Pairs put in one person that are two people, and how many of them are namesakes."""
    frame = pd.DataFrame({"c": labels, "t": tags["person"].reindex(labels.index)})
    if "name_key" in tags:
        frame["n"] = tags["name_key"].reindex(labels.index)
    false, namesakes = 0, 0
    for _, group in frame.groupby("c"):
        if group["t"].nunique() < 2:
            continue
        for (_, a), (_, b) in combinations(group.iterrows(), 2):
            if a["t"] != b["t"]:
                false += 1
                namesakes += int("n" in group and a["n"] == b["n"])
    return {"false_pairs": false, "namesake_pairs": namesakes}


def readings(frame: pd.DataFrame, pairs: pd.DataFrame) -> dict[str, pd.Series]:
    """The three readings, as ``ledger link`` makes them (conflicts included)."""
    by_id = frame.set_index("unique_id")
    apart = linkage.conflicts(frame["unique_id"], by_id["birth_year"], by_id["given"], pairs)
    return linkage.clusterings(frame["unique_id"], pairs, sources=by_id["source"], apart=apart)


def validate(
    generator: str, seed: int, records: int, *, directory: Path | None = None
) -> dict[str, Any]:
    """Generate, read and link one validation set; the figures (see the module's doc)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = directory or Path(tmp)
        write_lists(generator, seed, records, out)
        clock = time.perf_counter()
        frame, tags, reports = read_lists(out)
        read_s = time.perf_counter() - clock
    clock = time.perf_counter()
    scored = linkage.score(frame, train=True, threshold=linkage.REVIEW_FLOOR)
    found = readings(frame, scored.pairs)
    link_s = time.perf_counter() - clock
    who = tags["person"]
    true_people = int(who.nunique())
    result: dict[str, Any] = {
        "generator": generator,
        "seed": seed,
        "records": len(frame),
        "rows_written": int(len(tags)),
        "people": true_people,
        "seconds": {"read": round(read_s, 1), "link": round(link_s, 1)},
        "model": scored.used(),
        "readings": {},
        "lists": reports,
    }
    for name, labels in found.items():
        q = linkage.pairwise_quality(labels, who)
        count = int(labels.nunique())
        result["readings"][name] = {
            "precision": round(q["precision"], 4),
            "recall": round(q["recall"], 4),
            "people": count,
            "people_error": round(count / true_people - 1, 4),
        }
    low, high = result["readings"]["low"]["people"], result["readings"]["high"]["people"]
    result["truth_in_range"] = low <= true_people <= high
    if "name_key" in tags:
        # how many people share their surname and given name with someone else in the set
        names = tags.drop_duplicates("person")["name_key"].value_counts()
        result["namesake_share"] = round(float(names[names > 1].sum() / true_people), 3)
    result["recall_by_kind"] = recall_by_kind(found["best"], tags)
    result["false_merges"] = false_merges(found["best"], tags)
    return result


def scale(records: int, seed: int = 11) -> dict[str, Any]:
    """Time each step of linking ``records`` realistic rows in memory (generate, read, train
    and score, cluster) and the quality of each reading, without the per-kind tally."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        clock = time.perf_counter()
        write_lists("realistic", seed, records, out)
        seconds = {"generate": time.perf_counter() - clock}
        clock = time.perf_counter()
        frame, tags, _ = read_lists(out)
        seconds["read"] = time.perf_counter() - clock
    clock = time.perf_counter()
    scored = linkage.score(frame, train=True, threshold=linkage.REVIEW_FLOOR)
    seconds["train_and_score"] = time.perf_counter() - clock
    clock = time.perf_counter()
    found = readings(frame, scored.pairs)
    seconds["cluster"] = time.perf_counter() - clock
    who = tags["person"]
    result: dict[str, Any] = {
        "records": len(frame),
        "people": int(who.nunique()),
        "pairs": len(scored.pairs),
        "seconds": {k: round(v, 1) for k, v in seconds.items()},
    }
    for name, labels in found.items():
        q = linkage.pairwise_quality(labels, who)
        result[name] = {
            "precision": round(q["precision"], 4),
            "recall": round(q["recall"], 4),
            "people": int(labels.nunique()),
        }
    return result
