"""The Russian CEC tables: all three real files, read independently and through the loader."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from honestcount.checks.rules import FAIL, check_all
from honestcount.model import Election, OptionKind
from honestcount.sources.ru_cec import load_ru_cec, option_for, slug


def raw(path) -> pd.DataFrame:
    with zipfile.ZipFile(path) as z:
        return pd.read_csv(io.BytesIO(z.read(z.namelist()[0])))


@pytest.mark.parametrize(
    ("year", "options", "leader"),
    [
        ("2018", 8, "putin_vladimir_vladimirovich"),
        ("2021", 14, "p05_edinaya_rossiya"),
        ("2024", 4, "putin_vladimir_vladimirovich"),
    ],
)
def test_real_files_import_with_their_totals(russia_dir, year, options, leader):
    path = russia_dir / f"{year}.csv.zip"
    table = raw(path)
    data = load_ru_cec(path, Election(f"ru-{year}", year, "RU", protocol_schema="ru-cec"))
    registered_col = next(c for c in table.columns if c.startswith("Число избирателей"))
    assert len(data) == len(table)
    assert data.stations["registered_voters"].sum() == table[registered_col].sum()
    assert len(data.choice_option_ids) == options
    assert data.leader() == leader
    assert data.stations.index.is_unique
    # turnout lines: ballots cast = portable + stationary boxes
    boxes = [c for c in table.columns if "ящик" in c]
    np.testing.assert_array_equal(
        data.lines["ballots_cast"].to_numpy(), table[boxes].sum(axis=1, min_count=2).to_numpy()
    )


def test_2024_unpublished_stations_are_unknown_not_zero(russia_dir):
    data = load_ru_cec(russia_dir / "2024.csv.zip", Election("ru-2024", "x", "RU"))
    unknown = ~data.has_official
    assert unknown.sum() == 2268
    assert data.stations.loc[unknown, "registered_voters"].isna().all()
    assert set(data.official_source[unknown].map(type)) == {type(None)}


def test_2021_remote_e_voting_rows_get_their_own_ids(russia_dir):
    data = load_ru_cec(russia_dir / "2021.csv.zip", Election("ru-2021", "x", "RU"))
    remote = data.stations.index[data.stations.index.str.endswith("remote e-voting")]
    assert len(remote) == 18
    assert remote.is_unique


def test_protocol_checks_on_2018(russia_dir):
    data = load_ru_cec(
        russia_dir / "2018.csv.zip", Election("ru-2018", "x", "RU", protocol_schema="ru-cec")
    )
    failures = {o.rule.id: int((o.status == FAIL).sum()) for o in check_all(data)}
    table = raw(russia_dir / "2018.csv.zip")
    cols = list(table.columns)
    valid = table[cols[12]]
    candidates = table[cols[15:23]].sum(axis=1)
    assert failures["options_sum_to_valid"] == int((candidates != valid).sum())
    boxes = table[cols[9]] + table[cols[10]]
    issued = table[cols[5]] + table[cols[6]] + table[cols[7]]
    assert failures["boxes_within_issued"] == int((boxes > issued).sum())


def test_option_ids():
    assert slug("Путин Владимир Владимирович") == "putin_vladimir_vladimirovich"
    party = option_for('5. Всероссийская политическая партия "ЕДИНАЯ РОССИЯ"', 4)
    assert (party.id, party.kind) == ("p05_edinaya_rossiya", OptionKind.PARTY)
    assert option_for("13. ПАРТИЯ ЛДПР", 0).id == "p13_partiya_ldpr"
