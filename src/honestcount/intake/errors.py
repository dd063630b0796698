"""Why the intake refuses something, in its own words; :mod:`honestcount.intake.api` alone
turns these into HTTP status codes.

Every message is meant for the person who sent the request, and never echoes more than a
short excerpt of what they sent (:func:`excerpt`).
"""

from __future__ import annotations


class IntakeError(Exception):
    """A refusal with a message for the sender."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Invalid(IntakeError):
    """The request is not valid (a value, a combination of values)."""


class Malformed(IntakeError):
    """The request cannot be read at all (a bad header)."""


class Unauthorized(IntakeError):
    """No valid bearer token."""


class Forbidden(IntakeError):
    """Not allowed for this account, or past a deadline."""


class NotFound(IntakeError):
    """No such election, station, photo or account (or not one this account may see)."""


class Conflict(IntakeError):
    """Conflicts with what is stored."""


class TooLarge(IntakeError):
    """The body (or the image inside it) is larger than allowed."""


class Unsupported(IntakeError):
    """Not a kind of content the intake takes (a photo that is not JPEG, PNG or WebP)."""


class RateLimited(IntakeError):
    """Too many requests; ``retry_after`` seconds until the next is admitted."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def excerpt(value: object, limit: int = 40) -> str:
    """At most ``limit`` characters of ``value``'s text, for an error message."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"
