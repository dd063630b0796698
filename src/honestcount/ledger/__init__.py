"""The aftermath ledger: detentions, releases, injuries and deaths, held against official
figures.

What it offers (import these from here; the modules below are its parts):

* reading and importing lists: :func:`import_list`, :func:`parse_list` (with a read report);
* linkage: :func:`link` (who is who, Splink), :func:`review_queue`, :func:`decide_pair`;
* figures and claims, as low/best/high ranges: ``figures.figures`` (with ``range_method``,
  the sentence :data:`RANGE_METHOD`), :func:`claims_report`;
* cases: :func:`read_case`, :func:`add_record`, :func:`set_disclosure`,
  :func:`relatives_search`, :func:`purge` (all logged in the access log);
* the key: :class:`Vault` (``Vault.from_env()`` reads ``HONESTCOUNT_LEDGER_KEY`` through
  :func:`honestcount.settings.get_settings`), :func:`generate_key`, :class:`LedgerKeyError`;
* the CLI's jobs: :mod:`~honestcount.ledger.commands`; validation on lists with known
  identities: :mod:`~honestcount.ledger.validation` (generators :mod:`~.synth` and
  :mod:`~.realistic`).

Modules, in the order data flows through them (each imports only those before it):
``crypto``, ``access`` → ``names`` → ``reading`` → ``importer`` → ``linkage`` → ``runs`` →
``figures`` → ``claims``, ``cases`` → ``synth``, ``training``, ``realistic``,
``validation`` → ``commands``; ``web`` (the public pages) sits on top. See docs/ledger.md.
"""

from honestcount.ledger.cases import (
    add_record,
    purge,
    read_case,
    relatives_search,
    set_disclosure,
)
from honestcount.ledger.claims import claims_report
from honestcount.ledger.crypto import LedgerKeyError, Vault, generate_key
from honestcount.ledger.figures import RANGE_METHOD
from honestcount.ledger.importer import import_list, parse_list
from honestcount.ledger.runs import decide_pair, link, review_queue

__all__ = [
    "RANGE_METHOD",
    "LedgerKeyError",
    "Vault",
    "add_record",
    "claims_report",
    "decide_pair",
    "generate_key",
    "import_list",
    "link",
    "parse_list",
    "purge",
    "read_case",
    "relatives_search",
    "review_queue",
    "set_disclosure",
]
