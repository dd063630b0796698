"""The aftermath ledger: detentions, releases, injuries and deaths, held against official
figures.

Modules, in the order data flows through them:

* :mod:`~honestcount.ledger.reading` reads volunteer lists (CSV, XLSX, any header language);
* :mod:`~honestcount.ledger.names` brings names, places and facilities to one form;
* :mod:`~honestcount.ledger.importer` stores each row as a sealed record with its facts;
* :mod:`~honestcount.ledger.linkage` and :mod:`~honestcount.ledger.runs` decide who is who
  (Splink) and keep the review queue;
* :mod:`~honestcount.ledger.figures` counts people, as ranges;
* :mod:`~honestcount.ledger.claims` sets stated numbers beside the counts;
* :mod:`~honestcount.ledger.cases` reads cases (logged), takes entries by hand, records
  consent, answers relatives and purges;
* :mod:`~honestcount.ledger.crypto` holds the key handling; :mod:`~honestcount.ledger.synth`
  makes synthetic lists; :mod:`~honestcount.ledger.commands` has the CLI's functions.

See docs/ledger.md.
"""
