"""Former name of :mod:`honestcount.forensics.common`, kept while
``benchmarks/bench_forensics.py`` still imports it from here; import from ``common``."""

from honestcount.forensics.common import NOTE, CannotRun, StationArrays, station_arrays

__all__ = ["NOTE", "CannotRun", "StationArrays", "station_arrays"]
