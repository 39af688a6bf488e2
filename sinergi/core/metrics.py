"""Prometheus metrics (prometheus_client), shared by every process of a deployment.

`sinergi serve` sets PROMETHEUS_MULTIPROC_DIR (emptied at start) so the server processes, task workers and loops
write their samples to files there and /metrics adds them up (prometheus_client's multiprocess mode). Without it
(one process, tests) the default registry is used.

Exposed: request latency per route, WebSocket clients connected, task durations, loop errors; the task queue
depth and the pending reports are read from the database at scrape time. /metrics answers only to addresses in
SINERGI_METRICS_ALLOWED_IPS (default: this machine) or to `Authorization: Bearer <SINERGI_METRICS_TOKEN>`.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

MULTIPROC = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

REQUEST_LATENCY = Histogram(
    "sinergi_http_request_duration_seconds", "HTTP request latency by route and status class",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
TASK_DURATION = Histogram(
    "sinergi_task_duration_seconds", "Duration of background tasks by task and outcome", ["task", "outcome"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
WEBSOCKET_CLIENTS = Gauge(
    "sinergi_websocket_clients", "WebSocket clients connected", multiprocess_mode="livesum",
)
LOOP_ERRORS = Counter(
    "sinergi_loop_errors", "Errors caught by long-running loops (transient: database/network)", ["loop", "transient"],
)
TASKS_RELEASED = Counter("sinergi_tasks_released", "RUNNING tasks of dead workers released to run again")


class _DatabaseCollector:
    """Queue depth and pending reports, read at scrape time (one small query each)."""

    def collect(self):
        from django.db.models import Count
        from django_tasks_db.models import DBTaskResult

        depth = GaugeMetricFamily("sinergi_task_queue_depth", "Background tasks by queue and status",
                                  labels=["queue", "status"])
        try:
            rows = (DBTaskResult.objects.filter(status__in=["READY", "RUNNING"])
                    .values_list("queue_name", "status").annotate(n=Count("id")))
            for queue, status, n in rows:
                depth.add_metric([queue, status.lower()], n)
        except Exception:  # noqa: BLE001 - the database is down: /readyz says so
            pass
        yield depth
        pending = GaugeMetricFamily("sinergi_reports_pending", "Stored reports not processed yet")
        try:
            from django.apps import apps

            Report = apps.get_model("incidents", "Report")
            pending.add_metric([], Report.objects.filter(processing="pending").count())
        except Exception:  # noqa: BLE001
            pass
        yield pending


def _registry() -> CollectorRegistry:
    if MULTIPROC:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        for collector in list(REGISTRY._collector_to_names):  # the process's own metrics
            registry.register(collector)
    registry.register(_DatabaseCollector())
    return registry


def allowed(request) -> bool:
    token = settings.SINERGI_METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip(), token):
        return True
    from .clientip import PROXIED_MARK

    if (request.META.get("HTTP_X_FORWARDED_FOR") or request.META.get("HTTP_X_REAL_IP")
            or request.META.get(PROXIED_MARK)):
        return False  # came through a proxy: only the token opens it (the proxy's address is not the client's)
    try:
        addr = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    for net in settings.SINERGI_METRICS_ALLOWED_IPS:
        try:
            if addr in ipaddress.ip_network(net, strict=False):
                return True
        except ValueError:
            continue
    return False


def metrics_view(request):
    if not allowed(request):
        return HttpResponseForbidden("metrics: address not allowed and no valid token\n")
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)


class RequestMetricsMiddleware:
    """Observes each request's latency under its URL pattern name (never the raw path: bounded labels)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        t0 = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = (match.view_name or match.route) if match is not None else "unmatched"
        REQUEST_LATENCY.labels(request.method if request.method in _METHODS else "other", route[:80],
                               f"{response.status_code // 100}xx").observe(time.perf_counter() - t0)
        return response


_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}


def count_websockets(app):
    """ASGI wrapper counting open WebSocket connections (accepted until closed) in WEBSOCKET_CLIENTS."""

    async def wrapped(scope, receive, send):
        if scope.get("type") != "websocket":
            return await app(scope, receive, send)
        opened = False

        async def counting_send(message):
            nonlocal opened
            if message.get("type") == "websocket.accept" and not opened:
                opened = True
                WEBSOCKET_CLIENTS.inc()
            elif message.get("type") == "websocket.close" and opened:
                opened = False
                WEBSOCKET_CLIENTS.dec()
            await send(message)

        try:
            return await app(scope, receive, counting_send)
        finally:
            if opened:
                WEBSOCKET_CLIENTS.dec()

    return wrapped
