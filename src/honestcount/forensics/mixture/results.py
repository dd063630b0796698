"""The mixture model's results: the fit, its simulated elections and its predictive check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from honestcount.forensics.mixture.model import Params
from honestcount.results import Estimate, jsonable

CLASSES = ("no_fraud", "incremental", "extreme")

NOTE = (
    "Model-based anomaly estimates, not findings of fraud. The 'incremental' and 'extreme' "
    "classes and the manufactured/stolen votes are what a specific statistical model needs to "
    "reproduce the published numbers; any misspecification (turnout or support that is not "
    "logit-normal, regional heterogeneity, special polling stations, strategic or mobilised "
    "voting) can produce the same signal, and the absence of a signal does not show the count "
    "was honest."
)


@dataclass(frozen=True)
class SimulatedMixture:
    """Counts drawn from the mixture model, with the latent truth."""

    registered: np.ndarray
    ballots_cast: np.ndarray
    valid: np.ndarray
    leader: np.ndarray
    true_class: np.ndarray  # 0 no_fraud, 1 incremental, 2 extreme
    manufactured: np.ndarray
    stolen: np.ndarray
    x: np.ndarray | None
    params: dict[str, Any]


@dataclass(frozen=True)
class PredictiveCheck:
    """Parametric predictive checks: discrepancy of the data vs replicates from the fit.

    ``discrepancy`` is a chi-square distance between a histogram and its predictive mean;
    ``p_value`` the share of replicates at least as far from the mean as the data.
    """

    statistics: dict[str, float]
    p_values: dict[str, float]
    n_replicates: int
    observed: dict[str, np.ndarray]
    expected: dict[str, np.ndarray]
    edges: np.ndarray


@dataclass(frozen=True)
class BetaShape:
    """A fraud proportion's Beta ``(a, b)`` on its class range and its mean proportion."""

    beta_a: float
    beta_b: float
    mean_proportion: Estimate

    def as_dict(self) -> dict[str, Any]:
        return {
            "beta_a": self.beta_a,
            "beta_b": self.beta_b,
            "mean_proportion": self.mean_proportion.as_dict(),
        }


@dataclass(frozen=True)
class FraudClass:
    """A fraud class: its range of proportions and the shapes of ``m`` and ``s``."""

    range: tuple[float, float]
    manufactured: BetaShape
    stolen: BetaShape

    def as_dict(self) -> dict[str, Any]:
        return {
            "range": list(self.range),
            "manufactured": self.manufactured.as_dict(),
            "stolen": self.stolen.as_dict(),
        }


@dataclass(frozen=True)
class FitInputs:
    """What the fit was given, kept for the predictive check and the plot."""

    registered: np.ndarray
    ballots_cast: np.ndarray
    valid: np.ndarray
    leader: np.ndarray
    x_turnout: np.ndarray | None
    x_share: np.ndarray | None
    ranges: np.ndarray
    params: Params


@dataclass(frozen=True)
class MixtureFit:
    """Result of :func:`fit_mixture`. Station arrays are aligned with the input (NaN = unused)."""

    pi: dict[str, Estimate]
    beta_turnout: np.ndarray
    beta_share: np.ndarray
    beta_turnout_se: np.ndarray
    beta_share_se: np.ndarray
    sigma_turnout: Estimate
    sigma_share: Estimate
    fraud_proportions: dict[str, FraudClass]
    manufactured_votes: Estimate
    stolen_votes: Estimate
    station_probabilities: np.ndarray  # (n, 3)
    station_probabilities_se: np.ndarray  # (n, 3), parameter uncertainty (delta method)
    manufactured: np.ndarray
    manufactured_sd: np.ndarray
    stolen: np.ndarray
    stolen_sd: np.ndarray
    used: np.ndarray  # bool mask of stations that entered the fit
    loglik: float
    n_iter: int
    converged: bool
    n_stations: int
    n_excluded: int
    param_names: tuple[str, ...]
    params: np.ndarray
    cov: np.ndarray
    seconds: float
    settings: dict[str, Any]
    inputs: FitInputs = field(repr=False, compare=False)
    note: str = NOTE

    @property
    def modal_class(self) -> np.ndarray:
        """Most probable class per station (-1 where the station was not used)."""
        out = np.full(self.used.shape, -1, dtype=int)
        out[self.used] = np.argmax(self.station_probabilities[self.used], axis=1)
        return out

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary (no station arrays)."""
        doc: dict[str, Any] = jsonable(
            {
                "pi": self.pi,
                "manufactured_votes": self.manufactured_votes,
                "stolen_votes": self.stolen_votes,
                "beta_turnout": self.beta_turnout,
                "beta_turnout_se": self.beta_turnout_se,
                "beta_share": self.beta_share,
                "beta_share_se": self.beta_share_se,
                "sigma_turnout": self.sigma_turnout,
                "sigma_share": self.sigma_share,
                "fraud_proportions": self.fraud_proportions,
                "loglik": self.loglik,
                "n_iter": self.n_iter,
                "converged": self.converged,
                "n_stations": self.n_stations,
                "n_excluded": self.n_excluded,
                "seconds": round(float(self.seconds), 3),
                "settings": self.settings,
                "note": self.note,
            }
        )
        return doc
