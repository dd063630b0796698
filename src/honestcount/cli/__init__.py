"""The ``honestcount`` command line: one command for every job, ``--json`` on every report.

One module per command group; :mod:`.common` holds the app and what every command shares,
:mod:`.output` how reports look in a terminal.
"""

from honestcount.cli import analysis, bot, data, intake, ledger, serve, simulation, worker  # noqa: F401
from honestcount.cli.common import app

__all__ = ["app"]

if __name__ == "__main__":
    app()
