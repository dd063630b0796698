"""The generic format: a table plus a mapping file, in CSV and Parquet."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from honestcount.cli import app
from honestcount.errors import InputError
from honestcount.sources.generic import load_generic

runner = CliRunner()

TABLE = pd.DataFrame(
    {
        "district": ["North", "North", "South"],
        "no": ["1", "2", "1"],
        "registered": [1000, 800, 1200],
        "voted": [600, 500, None],
        "valid": [590, 490, None],
        "a_votes": [300, 200, None],
        "b_votes": [290, 290, None],
        "a_photo": [12, 0, 5],
    }
)
MAPPING = """
[election]
id = "test-gen"
name = "Test election"
country = "XX"
date = "2024-05-01"

[data]
path = "{path}"

[station]
id = ["district", "no"]
region = "district"

[lines]
registered = "registered"
ballots_cast = "voted"
valid = "valid"

[options]
a = {{ votes = "a_votes", name = "A", photo = "a_photo" }}
b = "b_votes"
"""


@pytest.fixture(params=["csv", "parquet"])
def mapping(tmp_path, request):
    path = tmp_path / f"results.{request.param}"
    if request.param == "csv":
        TABLE.to_csv(path, index=False)
    else:
        TABLE.to_parquet(path)
    spec = tmp_path / "mapping.toml"
    spec.write_text(MAPPING.format(path=path.name))
    return spec


def test_generic_load(mapping):
    data = load_generic(mapping)
    assert list(data.stations.index) == ["North / 1", "North / 2", "South / 1"]
    assert data.stations["registered_voters"].tolist() == [1000, 800, 1200]
    assert data.official.loc["North / 2", "b"] == 290
    assert data.has_official.tolist() == [True, True, False]  # unknown is not zero
    assert data.photo.loc["South / 1", "a"] == 5 and data.photo["b"].isna().all()
    assert str(data.election.date) == "2024-05-01"


def test_generic_through_cli(mapping, tmp_path):
    db = f"sqlite:///{tmp_path / 'g.db'}"
    result = runner.invoke(
        app, ["--db", db, "import", "--format", "generic", str(mapping), "--json"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["--db", db, "stations", "-e", "test-gen", "--json"])
    assert '"North / 1"' in result.stdout


def test_generic_keeps_lines_it_does_not_know(tmp_path):
    table = TABLE.assign(spoiled_envelopes=[3, 0, None], note=["ok", "late", None])
    table.to_csv(tmp_path / "r.csv", index=False)
    spec = tmp_path / "m.toml"
    spec.write_text(MAPPING.format(path="r.csv").replace("valid = ", "validity = "))
    data = load_generic(spec)
    # A line the mapping names that has no canonical meaning is kept under its own name ...
    assert data.lines["validity"].tolist()[:2] == [590, 490]
    assert data.line_captions["validity"] == "valid"
    # ... and so is a column of whole numbers the mapping does not name; text is not a line.
    assert data.lines["spoiled_envelopes"].tolist()[:2] == [3, 0]
    assert np.isnan(data.lines.loc["South / 1", "spoiled_envelopes"])
    assert "note" not in data.lines and {"validity", "spoiled_envelopes"} <= set(data.extra_lines)
    spec.write_text(
        MAPPING.format(path="r.csv").replace("[data]", "[data]\nkeep_other_columns = false")
    )
    assert "spoiled_envelopes" not in load_generic(spec).lines


def test_generic_leader(tmp_path):
    TABLE.to_csv(tmp_path / "r.csv", index=False)
    spec = tmp_path / "m.toml"
    spec.write_text(MAPPING.format(path="r.csv"))
    assert load_generic(spec).leader() == "b"  # most votes
    spec.write_text(MAPPING.format(path="r.csv").replace("date = ", 'leader = "A"\ndate = '))
    data = load_generic(spec)  # named by the option's name: its id is stored
    assert data.election.leader == "a" and data.leader() == "a"
    spec.write_text(MAPPING.format(path="r.csv").replace("date = ", 'leader = "c"\ndate = '))
    with pytest.raises(InputError, match=r"leader 'c' is not an option; options: a, b"):
        load_generic(spec)


def test_generic_errors(tmp_path):
    TABLE.to_csv(tmp_path / "r.csv", index=False)
    spec = tmp_path / "m.toml"
    spec.write_text(MAPPING.format(path="r.csv").replace('b = "b_votes"', 'b = "votes_b"'))
    with pytest.raises(
        InputError,
        match=r"r.csv, line 1, column 'votes_b': column 'votes_b' "
        r"named in \[options\] is not in the data",
    ):
        load_generic(spec)
    spec.write_text(MAPPING.format(path="r.csv").replace("valid = ", '"Valid ballots" = '))
    with pytest.raises(
        InputError,
        match=r"protocol line name\(s\) \['Valid ballots'\] in "
        r"\[lines\] must be snake_case",
    ):
        load_generic(spec)
    spec.write_text("[election]\nid = 'x'\n")
    with pytest.raises(InputError, match=r"m.toml: missing section \[data\]"):
        load_generic(spec)
