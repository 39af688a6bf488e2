"""`sinergi bench dashboard`: the command dashboard on a full NTT election day, in Chromium.

Starts Sinergi as `sinergi up` starts it (sinergi.core.upserver: fresh data folder, embedded SQLite default, NTT
dataset with every estimated TPS and the default logistics plan), then loads a full election day with a direct
generator: the operations and logistics ticks run at the day's moments (H-3 and H-2 for the escorts, voting day
07:31, 13:31, 21:00, 23:59 WITA for the check-ins) with no check-in reported, so every TPS raises its
missing-check-in alert at every step — the worst case, tens of thousands of open alerts — plus the late escorts.
A Polda analyst opens /operasi/?at=2024-11-27T21:00 in Chromium (--runs times, fresh context each time).

Figures: the dashboard HTML document size (the headline KB), its data JSON and the map call (as sent, gzip), and
"usable": from the start of navigation until the alert groups are drawn and a click on the first group has
opened its first page of alerts (the page answers input). Every process started is stopped, also on SIGINT/SIGTERM.

Prints on its last line: `dashboard: N alerts, X KB, usable Y s`. Exit 1 when X >= 200 or Y >= 1.5.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from sinergi.core.upserver import UpServer, interruptible

PASSWORD = "Bench-Dasbor-2024!"

SETUP = r"""
import datetime as dt, json
from zoneinfo import ZoneInfo
from sinergi.accounts.models import Unit
from sinergi.accounts.services import user_create
from sinergi.logistics import jobs as lj
from sinergi.operations import jobs as oj
from sinergi.operations.models import Alert
W = ZoneInfo("Asia/Makassar")
user_create(actor=None, username="bench-dasbor", password=%(password)r, unit=Unit.objects.get(code="POLDA-NTT"),
            role="analyst")
for day, hh, mm in ((24, 10, 0), (25, 10, 0), (27, 7, 31), (27, 13, 31), (27, 21, 0), (27, 23, 59)):
    now = dt.datetime(2024, 11, day, hh, mm, tzinfo=W)
    lj.tick(now)
    oj.tick(now)
print(json.dumps({"alerts": Alert.objects.filter(resolved_at__isnull=True).count()}))
"""


def _measure(browser, url: str) -> dict:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    sizes: dict[str, int] = {}

    def on_response(resp):
        path = resp.url.split("?")[0]
        if path.endswith("/operasi/data/") and "data" not in sizes:
            sizes["data"] = int(resp.headers.get("content-length") or len(resp.body()))
        elif path.endswith("/operasi/peta/") and "map" not in sizes:
            sizes["map"] = int(resp.headers.get("content-length") or len(resp.body()))

    page.on("response", on_response)
    page.goto(url.split("/operasi/")[0] + "/accounts/login/")
    page.fill("#id_username", "bench-dasbor")
    page.fill("#id_password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state()
    t0 = time.perf_counter()
    resp = page.goto(url, wait_until="commit")
    page.wait_for_selector("[data-testid=alert-groups] tr.group button[data-show]", timeout=60_000)
    page.click("[data-testid=alert-groups] tr.group button[data-show]")
    page.wait_for_selector("[data-testid=alert-detail] li[data-alert]", timeout=60_000)
    usable = time.perf_counter() - t0
    html = len(resp.body())
    page.wait_for_selector("[data-testid=ops-map][data-points]", timeout=60_000)
    sizes["html"] = html
    height = page.evaluate("document.documentElement.scrollHeight")
    context.close()
    return {"usable": usable, "height": height, **sizes}


def run(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="sinergi bench dashboard")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="sinergi-bench-dashboard-"))
    srv = UpServer(data_dir, env={"SINERGI_LOG_LEVEL": "ERROR"})
    interruptible(srv)
    try:
        t0 = time.perf_counter()
        srv.prepare()
        made = json.loads(srv.setup(SETUP % {"password": PASSWORD}, timeout=1800).strip().splitlines()[-1])
        srv.start()
        print(f"dashboard setup: `sinergi up` on {srv.url} (embedded SQLite), NTT dataset, logistics plan, "
              f"{made['alerts']:,} open alerts from the day's ticks in {time.perf_counter() - t0:.0f} s (not timed); "
              f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                        args=["--no-sandbox", "--disable-gpu"])
            try:
                _measure(browser, f"{srv.url}/operasi/?at=2024-11-27T21:00")  # warm-up (not counted)
                runs = [_measure(browser, f"{srv.url}/operasi/?at=2024-11-27T21:00") for _ in range(a.runs)]
            finally:
                browser.close()
    finally:
        srv.stop()
        if not a.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    usable = statistics.median(r["usable"] for r in runs)
    html_kb = runs[0]["html"] / 1024
    for i, r in enumerate(runs, 1):
        print(f"run {i}: usable {r['usable']:.2f} s, HTML {r['html'] / 1024:.1f} KB, data JSON "
              f"{r.get('data', 0) / 1024:.1f} KB, map (gzip, once) {r.get('map', 0) / 1024:.1f} KB, "
              f"page height {r['height']} px")
    print(f"dashboard: {made['alerts']:,} alerts, {html_kb:.0f} KB, usable {usable:.2f} s")
    return 0 if html_kb < 200 and usable < 1.5 else 1
