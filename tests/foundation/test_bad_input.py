"""Bad input: a clear error naming file, line and column, a non-zero exit, nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from honestcount.cli import app
from honestcount.sources.golos import bundled_belarus_dir
from honestcount.store.db import make_engine
from honestcount.store.repository import list_elections

runner = CliRunner()


@pytest.fixture
def golos_copy(tmp_path) -> Path:
    folder = tmp_path / "golos"
    shutil.copytree(bundled_belarus_dir(), folder)
    return folder


def edit_cell(path: Path, line: int, column: str, value: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[line - 1].split(",")
    cells[header.index(column)] = value
    lines[line - 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def import_golos(db: str, folder: Path):
    return runner.invoke(
        app, ["--db", db, "import", "--format", "golos", str(folder), "--election", "test-golos"]
    )


def assert_nothing_written(db: str) -> None:
    assert list_elections(make_engine(db)).empty


@pytest.mark.parametrize(
    ("line", "column", "value", "message"),
    [
        (5, "lukashenko_officialVotes", "12a", "not a whole number"),
        (7, "tihanovkaja_photoVoices", "-4", "negative count"),
        (9, "registered", "3.5", "not a whole number"),
    ],
)
def test_bad_cells_are_located(tmp_path, golos_copy, line, column, value, message):
    db = f"sqlite:///{tmp_path / 'x.db'}"
    edit_cell(golos_copy / "voice.csv", line, column, value)
    result = import_golos(db, golos_copy)
    assert result.exit_code == 2
    assert f"voice.csv, line {line}, column '{column}': {message}" in result.output
    assert repr(value) in result.output
    assert_nothing_written(db)


def test_missing_column(tmp_path, golos_copy):
    db = f"sqlite:///{tmp_path / 'x.db'}"
    path = golos_copy / "voice.csv"
    path.write_text(path.read_text().replace("officialVoters", "voters", 1))
    result = import_golos(db, golos_copy)
    assert result.exit_code == 2
    assert "voice.csv, line 1: missing column(s) 'officialVoters'" in result.output
    assert_nothing_written(db)


def test_duplicate_station_id(tmp_path, golos_copy):
    db = f"sqlite:///{tmp_path / 'x.db'}"
    path = golos_copy / "geo-categorized.csv"
    lines = path.read_text().splitlines()
    lines.append(lines[3])
    path.write_text("\n".join(lines) + "\n")
    result = import_golos(db, golos_copy)
    assert result.exit_code == 2
    assert f"line {len(lines)}, column 'id': duplicate station id" in result.output
    assert_nothing_written(db)


def test_unreadable_encoding(tmp_path, golos_copy):
    db = f"sqlite:///{tmp_path / 'x.db'}"
    path = golos_copy / "geo-categorized.csv"
    raw = path.read_bytes().replace(b"Brest", "Brześć".encode("latin-1", "replace"), 1)
    path.write_bytes(raw.replace(b"Brze?", b"Brze\xe6", 1))
    result = import_golos(db, golos_copy)
    assert result.exit_code == 2
    assert "geo-categorized.csv, line 2: unreadable encoding" in result.output
    assert_nothing_written(db)


def test_unknown_format_and_source(tmp_path):
    db = f"sqlite:///{tmp_path / 'x.db'}"
    result = runner.invoke(
        app, ["--db", db, "import", "--format", "xls", "f.xls", "--election", "e"]
    )
    assert result.exit_code == 2 and "unknown format 'xls'" in result.output
    result = runner.invoke(app, ["--db", db, "import", "belarus-2021"])
    assert result.exit_code == 2 and "unknown source 'belarus-2021'" in result.output


def test_ru_cec_bad_count(tmp_path):
    path = tmp_path / "ru.csv"
    path.write_text(
        "region,tik,uik,Число избирателей,Число действительных избирательных бюллетеней,"
        "Иванов Иван\nA,t1,1,100,50,50\nA,t1,2,100,x,50\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app,
        [
            "--db",
            f"sqlite:///{tmp_path / 'x.db'}",
            "import",
            "--format",
            "ru-cec",
            str(path),
            "--election",
            "ru",
        ],
    )
    assert result.exit_code == 2
    assert (
        "ru.csv, line 3, column 'Число действительных избирательных бюллетеней': not a whole number"
    ) in result.output


def test_ru_cec_missing_needed_line_names_what_was_found(tmp_path):
    path = tmp_path / "ru.csv"
    path.write_text(
        "region,uik,Число чего-то странного,Число действительных бюллетеней,Иванов\nA,1,1,1,1\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app,
        [
            "--db",
            f"sqlite:///{tmp_path / 'x.db'}",
            "import",
            "--format",
            "ru-cec",
            str(path),
            "--election",
            "ru",
        ],
    )
    assert result.exit_code == 2
    assert "protocol line 'registered' (voters on the list) is missing" in result.output
    assert "valid ('Число действительных бюллетеней')" in result.output
    assert "other lines: 'Число чего-то странного'" in result.output


def test_unknown_election(tmp_path):
    result = runner.invoke(
        app, ["--db", f"sqlite:///{tmp_path / 'x.db'}", "stations", "--election", "nope"]
    )
    assert result.exit_code == 2 and "no election 'nope' in the store" in result.output
