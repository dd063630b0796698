"""The plot of official / declared per station with the fitted honest and falsified parts."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from honestcount.estimate.report import EstimateReport

#: The plot's texts; pages pass their own (translated) labels with the same keys.
MIXTURE_PLOT_LABELS: dict[str, str] = {
    "title": "Official / declared votes for {challenger}, per station with a protocol",
    "xlabel": "official votes / declared votes for {challenger} (log scale)",
    "ylabel": "stations",
    "observed": "stations",
    "honest": "honest count (fitted)",
    "falsified": "falsified count (fitted)",
}


def _mixture_doc(result: Any) -> Mapping[str, Any]:
    if isinstance(result, EstimateReport):
        doc: Any = result.mixture
    elif isinstance(result, Mapping) and "histogram" in result:
        doc = result
    elif isinstance(result, Mapping):
        doc = result.get("mixture")
    else:
        raise TypeError(f"expected an EstimateReport or its document, got {type(result)}")
    if not isinstance(doc, Mapping) or "histogram" not in doc:
        raise ValueError("the result has no mixture fit (the mixture method did not run)")
    return doc


def plot_honest_mixture(
    result: EstimateReport | Mapping[str, Any],
    path: str | Path,
    labels: Mapping[str, str] | None = None,
) -> Path:
    """Write the histogram of official / declared votes of the challenger per protocol
    station with the fitted honest and falsified components (a PNG at ``path``).

    ``result``: the report, its JSON document (e.g. a stored analysis' result) or its
    ``mixture`` part; only ``mixture.histogram`` is read, so no refit is needed. ``labels``:
    any of the keys of :data:`MIXTURE_PLOT_LABELS` ("{challenger}" is filled in)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    doc = _mixture_doc(result)
    text = {**MIXTURE_PLOT_LABELS, **(labels or {})}
    chal = str(doc.get("challenger", ""))
    text = {k: v.replace("{challenger}", chal) for k, v in text.items()}
    hist = doc["histogram"]
    edges = np.asarray(hist["edges"], dtype=float)
    counts = np.asarray(hist["counts"], dtype=float)
    grid = np.asarray(hist["grid"], dtype=float)
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    ax.stairs(counts, edges, fill=True, color="#c8c8c8", label=text["observed"])
    ax.plot(grid, np.asarray(hist["honest"], dtype=float), color="#1b7837", lw=2,
            label=text["honest"])  # fmt: skip
    ax.plot(grid, np.asarray(hist["falsified"], dtype=float), color="#b2182b", lw=2,
            label=text["falsified"])  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlabel(text["xlabel"])
    ax.set_ylabel(text["ylabel"])
    ax.set_title(text["title"], fontsize=10)
    ax.legend(frameon=False)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, format="png")
    plt.close(fig)
    return out
