"""Every table of the store on one ``metadata`` (so Alembic sees the whole schema).

* :mod:`.evidence`: elections, stations and the evidence layers, verdicts;
* :mod:`.analysis`: stored estimate and forensics results;
* :mod:`.intake`: accounts, submissions, photos, digitisation, the audit log;
* :mod:`.ledger`: the aftermath ledger (sealed names, cases, links, claims);
* :mod:`.jobs`: the job queue (photo processing by ``honestcount worker``).
"""

from honestcount.store.tables.analysis import *  # noqa: F403
from honestcount.store.tables.base import metadata as metadata
from honestcount.store.tables.evidence import *  # noqa: F403
from honestcount.store.tables.intake import *  # noqa: F403
from honestcount.store.tables.jobs import *  # noqa: F403
from honestcount.store.tables.ledger import *  # noqa: F403
