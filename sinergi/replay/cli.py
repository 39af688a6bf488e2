"""`sinergi replay`: drive a realistic election day against a running Sinergi.

    sinergi replay --setup [--tokens-file F]
        create the demo operator accounts (one per Polres + one at Polda) and their API tokens in the local
        database (audited); writes F (default <data dir>/replay_tokens.json, mode 600)
    sinergi replay [--url http://127.0.0.1:8000] [--token T | --tokens-file F] [--speed 10] [--from 06:00]
                   [--to 24:00] [--limit-tps N] [--seed S] [--concurrency C] [--batch] [--batch-size N]
                   [--only checkin,incident] [--verify auto|db|api|none] [--dry-run] [--json]
                   [--exercise ID]

With --exercise ID the replay drives a running exercise (latihan, docs/exercise.md): every request carries
`X-Sinergi-Latihan: ID`, events are dated on the exercise's simulated day, paced at the exercise's speed and
start at the exercise clock's current time (so the replay and the exercise clock agree); --speed is ignored.

The TPS list and Polres come from the local database's default election (pilkada-2024). Events get the
simulated time as "at"; keys are deterministic (same seed = same keys), so a second run stores nothing new.
Exit status 0 when nothing failed or was lost, 1 otherwise, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import driver, local, scenario


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="sinergi replay", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:8000")
    ap.add_argument("--token", help="one API token for every event (else --tokens-file)")
    ap.add_argument("--tokens-file", type=Path, help="JSON {unit code: token, 'default': token}")
    ap.add_argument("--setup", action="store_true", help="create the demo accounts and tokens, then exit")
    ap.add_argument("--election", help="election code (default: pilkada-2024, else the first)")
    ap.add_argument("--speed", type=float, default=10.0, help="simulated seconds per second; 0 = as fast as possible")
    ap.add_argument("--from", dest="start", default="06:00", help="local time of the voting day (HH:MM)")
    ap.add_argument("--to", dest="end", default="24:00")
    ap.add_argument("--limit-tps", type=int, help="replay only N TPS, spread over the list")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--utc-offset", type=float, default=8.0, help="hours (WITA = 8)")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--batch", action="store_true", help="use the batch endpoints")
    ap.add_argument("--batch-size", type=int, default=1000)
    ap.add_argument("--only", default="", help="channels to send, e.g. checkin or checkin,incident")
    ap.add_argument("--incident-rate", type=float, help="expected incidents per TPS over the day (0.04)")
    ap.add_argument("--verify", choices=("auto", "db", "api", "none"), default="auto",
                    help="read back what was stored: db (local database), api (send the answered keys again: "
                         "each must come back duplicate), auto = db for a local URL")
    ap.add_argument("--retries", type=int, default=5)
    ap.add_argument("--dry-run", action="store_true", help="build the scenario and print its summary only")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--exercise", type=int, help="drive this running exercise (sends X-Sinergi-Latihan)")
    return ap


def _tokens(a: argparse.Namespace) -> dict[str, str]:
    tokens: dict[str, str] = {}
    path = a.tokens_file
    if path is None and not a.token and local.default_tokens_file().exists():
        path = local.default_tokens_file()
    if path is not None:
        tokens.update(local.read_tokens(path))
    if a.token:
        tokens["default"] = a.token
        if not a.tokens_file:
            tokens = {"default": a.token}
    return tokens


def build_events(a: argparse.Namespace, election, voting_date=None) -> tuple[list[scenario.Event], scenario.Config, int]:
    stations = local.load_stations(election, limit=a.limit_tps)
    cfg_kw: dict[str, Any] = {"voting_date": voting_date or election.voting_date, "seed": a.seed,
                              "utc_offset_hours": a.utc_offset}
    if a.incident_rate is not None:
        cfg_kw["incident_rate"] = a.incident_rate
    cfg = scenario.Config(**cfg_kw)
    events = scenario.generate(stations, cfg, scenario.load_labelled_texts())
    events = scenario.window(events, cfg, scenario.parse_clock(a.start), scenario.parse_clock(a.end))
    only = {c.strip() for c in a.only.split(",") if c.strip()}
    if only:
        events = [e for e in events if e.channel in only]
    return events, cfg, len(stations)


def _fmt_lat(d: dict[str, Any]) -> str:
    if not d.get("n"):
        return "no requests"
    return f"p50 {d['p50']:.1f} ms, p95 {d['p95']:.1f} ms, p99 {d['p99']:.1f} ms, max {d['max']:.0f} ms over {d['n']:,} requests"


def main(argv: list[str]) -> int:
    a = build_parser().parse_args(argv)
    if a.setup:
        tokens = local.setup_accounts()
        path = a.tokens_file or local.default_tokens_file()
        local.write_tokens(tokens, path)
        msg = {"accounts": len(tokens), "tokens_file": str(path)}
        print(json.dumps(msg) if a.json else
              f"replay setup: {len(tokens)} DEMO operator accounts (replay-polres-*, replay-polda; API token only, "
              f"no password) with tokens in {path}")
        return 0
    try:
        start, end = scenario.parse_clock(a.start), scenario.parse_clock(a.end)
    except ValueError as exc:
        print(f"sinergi replay: {exc}", file=sys.stderr)
        return 2
    election = local.default_election(a.election)
    if election is None:
        print("sinergi replay: no election in the database (run `sinergi up` or `sinergi load-dataset`)",
              file=sys.stderr)
        return 2
    ex = None
    if a.exercise is not None:
        try:
            ex = local.exercise(a.exercise)
        except ValueError as exc:
            print(f"sinergi replay: {exc}", file=sys.stderr)
            return 2
        a.speed, a.utc_offset = float(ex["speed"]), ex["utc_offset"]
        now_min = max(start, ex["now_min"])
        a.start = f"{int(now_min // 60):02d}:{int(now_min % 60):02d}"
        end = min(end, ex["end_min"])
        a.end = f"{int(end // 60):02d}:{int(end % 60):02d}"
        start = scenario.parse_clock(a.start)
    events, cfg, n_tps = build_events(a, election, ex["date"] if ex else None)
    window = f"{a.start}-{a.end}"
    head = {"election": election.code, "exercise": ex["id"] if ex else None, "tps": n_tps, "window": window, "utc_offset": a.utc_offset,
            "speed": a.speed, "seed": a.seed, "scenario": scenario.summary(events),
            "wall_seconds_planned": round((end - start) * 60 / a.speed, 1) if a.speed > 0 else 0}
    if a.dry_run:
        print(json.dumps(head, indent=1) if a.json else
              f"replay (dry run): {election.code}, {n_tps:,} TPS, window {window} local, "
              f"{len(events):,} events {head['scenario']['by_kind']}")
        return 0
    tokens = _tokens(a)
    if not tokens:
        print("sinergi replay: no token: pass --token, --tokens-file, or run `sinergi replay --setup` first",
              file=sys.stderr)
        return 2

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    from sinergi.core.progress import progress as task_progress

    def on_progress(answered: int, total: int) -> None:  # the bar on a terminal (sinergi/core/terminal.py)
        task_progress(None, answered, total, "events answered", label="replay")

    tty = sys.stderr.isatty()
    opts = driver.Options(url=a.url, tokens=tokens, start=cfg.local(start), speed=a.speed,
                          concurrency=a.concurrency, batch=a.batch, batch_size=a.batch_size, retries=a.retries,
                          progress=None if tty and not a.json else progress,
                          on_progress=on_progress if tty else None, headers={"X-Sinergi-Latihan": str(ex["id"])} if ex else {})
    if not a.json:
        print(f"replay: {election.code}, {n_tps:,} TPS, window {window} (UTC{a.utc_offset:+g}) at "
              f"{'full speed' if a.speed <= 0 else f'{a.speed:g}x'}: {len(events):,} events "
              f"{head['scenario']['by_kind']} -> {a.url}", flush=True)
    result = driver.run(events, opts)
    report = {**head, **result.report()}
    verify = a.verify
    if verify == "auto":
        verify = "db" if urlsplit(a.url).hostname in ("127.0.0.1", "localhost", "::1") else "api"
    if verify == "db":
        report["verify"] = {"method": "db", "channels": local.verify_db_in_exercise(result, ex["exercise"]) if ex
                            else local.verify_db(result)}
    elif verify == "api":
        report["verify"] = {"method": "api", "channels": verify_api(result, opts)}
    lost = sum(c["lost"] for c in report.get("verify", {}).get("channels", {}).values())
    report["lost"] = lost if verify != "none" else None
    if a.json:
        print(json.dumps(report))
    else:
        print(f"sent {report['sent']:,} of {report['events']:,}: accepted {report['accepted']:,}, "
              f"duplicate {report['duplicate']:,}, rejected {report['rejected']:,}, failed {report['failed']:,} "
              f"in {report['elapsed_s']:.1f} s ({report['requests']:,} requests, {report['retries']} retries)")
        for reason, n in report["rejected_reasons"].items():
            print(f"  rejected x{n}: {reason}")
        for reason, n in report["failed_reasons"].items():
            print(f"  failed x{n}: {reason}")
        print(f"latency {_fmt_lat(report['latency_ms'])}; schedule lag p99 {report['lag_ms'].get('p99', 0):.0f} ms")
        for ch, v in report.get("verify", {}).get("channels", {}).items():
            print(f"read-back ({report['verify']['method']}) {ch}: {v['stored']:,} stored of {v['answered']:,} "
                  f"answered accepted/duplicate, lost {v['lost']}")
        p99 = report["latency_ms"].get("p99")
        pace = "full speed" if a.speed <= 0 else f"{a.speed:g}x"
        print(f"replay {election.code} {window} at {pace}: {report['accepted']:,} accepted, "
              f"p99 {p99 if p99 is not None else float('nan'):.1f} ms, lost {lost if verify != 'none' else 'unchecked'}")
    return 0 if report["failed"] == 0 and not lost else 1


def verify_api(result: driver.Result, opts: driver.Options) -> dict[str, dict[str, int]]:
    """Send every answered event again through the batch endpoints: a stored key answers `duplicate`; one
    answering `accepted` had been lost (and is stored now)."""
    out = {}
    for channel in sorted({e.channel for e in result.events}):
        keys = set(result.keys_with(channel))
        again = [e for e in result.events if e.key in keys]
        check = driver.run(again, driver.Options(url=opts.url, tokens=opts.tokens, start=opts.start, speed=0,
                                                 concurrency=2, batch=True, batch_size=1000,
                                                 retries=opts.retries))
        stored = sum(1 for e in again if (o := check.outcomes.get(e.key)) and o.status == "duplicate")
        out[channel] = {"answered": len(again), "stored": stored, "lost": len(again) - stored}
    return out
