"""How the clean-station estimate moves with the definition of *clean* and the coverage
threshold: a table and a plot."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from honestcount.estimate.clean import DEFINITIONS, Definition, select_clean
from honestcount.estimate.ratio import ratio_estimate
from honestcount.estimate.run import _inputs
from honestcount.model import ElectionData

THRESHOLDS: tuple[float, ...] = (0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2)


def sensitivity(
    data: ElectionData,
    thresholds: Sequence[float] = THRESHOLDS,
    definitions: Sequence[Definition] = DEFINITIONS,
    evidence: str = "declared",
    checks_ok: pd.Series | None = None,
    n_boot: int = 200,
    seed: int = 0,
) -> pd.DataFrame:
    """The ratio estimate for every (definition, threshold) pair.

    Returns a long frame: ``definition, threshold, option, share, ci_low, ci_high, votes,
    ballots, stations_used`` (``ballots``: the estimated total ballots cast; it falls with the
    threshold when the threshold selects stations with high platform participation).
    Combinations that leave no clean station are skipped.
    """
    inp = _inputs(data)
    ev = inp.declared if evidence == "declared" else inp.photo
    rows = []
    for definition in definitions:
        for t in thresholds:
            sel = select_clean(inp.official, inp.photo, inp.declared, checks_ok, t, definition)
            if sel.n_clean == 0:
                continue
            res = ratio_estimate(
                inp.official, ev, sel.clean.to_numpy(), inp.levels, n_boot=n_boot, seed=seed
            )
            for j, o in enumerate(res.options):
                rows.append(
                    {
                        "definition": definition,
                        "threshold": float(t),
                        "option": o,
                        "share": float(res.shares[j]),
                        "ci_low": float(res.share_ci[j, 0]),
                        "ci_high": float(res.share_ci[j, 1]),
                        "votes": float(res.votes[j]),
                        "ballots": res.ballots,
                        "stations_used": res.n_clean,
                    }
                )
    return pd.DataFrame(rows)


def trend(table: pd.DataFrame, option: str, definition: Definition = "proof") -> float:
    """Least-squares slope of the option's share against the threshold (share per unit of
    coverage), over the rows of one definition."""
    t = table[(table["option"] == option) & (table["definition"] == definition)]
    if len(t) < 2:
        return float("nan")
    return float(np.polyfit(t["threshold"], t["share"], 1)[0])


def plot_sensitivity(
    table: pd.DataFrame,
    path: str | Path,
    options: Sequence[str] | None = None,
    title: str = "",
    reference: dict[str, float] | None = None,
    reference_label: str = "official",
) -> Path:
    """Plot share (with interval) against threshold, one panel per option and one line per
    definition, plus a panel with the number of clean stations. ``reference``: horizontal
    lines per option (e.g. the official share). Saves a PNG at ``path``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if options is None:
        mean = table.groupby("option")["share"].mean().sort_values(ascending=False)
        options = list(mean.index[:2])
    defs = list(dict.fromkeys(table["definition"]))
    extra = 2 if "ballots" in table.columns else 1
    n_ax = len(options) + extra
    fig = Figure(figsize=(4.0 * n_ax, 3.8))
    FigureCanvasAgg(fig)  # render with Agg, whatever pyplot's backend
    axes = fig.subplots(1, n_ax)
    colors = dict(zip(defs, ["tab:gray", "tab:blue", "tab:red", "tab:green"], strict=False))
    for ax, opt in zip(axes, options, strict=False):
        for d in defs:
            t = table[(table["option"] == opt) & (table["definition"] == d)]
            ax.plot(t["threshold"], 100 * t["share"], marker="o", ms=3, color=colors[d], label=d)
            ax.fill_between(
                t["threshold"], 100 * t["ci_low"], 100 * t["ci_high"], color=colors[d], alpha=0.15
            )
        if reference and opt in reference:
            ax.axhline(100 * reference[opt], color="black", ls="--", lw=1, label=reference_label)
        ax.set_title(opt)
        ax.set_xlabel("coverage threshold (photo / ballots counted)")
        ax.set_ylabel("estimated share, %")
        ax.grid(alpha=0.3)
    per_t = {d: table[table["definition"] == d].drop_duplicates("threshold") for d in defs}
    ax = axes[len(options)]
    for d in defs:
        t = per_t[d]
        ax.plot(t["threshold"], t["stations_used"], marker="o", ms=3, color=colors[d], label=d)
    ax.set_title("clean stations used")
    ax.set_xlabel("coverage threshold")
    ax.grid(alpha=0.3)
    ax.legend(title="definition of clean", fontsize=8)
    if extra == 2:
        ax = axes[-1]
        for d in defs:
            t = per_t[d]
            ax.plot(t["threshold"], t["ballots"] / 1e6, marker="o", ms=3, color=colors[d])
        if reference and "ballots_cast" in reference:
            ax.axhline(reference["ballots_cast"] / 1e6, color="black", ls="--", lw=1)
        ax.set_title("estimated ballots cast, millions")
        ax.set_xlabel("coverage threshold")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path
