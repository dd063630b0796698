"""Finite mixture model of election frauds (after Ferrari, McAlister & Mebane; ``eforensics``).

Model-based anomaly estimates, not findings of fraud: see ``NOTE`` and docs/mixture-models.md.

Parametrisation (station ``i``; ``N`` registered voters, ``A`` abstentions = ``N`` - ballots
cast, ``K`` valid ballots, ``W`` valid ballots for the leader)

* Clean behaviour, binomial-logit with a station random effect (overdispersion):
  ``logit tau_i ~ Normal(x_i' beta_turnout, sigma_turnout^2)`` is the honest turnout probability,
  ``logit nu_i ~ Normal(x_i' beta_share, sigma_share^2)`` the honest leader's share of valid
  ballots. Honest voters ``V0 ~ Bin(N, tau)``, honest leader votes ``W0 ~ Bin(K0, nu)``.
* Latent class ``Z_i`` in (no_fraud, incremental, extreme) with weights ``pi``.
* In a fraud class, a proportion ``m`` of the non-voters is turned into ballots for the leader
  (manufactured votes ``M ~ Bin(N - V0, m)``) and a proportion ``s`` of the other options' valid
  votes is moved to the leader (stolen votes ``S ~ Bin(K0 - W0, s)``). Hence
  ``A ~ Bin(N, (1 - tau)(1 - m))`` and ``W - M ~ Bin(K - M, s + (1 - s) nu)``.
  ``m`` and ``s`` are independent, ``lo + (hi - lo) * Beta(a, b)`` with class-specific
  ``(a, b)`` (``a, b >= 1``) on the class range: incremental ``(0, 0.7)``, extreme ``(0.7, 1)``.
  No-fraud stations have ``m = s = 0``.

Estimation: maximum likelihood by EM. The E-step integrates numerically, vectorised over
stations: the no-fraud class in closed form (normal approximation of the binomial on the logit
scale, convolved with the random effect), a fraud class on a fixed grid of standardised nodes
for the honest turnout (which fixes ``m`` and ``M`` for the station) and three Gauss-Hermite
nodes for the binomial of the leader's votes, where the density of the leader's share under the
class's ``s`` distribution comes from a table rebuilt each iteration (a fine grid over ``s``).
The M-step is closed form for ``pi`` and the regression coefficients and a concave 2-parameter
fit for each Beta. Uncertainty: the empirical (score outer-product) observed information from
per-station scores by Fisher's identity (Louis 1982; Meilijson 1989), delta method for derived
quantities, plus the posterior spread of the latent votes for vote totals. Calibration of these
intervals is checked by simulation in tests/forensics/test_mixture.py.

Modules, in the order of the computation: ``model`` (station data, parameters), ``simulator``,
``tables`` (share densities under a fraud class), ``estep``, ``mstep``, ``em`` (SQUAREM
driver), ``scores`` (information, Wald intervals), ``fit`` (:func:`fit_mixture`), ``checks``
(predictive checks), ``plots``, ``entry`` (an election: cached fit, station table, battery
entry). This namespace offers the public names below.
"""

from __future__ import annotations

from honestcount.forensics.mixture.checks import predictive_check
from honestcount.forensics.mixture.entry import (
    MixtureEntry,
    battery_entry,
    election_arrays,
    fit_election,
    mixture_entry,
    station_probabilities,
)
from honestcount.forensics.mixture.fit import fit_mixture
from honestcount.forensics.mixture.plots import plot_mixture
from honestcount.forensics.mixture.results import (
    CLASSES,
    NOTE,
    BetaShape,
    FitInputs,
    FraudClass,
    MixtureFit,
    PredictiveCheck,
    SimulatedMixture,
)
from honestcount.forensics.mixture.simulator import simulate_mixture

__all__ = [
    "CLASSES",
    "NOTE",
    "BetaShape",
    "FitInputs",
    "FraudClass",
    "MixtureEntry",
    "MixtureFit",
    "PredictiveCheck",
    "SimulatedMixture",
    "battery_entry",
    "election_arrays",
    "fit_election",
    "fit_mixture",
    "mixture_entry",
    "plot_mixture",
    "predictive_check",
    "simulate_mixture",
    "station_probabilities",
]
