"""Protocol control relations, declared as data and evaluated for all stations at once.

A rule file (TOML, one per protocol schema, in ``checks/rules/``) lists rules like::

    [[rule]]
    id = "boxes_equal_valid_plus_invalid"
    description = "ballots in the boxes = valid + invalid"
    check = "ballots_portable + ballots_stationary == valid + invalid"

A side is a sum of terms: protocol line names, ``sum(choices)`` (votes for every option that
is a choice), ``sum(ballot_options)`` (those plus invalid ballots), with ``+`` and ``-``.
Operators: ``==``, ``<=``, ``>=``. ``kind = "non_negative"`` checks every line and option.

Unknown values are not zero. A count that is not known lies somewhere in [0, inf), so each
side is an interval; a rule *fails* only when the intervals prove the relation false,
*passes* when every term is known and it holds, and is *undetermined* otherwise.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from honestcount.errors import InputError
from honestcount.model import ElectionData

RULES_DIR = Path(__file__).parent / "rules"
_OPERATORS = ("==", "<=", ">=")
_TERM = re.compile(r"([+-]?)\s*(sum\([a-z_]+\)|[a-z_][a-z0-9_]*)")

PASS, FAIL, UNDETERMINED, NOT_APPLICABLE = "pass", "fail", "undetermined", "not_applicable"


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    kind: str = "relation"  # or "non_negative"
    left: tuple[tuple[int, str], ...] = ()
    operator: str = "=="
    right: tuple[tuple[int, str], ...] = ()
    tolerance: float = 0.0

    @property
    def terms(self) -> set[str]:
        return {name for _, name in self.left + self.right}


@dataclass(frozen=True)
class RuleOutcome:
    """One rule over all stations: status per station and the two sides' values."""

    rule: Rule
    status: np.ndarray  # of PASS/FAIL/UNDETERMINED/NOT_APPLICABLE
    left: np.ndarray  # known part of the left side (NaN where no term is known)
    right: np.ndarray
    detail: np.ndarray | None = None  # for non_negative: the first negative field

    @property
    def failed(self) -> np.ndarray:
        return np.asarray(self.status == FAIL)


def _parse_side(text: str, where: str) -> tuple[tuple[int, str], ...]:
    compact = text.strip()
    terms = []
    pos = 0
    while pos < len(compact):
        match = _TERM.match(compact, pos)
        if not match or (pos > 0 and not match.group(1)):
            raise InputError(f"cannot parse {compact!r} near {compact[pos:]!r}", file=where)
        terms.append((-1 if match.group(1) == "-" else 1, match.group(2)))
        pos = match.end()
        while pos < len(compact) and compact[pos] == " ":
            pos += 1
    return tuple(terms)


def parse_rules(text: str, where: str = "<rules>") -> list[Rule]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"invalid TOML: {exc}", file=where) from None
    rules = []
    for i, item in enumerate(doc.get("rule", [])):
        if "id" not in item:
            raise InputError(f"rule #{i + 1} has no id", file=where)
        if item.get("kind") == "non_negative":
            rules.append(Rule(item["id"], item.get("description", ""), "non_negative"))
            continue
        check = item.get("check", "")
        op = next((o for o in _OPERATORS if o in check), None)
        if op is None:
            raise InputError(f"rule {item['id']!r}: no ==, <= or >= in {check!r}", file=where)
        left, right = check.split(op)
        rules.append(
            Rule(
                item["id"],
                item.get("description", check),
                "relation",
                _parse_side(left, where),
                op,
                _parse_side(right, where),
                float(item.get("tolerance", 0)),
            )
        )
    return rules


@cache
def rules_for(schema: str) -> tuple[Rule, ...]:
    """The shipped rules of a protocol schema (``ru-cec``, ``golos``, ...); none if unknown."""
    path = RULES_DIR / f"{schema}.toml"
    if not path.exists():
        return ()
    return tuple(parse_rules(path.read_text(encoding="utf-8"), str(path)))


def _term_values(data: ElectionData, name: str) -> np.ndarray | None:
    if name == "sum(choices)":
        return data.official[data.choice_option_ids].to_numpy(dtype=float)
    if name == "sum(ballot_options)":
        return data.official[data.ballot_option_ids].to_numpy(dtype=float)
    if name in data.lines.columns:
        return data.lines[name].to_numpy(dtype=float)[:, None]
    return None


def _interval(
    data: ElectionData, side: tuple[tuple[int, str], ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Lower and upper bound of a side, and its known part; None if a line is absent."""
    n = len(data)
    lo, hi, known = np.zeros(n), np.zeros(n), np.zeros(n)
    any_known = np.zeros(n, dtype=bool)
    for sign, name in side:
        values = _term_values(data, name)
        if values is None:
            return None
        missing = np.isnan(values)
        present = np.where(missing, 0.0, values).sum(axis=1)
        unbounded = missing.any(axis=1)
        any_known |= ~missing.all(axis=1)
        known += sign * present
        if sign > 0:
            lo += present
            hi = np.where(unbounded, np.inf, hi + present)
        else:
            lo = np.where(unbounded, -np.inf, lo - present)
            hi -= present
    return lo, hi, np.where(any_known, known, np.nan)


def evaluate(rule: Rule, data: ElectionData) -> RuleOutcome:
    """Evaluate ``rule`` on every station of ``data``."""
    n = len(data)
    has_protocol = data.has_official | data.lines.notna().any(axis=1).to_numpy()
    if rule.kind == "non_negative":
        fields = pd.concat([data.lines, data.official], axis=1)
        values = fields.to_numpy(dtype=float)
        negative = values < 0
        status = np.where(negative.any(axis=1), FAIL, np.where(has_protocol, PASS, NOT_APPLICABLE))
        first = np.where(negative.any(axis=1), negative.argmax(axis=1), -1)
        names = np.array(list(fields.columns) + [""], dtype=object)
        low = np.where(negative, values, np.inf).min(axis=1)
        return RuleOutcome(
            rule, status, np.where(np.isinf(low), np.nan, low), np.zeros(n), names[first]
        )
    left, right = _interval(data, rule.left), _interval(data, rule.right)
    if left is None or right is None:
        na = np.full(n, np.nan)
        return RuleOutcome(rule, np.full(n, NOT_APPLICABLE, dtype=object), na, na)
    (llo, lhi, lval), (rlo, rhi, rval) = left, right
    tol = rule.tolerance
    with np.errstate(invalid="ignore"):
        if rule.operator == "==":
            fail = (llo > rhi + tol) | (lhi < rlo - tol)
            holds = np.abs(llo - rlo) <= tol
        elif rule.operator == "<=":
            fail = llo > rhi + tol
            holds = lhi <= rlo + tol
        else:
            fail = lhi < rlo - tol
            holds = llo >= rhi - tol
    exact = np.isfinite(lhi) & np.isfinite(rhi) & np.isfinite(llo) & np.isfinite(rlo)
    applicable = has_protocol & ~np.isnan(lval) & ~np.isnan(rval)
    status = np.select(
        [~applicable, fail, exact & holds], [NOT_APPLICABLE, FAIL, PASS], default=UNDETERMINED
    )
    return RuleOutcome(rule, status, lval, rval)


def check_all(data: ElectionData, rules: tuple[Rule, ...] | None = None) -> list[RuleOutcome]:
    """All rules of the election's protocol schema (or ``rules``) over all stations."""
    rules = rules_for(data.election.protocol_schema) if rules is None else rules
    return [evaluate(rule, data) for rule in rules]


def failures_frame(data: ElectionData, outcomes: list[RuleOutcome]) -> pd.DataFrame:
    """One row per failed (station, rule), naming the rule and the values."""
    station_ids = data.stations.index.to_numpy()
    parts = []
    for out in outcomes:
        idx = np.flatnonzero(out.failed)
        if idx.size == 0:
            continue
        part = pd.DataFrame(
            {
                "station_id": station_ids[idx],
                "rule": out.rule.id,
                "description": out.rule.description,
                "left": out.left[idx],
                "right": out.right[idx],
            }
        )
        if out.detail is not None:
            part["field"] = out.detail[idx]
        parts.append(part)
    columns = ["station_id", "rule", "description", "left", "right", "field"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def checks_ok(data: ElectionData) -> pd.Series:
    """Per station: True where its protocol fails no control relation (unknown lines pass).

    The one notion of "checks passed" that the estimates use, on the command line and on the
    pages alike."""
    failed = np.zeros(len(data), dtype=bool)
    for outcome in check_all(data):
        failed |= np.asarray(outcome.failed, dtype=bool)
    return pd.Series(~failed, index=data.stations.index, name="checks_ok")
