"""`sinergi bench field`: the field pages on a weak link, in Chromium, against Sinergi started as `sinergi up`
starts it (sinergi.core.upserver: fresh data folder, embedded SQLite, NTT dataset).

1. Weight and speed, first visit (empty cache, no service worker yet), each field page (TPS check-in, officer
   status, staff report, public incident report, escort record, observation), --runs times, on emulated slow 3G
   through the DevTools protocol (Network.emulateNetworkConditions: 400 kbit/s both ways, 400 ms RTT):
   bytes transferred by the page (compressed HTML+CSS+JS+images, as on the wire) and "usable" = the page's load
   event (every script ran, forms bound to the outbox), from the navigation's start.
2. Offline submissions: one online visit of each page, then offline: every form opened from the service worker,
   filled and submitted (--rounds times the text forms), each waiting in the outbox; back online (two tabs open,
   both syncing) every item must be sent in order, and the server must hold exactly one record per key:
   "lost" = keys with no record, "duplicates" = records beyond one per key.
3. Map: the NTT TPS map (/wilayah/peta/) on a laptop link: seconds until its TPS points/clusters are drawn, and the
   longest main-thread task (PerformanceObserver longtask).

Prints on its last line:
`field: pages N, max KB X, slow-3G p95 Y s, offline submissions N/N synced, lost 0, duplicates 0, map Z s`.
Exit 1 when a budget is missed (50 KB, 2 s, every submission synced once, map 1.5 s / 200 ms task).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import tempfile
import time
from pathlib import Path

from sinergi.core import fieldprobe as fp
from sinergi.core.upserver import UpServer, interruptible

SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}
LAUNCH = ["--no-sandbox", "--disable-gpu", "--no-first-run"]


def _p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, math.ceil(0.95 * len(xs)) - 1)]


def _login_state(browser, url: str) -> dict:
    ctx = browser.new_context()
    page = ctx.new_page()
    fp.login(page, url, "/operasi/lapor/")
    state = ctx.storage_state()
    ctx.close()
    return state


def _first_visit(browser, url: str, path: str, state: dict | None) -> tuple[int, float]:
    """Bytes on the wire and seconds to the load event, first visit, on emulated slow 3G."""
    ctx = browser.new_context(storage_state=state, viewport={"width": 390, "height": 800}, is_mobile=True,
                              service_workers="block")  # the worker's own precaching is not the page's weight
    page = ctx.new_page()
    cdp = ctx.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    sizes: dict[str, float] = {}
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto(url + path, wait_until="load", timeout=60_000)
    usable = page.evaluate("(() => { const n = performance.getEntriesByType('navigation')[0];"
                           " return n.loadEventEnd - n.startTime; })()") / 1000
    page.wait_for_timeout(300)
    ctx.close()
    return int(sum(sizes.values())), usable


def _offline_round(browser, url: str, info: dict, rounds: int) -> dict:
    ctx = browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True)
    page = ctx.new_page()
    fp.login(page, url, "/operasi/lapor/")
    forms = fp.forms(info)
    for f in forms:  # one online visit each
        page.goto(url + f["path"])
        fp.wait_kept(page, f["path"])
    ctx.set_offline(True)
    submitted: list[tuple[str, str]] = []
    for f in forms:
        n = rounds if f["name"] in ("staff_report", "public_report", "observation") else 1
        for i in range(n):
            page.goto(url + f["path"])
            before = set(fp.outbox_keys(page))
            fp.type_into(page, f["name"], info, n=i + 1)
            fp.submit(page, f["name"])
            fp.wait_until(page, f"document.querySelectorAll('[data-testid=queue] p[data-key]').length > {len(before)}")
            [key] = [k for k in fp.outbox_keys(page) if k not in before]
            submitted.append((f["name"], key))
    waiting = page.evaluate("SinergiOutbox.all().then(xs => xs.filter(x => x.status === 'waiting').length)")
    second = ctx.new_page()  # a second tab: both sync when the link is back (one at a time, by lock and by key)
    second.goto(url + forms[0]["path"])
    ctx.set_offline(False)
    t0 = time.perf_counter()
    fp.wait_until(page, "SinergiOutbox.all().then(xs => xs.every(x => x.status !== 'waiting'))", timeout=120)
    sync_s = time.perf_counter() - t0
    items = page.evaluate("SinergiOutbox.all().then(xs => xs.map(x => [x.key, x.status, x.doneAt, x.seq, x.detail]))")
    ctx.close()
    by_key = {k: (st, done, seq, detail) for k, st, done, seq, detail in items}
    # by_key[k] = (status, doneAt, seq, detail): the time it was marked sent vs its queue position
    ordered = sorted((by_key[k][1], by_key[k][2]) for _f, k in submitted if by_key.get(k, ("",))[0] == "sent")
    in_order = [s for _d, s in ordered] == sorted(s for _d, s in ordered)
    if not in_order:
        first = min(d for d, _s in ordered)
        print("  sent order (ms after the first, queue position): " + ", ".join(
            f"{d - first}:{sorted(s for _d, s in ordered).index(s)}" for d, s in ordered), flush=True)
    return {"submitted": submitted, "waiting_offline": waiting, "status": by_key, "sync_s": sync_s,
            "in_order": in_order}


def _map(browser, url: str, state: dict) -> tuple[float, float, int]:
    ctx = browser.new_context(storage_state=state, viewport={"width": 1366, "height": 900})
    ctx.add_init_script("window.__long = 0; try { new PerformanceObserver(function (l) { l.getEntries().forEach("
                        "function (e) { window.__long = Math.max(window.__long, e.duration); }); })"
                        ".observe({ type: 'longtask', buffered: true }); } catch (e) {}")
    page = ctx.new_page()
    t0 = time.perf_counter()
    page.goto(url + "/wilayah/peta/", wait_until="commit")
    fp.wait_until(page, "document.querySelectorAll('.leaflet-marker-pane .marker-cluster, .leaflet-tps-pane path')"
                  ".length > 0", timeout=60, interval=0.05)
    shown = time.perf_counter() - t0
    page.wait_for_timeout(1500)
    longest = page.evaluate("window.__long")
    n = page.evaluate("document.querySelectorAll('.leaflet-marker-pane .marker-cluster, .leaflet-tps-pane path')"
                      ".length")
    ctx.close()
    return shown, longest / 1000, n


def run(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="sinergi bench field")
    ap.add_argument("--runs", type=int, default=3, help="first visits per page on slow 3G")
    ap.add_argument("--rounds", type=int, default=2, help="offline submissions per text form")
    ap.add_argument("--port", type=int, default=8162)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="sinergi-bench-field-"))
    srv = UpServer(data_dir, a.port, env={"SINERGI_LOG_LEVEL": "ERROR"})
    interruptible(srv)
    try:
        t0 = time.perf_counter()
        srv.prepare()
        info = json.loads(srv.setup(fp.SETUP % {"user": fp.USER, "password": fp.PASSWORD}).strip().splitlines()[-1])
        srv.start()
        print(f"field setup: `sinergi up` on {srv.url} (embedded SQLite), NTT dataset, one officer of Polres Kupang "
              f"Kota in {time.perf_counter() - t0:.0f} s (not timed); load average "
              f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=LAUNCH)
            try:
                state = _login_state(browser, srv.url)
                weights: dict[str, int] = {}
                times: list[float] = []
                for f in fp.forms(info):
                    st = None if f["name"] == "public_report" else state
                    _first_visit(browser, srv.url, f["path"], st)  # warm the server (not counted)
                    for _ in range(a.runs):
                        size, usable = _first_visit(browser, srv.url, f["path"], st)
                        weights[f["name"]] = max(weights.get(f["name"], 0), size)
                        times.append(usable)
                    print(f"  {f['name']:<14} {f['path']:<40} {weights[f['name']] / 1024:5.1f} KB  "
                          f"usable {min(times[-a.runs:]):.2f}-{max(times[-a.runs:]):.2f} s", flush=True)
                off = _offline_round(browser, srv.url, info, a.rounds)
                map_s, map_task, map_n = _map(browser, srv.url, state)
            finally:
                browser.close()
        counts = json.loads(srv.setup(fp.ORACLE % {"keys": off["submitted"]}).strip().splitlines()[-1])
    finally:
        srv.stop()
        if not a.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    n = len(off["submitted"])
    synced = sum(1 for _f, k in off["submitted"] if off["status"].get(k, ("",))[0] == "sent")
    lost = sum(1 for c in counts.values() if c == 0)
    dups = sum(max(0, c - 1) for c in counts.values())
    refused = {k: v[3] for k, v in off["status"].items() if v[0] == "refused"}
    max_kb = max(weights.values()) / 1024
    p95 = _p95(times)
    print(f"offline: {n} submissions queued offline ({off['waiting_offline']} waiting), synced in "
          f"{off['sync_s']:.1f} s after reconnect, in order: {'yes' if off['in_order'] else 'NO'}"
          + (f", refused: {refused}" if refused else ""))
    print(f"map: /wilayah/peta/ {map_n} clusters/points drawn after {map_s:.2f} s, longest main-thread task "
          f"{map_task * 1000:.0f} ms")
    print(f"field: pages {len(weights)}, max KB {max_kb:.1f}, slow-3G p95 {p95:.2f} s, offline submissions "
          f"{synced}/{n} synced, lost {lost}, duplicates {dups}, map {map_s:.2f} s")
    ok = max_kb < 50 and p95 < 2 and synced == n and lost == 0 and dups == 0 and map_s < 1.5 and map_task < 0.2
    return 0 if ok else 1
