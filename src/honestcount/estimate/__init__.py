"""Estimating the true result from official protocols and voters' evidence.

* :func:`lower_bounds`: what is certain (official floors and photo-confirmed ballots);
* :func:`ratio_estimate` / :func:`fit_ratio`: clean-station extrapolation from voters'
  evidence, with stratified-bootstrap intervals;
* :func:`pvt_estimate`, :func:`draw_sample`: parallel vote tabulation;
* :func:`sensitivity`, :func:`plot_sensitivity`: how the estimate depends on what is "clean";
* :func:`run_estimate`: everything for one election, as a JSON-ready dict (the CLI's entry);
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
from honestcount.estimate.pvt import (
    PVTEstimate,
    allocate,
    collapse_strata,
    draw_sample,
    pvt_estimate,
)
from honestcount.estimate.ratio import RatioEstimate, ratio_estimate
from honestcount.estimate.run import (
    ASSUMPTIONS,
    METHODS,
    RECOMMENDED,
    estimates_table,
    fit_ratio,
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
    "METHODS",
    "RECOMMENDED",
    "CleanSelection",
    "LowerBounds",
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
    "fit_ratio",
    "lower_bounds",
    "official_ballots",
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
