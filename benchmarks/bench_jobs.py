"""Job queue benchmark: jobs/s through the PostgreSQL queue with 1, 2 and 4 worker processes,
and photos/s through the photo job with a real re-encode.

Each run gets a fresh database on the server. The queue run's handler writes one row in the
job's transaction (what a real handler does at least); the photo run stages phone-sized JPEGs
(4032x3024, EXIF with GPS) sealed in a local folder and runs the photo job: unseal, decode,
strip, re-encode, hash, store, record. Workers start, wait at a barrier, and are timed from the
barrier to the last job's commit; each then exits (``burst``).

    python benchmarks/bench_jobs.py --pg postgresql://postgres@127.0.0.1:55432/postgres \\
        [--jobs 2000] [--workers 1,2,4] [--photos 40] [--photo-workers 1,2]
        [--photo-size 2048x1536] [--json]
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image
from sqlalchemy import text

from honestcount.jobs import JobContext, JobKind, Registry, Worker, enqueue
from honestcount.jobs.photo import enqueue_photo, photo_kind, stage_upload
from honestcount.storage import LocalStore, SealedStore
from honestcount.store.db import make_engine

SECRET = b"benchmark-staging-secret-" + b"b" * 16


def _noop(ctx: JobContext) -> None:
    ctx.conn.execute(text("INSERT INTO bench_effects (job_id) VALUES (:j)"), {"j": ctx.job.id})


class _Sink:
    def processed(self, conn, job_id, photo_id, photo, key) -> None:
        conn.execute(text("INSERT INTO bench_effects (job_id) VALUES (:j)"), {"j": job_id})

    def rejected(self, conn, job_id, photo_id, reason) -> None:
        raise AssertionError(reason)


def _registry(kind: str, folder: str) -> Registry:
    if kind == "noop":
        return Registry([JobKind("bench.noop", _noop)])
    root = Path(folder)
    staging = SealedStore(LocalStore(root / "incoming"), SECRET)
    return Registry([photo_kind(staging=staging, photos=LocalStore(root / "photos"), sink=_Sink())])


def _work(url: str, kind: str, folder: str, ready, go) -> None:
    engine = make_engine(url, migrate=False)
    worker = Worker(engine, _registry(kind, folder), poll_s=0.02)
    with engine.connect():
        pass  # the pool's first connection before the clock starts
    ready.release()
    go.wait()
    worker.run(burst=True)


def _database(server: str) -> tuple[str, str]:
    import psycopg

    name = f"hc_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server.rsplit('/', 1)[0]}/{name}", name


def _drop(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def phone_photo(seed: int, size: tuple[int, int]) -> bytes:
    """A JPEG of gradients and noise with EXIF GPS, like a phone's (``size``: width, height)."""
    rng = np.random.default_rng(seed)
    w, h = size
    y = np.linspace(0, 255, h, dtype=np.float32)[:, None, None]
    x = np.linspace(0, 255, w, dtype=np.float32)[None, :, None]
    base = (y * rng.uniform(0.2, 1, 3) + x * rng.uniform(0.2, 1, 3)) / 2
    pixels = np.clip(base + rng.normal(0, 12, (h, w, 3)), 0, 255).astype(np.uint8)
    exif = Image.Exif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (53.0, 54.0, 2.16)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def run(
    server: str, kind: str, n: int, workers: int, folder: str, size: tuple[int, int] = (0, 0)
) -> dict:
    url, name = _database(server)
    try:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE bench_effects (job_id BIGINT NOT NULL)"))
            if kind == "noop":
                for _ in range(n):
                    enqueue(conn, "bench.noop", {})
        if kind == "photo":
            staging = SealedStore(LocalStore(Path(folder) / "incoming"), SECRET)
            bodies = [phone_photo(i, size) for i in range(min(n, 8))]
            with engine.begin() as conn:
                for i in range(n):
                    # eight pictures, each sent by several requests: a staged object per request
                    enqueue_photo(
                        conn,
                        i + 1,
                        stage_upload(staging, bodies[i % 8], f"request-{i}"),
                    )
        ctx = multiprocessing.get_context("spawn")
        ready, go = ctx.Semaphore(0), ctx.Event()
        procs = [
            ctx.Process(target=_work, args=(url, kind, folder, ready, go)) for _ in range(workers)
        ]
        for p in procs:
            p.start()
        for _ in procs:
            ready.acquire()
        clock = time.perf_counter()
        go.set()
        for p in procs:
            p.join()
        seconds = time.perf_counter() - clock
        with engine.connect() as conn:
            done = conn.execute(text("SELECT count(*) FROM bench_effects")).scalar_one()
            dupes = conn.execute(
                text("SELECT count(*) - count(DISTINCT job_id) FROM bench_effects")
            ).scalar_one()
        engine.dispose()
        assert done == n and dupes == 0, (done, dupes)
        return {
            "kind": kind,
            "workers": workers,
            "jobs": n,
            "seconds": round(seconds, 3),
            "per_s": round(n / seconds, 1),
        }
    finally:
        _drop(server, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default=os.environ.get("HONESTCOUNT_TEST_PG_URL"))
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--photos", type=int, default=40)
    parser.add_argument("--photo-workers", default="1,2")
    parser.add_argument(
        "--photo-size",
        default="2048x1536",
        help="WxH (bench_intake's 1 MB photos; a phone's: 4032x3024)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not args.pg:
        parser.error("--pg URL (or HONESTCOUNT_TEST_PG_URL) is needed")
    server = args.pg.replace("postgresql+psycopg://", "postgresql://")
    results = []
    for w in [int(x) for x in args.workers.split(",") if x]:
        results.append(run(server, "noop", args.jobs, w, ""))
    for w in [int(x) for x in args.photo_workers.split(",") if x]:
        with tempfile.TemporaryDirectory() as folder:
            size = tuple(int(x) for x in args.photo_size.split("x"))
            results.append(run(server, "photo", args.photos, w, folder, size))
    report = {
        "cpus": os.cpu_count(),
        "jobs_per_s": {r["workers"]: r["per_s"] for r in results if r["kind"] == "noop"},
        "photos_processed_per_s": {
            r["workers"]: r["per_s"] for r in results if r["kind"] == "photo"
        },
        "runs": results,
    }
    if args.json:
        print(json.dumps(report))
    else:
        for r in results:
            print(
                f"{r['kind']:6} workers={r['workers']}: {r['jobs']} in {r['seconds']} s = "
                f"{r['per_s']}/s"
            )


if __name__ == "__main__":
    main()
