"""The intake service: voters, observers, protocol photos, moderation, digitisation.

The HTTP API is :func:`honestcount.intake.api.router`. What the command line and the public
pages call:

* :func:`audit_verify` (``honestcount audit verify``): recompute the audit log's hash chains;
* :func:`create_account`: the first admin (or any staff account), with its token;
* :func:`materialise_evidence`: intake counts into ``voter_evidence`` for ``verify``;
* :func:`publishable_counts`: what public pages may show (embargo, minimum group size).
"""

from __future__ import annotations

from honestcount.intake.audit import AuditReport
from honestcount.intake.audit import verify as audit_verify
from honestcount.intake.evidence import materialise_evidence, publishable_counts
from honestcount.intake.service import issue_account as create_account

__all__ = [
    "AuditReport",
    "audit_verify",
    "create_account",
    "materialise_evidence",
    "publishable_counts",
]
