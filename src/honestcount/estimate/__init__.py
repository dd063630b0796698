"""Estimating the true result from official protocols and voters' evidence.

* :func:`lower_bounds`: what is certain (official floors and photo-confirmed ballots);
* :func:`ratio_estimate` / :func:`fit_ratio`: clean-station extrapolation from voters'
  evidence, with stratified-bootstrap intervals;
* :func:`pvt_estimate`, :func:`draw_sample`: parallel vote tabulation;
* :func:`sensitivity`, :func:`plot_sensitivity`: how the estimate depends on what is "clean";
* :func:`mixture_estimate` / :func:`fit_mixture`: the honest-count mixture (P(honest) per
  station from the evidence, then extrapolation from the honest counts);
* :func:`run_estimate`: everything for one election, as an :class:`EstimateReport` (its
  ``as_dict()`` is the JSON document of ``honestcount estimate --json``), with warnings and
  the honest stations; :func:`plot_honest_mixture` draws the mixture;
* :func:`simulate`: synthetic elections with known truth (``estimate.simulate``), used by
  ``estimate.validation``.

See ``docs/estimation.md`` for the methods, their assumptions and their validation.
"""

from honestcount.estimate.bounds import LowerBounds, lower_bounds, station_lower_bounds
from honestcount.estimate.clean import (
    CleanSelection,
    coverage,
    declared_excess,
    official_ballots,
    proven_falsification,
    select_clean,
    stratum_labels,
)
from honestcount.estimate.honest import HONEST_THRESHOLD, honest_stations
from honestcount.estimate.mixture import MixtureEstimate, mixture_estimate
from honestcount.estimate.plots import MIXTURE_PLOT_LABELS, plot_honest_mixture
from honestcount.estimate.pvt import (
    PVTEstimate,
    allocate,
    collapse_strata,
    draw_sample,
    pvt_estimate,
)
from honestcount.estimate.ratio import RatioEstimate, ratio_estimate
from honestcount.estimate.report import EstimateReport, OptionEstimate
from honestcount.estimate.run import (
    ASSUMPTIONS,
    METHODS,
    RECOMMENDED,
    estimates_table,
    fit_mixture,
    fit_ratio,
    honest_threshold_table,
    run_estimate,
)
from honestcount.estimate.sensitivity import plot_sensitivity, sensitivity, trend
from honestcount.estimate.simulate import (
    SimTruth,
    SimulatedElection,
    read_golos,
    simulate,
    write_golos,
)

__all__ = [
    "ASSUMPTIONS",
    "HONEST_THRESHOLD",
    "METHODS",
    "MIXTURE_PLOT_LABELS",
    "RECOMMENDED",
    "CleanSelection",
    "EstimateReport",
    "LowerBounds",
    "MixtureEstimate",
    "OptionEstimate",
    "PVTEstimate",
    "RatioEstimate",
    "SimTruth",
    "SimulatedElection",
    "allocate",
    "collapse_strata",
    "coverage",
    "declared_excess",
    "draw_sample",
    "estimates_table",
    "fit_mixture",
    "fit_ratio",
    "honest_stations",
    "honest_threshold_table",
    "lower_bounds",
    "mixture_estimate",
    "official_ballots",
    "plot_honest_mixture",
    "plot_sensitivity",
    "proven_falsification",
    "pvt_estimate",
    "ratio_estimate",
    "read_golos",
    "run_estimate",
    "select_clean",
    "sensitivity",
    "simulate",
    "station_lower_bounds",
    "stratum_labels",
    "trend",
    "write_golos",
]
