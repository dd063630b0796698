"""The bundled Belarus 2020 set, read from the raw CSVs and through the loader."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from honestcount.model import OptionKind
from honestcount.sources.golos import bundled_belarus_dir, load_belarus_2020

RAW = bundled_belarus_dir()


@pytest.fixture(scope="module")
def data():
    return load_belarus_2020()


def raw_rows(name: str) -> list[dict]:
    with open(RAW / name, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_station_and_evidence_counts_match_the_raw_files(data):
    geo, voice = raw_rows("geo-categorized.csv"), raw_rows("voice.csv")
    assert len(data) == len(geo) == 5767
    assert data.photo.notna().any(axis=1).sum() == len(voice) == 5709
    protocols = sum(1 for r in voice if r["tihanovkaja_officialVotes"] != "")
    assert data.has_official.sum() == protocols == 1395


def test_option_ids_are_the_stable_public_ones(data):
    assert data.ballot_option_ids == [
        "tsikhanouskaya",
        "lukashenko",
        "dzmitryieu",
        "kanapatskaya",
        "cherachen",
        "against_all",
        "invalid",
    ]
    kinds = {o.id: o.kind for o in data.options}
    assert kinds["against_all"] is OptionKind.AGAINST and kinds["invalid"] is OptionKind.INVALID


def test_missing_is_not_zero(data):
    voice = {r["id"]: r for r in raw_rows("voice.csv")}
    # a station with a platform record but no protocol: evidence known, official unknown
    sid = next(i for i, r in voice.items() if r["tihanovkaja_officialVotes"] == "")
    assert np.isnan(data.official.loc[sid]).all()
    assert data.photo.loc[sid, "tsikhanouskaya"] == float(voice[sid]["tihanovkaja_photoVoices"])
    # a station in the geo file that the platform never covered: evidence unknown, not zero
    uncovered = [i for i in data.stations.index if i not in voice]
    assert len(uncovered) == 5767 - 5709
    assert data.photo.loc[uncovered].isna().all().all()
    # a blank option cell inside a known protocol stays unknown
    blank = next(
        i
        for i, r in voice.items()
        if r["tihanovkaja_officialVotes"] != "" and r["corrupted_officialVotes"] == ""
    )
    assert np.isnan(data.official.loc[blank, "invalid"])


def test_sums_match_the_raw_file(data):
    voice = raw_rows("voice.csv")
    expected = sum(
        int(r["tihanovkaja_officialVotes"]) for r in voice if r["tihanovkaja_officialVotes"]
    )
    assert data.official["tsikhanouskaya"].sum() == expected
    assert data.declared["tsikhanouskaya"].sum() == sum(
        int(r["tihanovkaja_registered"]) for r in voice
    )


def test_observers_and_violations(data):
    messages = json.loads((RAW / "zubr-messages.json").read_text())
    with_codes = {k for k, v in messages.items() if v}
    assert set(data.violations["station_id"]) == with_codes
    assert data.violation_codes["2"] == "no-let-observer-in"
    observers = {r["id"]: int(r["observers"]) for r in raw_rows("zubr.csv")}
    sid = "07-001-0001"
    assert data.observers.loc[sid, "observers"] == observers[sid] == 7


def test_national_totals(data):
    assert data.national_totals["lukashenko"] == 4661075
    assert data.national_totals["ballots_cast"] == 5818955
