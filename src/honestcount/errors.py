"""Errors that reach a user: each says where (file, line, column, field) and what."""

from __future__ import annotations

from dataclasses import dataclass


class HonestcountError(Exception):
    """Base class for errors reported to users without a traceback."""


@dataclass
class InputError(HonestcountError):
    """Bad input: names the place and the problem. Nothing was written when it is raised."""

    problem: str
    file: str | None = None
    line: int | None = None
    column: str | None = None
    value: object = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        place = ", ".join(where)
        shown = "" if self.value is None else f" (value {self.value!r})"
        return f"{place}: {self.problem}{shown}" if place else f"{self.problem}{shown}"


class NotFoundError(HonestcountError):
    """An election or station that the store does not hold."""
