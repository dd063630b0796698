"""Election forensics: statistical anomaly indicators computed from official station results.

Every result is an anomaly indicator, never a verdict (see ``docs/forensics.md``). It offers
the battery (:func:`run_battery`, ``TESTS``, ``PLOTS``) and the statistics below; the
submodules ``integer_peaks``, ``shpilkin`` and ``fingerprint`` hold functions of the same name
(``from honestcount.forensics.shpilkin import shpilkin``), so the package namespace keeps the
modules. The fitted models ``klimek`` and ``mixture`` are imported on their own
(``from honestcount.forensics import mixture``): they load scipy's optimisers.

Importing this package is cheap (numpy, no scipy.stats or matplotlib): the tests import the
heavy modules when they run.
"""

from honestcount.forensics.battery import PLOTS, TESTS, run_battery
from honestcount.forensics.common import NOTE, CannotRun, benjamini_hochberg
from honestcount.forensics.digits import (
    bootstrap_levels,
    dip_test,
    last_digit_test,
    percent_zero_five_test,
    second_digit_test,
    skew_kurtosis,
    sobyanin_sukhovolsky,
    zero_five_test,
)
from honestcount.forensics.integer_peaks import (
    integer_peak_stations,
    integer_peaks_by_region,
    integer_peaks_montecarlo,
    integer_percent_mask,
    poisson_binomial_sf,
    window_probability,
)
from honestcount.forensics.shpilkin import find_core
from honestcount.forensics.simulate import simulate_election
from honestcount.forensics.spatial import (
    district_neighbours,
    getis_ord_gi_star,
    knn_neighbours,
    morans_i,
    spatial_screen,
)
from honestcount.results import Skipped

__all__ = [
    "NOTE",
    "PLOTS",
    "TESTS",
    "CannotRun",
    "Skipped",
    "benjamini_hochberg",
    "bootstrap_levels",
    "dip_test",
    "district_neighbours",
    "find_core",
    "getis_ord_gi_star",
    "integer_peak_stations",
    "integer_peaks_by_region",
    "integer_peaks_montecarlo",
    "integer_percent_mask",
    "knn_neighbours",
    "last_digit_test",
    "morans_i",
    "percent_zero_five_test",
    "poisson_binomial_sf",
    "run_battery",
    "second_digit_test",
    "simulate_election",
    "skew_kurtosis",
    "sobyanin_sukhovolsky",
    "spatial_screen",
    "window_probability",
    "zero_five_test",
]
