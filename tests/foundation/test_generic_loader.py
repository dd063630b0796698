"""The generic format: a table plus a mapping file, in CSV and Parquet."""

from __future__ import annotations

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
    result = runner.invoke(app, ["--db", db, "import", "--format", "generic", str(mapping),
                                 "--json"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["--db", db, "stations", "-e", "test-gen", "--json"])
    assert '"North / 1"' in result.stdout


def test_generic_errors(tmp_path):
    TABLE.to_csv(tmp_path / "r.csv", index=False)
    spec = tmp_path / "m.toml"
    spec.write_text(MAPPING.format(path="r.csv").replace('b = "b_votes"', 'b = "votes_b"'))
    with pytest.raises(InputError, match=r"r.csv, line 1, column 'votes_b': column 'votes_b' "
                                         r"named in \[options\] is not in the data"):
        load_generic(spec)
    spec.write_text(MAPPING.format(path="r.csv").replace("valid = ", "validity = "))
    with pytest.raises(InputError, match=r"unknown protocol line\(s\) \['validity'\]"):
        load_generic(spec)
    spec.write_text("[election]\nid = 'x'\n")
    with pytest.raises(InputError, match=r"m.toml: missing section \[data\]"):
        load_generic(spec)
