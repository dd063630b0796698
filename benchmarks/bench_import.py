"""Import benchmark: the Russian 2018 file (97,699 stations) into SQLite and PostgreSQL.

Each import runs as its own `honestcount` process, as a user would run it, so the figures
include start-up. Prints wall time and peak memory (max RSS) per backend, for a fresh
database and for a re-import that replaces the election.

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


def run_import(db: str, path: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one import process."""
    cmd = [
        sys.executable,
        "-m",
        "honestcount.cli",
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
    return elapsed, usage.ru_maxrss / 1024


def postgres_database(server: str) -> str:
    import psycopg

    name = f"hc_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server.rsplit("/", 1)[0] + "/" + name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pg",
        default=os.environ.get("HONESTCOUNT_TEST_PG_URL"),
        help="PostgreSQL server URL (a scratch database is created there)",
    )
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    args = parser.parse_args()
    targets = [("sqlite", f"sqlite:///{tempfile.mkdtemp()}/bench.db")]
    if args.pg:
        targets.append(("postgresql", postgres_database(args.pg)))
    print(f"file: {args.file.name}; cpus: {os.cpu_count()}; python {sys.version.split()[0]}")
    print(f"{'backend':<12}{'run':<10}{'seconds':>9}{'peak MiB':>10}")
    for backend, url in targets:
        for run in ("fresh", "replace"):
            seconds, peak = run_import(url, args.file)
            print(f"{backend:<12}{run:<10}{seconds:>9.2f}{peak:>10.0f}")


if __name__ == "__main__":
    main()
