"""Protocol lines recognised by meaning: every CEC wording we know or can reason out."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from cec_variants import HERE, VARIANTS, Variant, write_table
from typer.testing import CliRunner

from honestcount.cli import app
from honestcount.errors import InputError
from honestcount.model import PROTOCOL_LINES, Election, OptionKind
from honestcount.sources.captions import grammar, map_lines, normalise
from honestcount.sources.ru_cec import line_for, load_ru_cec

runner = CliRunner()

# Wordings beyond the committed tables: the layouts of the published CEC scrapes (captions
# broken over lines, no commas), singular/plural rooms, the day without the room, and lines
# the grammar must not mistake for a canonical one.
MORE = [
    ("Число избирателей\n включенных в список избирателей", "registered"),
    ("Число избирателей", "registered"),
    ("Число избирателей, принявших участие в голосовании", "ballots_cast"),
    ("Число избирательных бюллетеней\n не учтенных при получении", "unaccounted"),
    ("Число избирательных бюллетеней, неучтенных при получении", "unaccounted"),
    ("Число бюллетеней в стационарных ящиках для голосования", "ballots_stationary"),
    ("Число избирательных бюллетеней в переносных ящиках для голосования", "ballots_portable"),
    ("Число бюллетеней, содержащихся в ящиках для голосования", "ballots_cast"),
    (
        "Число избирательных бюллетеней, выданных избирателям в помещениях для голосования в "
        "день голосования",
        "issued_on_day",
    ),
    ("Число избирательных бюллетеней, выданных в день голосования", "issued_on_day"),
    (
        "Число избирательных бюллетеней\n выданных вне помещения для голосования в день "
        "голосования",
        "issued_outside",
    ),
    ("Число избирательных бюллетеней, выданных досрочно", "issued_early"),
    ("ЧИСЛО ДЕЙСТВИТЕЛЬНЫХ ИЗБИРАТЕЛЬНЫХ БЮЛЛЕТЕНЕЙ", "valid"),
    ("Число недействительных бюллетеней", "invalid"),
    ("Число утраченных бюллетеней", "lost"),
    ("Число открепительных удостоверений, полученных УИК", "absentee_received"),
    ("Число утраченных открепительных удостоверений", "absentee_lost"),
    ("Строка 1 Число избирателей, внесенных в список", "registered"),
    # not canonical: kept as extra lines
    (
        "Число избирательных бюллетеней, выданных избирателям, проголосовавшим досрочно в "
        "помещении территориальной избирательной комиссии",
        None,
    ),
    ("Число избирательных бюллетеней, выданных досрочно, из них в помещении ТИК", None),
    ("Число электронных бюллетеней", None),
    ("Число избирателей, проголосовавших дистанционно", None),
    ("Число чего-то странного", None),
]
CAPTIONS = [(c, line) for v in VARIANTS for c, line in v.lines] + MORE


@pytest.mark.parametrize(("caption", "line"), CAPTIONS, ids=lambda x: str(x)[:50])
def test_every_caption_means_its_line(caption, line):
    assert line_for(caption) == line
    assert grammar("ru-cec").is_line(caption)


def test_normalise():
    assert normalise("3. Число  «учтённых»,\n бюллетеней") == "число учтенных бюллетеней"
    assert normalise("Строка 10а Число") == "число"


def test_every_canonical_ru_line_has_a_rule():
    ruled = {r.id for r in grammar("ru-cec").rules}
    assert {"registered", "valid", "invalid", "ballots_portable", "ballots_stationary"} <= ruled
    assert ruled <= set(PROTOCOL_LINES)


def test_two_columns_with_one_meaning_are_kept_apart():
    valid = "Число действительных бюллетеней"
    mapped = map_lines([valid, valid + " (повторно)"], grammar("ru-cec"))
    assert mapped.ambiguous == {"valid": [valid, valid + " (повторно)"]}
    assert len(mapped.extra) == 2 and "valid" not in mapped.canonical


def _load(variant: Variant, **kwargs):
    path = HERE / f"{variant.name}.csv"
    return load_ru_cec(
        path, Election(variant.name, variant.name, "RU", protocol_schema="ru-cec"), **kwargs
    )


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_every_variant_loads_with_unknown_lines_kept(variant):
    data = _load(variant)
    table = pd.read_csv(HERE / f"{variant.name}.csv")
    assert len(data) == len(table)
    for caption, line in variant.lines:
        if line is not None:
            np.testing.assert_array_equal(data.lines[line].to_numpy(), table[caption].to_numpy())
            assert data.line_captions[line] == " ".join(caption.split())
    unknown = [c for c, line in variant.lines if line is None]
    kept = {data.line_captions[x]: x for x in data.extra_lines}
    assert sorted(kept) == sorted(" ".join(c.split()) for c in unknown)
    for caption in unknown:
        np.testing.assert_array_equal(
            data.lines[kept[" ".join(caption.split())]].to_numpy(), table[caption].to_numpy()
        )
    assert data.leader() == data.options[variant.leader].id
    assert data.official.sum(axis=1).equals(data.lines["valid"])


def test_ballots_cast_is_derived_and_said_so():
    duma = _load(VARIANTS[0])
    assert duma.line_derivations == {"ballots_cast": "ballots_portable + ballots_stationary"}
    president = next(v for v in VARIANTS if v.name == "president-2012")
    data = _load(president)
    assert data.line_derivations == {"ballots_cast": "valid + invalid"}
    np.testing.assert_array_equal(
        data.lines["ballots_cast"], data.lines["valid"] + data.lines["invalid"]
    )
    referendum = _load(next(v for v in VARIANTS if v.name == "referendum"))
    assert referendum.line_derivations == {}  # the table prints ballots in the boxes itself
    assert "ballots_portable" not in referendum.lines  # absent: unknown, not zero


def test_absent_line_is_unknown_not_zero(tmp_path):
    table = pd.read_csv(HERE / "duma-2011.csv")
    portable = next(c for c in table.columns if "переносных" in c)
    table.loc[:4, portable] = np.nan
    table.to_csv(tmp_path / "t.csv", index=False)
    data = load_ru_cec(tmp_path / "t.csv", Election("t", "t", "RU"))
    assert data.lines["ballots_cast"].iloc[:5].isna().all()
    assert data.lines["ballots_cast"].iloc[5:].notna().all()


def test_referendum_options_and_leader():
    vote = _load(next(v for v in VARIANTS if v.name == "vote-2020"))
    assert [o.id for o in vote.options] == ["yes", "no"]
    assert vote.leader() == "yes"
    referendum = _load(next(v for v in VARIANTS if v.name == "referendum"))
    assert [o.id for o in referendum.options] == ["yes", "no"] and referendum.leader() == "no"
    chosen = _load(next(v for v in VARIANTS if v.name == "vote-2020"), leader="НЕТ")
    assert chosen.election.leader == "no" and chosen.leader() == "no"
    with pytest.raises(InputError, match="leader 'maybe' is not an option; options: yes, no"):
        _load(next(v for v in VARIANTS if v.name == "vote-2020"), leader="maybe")


def test_against_all_is_not_a_candidate():
    data = _load(next(v for v in VARIANTS if v.name == "duma-2003"))
    against = [o for o in data.options if o.id == "against_all"]
    assert len(against) == 1 and against[0].kind == OptionKind.AGAINST
    assert "against_all" in data.choice_option_ids


@pytest.mark.parametrize(
    ("drop", "message"),
    [
        (["внесенных в список"], r"protocol line 'registered' \(voters on the list\) is missing"),
        (
            ["ящиках", "действительных"],
            r"'ballots_cast' .* is missing and cannot be derived from ballots_portable \+ "
            r"ballots_stationary or valid \+ invalid; lines found: registered",
        ),
    ],
)
def test_refused_only_for_a_needed_line(tmp_path, drop, message):
    table = pd.read_csv(HERE / "duma-2011.csv")
    table = table[[c for c in table.columns if not any(d in c for d in drop)]]
    table.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(InputError, match=message):
        load_ru_cec(tmp_path / "t.csv", Election("t", "t", "RU"))


def test_two_registered_lines_are_refused_naming_both(tmp_path):
    table = pd.read_csv(HERE / "duma-2011.csv")
    table.insert(3, "Число избирателей, включенных в список", table.iloc[:, 3] + 1)
    table.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(InputError, match=r"'registered' .* is ambiguous: both"):
        load_ru_cec(tmp_path / "t.csv", Election("t", "t", "RU"))


def _cli(db: str, *args: str):
    result = runner.invoke(app, ["--db", db, *args])
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_import_summary_and_forensics_on_every_variant(tmp_path, variant):
    db = f"sqlite:///{tmp_path / 'v.db'}"
    path = write_table(variant, tmp_path / "t.csv", n=150, seed=7)
    _cli(db, "import", "--format", "ru-cec", str(path), "--election", "v")
    summary = json.loads(_cli(db, "summary", "--election", "v", "--json").stdout)
    extra = [c for c, line in variant.lines if line is None]
    shown = {x["caption"] for x in summary["protocol_lines"] if x["meaning"] is None}
    assert shown == {" ".join(c.split()) for c in extra}
    assert len(summary["extra_lines"]) == len(extra)
    assert any("ballots_cast" in n for n in summary["notes"]) == (
        "ballots_cast" not in {line for _, line in variant.lines}
    )
    doc = json.loads(
        _cli(
            db, "forensics", "--election", "v", "--tests", "integer_peaks,shpilkin", "--json"
        ).stdout
    )
    assert doc["stations"] == 150
    assert not any("error" in r for r in doc["tests"].values())
