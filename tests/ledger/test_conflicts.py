"""What keeps namesakes apart and lets one person's many records count as one: conflicts in
clustering, people-based term frequencies, initials from any form of a name."""

from __future__ import annotations

import pandas as pd

from honestcount.ledger import names
from honestcount.ledger.linkage import clusterings, conflicts, feature_frame, people_frequencies


def _records(rows: list[tuple[int, int, str, str | None, int | None]]) -> pd.DataFrame:
    return feature_frame(
        {
            "unique_id": uid,
            "source": source,
            "surname": "ivanov",
            "surname_skel": "avnv",
            "given": given,
            "given_initial": (given or "i")[:1],
            "patronymic": None,
            "birth_year": year,
            "place": "Minsk",
        }
        for uid, source, _, given, year in rows
    )


def test_namesakes_do_not_join_through_a_record_without_a_year():
    # two Ivan Ivanovs 15 years apart, each linked to a third record with no year
    frame = _records([(1, 1, "", "ivan", 1980), (2, 2, "", "ivan", 1995), (3, 3, "", "ivan", None)])
    pairs = pd.DataFrame({"id_l": [1, 2], "id_r": [3, 3], "probability": [0.8, 0.7]})
    by_id = frame.set_index("unique_id")
    apart = conflicts(frame["unique_id"], by_id["birth_year"], by_id["given"], pairs)
    assert apart[["id_l", "id_r"]].values.tolist() == [[1, 2]]
    chained = clusterings(frame["unique_id"], pairs, sources=by_id["source"])
    assert chained["best"].nunique() == 1  # without the check, all three are one person
    kept = clusterings(frame["unique_id"], pairs, sources=by_id["source"], apart=apart)
    best = kept["best"]
    assert best[1] == best[3] != best[2]  # the stronger link wins
    assert kept["low"].nunique() == 1  # the low reading still merges every plausible pair


def test_years_within_two_and_scored_pairs_are_no_conflict():
    frame = _records([(1, 1, "", "ivan", 1980), (2, 2, "", "ivan", 1982), (3, 3, "", "ivan", 1990)])
    # 1-3 were scored (weakly): their own score already weighs the years
    pairs = pd.DataFrame({"id_l": [1, 2, 1], "id_r": [2, 3, 3], "probability": [0.9, 0.6, 0.5]})
    by_id = frame.set_index("unique_id")
    apart = conflicts(frame["unique_id"], by_id["birth_year"], by_id["given"], pairs)
    assert apart.empty


def test_two_known_given_names_conflict_but_an_unknown_one_does_not():
    frame = _records(
        [(1, 1, "", "ivan", None), (2, 2, "", "igor", None), (3, 3, "", None, None),
         (4, 4, "", "iagr", None)]
    )  # fmt: skip
    pairs = pd.DataFrame({"id_l": [1, 2, 3], "id_r": [3, 3, 4], "probability": [0.8, 0.7, 0.6]})
    by_id = frame.set_index("unique_id")
    apart = conflicts(frame["unique_id"], by_id["birth_year"], by_id["given"], pairs)
    # ivan and igor are two names of the table; "iagr" (a typo) may be either
    assert apart[["id_l", "id_r"]].values.tolist() == [[1, 2]]


def test_a_person_listed_many_times_does_not_make_the_name_common():
    rows = [
        {"surname": "rare", "given_initial": "a", "surname_skel": "r", "given": "anna"}
        for _ in range(8)
    ] + [
        {"surname": "common", "given_initial": c, "surname_skel": "kmn", "given": None}
        for c in "abcdefgh"
    ]
    tf = people_frequencies(pd.DataFrame(rows))["surname"].set_index("surname")["tf_surname"]
    # eight records of one person: no other person shares the name
    assert tf["rare"] == 1 / 16
    # eight people: seven others share it with each of them
    assert tf["common"] == 7 / 16
    assert tf["rare"] < tf["common"]


def test_an_initial_may_come_from_any_form_of_the_name():
    assert {"e", "k"} <= set(names.given_initials("ekaterina"))  # Екатерина, Кацярына, Катя
    assert "l" in names.given_initials("aleksei")  # Лёша
    assert names.given_initials(None) == ""


def test_lacinka_soft_c_without_diacritics():
    assert names.fold("Kaciaryna") == names.fold("Katsiaryna")
    assert names.given_canonical("Kaciaryna") == names.given_canonical("Екатерина")
    assert names.fold("Viktor") == names.fold("Victor")


def _namesakes_and_one_without_a_year(weak: dict[tuple[int, int], float], source: int = 4):
    """Ivan Ivanov born 1980 (records 1, 2) and another born 1995 (3, 4), each found on two
    lists with certainty, and record 5, an Ivan Ivanov without a year on list ``source``,
    weakly like some of them (``weak``: pair -> probability)."""
    frame = _records(
        [(1, 1, "", "ivan", 1980), (2, 2, "", "ivan", 1980), (3, 1, "", "ivan", 1995),
         (4, 3, "", "ivan", 1995), (5, source, "", "ivan", None)]
    )  # fmt: skip
    strong = {(1, 2): 0.99, (3, 4): 0.99, **weak}
    pairs = pd.DataFrame(
        [(a, b, p) for (a, b), p in strong.items()], columns=["id_l", "id_r", "probability"]
    )
    by_id = frame.set_index("unique_id")
    apart = conflicts(frame["unique_id"], by_id["birth_year"], by_id["given"], pairs)
    return clusterings(frame["unique_id"], pairs, sources=by_id["source"], apart=apart)


def test_a_record_likely_one_of_several_namesakes_is_not_one_more_person():
    # below even odds with each Ivan (0.45: odds 0.82; 0.40: 0.67), above even odds of being
    # one of them (1.49)
    readings = _namesakes_and_one_without_a_year({(2, 5): 0.45, (4, 5): 0.40})
    best = readings["best"]
    assert best.nunique() == 2
    assert best[5] == best[1] == best[2] != best[3]  # it joins the likelier, and only it
    # the strict reading keeps the uncertain record apart; the range still holds the best
    assert readings["high"].nunique() == 3
    assert readings["low"].nunique() <= 2


def test_one_weak_candidate_is_not_enough():
    best = _namesakes_and_one_without_a_year({(2, 5): 0.45})["best"]
    assert best.nunique() == 3 and best[5] not in (best[1], best[3])


def test_a_namesake_already_on_the_records_list_is_no_candidate():
    # record 5 is on list 3, which already names the 1995 Ivan (record 4) and their own pair
    # was not even plausible: only the 1980 Ivan is left, at 0.45 (odds 0.82 < 1)
    best = _namesakes_and_one_without_a_year({(2, 5): 0.45, (3, 5): 0.45}, source=3)["best"]
    assert best.nunique() == 3 and best[5] not in (best[1], best[3])
