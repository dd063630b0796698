"""The words every page module shares: verdicts and their map codes, stamps, safe links."""

from __future__ import annotations

import hashlib
import json
from typing import Any

# Verdicts, strongest first (as honestcount.checks.verdicts orders them), with a one-letter
# code for the compact map layer.
VERDICTS = (
    "falsification_proven",
    "turnout_inflation_proven",
    "declared_exceeds_official",
    "consistent",
    "no_evidence",
    "no_official_result",
    "withheld",  # the intake's publication rule withholds the station's verdict
)
UNVERIFIED = "unverified"
WITHHELD = "withheld"
VERDICT_CODE = {
    "falsification_proven": "P",
    "turnout_inflation_proven": "T",
    "declared_exceeds_official": "D",
    "consistent": "C",
    "no_evidence": "E",
    "no_official_result": "N",
    "withheld": "W",
    UNVERIFIED: "U",
}
CODE_VERDICT = {c: v for v, c in VERDICT_CODE.items()}


def stamp_of(*parts: object) -> str:
    return hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()[:16]


def web_url(url: str | None) -> str | None:
    """A link from the data, only if it is a plain web address (never ``javascript:``)."""
    if isinstance(url, str) and url.lower().startswith(("http://", "https://")):
        return url
    return None


def json_value(value: Any) -> Any:
    """A JSON column as Python (SQLite hands back text)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
