"""Where the vote was counted fairly: the stations the mixture finds honest, as a document."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from honestcount.estimate.mixture import KEPT, MixtureEstimate, component_curves
from honestcount.results import jsonable

HONEST_THRESHOLD = 0.9  # P(honest) a station needs to be listed

CAVEAT = (
    "These are the stations whose count is consistent with the evidence (P(honest) at least "
    "{threshold:.0%} under the mixture model), not a random sample: protocols were photographed "
    "where citizens could, and a station is listed only where many of the challenger's voters "
    "declared their choice, so these stations lean towards places where the platform, and "
    "probably the challenger, were strong. Her share and wins here describe these stations; "
    "they are not the national result (see the estimate for that). A count that lost less "
    "than about a quarter of her votes can look honest, so a listed station is consistent "
    "with the evidence, not proven honest."
)


def honest_stations(
    fit: MixtureEstimate,
    official: pd.DataFrame,
    stations: pd.DataFrame,
    threshold: float = HONEST_THRESHOLD,
) -> dict[str, Any]:
    """The stations with P(honest) >= ``threshold``, what their protocols show, a summary
    (how many, the challenger's share there, how many she won) and the caveat."""
    p = fit.p_honest.reindex(official.index)
    listed = official.index[(p >= threshold).to_numpy()]
    votes = official.loc[listed]
    chal = fit.challenger
    others = votes.drop(columns=[chal])
    totals = votes.sum(axis=1, min_count=1)
    won = (votes[chal] > others.max(axis=1)).to_numpy()
    rows = []
    for sid in sorted(listed, key=str):
        at = listed.get_loc(sid)
        row: dict[str, Any] = {"station": str(sid)}
        for col in ("region", "settlement_type"):
            if col in stations.columns:
                row[col] = stations.at[sid, col] if sid in stations.index else None
        total = float(np.asarray(totals)[at])
        row["p_honest"] = round(float(p[sid]), 4)
        row["official"] = {o: votes.at[sid, o] for o in official.columns}
        row["challenger_share"] = float(np.asarray(votes[chal])[at]) / total if total > 0 else None
        row["challenger_won"] = bool(won[at])
        rows.append(row)
    total_all = float(totals.sum())
    summary = {
        "stations": len(listed),
        "challenger_share": float(votes[chal].sum()) / total_all if total_all > 0 else None,
        "challenger_won": int(won.sum()),
        "protocols": int(fit.p_honest.notna().sum()),
    }
    return {
        "threshold": threshold,
        "method": "mixture",
        "challenger": chal,
        "caveat": CAVEAT.format(threshold=threshold),
        "summary": summary,
        "stations": jsonable(rows, whole_floats_as_int=True),
    }


def mixture_summary(fit: MixtureEstimate) -> dict[str, Any]:
    """The fitted mixture as a document: what the page says and everything the plot needs."""
    kept = np.asarray(fit.kept, dtype=float)
    return dict(
        jsonable(
            {
                "challenger": fit.challenger,
                "stations_classified": fit.n_classified,
                "honest_expected": float(fit.p_honest.sum()),
                "honest_fraction": fit.honest_fraction,
                "falsified_fraction_kept": fit.mean_kept,
                "kept_distribution": {"kept": KEPT.tolist(), "weight": kept.tolist()},
                "honest_sd": fit.honest_sd,
                "coverage": fit.coverage,
                "pooled_strata": list(fit.pooled_strata),
                "histogram": component_curves(fit),
                "n_boot": fit.n_boot,
                "iterations": fit.iterations,
            }
        )
    )
