"""Who is who: probabilistic record linkage of list rows with Splink (DuckDB, in memory).

Each record is compared on its linkage features (see :mod:`honestcount.ledger.names`):

========== =====================================================================
surname    exact (with term-frequency adjustment: a common surname proves less),
           same consonant skeleton (Belarusian and Russian forms, vowel typos),
           Jaro-Winkler at 0.92 and 0.80, different
given      exact canonical name (diminutives and transliterations resolved; term
           frequency adjusted), Jaro-Winkler at 0.88, different
patronymic exact, Jaro-Winkler at 0.88, different (often missing)
birth_year exact, within 1 year (ages give the year only to within one), within 3,
           different (often missing)
place      same city, different
source     same list (rarely the same person twice), different lists
========== =====================================================================

Fellegi-Sunter weights are learnt from the data itself (no labelled pairs): u-probabilities
by random sampling, m-probabilities by expectation maximisation on two blockings (given name
and birth year; surname skeleton), and the prior from exact name-and-year agreement. Small
data sets (under :data:`TRAIN_MIN_RECORDS` records) use the bundled model
(``data/aftermath-2020/linkage-model.json``), trained the same way on synthetic lists by
:func:`build_bundled_model`.

Candidate pairs come from four blocking rules (surname skeleton and given name; given name
and birth year; surname and birth year; given name, patronymic and the first letters of the
skeleton), so that a typo or a missing year in one field does not hide a pair.

Linkage runs in an in-memory DuckDB database: decrypted names never touch the disk.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

BUNDLED_MODEL = Path(__file__).parents[1] / "data" / "aftermath-2020" / "linkage-model.json"
TRAIN_MIN_RECORDS = 1_000
FEATURES = [
    "unique_id",
    "source",
    "surname",
    "surname_skel",
    "given",
    "patronymic",
    "birth_year",
    "place",
]

REVIEW_LOW = 0.2  # pairs below this are different people
REVIEW_HIGH = 0.9  # pairs at or above this are the same person; in between: review
BEST = 0.5  # the point estimate merges pairs more likely the same than not


def feature_frame(rows: Iterable[dict]) -> pd.DataFrame:
    """Linkage features as Splink takes them: one row per record, missing values as None."""
    frame = pd.DataFrame(list(rows), columns=FEATURES)
    for col in ("surname", "surname_skel", "given", "patronymic", "place"):
        frame[col] = frame[col].astype(object).where(frame[col].notna() & (frame[col] != ""), None)
    frame["birth_year"] = pd.array(frame["birth_year"], dtype="Int64")
    frame["unique_id"] = frame["unique_id"].astype("int64")
    frame["source"] = frame["source"].astype("int64")
    return frame


def settings():
    """The Splink model specification (untrained)."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    surname = cl.CustomComparison(
        output_column_name="surname",
        comparison_levels=[
            cll.NullLevel("surname"),
            cll.ExactMatchLevel("surname", term_frequency_adjustments=True),
            cll.ExactMatchLevel("surname_skel").configure(label_for_charts="same skeleton"),
            cll.JaroWinklerLevel("surname", 0.92),
            cll.JaroWinklerLevel("surname", 0.80),
            cll.ElseLevel(),
        ],
    )
    given = cl.CustomComparison(
        output_column_name="given",
        comparison_levels=[
            cll.NullLevel("given"),
            cll.ExactMatchLevel("given", term_frequency_adjustments=True),
            cll.JaroWinklerLevel("given", 0.88),
            cll.ElseLevel(),
        ],
    )
    patronymic = cl.CustomComparison(
        output_column_name="patronymic",
        comparison_levels=[
            cll.NullLevel("patronymic"),
            cll.ExactMatchLevel("patronymic"),
            cll.JaroWinklerLevel("patronymic", 0.88),
            cll.ElseLevel(),
        ],
    )
    birth_year = cl.CustomComparison(
        output_column_name="birth_year",
        comparison_levels=[
            cll.NullLevel("birth_year"),
            cll.ExactMatchLevel("birth_year"),
            cll.AbsoluteDifferenceLevel("birth_year", 1),
            cll.AbsoluteDifferenceLevel("birth_year", 3),
            cll.ElseLevel(),
        ],
    )
    place = cl.CustomComparison(
        output_column_name="place",
        comparison_levels=[cll.NullLevel("place"), cll.ExactMatchLevel("place"), cll.ElseLevel()],
    )
    source = cl.CustomComparison(
        output_column_name="source",
        comparison_levels=[cll.ExactMatchLevel("source"), cll.ElseLevel()],
    )
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[surname, given, patronymic, birth_year, place, source],
        blocking_rules_to_generate_predictions=[
            block_on("surname_skel", "given"),
            block_on("given", "birth_year"),
            block_on("surname", "birth_year"),
            block_on("given", "substr(surname, 1, 3)"),
            block_on("given", "substr(surname, -4, 4)"),
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        max_iterations=20,
        em_convergence=0.001,
    )


def _db_api():
    import duckdb
    from splink import DuckDBAPI

    con = duckdb.connect(":memory:")
    con.execute("SET threads TO 2")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    # never spill to disk: the features are decrypted names
    con.execute("SET temp_directory = ''")
    return DuckDBAPI(con)


@dataclass
class Scored:
    """Scored candidate pairs (``id_l < id_r``) and the model that scored them."""

    pairs: pd.DataFrame  # id_l, id_r, probability, weight
    model: dict
    trained: bool


def score(
    frame: pd.DataFrame,
    *,
    train: bool | None = None,
    model: dict | None = None,
    threshold: float = 0.01,
    seed: int = 42,
) -> Scored:
    """Score every candidate pair of records in ``frame`` (see :func:`feature_frame`).

    ``train`` None trains when there are :data:`TRAIN_MIN_RECORDS` records or more and uses
    ``model`` (default: the bundled model) otherwise.
    """
    from splink import Linker, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    if len(frame) < 2:
        return Scored(
            pd.DataFrame(columns=["id_l", "id_r", "probability", "weight"]), model or {}, False
        )
    if train is None:
        train = len(frame) >= TRAIN_MIN_RECORDS
    db = _db_api()
    table = db.register(frame, dataset_display_name="records")
    linker = None
    if train:
        try:
            linker = Linker(table, settings(), log_level=None)
            _estimate_prior(linker)
            linker.training.estimate_u_using_random_sampling(max_pairs=3e6, seed=seed)
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on("given", "birth_year"), estimate_without_term_frequencies=True
            )
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on("surname_skel"), estimate_without_term_frequencies=True
            )
            # no level may be taken as impossible for a true pair: an m of 0 learnt from
            # clean or small data would veto a real match on one disagreeing field
            model = regularise(linker.misc.save_model_to_json())
            linker = Linker(table, model, log_level=None)
        except Exception as err:  # too little data to train on: fall back to the bundled model
            logging.getLogger(__name__).warning(
                "linkage training failed (%s); bundled model used", err
            )
            linker, train, model = None, False, None
    if linker is None:
        if model is None:
            model = json.loads(BUNDLED_MODEL.read_text())
        linker = Linker(table, model, log_level=None)
        # the prior depends on how many records there are: re-estimate it on this data
        _estimate_prior(linker)
    predictions = linker.inference.predict(
        threshold_match_probability=threshold, warning_mode="never"
    )
    pairs = predictions.as_pandas_dataframe()
    trained_model = linker.misc.save_model_to_json()
    out = pd.DataFrame(
        {
            "id_l": pairs["unique_id_l"].astype("int64"),
            "id_r": pairs["unique_id_r"].astype("int64"),
            "probability": pairs["match_probability"].astype(float),
            "weight": pairs["match_weight"].astype(float),
        }
    )
    swap = out["id_l"] > out["id_r"]
    out.loc[swap, ["id_l", "id_r"]] = out.loc[swap, ["id_r", "id_l"]].to_numpy()
    out = out.drop_duplicates(["id_l", "id_r"]).sort_values(["id_l", "id_r"], ignore_index=True)
    return Scored(out, trained_model, bool(train))


def regularise(model: dict, floor_m: float = 0.005, floor_u: float = 1e-6) -> dict:
    """The model with every m probability at least ``floor_m`` and every u at least
    ``floor_u`` (then renormalised), so that no single disagreeing field can make a true pair
    impossible on its own."""
    model = json.loads(json.dumps(model))
    model.pop("linker_uid", None)
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for key, floor in (("m_probability", floor_m), ("u_probability", floor_u)):
            values = [lv.get(key) for lv in levels]
            if any(v is None for v in values):
                continue
            raised = [max(v, floor) for v in values]
            total = sum(raised)
            for lv, v in zip(levels, raised, strict=True):
                lv[key] = v / total
    return model


def _estimate_prior(linker) -> None:
    """The probability that two random records are the same person, from pairs that agree
    on surname, given name and year (taken to find 60% of true pairs)."""
    from splink import block_on

    # no pair may agree at all (tiny data): then the model's prior stays
    with contextlib.suppress(Exception):
        linker.training.estimate_probability_two_random_records_match(
            [block_on("surname", "given", "birth_year")], recall=0.6
        )


def clusters(
    ids: np.ndarray | pd.Series,
    pairs: pd.DataFrame,
    threshold: float,
    *,
    sources: pd.Series | None = None,
    confirmed: pd.DataFrame | None = None,
    rejected: pd.DataFrame | None = None,
    duplicate: float = REVIEW_HIGH,
) -> pd.Series:
    """Group records into people: record id -> cluster number.

    Links are taken strongest first (reviewers' ``confirmed`` pairs before all others; their
    ``rejected`` pairs never), down to ``threshold``. With ``sources`` (record id -> list),
    a link that would put two records of one list into one person is refused, because a list
    names a person once: this is what keeps two namesakes apart when one of them has no birth
    year. The exception is a direct pair of records from the same list scored at
    ``duplicate`` or above: the same person entered twice. Records of a rejected pair never
    end up in one person, even through other records.
    """
    ids = np.asarray(ids, dtype="int64")
    index = pd.Index(ids)
    edges = pairs.loc[pairs["probability"] >= threshold, ["id_l", "id_r", "probability"]]
    # a rejected pair is never in one person, directly or through others
    apart: dict[int, set[int]] = {}
    if rejected is not None and len(rejected):
        drop = pd.MultiIndex.from_frame(rejected[["id_l", "id_r"]])
        edges = edges[~pd.MultiIndex.from_frame(edges[["id_l", "id_r"]]).isin(drop)]
        for a, b in zip(
            index.get_indexer(rejected["id_l"]), index.get_indexer(rejected["id_r"]), strict=True
        ):
            if a >= 0 and b >= 0:
                apart.setdefault(int(a), set()).add(int(b))
                apart.setdefault(int(b), set()).add(int(a))
    edges = edges.sort_values("probability", ascending=False, kind="stable")
    if confirmed is not None and len(confirmed):
        forced = confirmed[["id_l", "id_r"]].assign(probability=2.0)
        edges = pd.concat([forced, edges], ignore_index=True)
    left = index.get_indexer(edges["id_l"].to_numpy())
    right = index.get_indexer(edges["id_r"].to_numpy())
    prob = edges["probability"].to_numpy()
    parent = np.arange(len(ids))
    src = None if sources is None else sources.reindex(ids).to_numpy()
    members: list[set] | None = None if src is None else [{v} for v in src]
    # for records in rejected pairs: which of them each cluster holds, and which it must not
    holds = {i: {i} for i in apart}
    refuses = {i: set(partners) for i, partners in apart.items()}

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for a, b, p in zip(left.tolist(), right.tolist(), prob.tolist(), strict=True):
        if a < 0 or b < 0:
            continue
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        shared = members is not None and p <= 1.0 and members[ra] & members[rb]
        if shared and not (src[a] == src[b] and p >= duplicate):
            continue
        if refuses and (
            refuses.get(ra, set()) & holds.get(rb, set())
            or refuses.get(rb, set()) & holds.get(ra, set())
        ):
            continue
        if members is not None:
            if len(members[ra]) < len(members[rb]):
                ra, rb = rb, ra
            members[ra] |= members[rb]
            members[rb] = set()
        parent[rb] = ra
        if rb in holds or rb in refuses:
            holds.setdefault(ra, set()).update(holds.pop(rb, set()))
            refuses.setdefault(ra, set()).update(refuses.pop(rb, set()))
    roots = np.array([find(i) for i in range(len(ids))])
    _, labels = np.unique(roots, return_inverse=True)
    return pd.Series(labels, index=ids, name="cluster")


def clusterings(
    ids, pairs: pd.DataFrame, *, sources: pd.Series | None = None, low: float = REVIEW_LOW,
    high: float = REVIEW_HIGH, best: float = BEST, confirmed=None, rejected=None,
) -> dict[str, pd.Series]:  # fmt: skip
    """The three readings of the linkage that every count is given under:

    * ``low``: every pair that might be the same person (from ``low`` up) is merged, with no
      one-per-list rule: the fewest people the lists can describe;
    * ``best``: pairs more likely the same than not are merged;
    * ``high``: only pairs at ``high`` or above (and confirmed ones) are merged, uncertain
      pairs kept apart: the most people.

    Links are taken strongest first, so each reading merges everything the next stricter one
    does (``low`` <= ``best`` <= ``high`` people), and the true number of people lies in the
    range unless linkage missed a pair entirely.
    """
    return {
        name: clusters(
            ids,
            pairs,
            t,
            sources=None if name == "low" else sources,
            confirmed=confirmed,
            rejected=rejected,
            duplicate=high,
        )
        for name, t in (("low", low), ("best", best), ("high", high))
    }


def pairwise_quality(labels: pd.Series, truth: pd.Series) -> dict[str, float]:
    """Pairwise precision and recall of a clustering against true identities (both indexed
    by record id): a pair counts when both records are put in one cluster."""
    frame = pd.DataFrame({"c": labels, "t": truth.reindex(labels.index)})

    def pairs_within(keys: list[str]) -> int:
        sizes = frame.groupby(keys).size().to_numpy(dtype="int64")
        return int((sizes * (sizes - 1) // 2).sum())

    predicted, actual, both = pairs_within(["c"]), pairs_within(["t"]), pairs_within(["c", "t"])
    precision = both / predicted if predicted else 1.0
    recall = both / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "predicted_pairs": predicted,
        "true_pairs": actual,
        "correct_pairs": both,
    }


def build_bundled_model(
    path: Path = BUNDLED_MODEL, *, records: int = 35_000, seed: int = 2020
) -> dict:
    """Train the model on synthetic lists (a seed the tests and benchmark do not use) and
    write it to ``path``: the model used for data sets too small to train on."""
    import tempfile

    from honestcount.ledger import synth
    from honestcount.ledger.commands import SYNTH_IMPORT
    from honestcount.ledger.importer import parse_list

    data = synth.synthesize(records, 10, seed=seed)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = synth.write(data, Path(tmp))
        for source, (name, file) in enumerate(paths.items()):
            parsed = parse_list(
                file, kind=SYNTH_IMPORT[name][1], list_date=synth.LISTS[name].list_date
            )
            rows.extend(r.features(source, len(rows) + 1 + i) for i, r in enumerate(parsed.records))
    scored = score(feature_frame(rows), train=True)
    model = regularise(scored.model)
    path.write_text(json.dumps(model, indent=1) + "\n")
    return model
