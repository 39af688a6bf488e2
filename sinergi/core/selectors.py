"""Readiness, background tasks and processes (the dashboard's dataset counts are in sinergi.elections.selectors)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# -- readiness, background tasks and processes ----------------------------------------------------------------------

def readiness() -> dict[str, dict]:
    """Database, cache and channel layer: each {"ok": bool, "ms": float, "error": str}."""
    import time
    import uuid

    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer
    from django.core.cache import cache
    from django.db import connection

    def check(fn) -> dict:
        t0 = time.perf_counter()
        try:
            fn()
            return {"ok": True, "ms": round((time.perf_counter() - t0) * 1000, 1)}
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            return {"ok": False, "ms": round((time.perf_counter() - t0) * 1000, 1),
                    "error": f"{type(exc).__name__}: {str(exc)[:200]}"}

    def database():
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()

    def cache_check():
        key = f"sinergi:readyz:{uuid.uuid4().hex}"
        cache.set(key, "1", 10)
        if cache.get(key) != "1":
            raise RuntimeError("value written to the cache was not read back")
        cache.delete(key)

    def channel_layer():
        layer = get_channel_layer()
        if layer is None:
            raise RuntimeError("no channel layer configured")
        async_to_sync(layer.group_send)("sinergi-readyz", {"type": "readyz.ping"})

    return {"database": check(database), "cache": check(cache_check), "channel_layer": check(channel_layer)}


TASK_STATUS_LABELS = {"READY": _("antre"), "RUNNING": _("berjalan"), "SUCCESSFUL": _("berhasil"),
                      "FAILED": _("gagal")}


def _with_runs(rows: list) -> list:
    from .models import TaskRun

    runs = {r.task_id: r for r in TaskRun.objects.filter(task_id__in=[str(r.pk) for r in rows])
            .select_related("created_by", "unit")}
    for row in rows:
        row.run = runs.get(str(row.pk))
        row.status_label = TASK_STATUS_LABELS.get(row.status, row.status)
        row.cancelled = row.exception_class_path == "sinergi.core.Cancelled"
        row.short_name = row.task_path.rsplit(".", 1)[-1]
    return rows


def task_list(*, user, status: str = "", limit: int = 200) -> list:
    """The latest background tasks (task.manage only: the caller checks), newest first, with their run record."""
    from django_tasks_db.models import DBTaskResult

    qs = DBTaskResult.objects.order_by("-enqueued_at")
    if status in TASK_STATUS_LABELS:
        qs = qs.filter(status=status)
    return _with_runs(list(qs[:limit]))


def task_get(*, user, task_id: str):
    from django_tasks_db.models import DBTaskResult

    row = DBTaskResult.objects.filter(pk=task_id).first()
    if row is None:
        return None
    row = _with_runs([row])[0]
    alive = row.worker_ids[-1] in _live_workers() if row.worker_ids else False
    row.worker_alive = alive
    row.can_cancel = row.status == "READY" or (row.status == "RUNNING" and not alive)
    row.can_retry = row.status == "FAILED"
    row.attempts = len(row.worker_ids)
    return row


def _live_workers() -> set[str]:
    from .services import live_workers

    return live_workers()


def process_list(*, user) -> list:
    """Task workers, report processors and schedulers that announced themselves, with their last error."""
    import datetime as dt

    from django.utils import timezone

    from .models import ProcessHeartbeat
    from .services import lease_seconds

    cutoff = timezone.now() - dt.timedelta(seconds=lease_seconds())
    rows = list(ProcessHeartbeat.objects.all()[:200])
    for r in rows:
        r.alive = r.beat_at >= cutoff
    return rows
