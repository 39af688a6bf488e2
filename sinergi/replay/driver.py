"""Send a scenario's events to a running Sinergi at a chosen speed and measure what happened (no Django).

Pacing: the event at simulated time `t` is sent at wall time `t0 + (t - start) / speed` (speed 0: as fast as
possible, then batches are as large as the endpoint takes). `concurrency` workers each hold one keep-alive
connection. A request that fails on the network, times out or gets 429/5xx is sent again with the *same*
idempotency keys (up to `retries` times, with backoff): the server stores each key once, so a retry never
duplicates. Every request's latency is recorded, and how late it left against its schedule ("lag").
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .http import Connection, NetworkError, Response
from .scenario import Event


@dataclass(frozen=True)
class Route:
    single: str
    batch: str
    batch_field: str
    max_batch: int


ROUTES: dict[str, Route] = {
    "checkin": Route("/api/v1/checkins/", "/api/v1/checkins/batch/", "items", 5000),
    "incident": Route("/api/v1/incident-reports/", "/api/v1/incident-reports/batch/", "reports", 10000),
    # One movement per request (no batch endpoint); the event's "_path" names the movement's endpoint.
    "logistics": Route("", "", "", 0),
}


def _wire(body: dict[str, Any]) -> dict[str, Any]:
    """The body as sent: without the replay's own "_"-prefixed routing fields."""
    return {k: v for k, v in body.items() if not k.startswith("_")}


@dataclass
class Options:
    url: str
    tokens: dict[str, str]               # unit code -> token; "default" for anything else
    start: dt.datetime                   # simulated time at which the replay starts
    speed: float = 10.0                  # simulated seconds per wall second; 0 = as fast as possible
    concurrency: int = 8
    batch: bool = False
    batch_size: int = 1000
    batch_wait: float = 0.5              # wall seconds a batch collects events (paced replays)
    retries: int = 5
    timeout: float = 60.0
    progress: Any = None                 # callable(str) for progress lines, or None
    on_progress: Any = None              # callable(answered, total) every second (a terminal bar), or None
    headers: dict[str, str] = field(default_factory=dict)  # extra headers, e.g. X-Sinergi-Latihan (exercise)


@dataclass
class Outcome:
    status: str                          # accepted | duplicate | rejected | failed
    reason: str = ""
    id: Any = None


@dataclass
class Result:
    events: Sequence[Event]
    outcomes: dict[str, Outcome] = field(default_factory=dict)       # by event key
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    lags: list[float] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    elapsed: float = 0.0

    def keys_with(self, channel: str, statuses: Sequence[str] = ("accepted", "duplicate")) -> list[str]:
        return [e.key for e in self.events if e.channel == channel
                and (o := self.outcomes.get(e.key)) is not None and o.status in statuses]

    def report(self) -> dict[str, Any]:
        totals: Counter[str] = Counter()
        by_channel: dict[str, Counter[str]] = defaultdict(Counter)
        by_kind: dict[str, Counter[str]] = defaultdict(Counter)
        reasons: Counter[str] = Counter()
        failures: Counter[str] = Counter()
        for e in self.events:
            o = self.outcomes.get(e.key)
            status = o.status if o else "not_sent"
            totals[status] += 1
            by_channel[e.channel][status] += 1
            by_kind[e.kind][status] += 1
            if o and o.status == "rejected":
                reasons[f"{e.channel}: {o.reason}"] += 1
            elif o and o.status == "failed":
                failures[f"{e.channel}: {o.reason}"] += 1
        all_lat = [x for v in self.latencies.values() for x in v]
        sent = sum(v for k, v in totals.items() if k != "not_sent")
        return {
            "events": len(self.events), "sent": sent, "requests": self.requests, "retries": self.retries,
            "accepted": totals["accepted"], "duplicate": totals["duplicate"], "rejected": totals["rejected"],
            "failed": totals["failed"], "not_sent": totals["not_sent"],
            "rejected_reasons": dict(reasons.most_common(20)), "failed_reasons": dict(failures.most_common(10)),
            "by_channel": {k: dict(v) for k, v in by_channel.items()},
            "by_kind": {k: dict(v) for k, v in by_kind.items()},
            "latency_ms": stats_ms(all_lat),
            "latency_ms_by_channel": {k: stats_ms(v) for k, v in self.latencies.items()},
            "lag_ms": stats_ms(self.lags),
            "elapsed_s": round(self.elapsed, 2),
            "items_per_s": round(sent / self.elapsed, 1) if self.elapsed else None,
        }


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q / 100 * (len(s) - 1)))))]


def stats_ms(values: Sequence[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    return {"n": len(values), **{f"p{q}": round(percentile(values, q) * 1000, 1) for q in (50, 95, 99)},
            "max": round(max(values) * 1000, 1)}


@dataclass
class _Job:
    channel: str
    token: str
    events: list[Event]
    due: float


def _reason(resp: Response) -> str:
    data = resp.json()
    if isinstance(data, dict) and data:
        k, v = next(iter(data.items()))
        if isinstance(v, list) and v:
            v = v[0]
        if isinstance(v, dict) and v:
            k2, v2 = next(iter(v.items()))
            v = f"{k2}: {v2[0] if isinstance(v2, list) and v2 else v2}"
        text = f"{k}: {v}" if k not in ("detail", "non_field_errors") else str(v)
    else:
        text = (resp.body[:80].decode("utf-8", "replace") or "(empty)")
    return f"HTTP {resp.status} {text}"[:160]


def _item_reason(item: dict[str, Any]) -> str:
    err = item.get("error") or item.get("errors") or "rejected"
    if isinstance(err, dict) and err:
        k, v = next(iter(err.items()))
        err = f"{k}: {v[0] if isinstance(v, list) and v else v}"
    elif isinstance(err, list) and err:
        err = err[0]
    return str(err)[:160]


async def drive(events: Sequence[Event], opts: Options) -> Result:
    """Send `events` (sorted by time) as scheduled; returns every event's outcome and the measurements."""
    result = Result(events=events)
    missing = {e.channel for e in events} - set(ROUTES)
    if missing:
        raise ValueError(f"no API route for {sorted(missing)}")
    default = opts.tokens.get("default") or next(iter(opts.tokens.values()), "")
    if not default:
        raise ValueError("no API token")
    queue: asyncio.Queue[_Job | None] = asyncio.Queue(maxsize=max(4, opts.concurrency * 2))
    loop = asyncio.get_running_loop()
    t0 = loop.time()

    def due(e: Event) -> float:
        if opts.speed <= 0:
            return t0
        return t0 + (e.at - opts.start).total_seconds() / opts.speed

    def token_for(e: Event) -> str:
        return opts.tokens.get(e.unit) or default

    async def report_progress() -> None:
        tick = 0
        while True:
            await asyncio.sleep(1)
            tick += 1
            if opts.on_progress:
                opts.on_progress(len(result.outcomes), len(events))
            if opts.progress and tick % 10 == 0:
                opts.progress(f"replay: {len(result.outcomes):,}/{len(events):,} events answered, "
                              f"{result.requests:,} requests, {result.retries} retries, "
                              f"{loop.time() - t0:.0f} s")

    async def produce() -> None:
        i, n = 0, len(events)
        while i < n:
            d = due(events[i])
            now = loop.time()
            if d > now:
                await asyncio.sleep(d - now)
            if opts.batch and opts.speed > 0:
                await asyncio.sleep(opts.batch_wait)
            now = loop.time()
            j = i + 1
            while j < n and due(events[j]) <= now:
                j += 1
            chunk = events[i:j]
            if opts.batch:
                groups: dict[tuple[str, str], list[Event]] = defaultdict(list)
                for e in chunk:
                    if not ROUTES[e.channel].max_batch:
                        await queue.put(_Job(e.channel, token_for(e), [e], due(e)))
                        continue
                    groups[(e.channel, token_for(e))].append(e)
                for (channel, token), evs in groups.items():
                    size = min(opts.batch_size, ROUTES[channel].max_batch)
                    for k in range(0, len(evs), size):
                        part = evs[k:k + size]
                        await queue.put(_Job(channel, token, part, due(part[0])))
            else:
                for e in chunk:
                    await queue.put(_Job(e.channel, token_for(e), [e], due(e)))
            i = j
        for _ in range(opts.concurrency):
            await queue.put(None)

    async def send(conn: Connection, job: _Job) -> None:
        route = ROUTES[job.channel]
        single = not opts.batch or not route.max_batch
        if single:
            first = job.events[0].body
            path, body = first.get("_path") or route.single, _wire(first)
        else:
            path, body = route.batch, {route.batch_field: [_wire(e.body) for e in job.events]}
        payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        headers = {"Authorization": f"Token {job.token}", "Content-Type": "application/json",
                   "Accept": "application/json", **opts.headers}
        result.lags.append(max(0.0, loop.time() - job.due))
        reason = ""
        for attempt in range(opts.retries + 1):
            if attempt:
                result.retries += 1
                await asyncio.sleep(min(0.2 * 2 ** attempt, 5.0))
            started = time.perf_counter()
            try:
                resp = await conn.request("POST", path, body=payload, headers=headers)
            except NetworkError as exc:
                reason = f"network: {exc}"[:160]
                continue
            finally:
                result.requests += 1
            result.latencies[job.channel].append(time.perf_counter() - started)
            if resp.status == 429 or resp.status >= 500:
                reason = f"HTTP {resp.status}"
                continue
            _record(job, resp, single)
            return
        for e in job.events:
            result.outcomes[e.key] = Outcome("failed", reason)

    def _record(job: _Job, resp: Response, single: bool) -> None:
        data = resp.json()
        if resp.status >= 400:
            reason = _reason(resp)
            for e in job.events:
                result.outcomes[e.key] = Outcome("rejected", reason)
            return
        if single:
            e = job.events[0]
            status = data.get("status") if isinstance(data, dict) else None
            if status not in ("accepted", "duplicate"):
                status = "accepted" if resp.status == 201 else "duplicate"
            result.outcomes[e.key] = Outcome(status, id=data.get("id") if isinstance(data, dict) else None)
            return
        items = data.get("results") if isinstance(data, dict) else None
        answered: dict[int, dict[str, Any]] = {}
        for pos, item in enumerate(items or []):
            answered[int(item.get("index", pos))] = item
        for idx, e in enumerate(job.events):
            item = answered.get(idx)
            if item is None:
                result.outcomes[e.key] = Outcome("failed", "not answered in the batch")
            elif item.get("status") in ("accepted", "duplicate"):
                result.outcomes[e.key] = Outcome(item["status"], id=item.get("id"))
            else:
                result.outcomes[e.key] = Outcome("rejected", _item_reason(item))

    async def work() -> None:
        conn = Connection(opts.url, timeout=opts.timeout)
        try:
            while (job := await queue.get()) is not None:
                await send(conn, job)
        finally:
            await conn.close()

    started = time.perf_counter()
    ticker = asyncio.create_task(report_progress()) if opts.progress or opts.on_progress else None
    try:
        await asyncio.gather(produce(), *(work() for _ in range(opts.concurrency)))
    finally:
        if ticker is not None:
            ticker.cancel()
    result.elapsed = time.perf_counter() - started
    return result


def run(events: Sequence[Event], opts: Options) -> Result:
    return asyncio.run(drive(events, opts))
