"""The intake service: voters, observers, protocol photos, moderation, digitisation.

The HTTP API is :func:`honestcount.intake.api.intake_router`. What the command line and the
public pages call:

* :func:`audit_verify` (``honestcount audit verify``): recompute the audit log's hash chains;
* :func:`checkpoint` / :func:`verify_against` (``audit checkpoint`` / ``audit verify
  --against``): a signed tree head of the transparency log, and the proof that the log and
  every data row it covers still extend it;
* :func:`create_account`: the first admin (or any staff account), with its token;
* :func:`materialise_evidence`: intake counts into ``voter_evidence`` for ``verify``;
* :func:`publishable_counts`: what public pages may show (embargo, minimum group size);
* :func:`publication`: the same rule for every figure derived from intake evidence (cells,
  verdicts and their proven excess, downloads, the static export), as a :class:`Publication`.

Inside: :mod:`.core` (accounts, sessions, limits, idempotency, the writer), one module per
feature (:mod:`.voters`, :mod:`.photos`, :mod:`.observers`, :mod:`.moderation`,
:mod:`.digitisation`, :mod:`.organiser`) raising the refusals of :mod:`.errors`, which
:mod:`.api` alone turns into HTTP answers.
"""

from __future__ import annotations

from honestcount.intake.audit import AuditReport
from honestcount.intake.audit import verify as audit_verify
from honestcount.intake.evidence import (
    Publication,
    materialise_evidence,
    publication,
    publishable_counts,
)
from honestcount.intake.organiser import issue_account as create_account
from honestcount.intake.translog import LogReport, checkpoint, verify_against, verify_receipt

__all__ = [
    "AuditReport",
    "LogReport",
    "Publication",
    "audit_verify",
    "checkpoint",
    "create_account",
    "materialise_evidence",
    "publication",
    "publishable_counts",
    "verify_against",
    "verify_receipt",
]
