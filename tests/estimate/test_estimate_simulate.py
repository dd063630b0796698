"""The simulator: the Golos file layout, truth and the in-memory ElectionData agree."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from honestcount.estimate import read_golos, simulate

VOICE_COLUMNS = ["id", "monitoredVotes", "registered", "photoVoices", "officialVotes",
                 "officialVoters"] + [
    f"{opt}_{part}"
    for opt in ("against", "cherechen", "corrupted", "dmitriyev", "ignore", "kanopatskaja",
                "lukashenko", "tihanovkaja")
    for part in ("registered", "officialVotes", "photoVoices")
]  # fmt: skip
FILES = {
    "voice.csv": VOICE_COLUMNS,
    "geo-categorized.csv": ["id", "town", "area", "latitude", "longitude", "region"],
    "zubr-observers.csv": ["id", "zubr_id", "observers"],
    "zubr-violation-codes.csv": ["code", "reason"],
    "official-totals.csv": ["line", "value", "note"],
}


@pytest.fixture(scope="module")
def written(small_sim, tmp_path_factory):
    out = tmp_path_factory.mktemp("sim")
    small_sim.write(out)
    return out


def test_files_have_the_golos_columns(written):
    for name, cols in FILES.items():
        assert list(pd.read_csv(written / name, nrows=1).columns) == cols, name
    zubr = pd.read_csv(written / "zubr.csv", nrows=1)
    assert list(zubr.columns[:3]) == ["id", "zubr_id", "observers"]
    messages = json.loads((written / "zubr-messages.json").read_text())
    assert all(isinstance(v, list) for v in messages.values())
    lines = pd.read_csv(written / "official-totals.csv")["line"].tolist()
    assert lines == [
        "registered_voters",
        "ballots_cast",
        "early_voting",
        "lukashenko",
        "tsikhanouskaya",
        "dzmitryieu",
        "kanapatskaya",
        "cherachen",
        "against_all",
    ]


def test_files_match_the_real_headers(written, belarus_dir):
    for name in [*FILES, "zubr.csv"]:
        real = list(pd.read_csv(belarus_dir / name, nrows=1).columns)
        assert list(pd.read_csv(written / name, nrows=1).columns) == real, name


def test_unknown_is_empty_not_zero(written, small_sim):
    voice = pd.read_csv(written / "voice.csv", dtype={"id": str}).set_index("id")
    prot = small_sim.truth.protocol
    no_prot = prot[~prot].index.intersection(voice.index)
    assert voice.loc[no_prot, "lukashenko_officialVotes"].isna().all()
    assert voice["ignore_officialVotes"].isna().all()
    assert voice.loc[prot[prot].index, "tihanovkaja_officialVotes"].notna().all()


def test_truth_json_and_memory_agree(written, small_sim):
    truth = json.loads((written / "truth.json").read_text())
    shares = truth["national"]["shares"]
    assert sum(shares.values()) == pytest.approx(1.0)
    assert shares == pytest.approx(small_sim.truth.national_shares)
    assert len(truth["stations"]) == len(small_sim.data)
    first = truth["stations"][0]
    assert set(first) >= {"id", "votes", "ballots_cast", "falsified", "kind", "protocol"}
    assert sum(first["votes"].values()) == first["ballots_cast"]


def test_written_files_read_back_to_the_same_election(written, small_sim):
    back = read_golos(written)
    mem = small_sim.data
    for layer in ("official", "declared", "photo", "lines"):
        a, b = getattr(back, layer), getattr(mem, layer)
        assert a.index.equals(b.index)
        assert np.allclose(a.to_numpy(float), b[a.columns].to_numpy(float), equal_nan=True)
    assert back.national_totals == mem.national_totals


def test_the_project_loader_reads_the_files(written, small_sim):
    golos = pytest.importorskip("honestcount.sources.golos")
    data = golos.load_golos(written, golos.BELARUS_2020)
    mem = small_sim.data
    assert len(data) == len(mem)
    off = data.official.reindex(index=mem.official.index, columns=mem.official.columns)
    assert np.allclose(off.to_numpy(float), mem.official.to_numpy(float), equal_nan=True)


def test_evidence_and_falsification_are_consistent(small_sim):
    data, truth = small_sim.data, small_sim.truth
    opts = data.ballot_option_ids
    assert (data.photo[opts].fillna(0) <= data.declared[opts].fillna(0)).all().all()
    # photos never exceed the true votes; official counts are the truth where honest
    assert (data.photo[opts].fillna(0) <= truth.votes[opts]).all().all()
    honest = truth.protocol & ~truth.falsified
    # (zero spoiled ballots are left empty, as in the source)
    assert np.allclose(data.official.loc[honest, opts].fillna(0), truth.votes.loc[honest, opts])
    fals = truth.protocol & truth.falsified
    assert (data.official.loc[fals, "lukashenko"] > truth.votes.loc[fals, "lukashenko"]).all()
    assert truth.falsified.mean() == pytest.approx(0.3, abs=0.01)
    nat = data.national_totals
    assert nat["lukashenko"] > truth.votes["lukashenko"].sum()


def test_simulation_is_reproducible_and_parameters_act():
    a = simulate(seed=3, n_stations=300)
    b = simulate(seed=3, n_stations=300)
    assert a.truth.votes.equals(b.truth.votes)
    assert a.data.declared.equals(b.data.declared)
    none = simulate(seed=3, n_stations=300, falsified_share=0.0)
    assert not none.truth.falsified.any()
    assert none.data.national_totals["lukashenko"] == none.truth.votes["lukashenko"].sum()
    many = simulate(seed=3, n_stations=300, protocol_share=0.8)
    assert many.truth.protocol.mean() > 0.7
