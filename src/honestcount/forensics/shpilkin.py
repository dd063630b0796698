"""Shpilkin's estimate of anomalous votes from the turnout distribution (Shpilkin 2009, 2011).

Idea: in an honest count the leader's share hardly depends on turnout, and the votes-by-turnout
distribution has a roughly bell-shaped *clean core*. Ballot stuffing or written-in results move
stations to higher turnout and add votes for the leader only. So:

1. histogram the stations' turnout weighted by voters (ballots cast by default; turnout above
   100 % goes into the last bin) and smooth it (Gaussian, 1 point) so that integer spikes do
   not count as peaks;
2. the clean core is the *first* (lowest-turnout) peak with at least ``min_peak`` of the highest
   smoothed bin, not the global mode (stuffed stations can pile up into a higher mode);
3. the core ratio ``r`` = leader's votes / other choices' votes over the core's stations;
4. above the core, the others' votes are taken as honest and the leader's capped at ``r`` times
   them, bin by bin: anomalous votes = sum over bins of max(0, L_bin - r O_bin);
5. removing them gives the corrected share (leader / ballots) and corrected turnout
   (ballots / registered), i.e. the extra turnout is the anomalous votes too.

Core definitions: ``hwhm`` (peak +- the left half-width at half maximum; the right flank is the
contaminated one), ``narrow`` (peak +- 1 point), ``left`` (all turnout up to the peak).

A clean core may not exist (e.g. Russia 2024, where votes rise steadily towards 100 % turnout):
``core_warning`` is set when more than 20 % of the weight lies below the core (a bell-shaped
core leaves about 12 %) or the hwhm core is wider than 30 points; the estimate is then not
meaningful.

What it does not show: the estimate assumes that turnout and support are unrelated in honest
voting; where they are related (regional or urban/rural differences) it counts the natural
correlation as anomalous, and it misses fraud that does not raise turnout (vote transfer).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from honestcount.forensics.common import NOTE, CannotRun

CORES = ("hwhm", "narrow", "left")
SENSITIVITY_BINS = (0.0025, 0.005, 0.01, 0.02)


@dataclass(frozen=True)
class Core:
    peak: float
    low: float
    high: float


@dataclass(frozen=True)
class ShpilkinSensitivity:
    bin_width: float
    core: str
    core_turnout: float
    core_low: float
    core_high: float
    core_ratio: float
    anomalous_votes: float
    corrected_share: float
    corrected_turnout: float
    left_tail_share: float


@dataclass(frozen=True)
class ShpilkinResult:
    """Anomalous leader votes and corrected figures; histograms kept for plots (fractions)."""

    anomalous_votes: float
    anomalous_fraction_of_leader: float
    core_warning: str | None
    left_tail_share: float
    core_turnout: float
    core_low: float
    core_high: float
    core_ratio: float
    corrected_share: float
    corrected_turnout: float
    official_share: float
    official_turnout: float
    bin_width: float
    core: str
    weight: str
    stations: int
    bin_edges: np.ndarray
    weight_hist: np.ndarray
    smoothed_hist: np.ndarray
    leader_hist: np.ndarray
    others_hist: np.ndarray
    capped_leader_hist: np.ndarray
    sensitivity: tuple[ShpilkinSensitivity, ...]
    note: str = NOTE


def find_core(
    turnout: np.ndarray,
    weights: np.ndarray,
    *,
    bin_width: float = 0.005,
    core: str = "hwhm",
    smooth: float = 0.01,
    min_peak: float = 0.2,
    min_prominence: float = 0.05,
) -> tuple[Core, np.ndarray, np.ndarray, np.ndarray]:
    """The clean core of a weighted turnout histogram: first peak and its window.

    Peaks of the smoothed histogram (Gaussian, sd ``smooth``) count when their height is at
    least ``min_peak`` and their prominence at least ``min_prominence`` of the highest bin;
    without any, the highest bin. Returns the core, the bin edges, the raw and the smoothed
    histograms.
    """
    from scipy import ndimage, signal  # heavy imports (~1 s): only when a core is sought

    if core not in CORES:
        raise ValueError(f"core must be one of {CORES}")
    nbins = int(round(1.0 / bin_width))
    edges = np.linspace(0.0, 1.0, nbins + 1)
    idx = np.clip((np.clip(turnout, 0.0, 1.0) / bin_width).astype(np.int64), 0, nbins - 1)
    hist = np.bincount(idx, weights=weights, minlength=nbins)
    sm = ndimage.gaussian_filter1d(hist, sigma=max(smooth / bin_width, 0.5), mode="constant")
    top = sm.max()
    peaks, _ = signal.find_peaks(sm, height=min_peak * top, prominence=min_prominence * top)
    i = int(peaks[0]) if peaks.size else int(np.argmax(sm))
    centres = 0.5 * (edges[:-1] + edges[1:])
    peak = float(centres[i])
    if core == "hwhm":
        below = np.nonzero(sm[: i + 1] < 0.5 * sm[i])[0]
        if below.size:
            j = int(below[-1])  # last bin under half max, j + 1 is above it
            frac = (0.5 * sm[i] - sm[j]) / max(sm[j + 1] - sm[j], 1e-300)
            left = centres[j] + frac * bin_width
        else:
            left = 0.0
        half = max(peak - left, bin_width)
        c = Core(peak, max(peak - half, 0.0), min(peak + half, 1.0))
    elif core == "narrow":
        c = Core(peak, max(peak - 0.01, 0.0), min(peak + 0.01, 1.0))
    else:
        c = Core(peak, 0.0, peak)
    return c, edges, hist, sm


def _estimate(
    turnout: np.ndarray,
    registered: np.ndarray,
    ballots: np.ndarray,
    leader: np.ndarray,
    others: np.ndarray,
    weights: np.ndarray,
    bin_width: float,
    core: str,
    smooth: float,
    min_peak: float,
) -> tuple[ShpilkinSensitivity, dict[str, np.ndarray]]:
    c, edges, hist, sm = find_core(
        turnout, weights, bin_width=bin_width, core=core, smooth=smooth, min_peak=min_peak
    )
    in_core = (turnout >= c.low) & (turnout <= c.high)
    left_tail = float(weights[turnout < c.low].sum() / weights.sum())
    o_core = others[in_core].sum()
    ratio = leader[in_core].sum() / o_core if o_core > 0 else np.nan
    nbins = edges.size - 1
    idx = np.clip((np.clip(turnout, 0.0, 1.0) / bin_width).astype(np.int64), 0, nbins - 1)
    above = turnout > c.high
    l_hist = np.bincount(idx, weights=leader, minlength=nbins)
    o_hist = np.bincount(idx, weights=others, minlength=nbins)
    l_above = np.bincount(idx[above], weights=leader[above], minlength=nbins)
    o_above = np.bincount(idx[above], weights=others[above], minlength=nbins)
    excess = np.maximum(l_above - ratio * o_above, 0.0) if np.isfinite(ratio) else l_above * 0
    anomalous = float(excess.sum())
    lt, bt, nt = leader.sum(), ballots.sum(), registered.sum()
    row = ShpilkinSensitivity(
        bin_width=bin_width,
        core=core,
        core_turnout=c.peak,
        core_low=c.low,
        core_high=c.high,
        core_ratio=float(ratio),
        anomalous_votes=anomalous,
        corrected_share=float((lt - anomalous) / (bt - anomalous)),
        corrected_turnout=float((bt - anomalous) / nt),
        left_tail_share=left_tail,
    )
    hists = {
        "edges": edges,
        "hist": hist,
        "smoothed": sm,
        "leader": l_hist,
        "others": o_hist,
        "capped": l_hist - excess,
    }
    return row, hists


def shpilkin(
    registered: np.ndarray | None,
    ballots: np.ndarray,
    leader: np.ndarray,
    others: np.ndarray | None = None,
    *,
    bin_width: float = 0.005,
    core: str = "hwhm",
    weight: str = "ballots",
    smooth: float = 0.01,
    min_peak: float = 0.2,
    sensitivity_bins: tuple[float, ...] = SENSITIVITY_BINS,
    sensitivity_cores: tuple[str, ...] = CORES,
) -> ShpilkinResult:
    """Shpilkin's anomalous-vote estimate (see the module docstring); turnout in fractions.

    ``others``: votes for the other choices (default ballots - leader). ``weight``: ``ballots``
    (votes by turnout, Shpilkin's plot) or ``registered``. Raises :class:`CannotRun` when
    registered voters are unknown. The sensitivity table re-runs the estimate over
    ``sensitivity_bins`` x ``sensitivity_cores``.
    """
    if registered is None or not np.isfinite(registered).any():
        raise CannotRun("registered voters unknown: turnout, hence Shpilkin's method, undefined")
    if weight not in ("ballots", "registered"):
        raise ValueError("weight must be 'ballots' or 'registered'")
    registered = np.asarray(registered, dtype=float)
    ballots = np.asarray(ballots, dtype=float)
    leader = np.asarray(leader, dtype=float)
    others = ballots - leader if others is None else np.asarray(others, dtype=float)
    ok = (
        np.isfinite(registered)
        & (registered > 0)
        & np.isfinite(ballots)
        & (ballots > 0)
        & np.isfinite(leader)
        & np.isfinite(others)
    )
    if ok.sum() < 10:
        raise CannotRun("fewer than 10 stations with registered voters and ballots")
    registered, ballots, leader, others = registered[ok], ballots[ok], leader[ok], others[ok]
    turnout = ballots / registered
    weights = ballots if weight == "ballots" else registered
    args = (turnout, registered, ballots, leader, others, weights)
    main, hists = _estimate(*args, bin_width, core, smooth, min_peak)
    table = tuple(
        _estimate(*args, bw, cd, smooth, min_peak)[0]
        for bw in sensitivity_bins
        for cd in sensitivity_cores
    )
    lt, bt, nt = leader.sum(), ballots.sum(), registered.sum()
    warn = []
    if main.left_tail_share > 0.2:
        warn.append(f"{main.left_tail_share:.0%} of the {weight} lie below the core")
    if main.core_high - main.core_low > 0.3:
        warn.append(f"the core spans {main.core_high - main.core_low:.0%} of turnout")
    return ShpilkinResult(
        anomalous_votes=main.anomalous_votes,
        anomalous_fraction_of_leader=float(main.anomalous_votes / lt) if lt > 0 else float("nan"),
        core_warning=(
            "no clear clean core (" + "; ".join(warn) + "): the estimate is not meaningful"
            if warn
            else None
        ),
        left_tail_share=main.left_tail_share,
        core_turnout=main.core_turnout,
        core_low=main.core_low,
        core_high=main.core_high,
        core_ratio=main.core_ratio,
        corrected_share=main.corrected_share,
        corrected_turnout=main.corrected_turnout,
        official_share=float(lt / bt),
        official_turnout=float(bt / nt),
        bin_width=bin_width,
        core=core,
        weight=weight,
        stations=int(ok.sum()),
        bin_edges=hists["edges"],
        weight_hist=hists["hist"],
        smoothed_hist=hists["smoothed"],
        leader_hist=hists["leader"],
        others_hist=hists["others"],
        capped_leader_hist=hists["capped"],
        sensitivity=table,
    )
