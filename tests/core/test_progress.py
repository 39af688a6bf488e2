"""Progress of long work: one throttled call for the task code, shown on the task's page (bar, percent, step, time
left) and on a terminal (a bar on a TTY, plain lines otherwise; --json output unchanged)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sinergi.accounts.choices import AgencyKind, Role
from sinergi.core.models import TaskRun
from sinergi.core.progress import progress, progress_reporter, steps
from sinergi.core.services import RunRecorder, taskrun_create
from sinergi.core.terminal import terminal_progress
from tests import factories
from tests.elections.test_import_tps import GOOD, csv_bytes, world  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def _updates(ctx) -> int:
    return sum(1 for q in ctx.captured_queries if q["sql"].startswith("UPDATE") and "progress_done" in q["sql"])


def test_progress_is_throttled_and_ends_full():
    run = taskrun_create(kind="tps_import", parameters={})
    with RunRecorder(run):
        with CaptureQueriesContext(connection) as ctx:
            progress(run, 0, 20_000, "Memeriksa baris")
            for i in range(1, 20_000):
                progress(run, i, 20_000, "Memeriksa baris")
        assert _updates(ctx) <= 3  # first call, then at most one a second: not 20,000 writes
        run.refresh_from_db()
        assert run.progress_step == "Memeriksa baris" and run.progress_total == 20_000
        progress(run, 19_000, 20_000, "Menyimpan TPS")  # a new step is written at once
        run.refresh_from_db()
        assert run.progress_done == 19_000 and run.progress_step == "Menyimpan TPS"
        assert run.progress_percent == 95
    run.refresh_from_db()
    assert run.status == TaskRun.Status.SUCCEEDED and run.progress_done == 20_000 and run.progress_percent == 100


def test_time_left_and_what_the_page_reads(client, make_user):
    from sinergi.core.progress import progress_data

    user = make_user(unit=factories.unit(AgencyKind.KPU), role=Role.OPERATOR)
    run = taskrun_create(kind="tps_import", actor=user, parameters={})
    t0 = dt.datetime(2026, 1, 1, 1, 0, tzinfo=dt.UTC)
    TaskRun.objects.filter(pk=run.pk).update(
        status=TaskRun.Status.RUNNING, started_at=t0, progress_done=250, progress_total=1000,
        progress_step="Memeriksa baris", progress_at=t0 + dt.timedelta(minutes=5))
    run.refresh_from_db()
    # 250 of 1,000 in 5 minutes: 15 minutes left at that pace, 14 a minute later
    assert run.progress_left_s(t0 + dt.timedelta(minutes=5)) == pytest.approx(900)
    data = progress_data(run, now=t0 + dt.timedelta(minutes=6))
    assert data["percent"] == 25 and data["left_text"] == "14 m" and data["step"] == "Memeriksa baris"
    assert data["done_text"] == "250" and data["total_text"] == "1.000" and data["active"] is True

    client.force_login(user)
    body = client.get(reverse("run_progress", args=[run.pk])).json()
    assert body["percent"] == 25 and body["status_label"] == "berjalan" and body["updated"]
    stranger = make_user(unit=factories.unit(AgencyKind.POLRI), role=Role.OBSERVER)
    client.force_login(stranger)
    assert client.get(reverse("run_progress", args=[run.pk])).status_code == 403


def test_task_pages_show_the_bar(client, make_user, world):  # noqa: F811
    from sinergi.elections.models import Election

    user = make_user(unit=world["kpu"], role=Role.OPERATOR)
    run = taskrun_create(kind="tps_import", actor=user, parameters={
        "election": "pilkada-2024", "election_id": Election.objects.get(code="pilkada-2024").pk})
    TaskRun.objects.filter(pk=run.pk).update(status=TaskRun.Status.RUNNING, progress_done=40, progress_total=160,
                                             progress_step="Memeriksa baris")
    client.force_login(user)
    html = client.get(reverse("elections:tps_import_run", args=[run.pk])).content.decode()
    assert 'data-testid="run-progress"' in html and "25 %" in html and "40 / 160" in html
    assert "Memeriksa baris" in html and f'data-progress-url="/tugas/proses/{run.pk}/progres/"' in html


def test_plain_lines_without_a_tty():
    out = io.StringIO()
    with terminal_progress(stream=out):  # StringIO is not a TTY
        at = steps(None, ["Membaca", "Menyimpan"], label="dataset")
        at(0)
        for i in range(101):
            progress(None, i, 100, "Memeriksa baris", label="tps_import")
        at(1)
        at(2)
    lines = out.getvalue().splitlines()
    assert "Dataset NTT: 0/2 (0 %) Membaca" in lines and "Dataset NTT: 2/2 (100 %) Menyimpan" in lines
    rows = [line for line in lines if line.startswith("Impor TPS:")]
    assert rows[0] == "Impor TPS: 0/100 (0 %) Memeriksa baris" and rows[-1] == "Impor TPS: 100/100 (100 %) Memeriksa baris"
    assert len(rows) == 11 and "\x1b" not in out.getvalue()  # every 10 %, no terminal control codes


def test_a_bar_on_a_terminal():
    out = io.StringIO()
    with terminal_progress(stream=out, tty=True):
        for i in range(0, 11):
            progress(None, i, 10, "Menghitung", label="deployment.plan")
    text = out.getvalue()
    assert "Rencana / plan" in text and "100%" in text and "10/10" in text and "Menghitung" in text


def test_nothing_with_json():
    seen = []
    with progress_reporter(lambda *a: seen.append(a)):
        with terminal_progress(enabled=False, stream=io.StringIO()):
            progress(None, 1, 2, "x")
    assert seen == [("", 1, 2, "x")]  # the outer reporter still sees it; the terminal shows nothing


def test_cli_plain_lines_and_unchanged_json(world, tmp_path, capsys):  # noqa: F811
    from sinergi.cli import main

    path = tmp_path / "tps.csv"
    path.write_bytes(csv_bytes(*GOOD))
    assert main(["import-tps", str(path)]) == 0
    cap = capsys.readouterr()
    assert "dibuat 3, diubah 0, tidak berubah 0" in cap.out and "Impor TPS:" not in cap.out
    lines = cap.err.splitlines()
    assert "Impor TPS: 0 Membaca berkas" in lines and "Impor TPS: 6/6 (100 %) Selesai" in lines
    assert any(line.startswith("Impor TPS: 0/6 (0 %) Memeriksa baris") for line in lines)
    assert "\x1b" not in cap.err

    assert main(["import-tps", str(path), "--json"]) == 0
    cap = capsys.readouterr()
    payload = json.loads(cap.out)
    assert cap.err == ""  # no progress at all with --json
    assert cap.out == json.dumps(payload, ensure_ascii=False, indent=2) + "\n"  # the document, exactly as before
    assert list(payload) == ["run", "status", "duration_s", "result"] and payload["result"]["unchanged"] == 3
