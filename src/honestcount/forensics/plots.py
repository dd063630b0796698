"""PNG plots of the forensics tests: matplotlib ``Figure`` objects drawn on an Agg canvas, so
pyplot's global state (and the process-wide backend) is never touched."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from honestcount.forensics.fingerprint import FingerprintResult
from honestcount.forensics.shpilkin import ShpilkinResult

_DPI = 110


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=_DPI, bbox_inches="tight", facecolor="white")
    return path


def plot_integer_histograms(
    turnout_pct: np.ndarray | None, share_pct: np.ndarray, path: Path, title: str = ""
) -> Path:
    """Station counts in 0.1-point bins of turnout and leader's result (percent)."""
    panels = [("Leader's result, %", share_pct)]
    if turnout_pct is not None:
        panels.insert(0, ("Turnout, %", turnout_pct))
    fig = Figure(figsize=(12, 3.6 * len(panels)))
    edges = np.arange(-0.05, 100.051, 0.1)
    for k, (label, values) in enumerate(panels):
        ax = fig.add_subplot(len(panels), 1, k + 1)
        v = np.asarray(values, dtype=float)
        counts, _ = np.histogram(v[np.isfinite(v)], bins=edges)
        centres = 0.5 * (edges[:-1] + edges[1:])
        ax.plot(centres, counts, lw=0.6, color="#1f4e79")
        for x5 in range(0, 101, 5):
            ax.axvline(x5, color="#c0392b", lw=0.4, alpha=0.35, zorder=0)
        ax.set_xlim(0, 100)
        ax.set_xlabel(label)
        ax.set_ylabel("stations per 0.1-point bin")
        ax.set_xticks(range(0, 101, 5))
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(title or "Integer-percentage peaks (red lines: multiples of 5 %)")
    return _save(fig, path)


def plot_shpilkin(result: ShpilkinResult, path: Path, title: str = "") -> Path:
    """Votes by turnout: all ballots, leader, others, leader capped at the core ratio."""
    edges = result.bin_edges * 100
    centres = 0.5 * (edges[:-1] + edges[1:])
    fig = Figure(figsize=(12, 5.5))
    ax = fig.add_subplot(1, 1, 1)
    scale = 1e3
    ax.plot(centres, result.weight_hist / scale, color="0.55", lw=0.8, label=f"{result.weight}")
    ax.plot(centres, result.smoothed_hist / scale, color="0.2", lw=1.4, label="smoothed")
    ax.plot(centres, result.leader_hist / scale, color="#c0392b", lw=1.0, label="leader")
    ax.plot(centres, result.others_hist / scale, color="#1f77b4", lw=1.0, label="others")
    ax.plot(
        centres,
        result.capped_leader_hist / scale,
        color="#c0392b",
        lw=1.2,
        ls="--",
        label=f"leader at core ratio {result.core_ratio:.2f} x others",
    )
    ax.axvspan(
        result.core_low * 100,
        result.core_high * 100,
        color="#2ecc71",
        alpha=0.15,
        label="clean core",
    )
    ax.axvline(result.core_turnout * 100, color="#27ae60", lw=1.2)
    ax.set_xlim(0, 100)
    ax.set_xticks(range(0, 101, 5))
    ax.set_xlabel(f"turnout, % (bins of {result.bin_width * 100:.1f} points)")
    ax.set_ylabel("votes per bin, thousands")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=9)
    ax.set_title(
        title
        or (
            f"Shpilkin: {result.anomalous_votes / 1e6:.2f} M anomalous leader votes; "
            f"share {result.official_share:.1%} -> {result.corrected_share:.1%}, "
            f"turnout {result.official_turnout:.1%} -> {result.corrected_turnout:.1%}"
            + (f"\nWARNING: {result.core_warning}" if result.core_warning else "")
        )
    )
    return _save(fig, path)


def plot_fingerprint(result: FingerprintResult, path: Path, title: str = "") -> Path:
    """2-D histogram of turnout x leader's share (log colour scale)."""
    fig = Figure(figsize=(7, 6))
    ax = fig.add_subplot(1, 1, 1)
    counts = result.counts.T
    positive = counts[counts > 0]
    vmin = max(positive.min(), 1.0) if positive.size else 1.0
    vmax = max(positive.max(), vmin * 10) if positive.size else 10.0
    img = ax.imshow(
        np.where(counts > 0, counts, np.nan),
        origin="lower",
        extent=(0, 100, 0, 100),
        aspect="equal",
        cmap="viridis",
        norm=LogNorm(vmin=vmin, vmax=vmax),
        interpolation="nearest",
    )
    fig.colorbar(img, ax=ax, label=f"{result.weight} per cell")
    ax.set_xlabel("turnout, %")
    ax.set_ylabel("leader's share, %")
    ax.set_title(
        title
        or f"Fingerprint (share of {result.weight} with both >= "
        f"{result.corner:.0%}: {result.corner_share:.2%})"
    )
    return _save(fig, path)
