"""The ``intake`` and ``audit`` command groups: accounts, evidence, the audit log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from honestcount.cli.common import ElectionOpt, JsonOpt, app, emit_json, engine, out, run_guarded

audit_app = typer.Typer(help="The intake service's hash-chained audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(
    against: Annotated[
        Path | None,
        typer.Option(
            "--against",
            help="A signed tree head (from `audit checkpoint`): prove the log extends it and "
            "every data row matches the digest the log holds.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check the audit log: every link of its chains, and with --against, the transparency
    log against a published head (a cut, rewind, deleted chain or edited row is reported)."""
    from honestcount.intake import audit_verify as check
    from honestcount.intake import verify_against

    def run() -> None:
        if against is None:
            report = check(engine())
            ok, problems, doc = report.ok, report.problems, report.as_dict()
            line = f"audit log: {report.entries:,} entries in {report.chains} chain(s): "
        else:
            head = _read_head(against)
            log = verify_against(engine(), head)
            ok, problems, doc = log.ok, log.problems, log.as_dict()
            line = (
                f"transparency log: {log.tree_size:,} entries in the tree, head signed "
                f"{log.head_size:,}; {log.rows_checked:,} data rows checked: "
            )
        if as_json:
            emit_json(doc)
        else:
            out.print(line + ("intact" if ok else "[bold red]BROKEN[/]"), highlight=False)
            for problem in problems:
                out.print(f"  {problem}", highlight=False, markup=False)
        if not ok:
            raise typer.Exit(1)

    run_guarded(run)


def _read_head(path: Path) -> dict:
    from honestcount.errors import HonestcountError

    try:
        head = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise HonestcountError(f"{path}: not a signed tree head ({exc})") from None
    if not isinstance(head, dict):
        raise HonestcountError(f"{path}: not a signed tree head")
    return head


@audit_app.command("checkpoint")
def audit_checkpoint(
    out_file: Annotated[
        Path, typer.Option("--out", help="Where to write the signed tree head (JSON).")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Sign the transparency log's tree head (Ed25519, key HONESTCOUNT_INTAKE_LOG_KEY) and
    write it: publish the file anywhere, and check the log against it later."""
    from honestcount.errors import HonestcountError
    from honestcount.intake import checkpoint
    from honestcount.settings import IntakeSettings

    def run() -> None:
        key = IntakeSettings().log_key
        if key is None:
            raise HonestcountError(
                "set HONESTCOUNT_INTAKE_LOG_KEY to the log's Ed25519 key (64 hex characters, "
                "e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)"
            )
        head = checkpoint(engine(), key.get_secret_value())
        out_file.write_text(json.dumps(head, indent=1) + "\n", encoding="utf-8")
        if as_json:
            emit_json(head)
        else:
            out.print(
                f"signed tree head: {head['tree_size']:,} entries, root {head['root_hash']}, "
                f"key {head['public_key']}; written to {out_file}",
                highlight=False,
            )

    run_guarded(run)


@audit_app.command("adopt")
def audit_adopt(as_json: JsonOpt = False) -> None:
    """Once, after upgrading a store that holds intake data: log the digests of the rows
    written before the transparency log covered them (before the first checkpoint)."""
    from honestcount.intake.translog import adopt

    def run() -> None:
        n = adopt(engine())
        if as_json:
            emit_json({"adopted": n})
        else:
            out.print(f"{n:,} rows adopted into the transparency log", highlight=False)

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
