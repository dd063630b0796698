"""The result vocabulary shared by every analysis: intervals, skips, and one JSON encoder.

Statistical functions return frozen dataclasses built from these pieces (like
``scipy.stats`` result objects); :func:`jsonable` turns any of them into strict JSON values
(NaN and infinities become ``null``: unknown is never a number).
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

#: The default confidence level of every interval; each analysis takes ``level=`` to change it.
DEFAULT_LEVEL = 0.95


def z_value(level: float = DEFAULT_LEVEL) -> float:
    """The two-sided standard normal quantile for ``level`` (1.959964 for 0.95)."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level must be in (0, 1), got {level}")
    return NormalDist().inv_cdf(0.5 + level / 2.0)


def tail_quantiles(level: float = DEFAULT_LEVEL) -> tuple[float, float]:
    """The lower and upper quantiles (as fractions) of an equal-tailed ``level`` interval."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level must be in (0, 1), got {level}")
    return (1.0 - level) / 2.0, (1.0 + level) / 2.0


@dataclass(frozen=True)
class Interval:
    """A confidence interval ``[low, high]`` at confidence ``level``."""

    low: float
    high: float
    level: float = DEFAULT_LEVEL

    @property
    def width(self) -> float:
        return self.high - self.low

    def contains(self, value: float) -> bool:
        return bool(self.low <= value <= self.high)

    @classmethod
    def normal(cls, estimate: float, se: float, level: float = DEFAULT_LEVEL) -> Interval:
        """The Wald interval ``estimate ± z·se``."""
        z = z_value(level)
        return cls(estimate - z * se, estimate + z * se, level)

    @classmethod
    def percentile(cls, draws: np.ndarray, level: float = DEFAULT_LEVEL) -> Interval:
        """The equal-tailed percentile interval of bootstrap ``draws`` (NaNs ignored)."""
        draws = np.asarray(draws, dtype=float)
        draws = draws[np.isfinite(draws)]
        if draws.size == 0:
            return cls(math.nan, math.nan, level)
        lo, hi = np.quantile(draws, tail_quantiles(level))
        return cls(float(lo), float(hi), level)


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its interval (and standard error where there is one).

    Its JSON form keeps the established keys: ``estimate``, ``ci_low``, ``ci_high``
    (``se`` and ``level`` too).
    """

    estimate: float
    interval: Interval
    se: float = math.nan

    @property
    def ci_low(self) -> float:
        return self.interval.low

    @property
    def ci_high(self) -> float:
        return self.interval.high

    @property
    def level(self) -> float:
        return self.interval.level

    def as_dict(self) -> dict[str, float | None]:
        doc = {
            "estimate": _finite(self.estimate),
            "ci_low": _finite(self.interval.low),
            "ci_high": _finite(self.interval.high),
            "level": self.interval.level,
        }
        if math.isfinite(self.se):
            doc["se"] = float(self.se)
        return doc


@dataclass(frozen=True)
class Skipped:
    """An analysis that did not run, and why. The one way to say "skipped"."""

    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"skipped": True, "reason": self.reason}


def _finite(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def jsonable(obj: Any, *, whole_floats_as_int: bool = False) -> Any:
    """Strict-JSON values from results: dataclasses (through ``as_dict`` where they have
    one), mappings, sequences, numpy scalars and arrays, pandas missing values.

    ``whole_floats_as_int``: write 12.0 as 12 (for counts that travel as floats because
    NaN marks the unknown ones).
    """
    kw = {"whole_floats_as_int": whole_floats_as_int}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        as_dict = getattr(obj, "as_dict", None)
        if callable(as_dict):
            return jsonable(as_dict(), **kw)
        return {f.name: jsonable(getattr(obj, f.name), **kw) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): jsonable(v, **kw) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [jsonable(v, **kw) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist(), **kw)
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        x = float(obj)
        if not math.isfinite(x):
            return None
        return int(x) if whole_floats_as_int and x.is_integer() else x
    if obj is None or isinstance(obj, str):
        return obj
    if obj is getattr(np, "nan", object()) or _is_missing(obj):
        return None
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return str(obj)


def _is_missing(obj: Any) -> bool:
    try:
        import pandas as pd

        return bool(pd.isna(obj)) if np.ndim(obj) == 0 else False
    except (TypeError, ValueError):
        return False


def dumps(obj: Any, *, indent: int | None = 1, **kw: Any) -> str:
    """One JSON document for ``obj`` (see :func:`jsonable`), UTF-8 text, no ASCII escapes."""
    return json.dumps(jsonable(obj, **kw), ensure_ascii=False, indent=indent, allow_nan=False)


def plain(value: Any) -> Any:
    """A JSON-safe scalar for counts: NaN -> None, numpy -> Python, 12.0 -> 12."""
    return jsonable(value, whole_floats_as_int=True)
