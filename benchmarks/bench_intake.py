"""Intake load benchmark, on loopback only: declared-choice submissions/s with p50/p99 latency
(SQLite and PostgreSQL), and photo intake/s (1 MB JPEGs, decoded, stripped, re-encoded and
hashed by the server).

A real server (uvicorn, N worker processes) is started on 127.0.0.1 on a fresh database;
voters are registered through the API (timed too); then a closed-loop load of declarations,
each with its own Idempotency-Key (every one a committed, audited change), runs for a bounded
time and count. The load generator is ``wrk`` when installed (Debian package), else an async
httpx client. Print-only; nothing is asserted.

    python benchmarks/bench_intake.py [--pg URL] [--workers 2] [--seconds 10]
        [--concurrency 32] [--voters 2000] [--photos 300] [--backends sqlite,postgresql]

Issue 17's figures, one JSON object (PostgreSQL; photos queued for ``honestcount worker``):

    python benchmarks/bench_intake.py --pg URL --workers N --json [--photo-workers 1]
        declarations_per_s, p50_ms, p99_ms, photos_per_s (accepted),
        photos_processed_per_s, and the load average before and after

Two attacks of issue 13, measured on one worker with SQLite:

    python benchmarks/bench_intake.py --forwarded-flood 10
        registrations per minute from a client that names a new address in every
        X-Forwarded-For, as `serve` ran before (uvicorn trusting 127.0.0.1, per-address
        limits only) and as it runs now (no proxy trusted; per-station, per-prefix and
        global budgets);
    python benchmarks/bench_intake.py --worst-case-uploads 8
        the server's peak resident memory (VmHWM) while that many worst-case photos are
        uploaded at once: a 40-megapixel PNG, the largest PNG the decode budget admits,
        and a 40-megapixel JPEG.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import httpx
import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from intake.helpers import ELECTION, SECRET, small_election  # noqa: E402
from proc_usage import cpu_per_request, cpu_split, profile, wal_position  # noqa: E402

from honestcount.store.db import make_engine  # noqa: E402
from honestcount.store.repository import save_election  # noqa: E402

MAX_REQUESTS = 200_000  # hard bound on any one load run, whatever the time

WRK_SCRIPT = r"""
local tokens, bodies = {}, {}
local counter, limit, path, kind = 0, 0, "", ""
math.randomseed(os.time())
function setup(thread)
  thread:set("tid", tostring(math.random(1, 2^30)))
end
function init(args)
  path, kind, limit = args[1], args[2], tonumber(args[3])
  for line in io.lines(args[4]) do tokens[#tokens + 1] = line end
  if kind == "photo" then
    for i = 5, #args do
      local f = io.open(args[i], "rb"); bodies[#bodies + 1] = f:read("*a"); f:close()
    end
  end
end
function request()
  counter = counter + 1
  local token = tokens[(counter + tonumber(tid)) % #tokens + 1]
  local headers = {["Authorization"] = "Bearer " .. token,
                   ["Idempotency-Key"] = "b-" .. kind .. "-" .. tid .. "-" .. counter}
  if kind == "photo" then
    headers["Content-Type"] = "image/jpeg"
    return wrk.format("POST", path, headers, bodies[counter % #bodies + 1])
  end
  headers["Content-Type"] = "application/json"
  local option = (counter % 2 == 0) and "a" or "b"
  return wrk.format("POST", path, headers, '{"option_id":"' .. option .. '"}')
end
function response(status, headers, body)
  if status ~= 200 and status ~= 201 and status ~= 202 then
    io.stderr:write("status " .. status .. " " .. body .. "\n")
  end
  if counter >= limit then wrk.thread:stop() end
end
function done(summary, latency, requests)
  io.write(string.format("JSON {\"requests\": %d, \"seconds\": %f, \"p50_ms\": %f, " ..
    "\"p99_ms\": %f, \"errors\": %d, \"non2xx\": %d}\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(99) / 1e3,
    summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, summary.errors.status))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class Server:
    def __init__(
        self,
        db_url: str,
        photo_dir: Path,
        workers: int,
        log: Path,
        extra_env: dict[str, str] | None = None,
        extra_args: list[str] | None = None,
    ) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "HONESTCOUNT_DB": db_url,
            "HONESTCOUNT_SECRET": SECRET,
            "HONESTCOUNT_PHOTO_DIR": str(photo_dir),
            "HONESTCOUNT_INTAKE_ACCOUNT_PER_MINUTE": "1e9",
            "HONESTCOUNT_INTAKE_ADDRESS_PER_MINUTE": "1e9",
            "HONESTCOUNT_INTAKE_REGISTRATIONS_PER_ADDRESS_PER_HOUR": "1e9",
            "HONESTCOUNT_INTAKE_TOKEN_CACHE_SECONDS": "30",
            **(extra_env or {}),
        }
        server = "uvicorn"
        if extra_args and extra_args[0] == "granian":  # the other ASGI server measured
            server, extra_args = "granian", extra_args[1:]
        common = ["--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers)]
        common += ["--log-level", "warning", "--no-access-log", "--backlog", "4096"]
        if server == "granian":
            command = [
                str(Path(sys.executable).with_name("granian")),
                "--interface",
                "asgi",
                "--factory",
                *common,
                *(extra_args or []),
                "honestcount.intake.api:create_intake_app",
            ]
        else:
            command = [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "honestcount.intake.api:create_intake_app",
                *common,
                *(extra_args or []),
            ]
        self.proc = subprocess.Popen(
            command,
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200:
                    time.sleep(0.5 * workers)  # let every worker come up
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


async def register(base: str, count: int, concurrency: int) -> tuple[list[str], float]:
    tokens: list[str] = []
    numbers = iter(range(count))
    start = time.perf_counter()

    async def worker(client: httpx.AsyncClient) -> None:
        for i in numbers:
            r = await client.post(
                f"{base}/elections/{ELECTION}/voters",
                json={"phone": f"+37529{i:07d}", "station_id": f"S{i % 6 + 1}"},
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
            if r.status_code >= 400:
                raise RuntimeError(f"registration {i}: {r.status_code} {r.text}")
            tokens.append(r.json()["token"])

    async with httpx.AsyncClient(timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return tokens, time.perf_counter() - start


def run_wrk(
    url: str,
    kind: str,
    tokens_file: Path,
    bodies: list[Path],
    seconds: float,
    concurrency: int,
    limit: int,
) -> dict:
    script = tokens_file.parent / "load.lua"
    script.write_text(WRK_SCRIPT)
    threads = 2
    per_thread = max(1, limit // threads)
    cmd = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(concurrency),
        "-d",
        f"{int(seconds)}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
        "--",
        urlparse(url).path,
        kind,
        str(per_thread),
        str(tokens_file),
        *map(str, bodies),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    match = re.search(r"JSON (\{.*\})", out.stdout)
    if not match:
        raise RuntimeError(f"wrk failed: {out.stdout}\n{out.stderr}")
    result = json.loads(match.group(1))
    errors = [line for line in out.stderr.splitlines() if line.startswith("status")]
    result["error_sample"] = errors[:3]
    return result


async def run_httpx(
    url: str,
    kind: str,
    tokens: list[str],
    bodies: list[bytes],
    seconds: float,
    concurrency: int,
    limit: int,
) -> dict:
    latencies: list[float] = []
    errors = 0
    counter = iter(range(limit))
    start = time.perf_counter()

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        for i in counter:
            if time.perf_counter() - start > seconds:
                return
            headers = {
                "Authorization": f"Bearer {tokens[i % len(tokens)]}",
                "Idempotency-Key": f"h-{i}-{uuid.uuid4().hex[:8]}",
            }
            t0 = time.perf_counter()
            if kind == "photo":
                r = await client.post(url, content=bodies[i % len(bodies)], headers=headers)
            else:
                r = await client.post(url, json={"option_id": "ab"[i % 2]}, headers=headers)
            latencies.append(time.perf_counter() - t0)
            errors += r.status_code not in (200, 201, 202)

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    ms = np.asarray(latencies) * 1000
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
        "non2xx": errors,
        "errors": 0,
    }


def make_photos(folder: Path, count: int) -> list[Path]:
    """Distinct ~1 MB JPEGs (2048x1536: smooth shapes plus sensor-like noise)."""
    paths = []
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:1536, 0:2048]
    for i in range(count):
        base = (np.sin(x / (40 + 7 * i)) + np.cos(y / (55 + 5 * i))) * 60 + 128
        noise = rng.normal(0, 9, size=(1536, 2048, 3))
        pixels = np.clip(base[..., None] + noise + rng.integers(0, 60, 3), 0, 255)
        out = io.BytesIO()
        Image.fromarray(pixels.astype(np.uint8), "RGB").save(out, "JPEG", quality=90)
        path = folder / f"photo{i}.jpg"
        path.write_bytes(out.getvalue())
        paths.append(path)
    return paths


def fresh_database(backend: str, tmp: Path, pg: str | None):
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'bench.db'}", lambda: None
    import psycopg

    name = f"hc_bench_{uuid.uuid4().hex[:10]}"
    admin = pg.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{admin.rsplit('/', 1)[0]}/{name}", drop


def bench_backend(backend: str, args, photos: list[Path]) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=f"hc-bench-{backend}-"))
    url, drop = fresh_database(backend, tmp, args.pg)
    try:
        engine = make_engine(url)  # migrated here, before the workers start
        save_election(engine, small_election())
        engine.dispose()
        unbounded = {  # a load test, not a flood: the registration budgets out of the way
            f"HONESTCOUNT_INTAKE_REGISTRATIONS{name}_PER_MINUTE": "1e9"
            for name in ("", "_PER_STATION", "_PER_PREFIX")
        }
        server = Server(url, tmp / "photos", args.workers, tmp / "server.log", unbounded)
        try:
            tokens, reg_seconds = asyncio.run(register(server.base, args.voters, 16))
            print(
                f"  {backend}: {len(tokens)} registrations in {reg_seconds:.1f} s "
                f"({len(tokens) / reg_seconds:.0f}/s, concurrency 16, httpx)"
            )
            tokens_file = tmp / "tokens.txt"
            tokens_file.write_text("\n".join(tokens) + "\n")
            loads = [
                (
                    "declarations",
                    f"{server.base}/elections/{ELECTION}/declarations",
                    "declare",
                    args.concurrency,
                    args.seconds,
                    MAX_REQUESTS,
                )
            ]
            if photos:
                loads.append(
                    (
                        "photos",
                        f"{server.base}/elections/{ELECTION}/ballot-photos",
                        "photo",
                        args.photo_concurrency,
                        args.seconds,
                        args.photos,
                    )
                )
            for label, target, kind, conc, seconds, limit in loads:
                before = load_average()
                if shutil.which("wrk") and not args.httpx:
                    result = run_wrk(target, kind, tokens_file, photos, seconds, conc, limit)
                    tool = "wrk"
                else:
                    data = [p.read_bytes() for p in photos]
                    result = asyncio.run(
                        run_httpx(target, kind, tokens, data, seconds, conc, limit)
                    )
                    tool = "httpx"
                rate = result["requests"] / result["seconds"]
                print(
                    f"  {backend} {label}: {result['requests']} in {result['seconds']:.1f} s "
                    f"= {rate:,.0f}/s, p50 {result['p50_ms']:.1f} ms, "
                    f"p99 {result['p99_ms']:.1f} ms; non-2xx {result['non2xx']}, "
                    f"socket errors {result['errors']} ({tool}, {conc} connections, "
                    f"{args.workers} workers; load average before {before}, "
                    f"after {load_average()})"
                )
                for line in result.get("error_sample", []):
                    print(f"    {line}")
        finally:
            server.stop()
    finally:
        drop()
        shutil.rmtree(tmp, ignore_errors=True)


def _load(
    args, target: str, kind: str, tokens_file: Path, photos: list[Path], conc: int, limit: int
) -> dict:
    if shutil.which("wrk") and not args.httpx:
        return {
            **run_wrk(target, kind, tokens_file, photos, args.seconds, conc, limit),
            "tool": "wrk",
        }
    tokens = tokens_file.read_text().split()
    data = [p.read_bytes() for p in photos]
    result = asyncio.run(run_httpx(target, kind, tokens, data, args.seconds, conc, limit))
    return {**result, "tool": "httpx"}


def _photo_counts(url: str) -> tuple[int, int]:
    """(photos stored, photo jobs done)."""
    from sqlalchemy import func, select

    from honestcount.store.tables import intake_photos
    from honestcount.store.tables.jobs import jobs

    engine = make_engine(url, migrate=False)
    try:
        with engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(intake_photos)).scalar_one()
            done = conn.execute(
                select(func.count()).where(jobs.c.kind == "photo.process", jobs.c.state == "done")
            ).scalar_one()
            return stored, done
    finally:
        engine.dispose()


def bench_json(args, photos: list[Path]) -> dict:
    """The issue-17 figures on PostgreSQL as one JSON object: declarations through ``--workers``
    app processes, then photos accepted (queued: ``photo_jobs``) while ``--photo-workers``
    ``honestcount worker`` processes strip them; processed/s runs from the first upload to
    the last job done."""
    tmp = Path(tempfile.mkdtemp(prefix="hc-bench-json-"))
    url, drop = fresh_database("postgresql", tmp, args.pg)
    result: dict = {
        "backend": "postgresql",
        "workers": args.workers,
        "cores": os.cpu_count(),
        "photo_workers": args.photo_workers,
        "load_average_start": load_average(),
    }
    env = {
        **{
            f"HONESTCOUNT_INTAKE_REGISTRATIONS{n}_PER_MINUTE": "1e9"
            for n in ("", "_PER_STATION", "_PER_PREFIX")
        },
        "HONESTCOUNT_INTAKE_PHOTO_JOBS": "1",
        "HONESTCOUNT_STAGING_KEY": "bench-staging-key-" + "b" * 32,
        "HONESTCOUNT_PHOTO_DIR": str(tmp / "photos"),
    }
    workers: list[subprocess.Popen] = []
    try:
        engine = make_engine(url)
        save_election(engine, small_election())
        engine.dispose()
        server = Server(
            url, tmp / "photos", args.workers, tmp / "server.log", env, args.server_args.split()
        )
        try:
            try:
                tokens, reg_seconds = asyncio.run(register(server.base, args.voters, 16))
            except httpx.HTTPStatusError:  # show why the server refused
                print((tmp / "server.log").read_text()[-4000:], file=sys.stderr)
                raise
            result["registrations_per_s"] = len(tokens) / reg_seconds
            tokens_file = tmp / "tokens.txt"
            tokens_file.write_text("\n".join(tokens) + "\n")
            target = f"{server.base}/elections/{ELECTION}/declarations"
            database = urlparse(url).path.lstrip("/")
            spies = profile(args.profile, server.proc.pid, args.seconds)
            cpu_before, wal_before = cpu_split(server.proc.pid, database), wal_position(url)
            d = _load(args, target, "declare", tokens_file, [], args.concurrency, MAX_REQUESTS)
            result.update(
                cpu_per_request(cpu_before, cpu_split(server.proc.pid, database), d["requests"])
            )
            # The whole cluster's WAL: other databases' writes count too (an upper bound).
            result["wal_bytes_per_declaration"] = round(
                (wal_position(url) - wal_before) / max(1, d["requests"])
            )
            for spy in spies:
                spy.wait(timeout=60)
            result.update(
                declarations=d["requests"],
                declarations_per_s=d["requests"] / d["seconds"],
                p50_ms=d["p50_ms"],
                p99_ms=d["p99_ms"],
                declarations_non2xx=d["non2xx"],
                tool=d["tool"],
                load_average_after_declarations=load_average(),
            )
            if args.skip_photos:
                return result
            log = (tmp / "worker.log").open("ab")
            workers = [
                subprocess.Popen(
                    [sys.executable, "-m", "honestcount", "--db", url, "worker", "--poll", "0.05"],
                    env={**os.environ, "HONESTCOUNT_SECRET": SECRET, **env},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
                for _ in range(args.photo_workers)
            ]
            time.sleep(3.0)  # the workers' start (imports) is not photo work
            started = time.monotonic()
            target = f"{server.base}/elections/{ELECTION}/ballot-photos"
            ph = _load(
                args, target, "photo", tokens_file, photos, args.photo_concurrency, args.photos
            )
            accepted = _photo_counts(url)[0]  # wrk's count misses the last answers
            result.update(
                photos=accepted,
                photos_per_s=accepted / ph["seconds"],
                photos_p99_ms=ph["p99_ms"],
                photos_non2xx=ph["non2xx"],
            )
            done, last, stored = 0, time.monotonic(), accepted
            while time.monotonic() - last < 30:  # until no job finished for 30 s
                stored, now_done = _photo_counts(url)  # answers still in flight land late
                if now_done != done:
                    done, last = now_done, time.monotonic()
                if done >= stored:
                    break
                time.sleep(0.2)
            result.update(
                photos_stored_end=stored,
                photos_processed=done,
                photos_processed_per_s=done / max(1e-9, last - started),
                load_average_end=load_average(),
            )
        finally:
            for proc in workers:
                os.killpg(proc.pid, signal.SIGTERM)
            for proc in workers:
                proc.wait(timeout=60)
            server.stop()
    finally:
        drop()
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def _fresh_sqlite(tmp: Path) -> str:
    url = f"sqlite:///{tmp / 'intake.db'}"
    engine = make_engine(url)
    save_election(engine, small_election())
    engine.dispose()
    return url


async def _flood(base: str, seconds: float, concurrency: int) -> tuple[dict[int, int], float]:
    """Registrations, each from a new forwarded address; returns (answers by status, s)."""
    counter = iter(range(10**9))
    codes: dict[int, int] = {}
    stop = time.perf_counter() + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        for i in counter:
            if time.perf_counter() > stop:
                return
            r = await client.post(
                f"{base}/elections/{ELECTION}/voters",
                json={"phone": f"+{30 + i % 60}{i:09d}", "station_id": f"S{i % 6 + 1}"},
                headers={
                    "Idempotency-Key": uuid.uuid4().hex,
                    "X-Forwarded-For": f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}",
                },
            )
            codes[r.status_code] = codes.get(r.status_code, 0) + 1

    start = time.perf_counter()
    async with httpx.AsyncClient(timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return codes, time.perf_counter() - start


def forwarded_flood(seconds: float, concurrency: int) -> None:
    limits = {
        "HONESTCOUNT_INTAKE_ADDRESS_PER_MINUTE": "3000",
        "HONESTCOUNT_INTAKE_REGISTRATIONS_PER_ADDRESS_PER_HOUR": "300",
    }
    no_budgets = {
        f"HONESTCOUNT_INTAKE_REGISTRATIONS{name}_PER_MINUTE": "1e9"
        for name in ("", "_PER_STATION", "_PER_PREFIX")
    }
    modes = {
        "before (127.0.0.1 trusted, per-address limits only)": (
            {**limits, **no_budgets},
            ["--proxy-headers", "--forwarded-allow-ips", "127.0.0.1"],
        ),
        "now (no proxy trusted; station, prefix and global budgets)": (
            limits,
            ["--no-proxy-headers"],
        ),
    }
    print(f"registrations with a new X-Forwarded-For each, {concurrency} clients, {seconds} s:")
    for label, (env, argv) in modes.items():
        tmp = Path(tempfile.mkdtemp(prefix="hc-bench-flood-"))
        server = Server(_fresh_sqlite(tmp), tmp / "photos", 1, tmp / "server.log", env, argv)
        try:
            codes, took = asyncio.run(_flood(server.base, seconds, concurrency))
        finally:
            server.stop()
            shutil.rmtree(tmp, ignore_errors=True)
        ok = codes.get(201, 0)
        print(f"  {label}: {ok * 60 / took:,.0f} registrations/min accepted; answers {codes}")


def _worst_photos() -> dict[str, bytes]:
    rng = np.random.default_rng(7)
    blocks = rng.integers(0, 256, size=(60, 80, 3), dtype=np.uint8)
    out = {}
    for name, size, fmt in (
        ("40 MP PNG", (7300, 5470), "PNG"),
        ("33 MP PNG (largest the decode budget admits)", (6680, 5010), "PNG"),
        ("40 MP JPEG", (7300, 5470), "JPEG"),
    ):
        buf = io.BytesIO()
        Image.fromarray(blocks, "RGB").resize(size, Image.Resampling.NEAREST).save(buf, fmt)
        out[name] = buf.getvalue()
    return out


def _vm(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _upload_at_once(base: str, token: str, body: bytes, n: int) -> list[int]:
    async with httpx.AsyncClient(timeout=120) as client:
        answers = await asyncio.gather(
            *(
                client.post(
                    f"{base}/elections/{ELECTION}/ballot-photos",
                    content=body,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Idempotency-Key": uuid.uuid4().hex,
                        "Content-Type": "application/octet-stream",
                    },
                )
                for _ in range(n)
            )
        )
    return [a.status_code for a in answers]


def worst_case_uploads(n: int) -> None:
    photos = _worst_photos()
    print(f"peak memory of one server process under {n} concurrent worst-case uploads:")
    for name, body in photos.items():
        tmp = Path(tempfile.mkdtemp(prefix="hc-bench-mem-"))
        env = {"HONESTCOUNT_INTAKE_MAX_PHOTO_PIXELS": "40000000"}
        server = Server(_fresh_sqlite(tmp), tmp / "photos", 1, tmp / "server.log", env)
        try:
            tokens, _ = asyncio.run(register(server.base, 1, 1))
            idle = _vm(server.proc.pid, "VmRSS")
            codes = asyncio.run(_upload_at_once(server.base, tokens[0], body, n))
            peak, held = _vm(server.proc.pid, "VmHWM"), _vm(server.proc.pid, "VmRSS")
        finally:
            server.stop()
            shutil.rmtree(tmp, ignore_errors=True)
        print(
            f"  {name} ({len(body) / 1e6:.1f} MB): answers {sorted(set(codes))}; "
            f"idle {idle:,.0f} MB, peak {peak:,.0f} MB, after {held:,.0f} MB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default=os.environ.get("HONESTCOUNT_TEST_PG_URL"))
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--photo-concurrency", type=int, default=8)
    parser.add_argument("--voters", type=int, default=2000)
    parser.add_argument("--photos", type=int, default=300, help="at most this many uploads")
    parser.add_argument("--distinct-photos", type=int, default=12)
    parser.add_argument("--httpx", action="store_true", help="use httpx even if wrk exists")
    parser.add_argument("--forwarded-flood", type=float, metavar="SECONDS")
    parser.add_argument("--worst-case-uploads", type=int, metavar="N")
    parser.add_argument("--photo-workers", type=int, default=1, help="with --json")
    parser.add_argument("--json", action="store_true", help="PostgreSQL, queued photos: JSON")
    parser.add_argument("--profile", metavar="DIR", help="py-spy the app processes (--json)")
    parser.add_argument("--skip-photos", action="store_true", help="with --json: declarations")
    parser.add_argument(
        "--server-args",
        default="",
        help="more uvicorn options ('--loop asyncio'), or 'granian' and granian's options",
    )
    args = parser.parse_args()
    if args.json:
        if not args.pg:
            parser.error("--json needs --pg URL (or HONESTCOUNT_TEST_PG_URL)")
        folder = Path(tempfile.mkdtemp(prefix="hc-bench-photos-"))
        try:
            photos = make_photos(folder, args.distinct_photos)
            print(json.dumps(bench_json(args, photos)))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    if args.forwarded_flood or args.worst_case_uploads:
        if args.forwarded_flood:
            forwarded_flood(args.forwarded_flood, 16)
        if args.worst_case_uploads:
            worst_case_uploads(args.worst_case_uploads)
        return
    print(f"intake benchmark on 127.0.0.1; {os.cpu_count()} cores; load average {load_average()}")
    photos: list[Path] = []
    folder = Path(tempfile.mkdtemp(prefix="hc-bench-photos-"))
    try:
        if args.photos:
            photos = make_photos(folder, args.distinct_photos)
            sizes = [p.stat().st_size for p in photos]
            print(
                f"  {len(photos)} distinct JPEGs of 2048x1536, "
                f"{np.mean(sizes) / 1e6:.2f} MB on average"
            )
        for backend in args.backends.split(","):
            if backend == "postgresql" and not args.pg:
                print("  postgresql: skipped (no --pg / HONESTCOUNT_TEST_PG_URL)")
                continue
            bench_backend(backend, args, photos)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
