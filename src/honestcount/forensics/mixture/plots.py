"""The mixture model's figure: observed vs replicated fingerprint, classes, marginal checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from honestcount.forensics.mixture.results import CLASSES, MixtureFit, PredictiveCheck


def plot_mixture(
    fit: MixtureFit, check: PredictiveCheck, path: Path | str, title: str = ""
) -> Path:
    """Observed vs model-replicated fingerprint, stations by modal class, marginal checks."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    path = Path(path)
    inp = fit.inputs
    used = fit.used
    turnout = np.clip(inp.ballots_cast[used] / inp.registered[used], 0, 1)
    share = np.clip(inp.leader[used] / inp.valid[used], 0, 1)
    fig, ax = plt.subplots(2, 3, figsize=(15, 9.5))
    vmax = max(check.observed["fingerprint"].max(), check.expected["fingerprint"].max(), 1)
    for a, key, lab in (
        (ax[0, 0], "observed", "observed fingerprint"),
        (ax[0, 1], "expected", "fitted model (predictive mean)"),
    ):
        h = getattr(check, key)["fingerprint"]
        im = a.imshow(
            np.where(h >= 0.5, h, np.nan).T,
            origin="lower",
            extent=(0, 1, 0, 1),
            aspect="auto",
            cmap="viridis",
            norm=LogNorm(vmin=0.5, vmax=vmax),
        )
        a.set_title(lab)
        a.set_xlabel("turnout")
        a.set_ylabel("leader's share of valid votes")
    fig.colorbar(im, ax=ax[0, 1], label="stations per 2 % x 2 % cell")
    cls = np.argmax(fit.station_probabilities[used], axis=1)
    colors = np.array(["#4c72b0", "#dd8452", "#c44e52"])
    order = np.argsort(cls, kind="stable")
    ax[0, 2].scatter(
        turnout[order],
        share[order],
        s=2,
        c=colors[cls[order]],
        alpha=0.5,
        rasterized=True,
        linewidths=0,
    )
    for c, name in enumerate(CLASSES):
        ax[0, 2].scatter([], [], s=20, c=colors[c], label=f"{name} ({np.mean(cls == c):.1%})")
    ax[0, 2].legend(loc="lower right", fontsize=8, markerscale=1.5)
    ax[0, 2].set(
        xlim=(0, 1), ylim=(0, 1), xlabel="turnout", title="stations by most probable class"
    )
    x = 0.5 * (check.edges[1:] + check.edges[:-1])
    for a, name, lab in ((ax[1, 0], "turnout", "turnout"), (ax[1, 1], "share", "leader's share")):
        a.step(x, check.observed[name], where="mid", color="k", lw=1, label="observed")
        a.plot(x, check.expected[name], color="#c44e52", lw=1.5, label="fitted model")
        floor = 1.0 / (check.n_replicates + 1)
        bound = " (smallest possible)" if check.p_values[name] <= floor + 1e-12 else ""
        a.set_title(f"{lab}: predictive p = {check.p_values[name]:.2f}{bound}")
        a.set_xlabel(lab)
        a.set_ylabel("stations per 1 % bin")
        a.legend(fontsize=8)
    est = [fit.pi[k].estimate for k in CLASSES]
    err = np.array(
        [[e - fit.pi[k].ci_low, fit.pi[k].ci_high - e] for e, k in zip(est, CLASSES, strict=True)]
    ).T
    ax[1, 2].bar(CLASSES, est, yerr=err, color=colors, capsize=6)
    ax[1, 2].set_ylim(0, 1)
    ax[1, 2].set_title(f"mixture weights ({fit.pi[CLASSES[0]].level:.0%} intervals)")
    for i, e in enumerate(est):
        ax[1, 2].text(i, min(e + 0.05, 0.95), f"{e:.3f}", ha="center")
    fig.suptitle(
        (title + "\n" if title else "")
        + "Mixture model of fraud: model-based anomaly estimates, not findings of fraud",
        fontsize=12,
    )
    fig.subplots_adjust(left=0.05, right=0.98, bottom=0.07, top=0.88, wspace=0.3, hspace=0.35)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
