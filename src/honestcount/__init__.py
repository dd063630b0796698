"""honestcount: independent verification of an election count from citizens' evidence."""

__version__ = "0.1.0"
