"""Reading tabular files strictly: every problem is reported with file, line and column.

Line numbers are those of the file as a person opens it: the header is line 1.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from honestcount.errors import InputError


def read_text(path: Path) -> str:
    """The file decoded as UTF-8 (a zip holding one CSV is opened transparently)."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=str(path))
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            if len(names) != 1:
                raise InputError(f"expected one CSV inside the zip, found {len(names)}", str(path))
            raw = archive.read(names[0])
    else:
        raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"unreadable encoding: byte {raw[exc.start]:#04x} at offset {exc.start} is not UTF-8",
            file=str(path),
            line=line,
        ) from None


def read_csv(
    path: Path,
    required: Iterable[str] = (),
    key: str | None = None,
    text_columns: Iterable[str] = (),
) -> pd.DataFrame:
    """Read a CSV (empty cells become NA), checking columns and a unique key.

    Columns in ``text_columns`` (and ``key``) are read as text; others are typed by pandas,
    and :func:`counts` then reports any cell that is not a whole number.
    """
    text = read_text(path)
    as_text = {c: str for c in text_columns} | ({key: str} if key else {})
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=as_text, keep_default_na=False, na_values=[""])
    except pd.errors.ParserError as exc:
        raise InputError(f"malformed CSV: {exc}", file=str(path)) from None
    except pd.errors.EmptyDataError:
        raise InputError("the file is empty", file=str(path)) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(map(repr, missing))}; found {list(frame.columns)}",
            file=str(path),
            line=1,
        )
    if key is not None:
        check_unique(frame[key], path, key)
    return frame


def check_unique(ids: pd.Series, path: Path, column: str) -> None:
    dup = ids.duplicated(keep="first") & ids.notna()
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(
            "duplicate station id", file=str(path), line=row + 2, column=column, value=ids.iloc[row]
        )
    empty = ids.isna()
    if empty.any():
        row = int(np.flatnonzero(empty.to_numpy())[0])
        raise InputError("empty station id", file=str(path), line=row + 2, column=column)


def _shown(value: object) -> str:
    """A cell as the person typed it (typed columns give numpy scalars back)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def counts(
    frame: pd.DataFrame, column: str, path: Path, *, allow_negative: bool = False
) -> pd.Series:
    """A column of counts as float64 with NaN for unknown; non-integers are reported."""
    raw = frame[column]
    if raw.dtype.kind in "iuf":
        values = raw.astype("float64")
    else:
        values = pd.to_numeric(raw.astype("string").str.strip(), errors="coerce")
    bad = values.isna() & raw.notna()
    fractional = values.notna() & (values != np.floor(values))
    problem = bad | fractional
    if problem.any():
        row = int(np.flatnonzero(problem.to_numpy())[0])
        raise InputError(
            "not a whole number",
            file=str(path),
            line=row + 2,
            column=column,
            value=_shown(raw.iloc[row]),
        )
    if not allow_negative and (values < 0).any():
        row = int(np.flatnonzero((values < 0).to_numpy())[0])
        raise InputError(
            "negative count",
            file=str(path),
            line=row + 2,
            column=column,
            value=_shown(raw.iloc[row]),
        )
    return values.astype("float64")


def numbers(frame: pd.DataFrame, column: str, path: Path) -> pd.Series:
    """A column of real numbers (coordinates) with NaN for unknown."""
    raw = frame[column]
    if raw.dtype.kind in "iuf":
        return raw.astype("float64")
    values = pd.to_numeric(raw.astype("string").str.strip(), errors="coerce")
    bad = values.isna() & raw.notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            "not a number", file=str(path), line=row + 2, column=column, value=raw.iloc[row]
        )
    return values.astype("float64")
