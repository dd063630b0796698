"""Data-quality findings recorded at import: odd but real values, kept and explained."""

from __future__ import annotations

import numpy as np
import pandas as pd

from honestcount.checks.rules import FAIL, UNDETERMINED, RuleOutcome, check_all
from honestcount.model import ElectionData


def _number(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


def findings(data: ElectionData, outcomes: list[RuleOutcome] | None = None) -> pd.DataFrame:
    """Failed protocol checks, and equalities whose known part already disagrees.

    The second kind (status ``undetermined``) is a protocol where some lines are blank and
    the known lines do not add up: blanks may be zeros, or the digitiser may have skipped them,
    so honestcount reports it without calling it a failure.
    """
    outcomes = check_all(data) if outcomes is None else outcomes
    ids = data.stations.index.to_numpy()
    rows = []
    for out in outcomes:
        rule = out.rule
        with np.errstate(invalid="ignore"):
            disagree = (
                (out.status == UNDETERMINED) & (rule.operator == "==") & (out.left != out.right)
            )
        for status, mask in ((FAIL, out.failed), (UNDETERMINED, disagree)):
            for i in np.flatnonzero(mask):
                values = {
                    "status": status,
                    "left": _number(out.left[i]),
                    "right": _number(out.right[i]),
                }
                if out.detail is not None:
                    values["field"] = str(out.detail[i])
                    detail = f"{rule.description}: {out.detail[i]} = {out.left[i]:g}"
                else:
                    detail = f"{rule.description}: {out.left[i]:g} vs {out.right[i]:g}"
                    if status == UNDETERMINED:
                        detail += " (some lines blank: cannot tell)"
                rows.append((ids[i], rule.id, status, detail, values))
    return pd.DataFrame(rows, columns=["station_id", "rule", "status", "detail", "values"])
