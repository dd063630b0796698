"""The analysis defaults: constants, not environment (a published figure must not change
because a shell variable did). :mod:`honestcount.settings` re-exports them; this module stays
free of pydantic so the statistical packages import it cheaply."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AnalysisDefaults:
    """Defaults of every analysis; the CLI's option defaults and the pages refer to these."""

    confidence_level: float = 0.95
    # verification
    min_photo_excess: int = 1
    min_declared_excess: int = 1
    turnout_tolerance: float = 0.05
    turnout_tolerance_votes: int = 10
    # estimation
    estimate_threshold: float = 0.02  # see docs/estimation.md, "The coverage threshold"
    estimate_definition: str = "proof"
    n_boot: int = 2000
    seed: int = 0
    # forensics
    forensics_bootstrap: int = 1000


ANALYSIS = AnalysisDefaults()
