"""How reports look in a terminal: Rich tables with names, numbers that say what they count."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from honestcount.cli.common import out


def print_summary(report: dict[str, Any]) -> None:
    out.print(f"[bold]{report['name']}[/] ({report['election']})")
    for key in (
        "stations",
        "registered_voters",
        "stations_with_official_result",
        "stations_with_voter_evidence",
        "stations_with_observers",
        "stations_with_violations",
    ):
        value = report.get(key)
        out.print(f"  {key.replace('_', ' ')}: {'unknown' if value is None else f'{value:,}'}")
    table = Table(
        "option",
        "official (stations known)",
        "declared",
        "photo-confirmed",
        "national official",
        title="Votes by option",
    )
    for o in report["options"]:
        table.add_row(
            o["id"],
            *[
                fmt_count(o[k])
                for k in ("official_votes", "declared", "photo_confirmed", "national_total")
            ],
        )
    out.print(table)
    extra = report.get("extra_lines") or []
    if extra:
        out.print(f"Protocol lines kept as they are ({len(extra)} not used by the analyses):")
        for line in extra:
            text = line if isinstance(line, str) else line.get("caption") or line.get("line")
            out.print(f"  {text}")
    for note in report.get("notes") or []:
        out.print(f"[dim]{note}[/]")
    if report.get("data_quality"):
        out.print("Data-quality findings (imported as they are, see `honestcount findings`):")
        for rule, n in report["data_quality"].items():
            out.print(f"  {rule}: {n:,}")


def fmt_count(value: float | int | None) -> str:
    return "unknown" if value is None else f"{value:,}"


def print_verification(doc: dict[str, Any], data: Any = None) -> None:
    names = option_names(data)
    out.print(
        f"[bold]Verification of {doc['election']}[/]: {doc['stations']:,} stations, "
        f"{doc['stations_with_official_result']:,} with an official result (a protocol copy)"
    )
    table = Table("verdict", "stations", title="Overall verdict per station")
    for verdict, n in doc["verdicts"].items():
        table.add_row(verdict, f"{n:,}")
    out.print(table)
    table = Table(
        "option",
        "photos exceed official",
        "declarations exceed official",
        "proven excess votes",
        title="Proven by option",
    )
    for option, row in doc["proven_by_option"].items():
        table.add_row(
            names.get(option, option),
            f"{row['photo']:,}",
            f"{row['declared']:,}",
            f"{row['excess_votes']:,}",
        )
    out.print(table)
    failures = {k: v for k, v in doc["check_failures"].items() if v}
    if failures:
        out.print(
            "Protocol control relations failed (stations): "
            + ", ".join(f"{k} {v:,}" for k, v in failures.items())
        )
    remainder = doc.get("national_remainder")
    if remainder:
        table = Table(
            "option",
            "national official",
            "in known stations",
            "share known",
            "share remainder",
            title=f"National result vs the "
            f"{remainder['stations_known']:,} stations with known protocols",
        )
        for option, row in remainder["options"].items():
            table.add_row(
                names.get(option, option),
                fmt_count(row["national"]),
                fmt_count(row["known_stations"]),
                fmt_pct(row["share_in_known_stations"]),
                fmt_pct(row["share_in_remainder"]),
            )
        out.print(table)


def fmt_pct(x: float | None) -> str:
    return "unknown" if x is None else f"{100 * x:.1f}%"


def forensics_headline(result: dict[str, Any]) -> str:
    if result.get("skipped"):
        return f"skipped ({result['reason']})"
    if "error" in result:
        return f"error: {result['error']}"
    keys = (
        "observed",
        "expected",
        "excess",
        "p_value",
        "anomalous_votes",
        "core_turnout",
        "corrected_share",
        "corrected_turnout",
        "f_incremental",
        "f_extreme",
        "pi",
    )
    shown = {k: result[k] for k in keys if k in result}
    return (
        ", ".join(
            f"{k} {v:,.4g}" if isinstance(v, int | float) else f"{k} {v}" for k, v in shown.items()
        )
        or "done (see --json)"
    )


def option_names(data: Any) -> dict[str, str]:
    """Option id -> display name ({} without data)."""
    if data is None:
        return {}
    return {o.id: o.name for o in data.options}


def print_estimates(doc: dict[str, Any], data: Any = None) -> None:
    """One row per option: official, lower bound, each method's share with its interval."""
    names = option_names(data)
    methods: list[str] = []
    for est in doc.get("estimates", []):
        if est["method"] not in methods:
            methods.append(est["method"])
    level = doc.get("parameters", {}).get("level", doc.get("parameters", {}).get("confidence"))
    title = "Shares of ballots cast, %" + (
        f" ({100 * level:.0f}% intervals)" if isinstance(level, float) else ""
    )
    table = Table("option", "official", "lower bound", title=title)
    for m in methods:
        recommended = m in set(doc.get("recommended", {}).values())
        table.add_column(f"{m} (recommended)" if recommended else m, justify="right")
    for o in doc.get("options", []):
        cells = [
            names.get(o, o),
            _share(doc.get("official", {}).get(o, {}).get("share")),
            _share(doc.get("lower_bounds", {}).get(o, {}).get("share")),
        ]
        by_method = {e["method"]: e for e in doc["estimates"] if e["option"] == o}
        for m in methods:
            e = by_method.get(m)
            cells.append(
                "—"
                if e is None or e.get("share") is None
                else f"{100 * e['share']:.1f} [{_pct1(e.get('ci_low'))}, {_pct1(e.get('ci_high'))}]"
            )
        table.add_row(*cells)
    out.print(table)
    for warning in doc.get("warnings", []) or []:
        out.print(f"[yellow]warning:[/] {warning}")
    if doc.get("skipped"):
        for method, reason in doc["skipped"].items():
            out.print(f"[dim]{method} skipped: {reason}[/]")
    out.print(
        "[dim]What each method assumes: `honestcount estimate --json` (assumptions) and "
        "docs/estimation.md.[/]"
    )


def _share(x: float | None) -> str:
    return "unknown" if x is None else f"{100 * x:.1f}"


def _pct1(x: float | None) -> str:
    return "?" if x is None else f"{100 * x:.1f}"


def print_forensics(doc: dict[str, Any]) -> None:
    out.print(
        f"[bold]Forensics for {doc['election']}[/] (leader: {doc['leader']}, "
        f"{doc['stations']:,} stations)"
    )
    out.print(f"[italic]{doc['note']}[/]")
    for name, result in doc["tests"].items():
        out.print(f"[bold]{name}[/]: {forensics_headline(result)}")


def print_headline(verification: dict[str, Any], estimate: dict[str, Any], data: Any) -> None:
    from honestcount.headline import headline

    candidates = [o.id for o in data.options if o.kind in ("candidate", "party")]
    line = headline(verification, estimate, option_names(data), candidates)
    if line is not None:
        out.print(f"\n[bold]{line.sentence()}[/]")
