"""Who is who: probabilistic record linkage of list rows with Splink (DuckDB, in memory).

Each record is compared on its linkage features (see :mod:`honestcount.ledger.names`):

============ =====================================================================
surname      exact, same consonant skeleton (the phonetic key Belarusian, Russian and
             Latin forms share; both with term-frequency adjustment: a common surname
             proves less), one letter typed wrong, skeleton within one letter,
             Jaro-Winkler at 0.92 and 0.80
given        exact canonical name (equivalent forms and diminutives are one name; term
             frequency adjusted), Jaro-Winkler at 0.88, initial agrees (initials only;
             the initial of any form of the name: К. for Екатерина, via Кацярына, Катя)
patronymic   the father's canonical name, exact, Jaro-Winkler at 0.88 (often missing)
birth_year   exact, within 1 year (ages give the year only to within one), within 3
place        same city
detained_day same day, within two days (two namesakes detained on different days)
source       same list (rarely the same person twice), different lists
============ =====================================================================

Fellegi-Sunter weights are learnt from the data itself (no labelled pairs): u-probabilities
by random sampling, m-probabilities by expectation maximisation on two blockings (given name
and birth year; surname skeleton), and the prior by self-consistency with the model's own
predictions (:func:`_calibrated`). Term frequencies are those of other people's records
(:func:`people_frequencies`). Small data sets (under :data:`TRAIN_MIN_RECORDS` records)
use the bundled model (``data/aftermath-2020/linkage-model.json``), trained the same way on
synthetic lists by :func:`honestcount.ledger.training.build_bundled_model`.

Candidate pairs come from the rules in :data:`BLOCKING`, each leaving out a field that a
typo, a transliteration or a missing value may break, so that no plausible pair goes
uncompared.

People are the groups of linked records (:func:`clusters`, :func:`clusterings`), with the
one-per-list rule and the pairs that cannot be one person (:func:`conflicts`) kept apart.

Linkage runs in an in-memory DuckDB database: decrypted names never touch the disk
(:func:`spark_api` gives Spark's backend for data beyond one machine).
"""

from __future__ import annotations

import contextlib
import json
import logging
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from honestcount.ledger.names import GIVEN_NAMES, given_initials

BUNDLED_MODEL = Path(__file__).parents[1] / "data" / "aftermath-2020" / "linkage-model.json"
TRAIN_MIN_RECORDS = 1_000
FEATURES = [
    "unique_id",
    "source",
    "surname",
    "surname_skel",
    "given",
    "given_initial",
    "patronymic",
    "birth_year",
    "place",
    "detained_day",
]

REVIEW_LOW = 0.2  # pairs below this are different people
REVIEW_FLOOR = 0.2  # pairs scored below this are not kept at all
REVIEW_HIGH = 0.9  # pairs at or above this are the same person; in between: review
BEST = 0.5  # the point estimate merges pairs more likely the same than not
# birth years further apart than this are two people: ages give a year to within one, and
# a list's year may be off by one more
YEARS_APART = 2


def feature_frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Linkage features as Splink takes them: one row per record, missing values as None."""
    frame = pd.DataFrame(list(rows), columns=FEATURES)
    for col in ("surname", "surname_skel", "given", "given_initial", "patronymic", "place"):
        frame[col] = frame[col].astype(object).where(frame[col].notna() & (frame[col] != ""), None)
    frame["birth_year"] = frame["birth_year"].astype("Int64")
    frame["detained_day"] = frame["detained_day"].astype("Int64")
    frame["unique_id"] = frame["unique_id"].astype("int64")
    frame["source"] = frame["source"].astype("int64")
    # the letters an initial of each record's given name may be written with (Катя: К)
    frame["given_initials"] = [given_initials(g) if g else None for g in frame["given"]]
    # for the blocking rules of :data:`INITIALS`: the skeleton of records with initials only,
    # and the other letters a full given name's initial may be written with
    frame["initials_skel"] = frame["surname_skel"].where(frame["given"].isna(), None)
    other = [
        sorted(set(letters) - {own}) if isinstance(letters, str) else []
        for letters, own in zip(frame["given_initials"], frame["given_initial"], strict=True)
    ]
    for k in (0, 1):
        frame[f"initial_alt{k + 1}"] = [o[k] if len(o) > k else None for o in other]
    return frame


# Candidate pairs: a pair is compared when any rule holds. Each rule keeps one field that a
# typo, a transliteration or a missing value may break out of it, so that no plausible pair
# depends on one field being written alike.
BLOCKING = [
    ("surname_skel", "given"),
    ("given", "birth_year"),
    ("surname", "birth_year"),
    ("surname_skel", "birth_year"),
    ("given", "substr(surname, 1, 3)"),
    ("given", "substr(surname, -4, 4)"),
    ("surname", "given_initial"),
    ("surname_skel", "given_initial"),
    # a typo in the surname's consonants, with only an initial to go on
    ("given_initial", "birth_year", "substr(surname_skel, 1, 3)"),
    ("given_initial", "birth_year", "substr(surname_skel, -3, 3)"),
]
# a record with initials only (court schedules) whose initial is that of another form of the
# name (Ж. for Евгений, via Женя), often without a birth year: no rule above need hold. Each
# way, and for each of two other letters: equalities only, so that the database joins on them
INITIALS = [
    f'l."initials_skel" = r."surname_skel" AND l."given_initial" = r."initial_alt{k}"'
    if left else f'l."surname_skel" = r."initials_skel" AND l."initial_alt{k}" = r."given_initial"'
    for k in (1, 2) for left in (True, False)
]  # fmt: skip


def settings() -> Any:
    """The Splink model specification (untrained)."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on
    from splink.blocking_rule_library import CustomRule

    surname = cl.CustomComparison(
        output_column_name="surname",
        comparison_levels=[
            cll.NullLevel("surname"),
            cll.ExactMatchLevel("surname", term_frequency_adjustments=True),
            cll.ExactMatchLevel("surname_skel", term_frequency_adjustments=True).configure(
                label_for_charts="same skeleton"
            ),
            # one typed or misheard letter (a transposition counts as one)
            cll.DamerauLevenshteinLevel("surname", 1),
            cll.LevenshteinLevel("surname_skel", 1).configure(
                label_for_charts="skeleton within one letter"
            ),
            cll.JaroWinklerLevel("surname", 0.92),
            cll.JaroWinklerLevel("surname", 0.80),
            cll.ElseLevel(),
        ],
    )
    given = cl.CustomComparison(
        output_column_name="given",
        comparison_levels=[
            # nothing to compare: no given name, not even an initial, on one side
            cll.CustomLevel("given_initial_l IS NULL OR given_initial_r IS NULL").configure(
                is_null_level=True
            ),
            # given names are canonical: equivalent forms and diminutives are equal here
            cll.ExactMatchLevel("given", term_frequency_adjustments=True),
            cll.JaroWinklerLevel("given", 0.88),
            # an initial only ("Иванов И.И.") that agrees with the other's name or initial;
            # an initial may come from any form of the name (К. for Кацярына or Катя)
            cll.CustomLevel(
                "(given_l IS NULL OR given_r IS NULL) AND (given_initial_l = given_initial_r"
                " OR instr(given_initials_l, given_initial_r) > 0"
                " OR instr(given_initials_r, given_initial_l) > 0)"
            ).configure(label_for_charts="initial agrees"),
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
    detained = cl.CustomComparison(
        output_column_name="detained_day",
        comparison_levels=[
            cll.NullLevel("detained_day"),
            cll.ExactMatchLevel("detained_day"),
            cll.AbsoluteDifferenceLevel("detained_day", 2),
            cll.ElseLevel(),
        ],
    )
    source = cl.CustomComparison(
        output_column_name="source",
        comparison_levels=[cll.ExactMatchLevel("source"), cll.ElseLevel()],
    )
    # the raw rules are DuckDB's SQL: Splink rewrites them for another backend (on Spark a
    # double-quoted name is a string)
    blocking: list[Any] = [block_on(*rule) for rule in BLOCKING] + [
        CustomRule(rule, sql_dialect="duckdb") for rule in INITIALS
    ]
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[surname, given, patronymic, birth_year, place, detained, source],
        blocking_rules_to_generate_predictions=blocking,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        max_iterations=20,
        em_convergence=0.001,
    )


def _db_api() -> Any:
    import duckdb
    from splink import DuckDBAPI

    con = duckdb.connect(":memory:")
    con.execute("SET threads TO 2")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    # never spill to disk: the features are decrypted names
    con.execute("SET temp_directory = ''")
    return DuckDBAPI(con)


def spark_api(spark: Any | None = None) -> Any:
    """Splink's Spark backend (``pip install pyspark``), with the similarity functions
    registered. Decrypted names then live in Spark's memory and may spill to its local
    directories: point ``spark.local.dir`` at encrypted storage, or keep to DuckDB."""
    from pyspark.sql import SparkSession
    from splink import SparkAPI
    from splink.backends.spark import similarity_jar_location

    if spark is None:
        spark = (
            SparkSession.builder.master("local[2]")
            .config("spark.jars", similarity_jar_location())
            .config("spark.sql.shuffle.partitions", "8")
            .getOrCreate()
        )
        # Splink checkpoints intermediate tables: they hold decrypted features on disk
        spark.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="honestcount-spark-"))
    return SparkAPI(spark_session=spark)


@dataclass
class Scored:
    """Scored candidate pairs (``id_l < id_r``) and the model that scored them."""

    pairs: pd.DataFrame  # id_l, id_r, probability, weight
    model: dict[str, Any]
    trained: bool
    # why the trained model was doubted (then each pair has the higher probability of it and
    # the bundled model's); None when it was not, or not trained
    doubt: str | None = None

    def used(self) -> dict[str, str]:
        """Which model scored the pairs, and why: ``trained``, ``bundled`` or
        ``trained+bundled`` (the trained model was implausible: each pair took the higher of
        the two models' probabilities)."""
        if self.doubt is not None:
            return {"used": "trained+bundled", "why": self.doubt}
        if self.trained:
            return {"used": "trained", "why": "trained on this data"}
        return {"used": "bundled", "why": "too few records to train on, or training failed"}


def score(
    frame: pd.DataFrame,
    *,
    train: bool | None = None,
    model: dict[str, Any] | None = None,
    threshold: float = 0.01,
    seed: int = 42,
    db_api: Any | None = None,
) -> Scored:
    """Score every candidate pair of records in ``frame`` (see :func:`feature_frame`).

    ``train`` None trains when there are :data:`TRAIN_MIN_RECORDS` records or more and uses
    ``model`` (default: the bundled model) otherwise. ``db_api`` is the Splink backend: by
    default an in-memory DuckDB database that never spills to disk; :func:`spark_api` gives
    Spark's, for data beyond one machine (see docs/ledger.md, "Scale").
    """
    logging.getLogger("splink").setLevel(logging.ERROR)
    if len(frame) < 2:
        return Scored(
            pd.DataFrame(columns=["id_l", "id_r", "probability", "weight"]), model or {}, False
        )
    if train is None:
        train = len(frame) >= TRAIN_MIN_RECORDS
    db = db_api if db_api is not None else _db_api()
    table = db.register(frame, dataset_display_name="records")
    tf = {col: db.register(lookup) for col, lookup in people_frequencies(frame).items()}
    doubt = None
    if train:
        model = _trained(table, seed)
        train = model is not None
        doubt = implausible(model) if model is not None else None
    if model is None:
        model = json.loads(BUNDLED_MODEL.read_text())
    # the prior depends on how many records there are: (re-)estimate it on this data
    found, model = _calibrated(table, model, len(frame), tf)
    if doubt is not None:
        logging.getLogger(__name__).warning(
            "trained linkage model implausible (%s); each pair scored by it and by the bundled"
            " model, the higher probability kept",
            doubt,
        )
        other, _ = _calibrated(table, json.loads(BUNDLED_MODEL.read_text()), len(frame), tf)
        found = pd.concat([found, other], ignore_index=True).sort_values("probability")
        found = found.drop_duplicates(["unique_id_l", "unique_id_r"], keep="last")
    found = found[found["probability"] >= threshold]
    out = pd.DataFrame(
        {
            "id_l": found["unique_id_l"].astype("int64"),
            "id_r": found["unique_id_r"].astype("int64"),
            "probability": found["probability"].astype(float),
            "weight": found["weight"].astype(float),
        }
    )
    swap = out["id_l"] > out["id_r"]
    out.loc[swap, ["id_l", "id_r"]] = out.loc[swap, ["id_r", "id_l"]].to_numpy()
    out = out.drop_duplicates(["id_l", "id_r"]).sort_values(["id_l", "id_r"], ignore_index=True)
    return Scored(out, model, bool(train), doubt)


# an honest list rarely writes one person's surname or given name beyond all likeness
# (a married name, two fields swapped): the bundled model puts it under 1% of true pairs.
# A trained model that puts a quarter there has learnt some other class (people of one city
# and year), not "the same person".
IMPLAUSIBLE_DISAGREEMENT = 0.25


def implausible(model: dict[str, Any]) -> str | None:
    """Why a trained model cannot be describing one person's records (None when it can): the
    m-probability of the surname or the given name disagreeing beyond every similarity level
    above :data:`IMPLAUSIBLE_DISAGREEMENT`."""
    reasons = []
    for comparison in model["comparisons"]:
        if comparison["output_column_name"] not in ("surname", "given"):
            continue
        last = comparison["comparison_levels"][-1]
        m = last.get("m_probability")
        if m is not None and m > IMPLAUSIBLE_DISAGREEMENT:
            reasons.append(
                f"{comparison['output_column_name']} disagrees in {m:.0%} of true pairs"
                f" (at most {IMPLAUSIBLE_DISAGREEMENT:.0%} is plausible)"
            )
    return "; ".join(reasons) or None


def _trained(table: Any, seed: int) -> dict[str, Any] | None:
    """The model trained on ``table``, or None when there is too little data to train on."""
    from splink import Linker, block_on

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
        return regularise(linker.misc.save_model_to_json())
    except Exception as err:  # too little data to train on: fall back to the bundled model
        logging.getLogger(__name__).warning("linkage training failed (%s); bundled model used", err)
        return None


def regularise(
    model: dict[str, Any], floor_m: float = 0.005, floor_u: float = 1e-6
) -> dict[str, Any]:
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


# the other name part whose distinct values with a value tell roughly how many people have it
_TF_PARTNER = {"surname": "given_initial", "surname_skel": "given_initial", "given": "surname_skel"}


def people_frequencies(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Term-frequency tables (``col``, ``tf_col``) of the columns whose levels are
    frequency adjusted: the share of *other people's* records that have the value.

    Splink's own table is the share of all records, which counts the person's own records
    too: the surname of one person on eight lists looks eight times as common as it is, and
    its matches weak. A value held by ``k`` people (estimated as its distinct partner values:
    a surname's distinct given-name initials) in ``c`` records leaves about ``c (1 - 1/k)``
    records of others, and at least one."""
    tables = {}
    for col, partner in _TF_PARTNER.items():
        present = frame[[col, partner]].dropna(subset=[col])
        if present.empty:
            continue
        records = present[col].value_counts()
        people = present.drop_duplicates()[col].value_counts().reindex(records.index)
        others = (records * (1 - 1 / people)).clip(lower=1.0)
        tables[col] = pd.DataFrame(
            {col: records.index, f"tf_{col}": (others / len(present)).to_numpy()}
        )
    return tables


def _with_frequencies(linker: Any, tf: dict[str, Any]) -> Any:
    for col, lookup in tf.items():
        linker.table_management.register_term_frequency_lookup(lookup, col)
    return linker


def _calibrated(
    table: Any, model: dict[str, Any], records: int, tf: dict[str, Any]
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Candidate pairs scored with a prior (the probability that two random records are one
    person) that agrees with the model's own predictions, and the model with that prior.

    The prior is set to the expected number of matching pairs (the sum of match
    probabilities of the pairs above 0.0001) over all pairs, and again, until it settles.
    The usual estimate from exact agreement on name and year assumes what share of true
    pairs agree so; on messy lists far fewer do, and the prior came out 3 to 4 times too
    low, which pushed true pairs without a birth year below the review threshold. The pairs
    are scored once: the prior only shifts every pair's log-odds by the same amount."""
    from splink import Linker

    total = records * (records - 1) / 2
    model = in_dialect(table, json.loads(json.dumps(model)))
    prior = model["probability_two_random_records_match"]
    linker = _with_frequencies(Linker(table, model, log_level=None), tf)
    found = linker.inference.predict(threshold_match_probability=1e-6, warning_mode="never")
    found = found.as_pandas_dataframe()[["unique_id_l", "unique_id_r", "match_weight"]]
    evidence = found["match_weight"].to_numpy(dtype=float) - np.log2(prior / (1 - prior))
    for _ in range(100):
        probability = 1 / (1 + np.exp2(-(evidence + np.log2(prior / (1 - prior)))))
        expected = float(probability[probability >= 1e-4].sum())
        settled = min(max(expected / total, 1e-8), 0.5)
        if abs(settled / prior - 1) < 1e-3:
            break
        prior = settled
    model["probability_two_random_records_match"] = prior
    weight = evidence + np.log2(prior / (1 - prior))
    found = found.assign(weight=weight, probability=1 / (1 + np.exp2(-weight)))
    return found, model


def in_dialect(table: Any, model: dict[str, Any]) -> dict[str, Any]:
    """``model`` with this version's blocking rules, and its SQL in the dialect of the
    backend ``table`` is registered in.

    The candidate pairs are this version's whichever model scores them (the bundled model
    keeps the rules it was trained with). Splink runs a saved model's conditions as they are
    written, and on Spark the bundled model's DuckDB SQL (``"surname_l" = "surname_r"``)
    compares two strings: a model saved on another backend takes its conditions from
    :func:`settings`, whose comparisons and levels it follows one for one."""
    dialect = table.db_api.sql_dialect.sql_dialect_str
    fresh = settings().create_settings_dict(dialect)
    rules = "blocking_rules_to_generate_predictions"
    model[rules] = fresh[rules]
    if (model.get("sql_dialect") or "duckdb") == dialect:
        return model
    model["sql_dialect"] = dialect
    for mine, theirs in zip(model["comparisons"], fresh["comparisons"], strict=True):
        if mine["output_column_name"] != theirs["output_column_name"]:
            raise ValueError(f"{mine['output_column_name']} is not a comparison of settings()")
        for level, new in zip(mine["comparison_levels"], theirs["comparison_levels"], strict=True):
            level["sql_condition"] = new["sql_condition"]
    return model


def _estimate_prior(linker: Any) -> None:
    """The probability that two random records are the same person, from pairs that agree
    on surname, given name and year (taken to find 60% of true pairs)."""
    from splink import block_on

    # no pair may agree at all (tiny data): then the model's prior stays
    with contextlib.suppress(Exception):
        linker.training.estimate_probability_two_random_records_match(
            [block_on("surname", "given", "birth_year")], recall=0.6
        )


class _People:
    """Union-find over records, with the rules of :func:`clusters`."""

    def __init__(
        self,
        size: int,
        src: np.ndarray | None,
        direct: dict[tuple[int, int], float],
        duplicate: float,
        apart: dict[int, set[int]],
    ) -> None:
        self.parent = np.arange(size)
        self.lists: list[dict[Any, list[int]]] | None = (
            None if src is None else [{v: [i]} for i, v in enumerate(src)]
        )
        self.direct, self.duplicate = direct, duplicate
        # for records in rejected pairs: which of them each cluster holds, and must not
        self.holds = {i: {i} for i in apart}
        self.refuses = {i: set(partners) for i, partners in apart.items()}

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = int(self.parent[root])
        while self.parent[x] != root:
            self.parent[x], x = root, int(self.parent[x])
        return root

    def _same_list_ok(self, ra: int, rb: int) -> bool:
        """Two records of one list end up in one person only when their own pair is scored
        as the same person (entered twice, or detained twice)."""
        if self.lists is None:
            return True
        a, b = self.lists[ra], self.lists[rb]
        for source in a.keys() & b.keys():
            for x in a[source]:
                for y in b[source]:
                    if self.direct.get((min(x, y), max(x, y)), 0.0) < self.duplicate:
                        return False
        return True

    def may_join(self, ra: int, rb: int, forced: bool = False) -> bool:
        """Whether the groups with roots ``ra`` and ``rb`` may become one person."""
        if ra == rb or (not forced and not self._same_list_ok(ra, rb)):
            return False
        return not (
            self.refuses.get(ra, set()) & self.holds.get(rb, set())
            or self.refuses.get(rb, set()) & self.holds.get(ra, set())
        )

    def join(self, a: int, b: int, forced: bool) -> bool:
        ra, rb = self.find(a), self.find(b)
        if not self.may_join(ra, rb, forced):
            return False
        if self.lists is not None:
            if sum(map(len, self.lists[ra].values())) < sum(map(len, self.lists[rb].values())):
                ra, rb = rb, ra
            for source, members in self.lists[rb].items():
                self.lists[ra].setdefault(source, []).extend(members)
            self.lists[rb] = {}
        self.parent[rb] = ra
        if rb in self.holds or rb in self.refuses:
            self.holds.setdefault(ra, set()).update(self.holds.pop(rb, set()))
            self.refuses.setdefault(ra, set()).update(self.refuses.pop(rb, set()))
        return True

    def roots(self) -> np.ndarray:
        return np.array([self.find(i) for i in range(len(self.parent))], dtype="int64")

    def attach(self, left: np.ndarray, right: np.ndarray, prob: np.ndarray) -> int:
        """Join each group to the likeliest other when it is more likely than not to be one
        of them: the odds that it is *some* person already found are the sum of the odds of
        each candidate person (a group's odds with a person: its strongest pair with them).

        Pairwise, a record of a name that several people bear (and no birth year) is below
        even odds with each of them, and would count as one more person. One pass over the
        pairs ``left``-``right`` (record positions) with probabilities ``prob`` below one;
        groups that took part in a join wait for the next pass. Returns the joins made."""
        roots = self.roots()
        a, b = roots[left], roots[right]
        differ = a != b
        odds = prob[differ] / (1 - prob[differ])
        frame = pd.DataFrame({"a": a[differ], "b": b[differ], "odds": odds,
                              "x": left[differ], "y": right[differ]})  # fmt: skip
        both = pd.concat([frame, frame.rename(columns={"a": "b", "b": "a", "x": "y", "y": "x"})])
        strongest = both.sort_values("odds", ascending=False, kind="stable")
        strongest = strongest.drop_duplicates(["a", "b"])
        pairs = zip(strongest["a"].tolist(), strongest["b"].tolist(), strict=True)
        strongest = strongest[np.array([self.may_join(i, j) for i, j in pairs], dtype=bool)]
        likeliest = strongest.drop_duplicates("a").set_index("a")
        likeliest = likeliest.assign(total=strongest.groupby("a")["odds"].sum())
        likeliest = likeliest[likeliest["total"] > 1].sort_values("total", ascending=False)
        touched: set[int] = set()
        joins = 0
        for group, other, x, y in zip(
            likeliest.index.tolist(),
            likeliest["b"].tolist(),
            likeliest["x"].tolist(),
            likeliest["y"].tolist(),
            strict=True,
        ):
            if group in touched or other in touched:
                continue
            if self.join(x, y, forced=False):
                touched.update((group, other))
                joins += 1
        return joins


def clusters(
    ids: np.ndarray | pd.Series,
    pairs: pd.DataFrame,
    threshold: float,
    *,
    sources: pd.Series | None = None,
    confirmed: pd.DataFrame | None = None,
    rejected: pd.DataFrame | None = None,
    duplicate: float | None = None,
    attach_from: float | None = None,
) -> pd.Series:
    """Group records into people: record id -> cluster number.

    Links are taken strongest first (reviewers' ``confirmed`` pairs before all others; their
    ``rejected`` pairs never), down to ``threshold``. With ``sources`` (record id -> list),
    two records of one list are put in one person only when their own pair is scored at
    ``duplicate`` (default: ``threshold``) or above: a list names a person once unless it
    names them twice on purpose (detained twice) or by mistake, and this is what keeps two
    namesakes apart when one of them has no birth year. Records of a rejected pair never
    end up in one person, even through other records.

    With ``attach_from``, groups are then joined along the weaker pairs (from
    ``attach_from`` up to ``threshold``) when they are more likely than not to be one of the
    people already found (see :meth:`_People.attach`), until no more join.
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
    src = None if sources is None else sources.reindex(ids).to_numpy()
    direct: dict[tuple[int, int], float] = {}
    if src is not None:
        pl = index.get_indexer(pairs["id_l"].to_numpy())
        pr = index.get_indexer(pairs["id_r"].to_numpy())
        same = (pl >= 0) & (pr >= 0)
        same[same] = src[pl[same]] == src[pr[same]]
        for a, b, p in zip(pl[same], pr[same], pairs["probability"].to_numpy()[same], strict=True):
            direct[(min(int(a), int(b)), max(int(a), int(b)))] = float(p)
        for a, b, p in zip(left.tolist(), right.tolist(), prob.tolist(), strict=True):
            if p > 1.0 and a >= 0 and b >= 0:  # a reviewer's confirmation holds for lists too
                direct[(min(a, b), max(a, b))] = p
    people = _People(len(ids), src, direct, threshold if duplicate is None else duplicate, apart)
    for a, b, p in zip(left.tolist(), right.tolist(), prob.tolist(), strict=True):
        if a >= 0 and b >= 0:
            people.join(a, b, forced=p > 1.0)
    if attach_from is not None:
        weak = pairs[pairs["probability"].between(attach_from, threshold, inclusive="left")]
        wl = index.get_indexer(weak["id_l"].to_numpy())
        wr = index.get_indexer(weak["id_r"].to_numpy())
        known = (wl >= 0) & (wr >= 0)
        while people.attach(wl[known], wr[known], weak["probability"].to_numpy()[known]):
            pass
    _, labels = np.unique(people.roots(), return_inverse=True)
    return pd.Series(labels, index=ids, name="cluster")


def conflicts(
    ids: np.ndarray | pd.Series,
    years: pd.Series,
    given: pd.Series,
    pairs: pd.DataFrame,
    threshold: float = REVIEW_LOW,
) -> pd.DataFrame:
    """Pairs of records that could be put in one person through others (one component of
    the pairs from ``threshold`` up) but cannot be one person: birth years (``years``:
    record id -> year) more than :data:`YEARS_APART` apart, or two different given names of
    the name table (``given``: record id -> canonical name). Two namesakes each linked to a
    third record without a year or a full name must not become one person through it.
    Scored pairs themselves are left out (their score already weighs these fields)."""
    component = clusters(ids, pairs, threshold)
    frame = pd.DataFrame({"id": component.index, "c": component.to_numpy()})
    frame = frame[frame.groupby("c")["id"].transform("size") > 1]
    frame["y"] = years.reindex(frame["id"]).to_numpy()
    frame["g"] = given.reindex(frame["id"]).to_numpy()
    found = []
    dated = frame[frame["y"].notna()]
    both = dated.merge(dated, on="c", suffixes=("_l", "_r"))
    found.append(both[(both["y_l"] - both["y_r"]).abs() > YEARS_APART])
    named = frame[frame["g"].isin(list(GIVEN_NAMES))]
    both = named.merge(named, on="c", suffixes=("_l", "_r"))
    found.append(both[both["g_l"] != both["g_r"]])
    out = pd.concat(found)[["id_l", "id_r"]].astype("int64")
    out = out[out["id_l"] < out["id_r"]].drop_duplicates()
    scored = pd.MultiIndex.from_frame(pairs[["id_l", "id_r"]].astype("int64"))
    out = out[~pd.MultiIndex.from_frame(out).isin(scored)]
    return out.sort_values(["id_l", "id_r"], ignore_index=True)


def clusterings(
    ids, pairs: pd.DataFrame, *, sources: pd.Series | None = None, low: float = REVIEW_LOW,
    high: float = REVIEW_HIGH, best: float = BEST, confirmed=None, rejected=None, apart=None,
) -> dict[str, pd.Series]:  # fmt: skip
    """The three readings of the linkage that every count is given under:

    * ``low``: every pair that might be the same person (from ``low`` up) is merged, with no
      one-per-list rule and no check of birth years: the fewest people the lists can
      describe;
    * ``best``: pairs more likely the same than not are merged, then each group that is more
      likely than not to be one of the people found joins the likeliest of them (the odds
      of several candidates add up: a record of a name that several people bear, without a
      birth year, is one of them rather than one more person);
    * ``high``: only pairs at ``high`` or above (and confirmed ones) are merged, uncertain
      pairs kept apart: the most people.

    In ``best`` and ``high``, two records of one list join only when their own pair was
    scored at ``low`` or above (a plausible second entry or second detention), and the pairs
    in ``apart`` (see :func:`conflicts`) never end up in one person. Links are taken
    strongest first, so each reading merges everything the next stricter one does (``low``
    <= ``best`` <= ``high`` people), and the true number of people lies in the range unless
    linkage missed a pair entirely.
    """
    strict = rejected
    if apart is not None and len(apart):
        strict = pd.concat([x for x in (rejected, apart) if x is not None], ignore_index=True)
    return {
        name: clusters(
            ids,
            pairs,
            t,
            sources=None if name == "low" else sources,
            confirmed=confirmed,
            rejected=rejected if name == "low" else strict,
            duplicate=low,
            attach_from=low if name == "best" else None,
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
