"""The ``intake`` and ``audit`` command groups: accounts, evidence, the audit log."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from honestcount.cli.common import ElectionOpt, JsonOpt, app, emit_json, engine, out, run_guarded

audit_app = typer.Typer(help="The intake service's hash-chained audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(as_json: JsonOpt = False) -> None:
    """Check every link of the audit chain: a silent edit or deletion is reported."""
    from honestcount.intake import audit_verify as check

    def run():
        report = check(engine())
        doc = report.as_dict()
        if as_json:
            emit_json(doc)
        else:
            out.print(
                f"audit log: {report.entries:,} entries in {report.chains} chain(s): "
                + ("intact" if report.ok else "[bold red]BROKEN[/]")
            )
            for problem in report.problems:
                out.print(f"  {problem}")
        if not report.ok:
            raise typer.Exit(1)

    run_guarded(run)


intake_app = typer.Typer(help="The intake service: accounts and evidence.", no_args_is_help=True)
app.add_typer(intake_app, name="intake")


@intake_app.command("admin")
def intake_admin(
    label: Annotated[str, typer.Argument(help="Who the account is for (no personal data).")],
) -> None:
    """Create an admin account and print its token once (the store keeps only its hash)."""
    from honestcount.intake import create_account

    def run():
        account, token = create_account(engine(), "admin", label)
        emit_json({"account": account, "role": "admin", "token": token})

    run_guarded(run)


@intake_app.command("materialise")
def intake_materialise(election: ElectionOpt, as_json: JsonOpt = False) -> None:
    """Turn accepted intake evidence into the election's evidence layers (verify then sees it)."""
    from honestcount.intake import materialise_evidence

    def run():
        doc = materialise_evidence(engine(), election)
        emit_json(doc) if as_json else out.print(json.dumps(doc, default=str))

    run_guarded(run)
