"""Benchmark of the public site: page latency, and the map's first view in headless Chromium.

    python benchmarks/bench_web.py [--belarus-db URL] [--russia-db URL] [--requests 50]
                                   [--no-browser] [--synthetic 100000] [--publish]
    python benchmarks/bench_web.py --load [--belarus-db URL] [--seconds 10]
                                   [--connections 32]

``--load``: election night. One uvicorn process serves the Belarus site; ``wrk`` (Debian:
``apt-get install wrk``) sends ``--connections`` concurrent keep-alive requests per page for
``--seconds`` and the benchmark prints requests/s and the 99th-percentile latency per page
(goal: at least 1,000 requests/s for the overview and a station page on a 2-core machine).

Targets: the overview and station pages served in under 50 ms (median); the map of the
97,699 Russian 2018 stations painted in under 2 s and under 3 MB transferred for the first view.
The Russian stations have no coordinates: their map page is a table by region (no invented
positions), so the clustering is also measured on a synthetic layer of ``--synthetic`` located
stations swapped in for the Belarus layer.

Without ``--belarus-db`` the bundled Belarus data is imported into a temporary SQLite file;
without ``--russia-db`` the Russian 2018 table is imported from the shared data folder when it
is there (about a minute), else that part is skipped.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import os
import random
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def shared_dir() -> Path:
    return Path(os.environ.get("HONESTCOUNT_SHARED", REPO.parent / "shared"))


def store(url: str, data) -> None:
    from honestcount.checks.quality import findings
    from honestcount.checks.verify import evidence_digest, report, station_frame, verify
    from honestcount.store.db import make_engine
    from honestcount.store.repository import save_election
    from honestcount.store.verdicts import save_verification

    engine = make_engine(url)
    save_election(engine, data, findings=findings(data))
    v = verify(data)
    save_verification(
        engine,
        data.election.id,
        evidence_digest(data),
        dataclasses.asdict(v.verdicts.thresholds),
        report(v),
        station_frame(v),
    )
    engine.dispose()


def prepare(args, tmp: Path) -> dict[str, str]:
    dbs = {}
    if args.belarus_db:
        dbs["belarus-2020"] = args.belarus_db
    else:
        from honestcount.sources.golos import load_belarus_2020

        url = f"sqlite:///{tmp / 'belarus.db'}"
        t0 = time.perf_counter()
        store(url, load_belarus_2020())
        print(f"imported and verified Belarus 2020 in {time.perf_counter() - t0:.1f} s")
        dbs["belarus-2020"] = url
    if args.russia_db:
        dbs["ru-2018"] = args.russia_db
    else:
        path = shared_dir() / "data" / "russia" / "2018.csv.zip"
        if path.exists():
            from honestcount.sources import read_source

            url = f"sqlite:///{tmp / 'russia.db'}"
            t0 = time.perf_counter()
            store(url, read_source("ru-cec", path, "ru-2018"))
            print(f"imported and verified Russia 2018 in {time.perf_counter() - t0:.1f} s")
            dbs["ru-2018"] = url
        else:
            print(f"Russian 2018 table not found at {path}: skipping it")
    return dbs


class Server:
    """The public site on a store, served by uvicorn in a thread on a free local port."""

    def __init__(self, url: str, cache: Path):
        import uvicorn
        from fastapi import FastAPI

        from honestcount.store.db import make_engine
        from honestcount.web.routes import router

        self.app = FastAPI()
        self.api = router(make_engine(url), cache_dir=cache, background=False)
        self.app.include_router(self.api)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def timed_get(client, url: str, n: int) -> tuple[float, float, int]:
    times = []
    size = 0
    for _ in range(n):
        t0 = time.perf_counter()
        r = client.get(url)
        times.append(time.perf_counter() - t0)
        r.raise_for_status()
        size = len(r.content)
    times.sort()
    return statistics.median(times) * 1000, times[int(0.95 * (len(times) - 1))] * 1000, size


def bench_pages(srv: Server, eid: str, n: int) -> None:
    import httpx

    from honestcount.web import views

    site = srv.api.state_site
    t0 = time.perf_counter()
    snap = site.snapshot(eid)
    first = time.perf_counter() - t0
    views.estimates(site, snap, wait=True)
    print(
        f"\n{eid}: {len(snap.index):,} stations; snapshot built in {first:.2f} s "
        f"(once per process and store change; saved to the cache for restarts)"
    )
    ids = snap.index.index.tolist()
    rng = random.Random(1)
    sample = [ids[rng.randrange(len(ids))] for _ in range(n)]
    e = f"/elections/{quote(eid, safe='')}"
    with httpx.Client(base_url=srv.base, headers={"Accept-Encoding": "gzip"}) as client:
        for name, url in [
            ("overview", e),
            ("overview.json", e + ".json"),
            ("map page", e + "/map"),
            ("stations (search)", e + "/stations?q=1"),
            ("stations.json", e + "/stations.json?per_page=100"),
        ]:
            client.get(url)  # warm: templates compiled, analyses cached
            med, p95, size = timed_get(client, url, n)
            print(f"  {name:<22} median {med:6.1f} ms   p95 {p95:6.1f} ms   {size / 1024:7.1f} KB")
        for kind, suffix in (("station page", ""), ("station.json", ".json")):
            client.get(f"{e}/stations/{quote(sample[0], safe='')}{suffix}")
            times = []
            for sid in sample:
                t0 = time.perf_counter()
                client.get(f"{e}/stations/{quote(sid, safe='')}{suffix}").raise_for_status()
                times.append(time.perf_counter() - t0)
            times.sort()
            print(
                f"  {kind:<22} median {statistics.median(times) * 1000:6.1f} ms   "
                f"p95 {times[int(0.95 * (len(times) - 1))] * 1000:6.1f} ms   "
                f"({n} different stations)"
            )


FIRST_VIEW = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  return {fcp: fcp ? fcp.startTime : null,
          bytes: nav.transferSize + res.reduce((s, r) => s + r.transferSize, 0),
          decoded: nav.decodedBodySize + res.reduce((s, r) => s + r.decodedBodySize, 0),
          requests: 1 + res.length,
          external: res.filter(r => !r.name.startsWith(location.origin)).map(r => r.name)};
}"""


def bench_map(browser, srv: Server, eid: str, synthetic: int = 0) -> None:
    # bypass_csp: the page allows no eval, which Playwright's polling of a JS condition needs
    ctx = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-US", bypass_csp=True
    )
    page = ctx.new_page()
    label = f"{eid} map"
    if synthetic:
        label = f"synthetic map, {synthetic:,} located stations"
        rng = random.Random(2)
        codes = "PDCCNNNNNN"
        layer = {
            "ids": [f"S-{i:06d}" for i in range(synthetic)],
            "lat": [round(rng.uniform(51.3, 56.0), 5) for _ in range(synthetic)],
            "lon": [round(rng.uniform(23.5, 31.5), 5) for _ in range(synthetic)],
            "v": "".join(rng.choice(codes) for _ in range(synthetic)),
            "r": [rng.randrange(8) for _ in range(synthetic)],
            "t": [rng.randrange(7) for _ in range(synthetic)],
            "x": [0] * synthetic,
            "regions": [f"R{i}" for i in range(8)],
            "types": [f"T{i}" for i in range(7)],
        }
        body = "window.HC_LAYER=" + json.dumps(layer, separators=(",", ":")) + ";"
        packed = len(gzip.compress(body.encode(), 6))
        print(
            f"\nsynthetic layer: {len(body) / 1e6:.2f} MB, {packed / 1e6:.2f} MB as the server "
            "sends it (gzip); the swap below is sent uncompressed"
        )
        page.route(
            "**/map-layer.js*",
            lambda route: route.fulfill(status=200, content_type="text/javascript", body=body),
        )
    e = f"/elections/{quote(eid, safe='')}/map"
    t0 = time.perf_counter()
    page.goto(srv.base + e, wait_until="load")
    loaded = time.perf_counter() - t0
    done = None
    if page.locator("#map-status").count():
        page.wait_for_function(
            "document.getElementById('map-status').textContent.startsWith('Stations shown')",
            timeout=120_000,
        )
        done = time.perf_counter() - t0
    view = page.evaluate(FIRST_VIEW)
    print(
        f"\n{label}: first paint {view['fcp'] / 1000:.2f} s, load event {loaded:.2f} s"
        + (
            f", every station placed {done:.2f} s"
            if done
            else ", no map (no coordinates): table by region"
        )
        + f"; first view {view['bytes'] / 1e6:.2f} MB transferred "
        f"({view['decoded'] / 1e6:.2f} MB decoded), {view['requests']} requests, "
        f"{len(view['external'])} outside"
    )
    if done:
        # frames while zooming in and out: how smooth the clustering stays
        frames = page.evaluate("""async () => {
          const m = window.HC_MAP.map; let n = 0, worst = 0, last = performance.now();
          let going = true;
          function tick(t) { n++; worst = Math.max(worst, t - last); last = t;
                             if (going) requestAnimationFrame(tick); }
          requestAnimationFrame(tick);
          const t0 = performance.now();
          for (const z of [1, 2, 1, -1, -2, -1]) {
            m.setZoom(m.getZoom() + z);
            await new Promise(r => setTimeout(r, 400));
          }
          going = false;
          return {fps: n / ((performance.now() - t0) / 1000), worst};
        }""")
        print(
            f"  zooming in and out: {frames['fps']:.0f} frames/s, longest frame "
            f"{frames['worst']:.0f} ms"
        )
    ctx.close()


def bench_publish(url: str, eid: str, tmp: Path) -> None:
    from honestcount.store.db import make_engine
    from honestcount.web.publish import publish

    out = tmp / f"site-{eid}"
    t0 = time.perf_counter()
    result = publish(make_engine(url), eid, out)
    print(
        f"\nstatic copy of {eid}: {result['pages']:,} pages, {result['files']:,} files, "
        f"{result['bytes'] / 1e6:.0f} MB in {time.perf_counter() - t0:.1f} s"
    )


LOAD_PAGES = {
    "overview": "/elections/belarus-2020",
    "overview.json": "/elections/belarus-2020.json",
    "station": "/elections/belarus-2020/stations/07-006-0042",
    "stations (search)": "/elections/belarus-2020/stations?q=minsk",
    "map": "/elections/belarus-2020/map",
}
SERVE = """
import sys, uvicorn
from fastapi import FastAPI
from honestcount.store.db import make_engine
from honestcount.web.routes import router
app = FastAPI()
app.include_router(router(make_engine(sys.argv[1]), cache_dir=sys.argv[3], background=False))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning",
            access_log=False)
"""


def _ms(text: str) -> float:
    value, unit = float(text[:-2] if text.endswith(("ms", "us")) else text[:-1]), text[-2:]
    if unit == "us":
        return value / 1000
    if unit == "ms":
        return value
    return value * 1000  # seconds


def bench_load(url: str, tmp: Path, seconds: int, connections: int) -> None:
    """Requests/s and p99 per page from one server process, measured with wrk."""
    import re
    import shutil
    import subprocess
    import sys
    import urllib.request

    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("--load needs wrk (Debian: apt-get install -y wrk)")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    cache = tmp / "cache-load"
    server = subprocess.Popen([sys.executable, "-c", SERVE, url, str(port), str(cache)])
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        for path in LOAD_PAGES.values():  # render once (analyses computed or read) first
            urllib.request.urlopen(base + path, timeout=120).read()
        print(f"\nload: one server process, {connections} connections, {seconds} s per page, gzip")
        print(f"{'page':<20} {'requests/s':>11} {'p99 ms':>8} {'mean ms':>8} {'errors':>7}")
        for name, path in LOAD_PAGES.items():
            out = subprocess.run(
                [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
                 "-H", "Accept-Encoding: gzip", base + path],
                capture_output=True, text=True, check=True,
            ).stdout  # fmt: skip
            rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
            p99 = _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1))
            mean = _ms(re.search(r"Latency\s+([\d.]+\w+)", out).group(1))
            errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            timeouts = re.search(r"timeout (\d+)", out)
            bad = int(errors.group(1) if errors else 0) + int(timeouts.group(1) if timeouts else 0)
            print(f"{name:<20} {rps:>11,.0f} {p99:>8.1f} {mean:>8.1f} {bad:>7}")
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--belarus-db")
    ap.add_argument("--russia-db")
    ap.add_argument("--requests", type=int, default=50)
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--synthetic", type=int, default=100_000)
    ap.add_argument("--publish", action="store_true", help="also time the static export")
    ap.add_argument("--load", action="store_true", help="requests/s and p99 per page (wrk)")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp_name:
        tmp = Path(tmp_name)
        if args.load:
            args.russia_db = args.russia_db or "skip"
            dbs = prepare(args, tmp)
            bench_load(dbs["belarus-2020"], tmp, args.seconds, args.connections)
            return
        dbs = prepare(args, tmp)
        browser = pw = None
        if not args.no_browser and Path(CHROMIUM).exists():
            from playwright.sync_api import sync_playwright

            pw = sync_playwright().start()
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for eid, url in dbs.items():
                with Server(url, tmp / f"cache-{eid}") as srv:
                    bench_pages(srv, eid, args.requests)
                    if browser is not None:
                        bench_map(browser, srv, eid)
                        if eid == "belarus-2020" and args.synthetic:
                            bench_map(browser, srv, eid, synthetic=args.synthetic)
            if args.publish:
                bench_publish(dbs["belarus-2020"], "belarus-2020", tmp)
        finally:
            if browser is not None:
                browser.close()
                pw.stop()


if __name__ == "__main__":
    main()
