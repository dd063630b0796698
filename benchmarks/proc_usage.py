"""Where a benchmark's CPU time goes: per process, from /proc (Linux), and py-spy profiles.

Used by bench_intake.py: the app server's process tree, the PostgreSQL backends of one
database with the cluster's own processes, and the load generator (ended children).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def procs() -> dict[int, tuple[int, str, float]]:
    """Every process: pid -> (parent, command line, CPU seconds used so far)."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        found[int(entry.name)] = (
            int(fields[1]),
            cmdline,
            (int(fields[11]) + int(fields[12])) / tick,
        )
    return found


def cpu_split(server_pid: int, database: str) -> dict[str, dict[int, float]]:
    """CPU seconds used so far, per process, by the app server (its process tree), by
    PostgreSQL (the backends of ``database`` and the cluster's own processes: WAL writer,
    checkpointer...) and by the load generator (children that ended: ``client``, key 0)."""
    found = procs()
    tree = {server_pid}
    for pid in sorted(found):  # children have larger pids, except after a wrap-around
        if found[pid][0] in tree:
            tree.add(pid)
    pg: dict[int, float] = {}
    for pid, (_parent, cmdline, used) in found.items():
        if not cmdline.startswith("postgres: "):
            continue
        words = cmdline.split()
        is_backend = len(words) > 3 and "(" in words[3]  # "postgres: user db host(port) ..."
        if not is_backend or words[2] == database:
            pg[pid] = used
    return {
        "app": {p: found[p][2] for p in tree if p in found},
        "postgresql": pg,
        "client": {0: _children_cpu()},
    }


def wal_position(url: str) -> int:
    """The cluster's current WAL position in bytes."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        row = conn.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn").fetchone()
    return int(row[0]) if row else 0


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def profile(folder: str | None, server_pid: int, seconds: float) -> list[subprocess.Popen]:
    """py-spy (a dev tool: ``pip install py-spy``) on each app process for the load's length."""
    if not folder:
        return []
    workers = [p for p, (parent, _c, _u) in procs().items() if parent == server_pid]
    Path(folder).mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(
            [
                "py-spy",
                "record",
                "--gil",
                "--pid",
                str(pid),
                "--duration",
                str(int(seconds)),
                "--rate",
                "250",
                "--format",
                "raw",
                "--nonblocking",
                "--output",
                f"{folder}/app-{pid}.txt",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in workers or [server_pid]
    ]


def cpu_per_request(before: dict, after: dict, n: int) -> dict:
    """CPU milliseconds per request of each part, between two :func:`cpu_split` readings
    (a process that ended in between is not counted: a short pooled connection's few ms)."""
    out = {}
    for part, now in after.items():
        used = sum(cpu - before[part].get(pid, 0.0) for pid, cpu in now.items())
        out[f"cpu_ms_{part}"] = round(1000 * used / max(1, n), 3)
    return out
