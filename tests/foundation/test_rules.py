"""Protocol rules as data: interval logic over unknown values, and the real data's findings."""

from __future__ import annotations

import pandas as pd
import pytest

from honestcount.checks.quality import findings
from honestcount.checks.rules import FAIL, NOT_APPLICABLE, PASS, UNDETERMINED, evaluate, parse_rules
from honestcount.model import BallotOption, Election, OptionKind
from honestcount.sources.assemble import assemble
from honestcount.sources.golos import load_belarus_2020

NAN = float("nan")


def election(lines: dict, official: dict):
    index = [f"s{i}" for i in range(len(next(iter(lines.values()))))]
    options = [
        BallotOption("a", "A"),
        BallotOption("b", "B"),
        BallotOption("x", "invalid", OptionKind.INVALID),
    ]
    return assemble(
        Election("t", "t", "XX"),
        options,
        pd.DataFrame(index=index),
        lines=pd.DataFrame(lines, index=index),
        official=pd.DataFrame(official, index=index),
    )


def test_interval_semantics_of_equalities():
    (rule,) = parse_rules('[[rule]]\nid = "sum"\ncheck = "sum(choices) == valid"')
    data = election(
        {"valid": [10, 10, 10, 10, NAN]},
        {"a": [6, 7, 6, 12, 1], "b": [4, 4, NAN, NAN, 1], "x": [0, 0, 0, 0, 0]},
    )
    out = evaluate(rule, data)
    # exact pass; exact fail; blank b could be 4; known part already exceeds; no valid line
    assert list(out.status) == [PASS, FAIL, UNDETERMINED, FAIL, NOT_APPLICABLE]
    assert out.left[1] == 11 and out.right[1] == 10


def test_subtraction_and_inequality():
    (rule,) = parse_rules('[[rule]]\nid = "r"\ncheck = "valid - invalid <= registered"')
    data = election(
        {"valid": [5, 5, 9], "invalid": [1, NAN, 1], "registered": [4, 3, 7]}, {"a": [1, 1, 1]}
    )
    assert list(evaluate(rule, data).status) == [PASS, UNDETERMINED, FAIL]


def test_non_negative_names_the_field():
    (rule,) = parse_rules('[[rule]]\nid = "nn"\nkind = "non_negative"')
    data = election({"valid": [5, 5]}, {"a": [1, -3], "b": [1, 1]})
    out = evaluate(rule, data)
    assert list(out.status) == [PASS, FAIL]
    assert out.detail[1] == "a" and out.left[1] == -3


def test_a_rule_naming_an_absent_line_is_not_applicable():
    (rule,) = parse_rules('[[rule]]\nid = "r"\ncheck = "lost <= valid"')
    assert set(evaluate(rule, election({"valid": [1]}, {"a": [1]})).status) == {NOT_APPLICABLE}


@pytest.mark.parametrize(
    "text",
    [
        '[[rule]]\nid = "r"\ncheck = "valid = 3"',
        '[[rule]]\ncheck = "valid == a"',
        '[[rule]]\nid = "r"\ncheck = "valid == 3x"',
        "rule = [",
    ],
)
def test_bad_rule_files_are_reported(text):
    from honestcount.errors import InputError

    with pytest.raises(InputError):
        parse_rules(text, "test.toml")


def test_belarus_odd_but_real_values_become_findings():
    found = findings(load_belarus_2020())
    by_rule = found.groupby(["rule", "status"]).size().to_dict()
    assert by_rule[("no_negative_line", FAIL)] == 3  # negative "against" counts
    assert by_rule[("turnout_within_registered", FAIL)] == 6  # more votes than voters
    # totals disagreeing with the sum of options: ~150, of which some have blank options
    sum_findings = found[found["rule"] == "options_sum_to_total"]
    assert len(sum_findings) == 152
    assert by_rule[("options_sum_to_total", FAIL)] == 80
    negative = found[found["rule"] == "no_negative_line"]
    assert set(negative["values"].map(lambda v: v["field"])) == {"against_all"}
