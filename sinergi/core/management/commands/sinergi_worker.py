"""`manage.py sinergi_worker`: the django-tasks database worker, made to survive and to be supervised.

What it adds to `db_worker` (django-tasks-db, whose claiming and running of tasks it reuses):
- a heartbeat (ProcessHeartbeat row named after the worker id, every SINERGI_TASK_HEARTBEAT_S seconds, from a
  thread so it beats during long tasks). Every worker's heartbeat thread releases the RUNNING tasks of workers that stopped beating
  for SINERGI_TASK_LEASE_S seconds (`tasks_release_stale`): a task whose worker was SIGKILLed runs again;
- database restarts and network errors never end the loop: back-off and retry (sinergi/core/resilience.py). A
  task that fails because the database went away is released to run again instead of being marked failed, and
  the outcome of a finished task is written once the database is back;
- SIGTERM/SIGINT: the current task finishes, then the worker exits 0 (a second signal exits at once; the task is
  then released by the lease);
- metrics: task durations; RunRecorder links each run record to its task row.
"""

from __future__ import annotations

import logging
import time

from django.core.management.base import BaseCommand
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from sinergi.core import heartbeat, services
from sinergi.core.metrics import TASK_DURATION
from sinergi.core.resilience import Backoff, close_connections, is_transient, process_name

log = logging.getLogger("sinergi.worker")


class ResilientWorker(Worker):
    def __init__(self, *, lease_check_s: float, heartbeat_s: float, **kwargs):
        super().__init__(**kwargs)
        self.lease_check_s = lease_check_s
        # The heartbeat thread also releases tasks of dead workers, so that happens while this worker runs a long
        # task too (another, idle worker then picks the released task up).
        self.beats = heartbeat.BeatThread(name=self.worker_id, kind="worker", every=heartbeat_s,
                                          chore=services.tasks_release_stale, chore_every=lease_check_s)
        self._last_release = 0.0

    def _wait(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while self.running and time.monotonic() < end:
            time.sleep(min(0.2, max(0.0, end - time.monotonic())))

    def _persist(self, fn, *args) -> bool:
        """Write a task's outcome, waiting for the database if it is away. False if stopped before it worked
        (then the task stays RUNNING under this worker's id and the lease releases it after we exit)."""
        backoff = Backoff()
        while True:
            try:
                fn(*args)
                return True
            except Exception as exc:  # noqa: BLE001
                if not is_transient(exc) or not self.running:
                    log.exception("task outcome not written")
                    return False
                pause = backoff.next()
                log.warning("task outcome not written (database away), retrying in %.1f s: %s", pause, exc)
                close_connections()
                self._wait(pause)

    def _release_for_rerun(self, db_task_result: DBTaskResult, exc: BaseException) -> None:
        """The task failed because the database went away: queue it again (counts as an attempt)."""

        def release():
            DBTaskResult.objects.filter(pk=db_task_result.pk, status="RUNNING").update(status="READY",
                                                                                     started_at=None)

        log.warning("task %s interrupted by a database error, queued again: %s", db_task_result.pk, exc)
        if len(db_task_result.worker_ids) >= services.max_attempts():
            self._persist(db_task_result.set_failed, exc)
        else:
            self._persist(release)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        self.running_task = True
        task_id = str(db_task_result.pk)
        self.beats.task_id = task_id
        services.set_current_task(task_id)
        t0 = time.perf_counter()
        outcome = "succeeded"
        try:
            task = db_task_result.task
            task_result = db_task_result.task_result
            try:
                value = task.call(*task_result.args, **task_result.kwargs)
            except Exception as exc:  # noqa: BLE001
                close_connections()
                if is_transient(exc):
                    outcome = "released"
                    self._release_for_rerun(db_task_result, exc)
                else:
                    outcome = "failed"
                    log.exception("task %s (%s) failed", task_id, db_task_result.task_path)
                    self._persist(db_task_result.set_failed, exc)
                return
            self._persist(db_task_result.set_successful, value)
        except (SystemExit, KeyboardInterrupt):
            # Second SIGTERM/SIGINT: stop now and hand the task back (another worker runs it from the start).
            outcome = "released"
            try:
                DBTaskResult.objects.filter(pk=db_task_result.pk, status="RUNNING").update(status="READY",
                                                                                         started_at=None)
                log.warning("task %s handed back on shutdown", task_id)
            except Exception:  # noqa: BLE001 - database away: the lease releases it
                pass
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. the task path no longer imports
            outcome = "failed"
            log.exception("task %s could not run", task_id)
            self._persist(db_task_result.set_failed, exc)
        finally:
            TASK_DURATION.labels(db_task_result.task_path.rsplit(".", 1)[-1][:60], outcome).observe(
                time.perf_counter() - t0)
            services.set_current_task("")
            self.beats.task_id = ""
            self.running_task = False
            self._run_tasks += 1

    def _claim(self) -> DBTaskResult | None:
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        with exclusive_transaction(tasks.db):
            task_result = tasks.get_locked()
            if task_result is not None:
                task_result.claim(self.worker_id)
        return task_result

    def run(self) -> None:
        log.info("worker %s started (queues %s)", self.worker_id, ",".join(self.queue_names))
        heartbeat.beat(name=self.worker_id, kind="worker")
        try:  # at start too (a worker restarted after a crash picks up what the dead one held)
            services.tasks_release_stale()
        except Exception as exc:  # noqa: BLE001 - database away: the heartbeat thread tries again
            log.warning("worker %s: releasing stale tasks failed: %s", self.worker_id, exc)
            close_connections()
        self.beats.start()
        backoff = Backoff()
        try:
            while self.running:
                try:
                    task_result = self._claim()
                    backoff.reset()
                except Exception as exc:  # noqa: BLE001
                    pause = backoff.next()
                    close_connections()
                    transient = is_transient(exc)
                    (log.warning if transient else log.error)(
                        "worker %s: %s error, retrying in %.1f s: %s", self.worker_id,
                        "transient database" if transient else "unexpected", pause, exc)
                    heartbeat.record_error(name=self.worker_id, kind="worker", error=f"{type(exc).__name__}: {exc}",
                                           transient=transient)
                    self._wait(pause)
                    continue
                if task_result is not None:
                    self.run_task(task_result)
                    if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                        return
                elif self.batch:
                    return
                else:
                    self._wait(self.interval)
        finally:
            self.beats.stop()
            heartbeat.forget(name=self.worker_id)
            close_connections()
            log.info("worker %s stopped", self.worker_id)

    def shutdown(self, signum, frame) -> None:
        if not self.running:  # second signal: exit now; the lease releases the task
            self.reset_signals()
            raise SystemExit(1)
        log.warning("worker %s: signal %s, finishing the current task and stopping", self.worker_id, signum)
        self.running = False


class Command(BaseCommand):
    help = "Run a task worker that survives database restarts and releases tasks of dead workers."

    def add_arguments(self, parser):
        parser.add_argument("--queue-name", default="default", help="queues to process (comma-separated, * = all)")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls when idle")
        parser.add_argument("--batch", action="store_true", help="process what is queued, then exit")
        parser.add_argument("--max-tasks", type=int, default=None)
        parser.add_argument("--worker-id", default="", help="unique id (default: worker:<host>:<pid>)")

    def handle(self, *args, **opts):
        from django.conf import settings

        lease = float(settings.SINERGI_TASK_LEASE_S)
        worker = ResilientWorker(
            queue_names=opts["queue_name"].split(","), interval=opts["interval"], batch=opts["batch"],
            backend_name="default", startup_delay=False, max_tasks=opts["max_tasks"],
            worker_id=opts["worker_id"] or process_name("worker"), excluded_queue_names=[],
            lease_check_s=max(1.0, lease / 3),
            heartbeat_s=float(settings.SINERGI_TASK_HEARTBEAT_S),
        )
        worker.configure_signals()
        worker.run()
