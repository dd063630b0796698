"""Import benchmark: the Russian 2018 file (97,699 stations) into SQLite and PostgreSQL.

Each import runs as its own `honestcount` process, as a user would run it, so the figures
include start-up. Prints wall time and peak memory (max RSS) per backend, for a fresh
database and for a re-import that replaces the election, then how long loading the stored
election for analysis takes (``load_election``: from its columnar snapshot, and from the rows).

    python benchmarks/bench_import.py [--pg postgresql://user@host:port/db] [--file PATH]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FILE = REPO.parent / "shared" / "data" / "russia" / "2018.csv.zip"
# The installed command, as a user runs it (`honestcount.cli` is a package, not a module).
_SCRIPT = Path(sys.executable).parent / "honestcount"
HONESTCOUNT = (
    [str(_SCRIPT)]
    if _SCRIPT.exists()
    else [sys.executable, "-c", "from honestcount.cli import app; app()"]
)


def run_import(db: str, path: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MiB) of one import process."""
    cmd = [
        *HONESTCOUNT,
        "--db",
        db,
        "import",
        "--format",
        "ru-cec",
        str(path),
        "--election",
        "ru-2018",
    ]
    start = time.perf_counter()
    pid = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(pid.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"import failed: {pid.stderr.read().decode()}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def postgres_database(server: str) -> str:
    import psycopg

    name = f"hc_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server.rsplit("/", 1)[0] + "/" + name


def time_loads(url: str, repeat: int = 3) -> list[tuple[float, float]]:
    """Best wall and CPU seconds of loading the election from its snapshot, and from its rows
    (CPU time is steadier on a shared machine)."""
    from honestcount.store.db import make_engine
    from honestcount.store.repository import load_election

    engine = make_engine(url)
    best = []
    for use_snapshot in (True, False):
        walls, cpus = [], []
        for _ in range(repeat if use_snapshot else 1):
            start, cpu = time.perf_counter(), time.process_time()
            load_election(engine, "ru-2018", use_snapshot=use_snapshot)
            walls.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
        best.append((min(walls), min(cpus)))
    engine.dispose()
    return best


def drop_database(server: str, url: str) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pg",
        default=os.environ.get("HONESTCOUNT_TEST_PG_URL"),
        help="PostgreSQL server URL (a scratch database is created there)",
    )
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory()
    targets = [("sqlite", f"sqlite:///{scratch.name}/bench.db")]
    if args.pg:
        targets.append(("postgresql", postgres_database(args.pg)))
    print(f"file: {args.file.name}; cpus: {os.cpu_count()}; python {sys.version.split()[0]}")
    print(f"{'backend':<12}{'run':<10}{'wall s':>9}{'cpu s':>9}{'peak MiB':>10}")
    for backend, url in targets:
        for run in ("fresh", "replace"):
            seconds, cpu, peak = run_import(url, args.file)
            print(f"{backend:<12}{run:<10}{seconds:>9.2f}{cpu:>9.2f}{peak:>10.0f}")
    print(f"\nload_election   {'snapshot wall':>14}{'cpu':>7}{'rows wall':>11}{'cpu':>7}  (s)")
    for backend, url in targets:
        (fast, fast_cpu), (slow, slow_cpu) = time_loads(url)
        print(f"{backend:<16}{fast:>14.2f}{fast_cpu:>7.2f}{slow:>11.2f}{slow_cpu:>7.2f}")
    if args.pg:
        drop_database(args.pg, targets[-1][1])
    scratch.cleanup()


if __name__ == "__main__":
    main()
