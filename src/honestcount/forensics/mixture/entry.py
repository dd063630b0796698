"""The mixture model on an election: arrays, a cached fit, the station table, the battery entry."""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from honestcount.forensics.mixture.checks import predictive_check
from honestcount.forensics.mixture.fit import fit_mixture
from honestcount.forensics.mixture.plots import plot_mixture
from honestcount.forensics.mixture.results import CLASSES, NOTE, MixtureFit, PredictiveCheck
from honestcount.results import Skipped, jsonable

if TYPE_CHECKING:
    import pandas as pd

    from honestcount.model import ElectionData

_CACHE: dict[tuple[int, str], tuple[weakref.ref[ElectionData], MixtureFit]] = {}


def election_arrays(data: ElectionData, leader: str) -> dict[str, np.ndarray]:
    """Registered, ballots cast, valid and leader's votes per station (NaN = unknown)."""
    registered = data.stations["registered_voters"].to_numpy(dtype=float)
    ballots = data.lines["ballots_cast"].to_numpy(dtype=float)
    if "valid" in data.lines:
        valid = data.lines["valid"].to_numpy(dtype=float)
    else:  # no valid-ballots line: the sum of the votes for the choices
        valid = data.official[data.choice_option_ids].sum(axis=1, min_count=1).to_numpy(float)
    return {
        "registered": registered,
        "ballots_cast": ballots,
        "valid": valid,
        "leader": data.official[leader].to_numpy(dtype=float),
    }


def fit_election(data: ElectionData, leader: str | None = None, **kwargs: Any) -> MixtureFit:
    """Fit the mixture to an election; the default fit is cached per (data object, leader)."""
    leader = leader or data.leader()
    key = (id(data), leader)
    hit = _CACHE.get(key)
    if not kwargs and hit is not None and hit[0]() is data:
        return hit[1]
    arr = election_arrays(data, leader)
    fit = fit_mixture(arr["registered"], arr["ballots_cast"], arr["valid"], arr["leader"], **kwargs)
    if not kwargs:
        for k in [k for k, (ref, _) in _CACHE.items() if ref() is None]:
            del _CACHE[k]
        _CACHE[key] = (weakref.ref(data), fit)
    return fit


def station_probabilities(
    data: ElectionData, leader: str | None = None, *, fit: MixtureFit | None = None
) -> pd.DataFrame:
    """Per-station class probabilities (with delta-method se), manufactured and stolen votes.

    Index: the election's station ids. ``*_sd`` are posterior standard deviations given the
    fitted parameters; stations that did not enter the fit are NaN.
    """
    import pandas as pd

    fit = fit or fit_election(data, leader)
    p, pse = fit.station_probabilities, fit.station_probabilities_se
    df = pd.DataFrame(
        {
            "p_no_fraud": p[:, 0],
            "p_incremental": p[:, 1],
            "p_extreme": p[:, 2],
            "p_no_fraud_se": pse[:, 0],
            "p_incremental_se": pse[:, 1],
            "p_extreme_se": pse[:, 2],
            "modal_class": pd.Series(
                [CLASSES[c] if c >= 0 else None for c in fit.modal_class], dtype="object"
            ).to_numpy(),
            "manufactured": fit.manufactured,
            "manufactured_sd": fit.manufactured_sd,
            "stolen": fit.stolen,
            "stolen_sd": fit.stolen_sd,
        },
        index=data.stations.index.copy(),
    )
    df.index.name = "station_id"
    return df


@dataclass(frozen=True)
class MixtureEntry:
    """The mixture model's entry in the forensics battery: the fit with its predictive check,
    or why it did not run."""

    leader: str
    fit: MixtureFit | Skipped
    check: PredictiveCheck | None = None
    leader_votes: float = math.nan
    plots: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        if isinstance(self.fit, Skipped):
            return {**self.fit.as_dict(), "note": NOTE}
        assert self.check is not None
        out: dict[str, Any] = {
            "method": "finite mixture of no-fraud/incremental/extreme classes (Mebane-type), EM",
            "leader": self.leader,
            **self.fit.summary(),
            "leader_votes": self.leader_votes,
            "predictive_checks": {
                name: {"discrepancy": stat, "p_value": self.check.p_values[name]}
                for name, stat in self.check.statistics.items()
            },
            "n_replicates": self.check.n_replicates,
        }
        out["note"] = NOTE
        if self.plots:
            out["plots"] = list(self.plots)
        doc: dict[str, Any] = jsonable(out)
        return doc


def mixture_entry(
    data: ElectionData,
    leader: str,
    *,
    plots_dir: Path | None = None,
    fit: MixtureFit | None = None,
    n_replicates: int = 19,
    seed: int = 0,
    level: float | None = None,
) -> MixtureEntry:
    """Fit the mixture to an election (the cached fit unless ``fit`` or a ``level`` other than
    the default is given), check it, and plot it into ``plots_dir``."""
    arr = election_arrays(data, leader)
    if not np.isfinite(arr["registered"]).any():
        return MixtureEntry(leader, Skipped("registered voters unknown: no turnout"))
    try:
        kwargs = {} if level is None else {"level": level}
        fit = fit or fit_election(data, leader, **kwargs)
    except ValueError as exc:
        return MixtureEntry(leader, Skipped(str(exc)))
    check = predictive_check(fit, n_replicates=n_replicates, seed=seed)
    plots: tuple[str, ...] = ()
    if plots_dir is not None:
        path = plot_mixture(
            fit, check, Path(plots_dir) / "mixture_model.png", title=f"{data.election.name}"
        )
        plots = (str(path),)
    leader_votes = float(np.nansum(arr["leader"][fit.used]))
    return MixtureEntry(leader, fit, check, leader_votes, plots)


def battery_entry(
    data: ElectionData,
    leader: str,
    *,
    plots_dir: Path | None = None,
    fit: MixtureFit | None = None,
    n_replicates: int = 19,
    seed: int = 0,
    level: float | None = None,
) -> dict[str, Any]:
    """The JSON form of :func:`mixture_entry` (the model's entry in the forensics battery)."""
    entry = mixture_entry(
        data,
        leader,
        plots_dir=plots_dir,
        fit=fit,
        n_replicates=n_replicates,
        seed=seed,
        level=level,
    )
    return entry.as_dict()
