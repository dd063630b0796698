"""Every command that README.md and docs/ name exists in the CLI, with the options they show."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer.main

from honestcount.cli import app

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
GROUPS = ("ledger", "audit", "intake", "pvt")
# `honestcount …` in code, or a group command written alone (`ledger review`)
SPAN = re.compile(r"`([^`\n]+)`")
BLOCK = re.compile(r"```[a-z]*\n(.*?)```", re.S)


def documented() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        lines = [m.group(1) for m in SPAN.finditer(BLOCK.sub("", text))]
        for block in BLOCK.findall(text):
            lines += block.splitlines()
        for line in lines:
            for part in re.split(r"&&|\|\||;|\|", line):
                words = part.strip().split()
                if not words:
                    continue
                name = Path(words[0]).name
                if name == "honestcount" and len(words) > 1:
                    found.append((doc.name, " ".join(words[1:])))
                elif words[0] in GROUPS and len(words) > 1 and re.fullmatch(r"[a-z-]+", words[1]):
                    found.append((doc.name, " ".join(words)))
    return found


def resolve(command: str):
    """The click command that ``command`` names, and the options it was written with."""
    cli = typer.main.get_command(app)
    try:
        words = shlex.split(command.split("#")[0])
    except ValueError:
        words = command.split()
    node = cli
    options: list[str] = []
    while words:
        word = words.pop(0)
        if word.startswith("--"):
            name = word.split("=")[0]
            options.extend(name.split("/"))  # `--same/--different`: either flag
            param = next((p for p in node.params if name in p.opts), None)
            takes_value = param is not None and not getattr(param, "is_flag", False)
            if takes_value and "=" not in word and words and not words[0].startswith("-"):
                words.pop(0)  # the option's value, not a command
            continue
        if hasattr(node, "list_commands") and not word.startswith("-"):
            sub = node.get_command(None, word)
            assert sub is not None, f"no command {word!r} in {command!r}"
            node = sub
    return node, options


COMMANDS = documented()


def test_docs_name_commands():
    assert len(COMMANDS) > 20  # the scan itself works


@pytest.mark.parametrize(("doc", "command"), COMMANDS, ids=[f"{d}:{c}" for d, c in COMMANDS])
def test_documented_command_exists(doc, command):
    node, options = resolve(command)
    known = {opt for p in node.params for opt in (*p.opts, *p.secondary_opts)} | {
        "--db",
        "--help",
    }
    unknown = [o for o in options if o not in known and not o.startswith("--[")]
    assert not unknown, f"{doc}: `honestcount {command}` uses options the CLI lacks: {unknown}"
