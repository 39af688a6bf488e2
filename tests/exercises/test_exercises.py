"""Exercise mode (latihan): bad input changes nothing; an exercise on a day that is NOT election day (the wall clock
here is years after Pilkada 2024) runs voting day on its own clock in its own database: check-ins accepted there,
never seen by the real operation; the tick raises the exercise's alerts on the exercise clock; stop keeps the
debrief; purge removes every exercise record in one audited step."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from sinergi.accounts.choices import Role
from sinergi.core import clock, sandbox
from sinergi.core.management.commands.sinergi_tick import run_jobs
from sinergi.core.models import AuditEvent
from sinergi.core.services import audit_verify
from sinergi.exercises import services
from sinergi.exercises.middleware import SESSION_KEY
from sinergi.exercises.models import Exercise, ExerciseStatus
from sinergi.operations.models import Alert, CheckIn
from sinergi.reports.models import SituationReport
from tests.operations.factories import TPS_A, TPS_B, build_ops_world, wita

VOTING = "2024-11-27"


def _token(user):
    """An issued token; `.key` is the raw key for the header."""
    from sinergi.accounts import tokens

    return tokens.create(user=user)


def start_data(**kw) -> dict:
    return {"election": "pilkada-2024", "date": VOTING, "start": "06:00", "end": "24:00", "speed": "10", **kw}


# --------------------------------------------------------------------------- the clock


def test_exercise_clock_runs_at_speed_within_the_window_and_freezes_when_stopped():
    t0 = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)
    c = clock.ExerciseClock(exercise_id=1, sim_start=wita(27, 6), sim_end=wita(28, 0), started_at=t0, speed=10)
    assert c.at(t0) == wita(27, 6)
    assert c.at(t0 + dt.timedelta(minutes=9)) == wita(27, 7, 30)  # 9 wall minutes x 10 = 90 simulated
    assert c.at(t0 + dt.timedelta(hours=5)) == wita(28, 0)  # held at the window's end
    assert c.at(t0 - dt.timedelta(hours=1)) == wita(27, 6)
    frozen = clock.ExerciseClock(exercise_id=1, sim_start=wita(27, 6), sim_end=wita(28, 0), started_at=t0, speed=10,
                                 frozen_at=t0 + dt.timedelta(minutes=6))
    assert frozen.at(t0 + dt.timedelta(hours=1)) == wita(27, 7)
    assert c.wall_for(wita(27, 8)) == t0 + dt.timedelta(minutes=12)


def test_outside_an_exercise_the_clock_is_the_wall_clock():
    assert clock.current_exercise() is None
    assert abs((clock.now() - timezone.now()).total_seconds()) < 1
    assert timezone.localdate() != dt.date(2024, 11, 27)  # the point: today is not election day


# --------------------------------------------------------------------------- bad input changes nothing


@pytest.mark.parametrize("bad, field", [
    ({"election": "pilkada-1999"}, "election"),
    ({"election": ""}, "election"),
    ({"election": "9" * 5000}, "election"),
    ({"speed": "9" * 5000}, "speed"),
    ({"date": "x" * 100000}, "date"),
    ({"date": "2031-01-01"}, "date"),
    ({"date": "27-11-2024"}, "date"),
    ({"speed": "0"}, "speed"),
    ({"speed": "61"}, "speed"),
    ({"speed": "fast"}, "speed"),
    ({"start": "25:00"}, "start"),
    ({"start": "12:00", "end": "08:00"}, "end"),
    ({"end": "24:30"}, "end"),
])
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(db, bad, field, make_user):
    build_ops_world()
    commander = make_user(role=Role.COMMANDER)
    audits = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.exercise_start(actor=commander, data=start_data(**bad))
    assert field in exc.value.message_dict
    assert Exercise.objects.count() == 0 and AuditEvent.objects.count() == audits


def test_only_commanders_and_admins_start_exercises(db, make_user):
    from django.core.exceptions import PermissionDenied

    build_ops_world()
    with pytest.raises(PermissionDenied):
        services.exercise_start(actor=make_user(role=Role.OPERATOR), data=start_data())
    assert Exercise.objects.count() == 0


def test_cli_refuses_bad_input_with_a_clear_message(db):
    build_ops_world()
    with pytest.raises(CommandError, match="speed"):
        call_command("exercise", "start", "--election", "pilkada-2024", "--date", VOTING, "--speed", "99")
    with pytest.raises(CommandError, match="tidak dikenal"):
        call_command("exercise", "start", "--election", "nope", "--date", VOTING)
    assert Exercise.objects.count() == 0


# --------------------------------------------------------------------------- a whole exercise


@pytest.fixture
def world(transactional_db, make_user):
    ow = build_ops_world()
    users = {
        "commander": make_user(unit=ow.polda, role=Role.COMMANDER),
        "officer": make_user(unit=ow.polsek_a, role=Role.OPERATOR),
        "analyst": make_user(unit=ow.polda, role=Role.ANALYST),
        "observer": make_user(unit=ow.polda, role=Role.OBSERVER),
    }
    yield ow, users
    for ex in Exercise.objects.exclude(status=ExerciseStatus.PURGED):
        sandbox.drop(ex.database)


def _api(token, exercise: Exercise | None = None) -> Client:
    headers = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    if exercise is not None:
        headers["HTTP_X_SINERGI_LATIHAN"] = str(exercise.pk)
    return Client(**headers)


def _checkin(client: Client, key: str, at: str, kind: str = "opened", tps: str = TPS_A):
    return client.post("/api/v1/checkins/", data=json.dumps({"key": key, "tps": tps, "kind": kind, "at": at}),
                       content_type="application/json")


@pytest.mark.flushes
def test_exercise_runs_voting_day_apart_from_the_real_operation(world, make_user):
    ow, u = world
    real_before = CheckIn.objects.count()
    ex = services.exercise_start(actor=u["commander"], data=start_data(speed="60", title="Latihan Pra Operasi"))
    assert ex.status == ExerciseStatus.RUNNING and sandbox.exists(ex.database)
    assert AuditEvent.objects.filter(action="exercise.start", object_id=str(ex.pk)).exists()

    # a second exercise while one runs: refused, nothing changed
    with pytest.raises(ValidationError) as exc:
        services.exercise_start(actor=u["commander"], data=start_data())
    assert "exercise" in exc.value.message_dict and Exercise.objects.count() == 1

    token = _token(u["officer"])  # made after the copy: carried into the exercise on use
    # Real operation, today (not election day): the check-in is refused by the stage gate.
    real = _checkin(_api(token), "real-1", timezone.now().isoformat())
    assert real.status_code == 400, real.content
    # In the exercise: it is voting day 06:00+ WITA on the exercise clock; the same check-in is accepted.
    sim_now = ex.clock().at(timezone.now())
    assert sim_now.astimezone(wita(27, 0).tzinfo).date() == dt.date(2024, 11, 27)
    resp = _checkin(_api(token, ex), "ex-1", sim_now.isoformat())
    assert resp.status_code == 201, resp.content
    # ... stored in the exercise's database only
    assert CheckIn.objects.count() == real_before
    assert _api(token).get("/api/v1/checkins/").json()["results"] == []
    listed = _api(token, ex).get("/api/v1/checkins/").json()["results"]
    assert [r["key"] for r in listed] == ["ex-1"]

    # the exercise dashboard counts it, the real one does not; the page says LATIHAN
    web = Client()
    web.force_login(u["analyst"])
    real_data = web.get("/operasi/data/").json()
    assert real_data["totals"]["opened"] == 0
    assert web.post(f"/latihan/{ex.pk}/masuk/").status_code == 302
    assert web.session[SESSION_KEY] == ex.pk
    ex_data = web.get("/operasi/data/").json()
    assert ex_data["totals"]["opened"] == 1 and ex_data["stage"]
    page = web.get("/operasi/").content.decode()
    assert 'data-testid="latihan-banner"' in page and "LATIHAN" in page
    assert 'data-testid="latihan-banner"' not in Client().get("/accounts/login/").content.decode()

    # the tick runs the exercise on its clock: at 07:40 simulated the missing "opened" of TPS B is raised there
    # and the daily situation report of the simulated day (06:00) is made in the exercise
    out = services_tick_at(ex, wita(27, 7, 40))
    assert out[f"latihan-{ex.pk}"]["sim_now"].startswith("2024-11-26T23:")  # 07:4x WITA (60x: a slow tick moves it)
    with sandbox.enter(ex.clock()):
        assert Alert.objects.filter(kind="checkin_missing", polling_station__code=TPS_B).exists()
        assert not Alert.objects.filter(kind="checkin_missing", polling_station__code=TPS_A).exists()
        sitreps = list(SituationReport.objects.values_list("period_end", "status"))
    assert len(sitreps) == 1 and sitreps[0][0] == wita(27, 6), sitreps
    assert out[f"latihan-{ex.pk}"]["reports"]["requested"]
    assert not Alert.objects.exists() and not SituationReport.objects.exists()  # nothing in the real operation
    assert out["reports"]["requested"] == []

    # header checks: unknown exercise, no right to join
    assert _checkin(_api(token, Exercise(pk=999)), "x", sim_now.isoformat()).status_code == 409
    for hostile in ("9" * 5000, "abc", "-1", "1 OR 1=1"):
        r = Client(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_X_SINERGI_LATIHAN=hostile).get("/api/v1/checkins/")
        assert r.status_code == 409 and "tidak sedang berjalan" in r.json()["detail"]
    obs = _token(u["observer"])
    assert _api(obs, ex).get("/api/v1/checkins/").status_code == 403

    # a commander in the exercise acknowledges TPS B's alert: the debrief measures the response time per Polres
    cmd = Client()
    cmd.force_login(u["commander"])
    cmd.post(f"/latihan/{ex.pk}/masuk/")
    with sandbox.enter(ex.clock()):
        alert_id = Alert.objects.get(kind="checkin_missing", polling_station__code=TPS_B).pk
    assert cmd.post(f"/operasi/peringatan/{alert_id}/diketahui/").status_code == 302
    with sandbox.enter(ex.clock()):
        assert Alert.objects.get(pk=alert_id).acknowledged_by_id == u["commander"].pk

    # stop: the debrief keeps what happened
    ex = services.exercise_stop(actor=u["commander"], exercise=ex)
    assert ex.status == ExerciseStatus.STOPPED and ex.debrief["checkins"] == 1
    assert ex.debrief["alerts"]["raised"] >= 1 and ex.debrief["alerts"]["acknowledged"] == 1
    row = next(r for r in ex.debrief["polres"] if r["unit"] == "Polres Uji Dua")
    assert row["acknowledged"] == 1 and row["ack_median_min"] is not None and row["ack_median_min"] >= 0
    web.force_login(u["commander"])
    debrief = web.get(f"/latihan/{ex.pk}/evaluasi/")
    assert debrief.status_code == 200 and 'data-testid="checkins">1<' in debrief.content.decode()
    pdf = web.get(f"/latihan/{ex.pk}/evaluasi.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert web.get(f"/latihan/{ex.pk}/evaluasi/", HTTP_X_FORWARDED_FOR="x").status_code == 200
    polres_commander = Client()  # the debrief covers every Polres: not for one Polres' commander
    polres_commander.force_login(make_user(unit=ow.polres_b, role=Role.COMMANDER))
    assert polres_commander.get(f"/latihan/{ex.pk}/evaluasi/").status_code == 403
    assert polres_commander.get(f"/latihan/{ex.pk}/evaluasi.pdf").status_code == 403
    analyst = Client()
    analyst.force_login(u["analyst"])
    assert analyst.get(f"/latihan/{ex.pk}/evaluasi/").status_code == 403
    # after the stop the header is refused and the session flag is dropped quietly
    assert _api(token, ex).get("/api/v1/checkins/").status_code == 409
    assert web.get("/operasi/data/").json()["totals"]["opened"] == 0

    # purge: one step, audited, the exercise database is gone; the real audit chain stays intact
    ex = services.exercise_purge(actor=u["commander"], exercise=ex)
    assert ex.status == ExerciseStatus.PURGED and not sandbox.exists(ex.database)
    event = AuditEvent.objects.get(action="exercise.purge", object_id=str(ex.pk))
    assert event.data["deleted"]["checkins"] == 1
    assert audit_verify().ok
    with pytest.raises(ValidationError):
        services.exercise_purge(actor=u["commander"], exercise=ex)


def services_tick_at(ex: Exercise, sim: dt.datetime) -> dict:
    """Run the real tick when the exercise clock shows `sim` (moves the exercise's start back accordingly)."""
    wall = timezone.now()
    started = wall - (sim - ex.sim_start) / ex.speed
    Exercise.objects.filter(pk=ex.pk).update(started_at=started)
    ex.refresh_from_db()
    out = run_jobs()
    assert f"latihan-{ex.pk}" in out, out
    return out


@pytest.mark.flushes
def test_cli_start_status_stop_purge(world, capsys):
    call_command("exercise", "start", "--date", VOTING, "--from", "06:00", "--to", "24:00", "--speed", "10")
    ex = Exercise.objects.get()
    assert ex.is_running and ex.speed == 10
    with pytest.raises(CommandError, match="masih"):
        call_command("exercise", "start", "--date", VOTING)
    capsys.readouterr()
    call_command("exercise", "status", "--json")
    status = json.loads(capsys.readouterr().out)
    assert status["running"]["id"] == ex.pk and status["running"]["window"] == "06:00-24:00"
    assert status["running"]["sim_now"].startswith("2024-11-27T06:0")
    call_command("exercise", "stop")
    call_command("exercise", "purge", str(ex.pk))
    ex.refresh_from_db()
    assert ex.status == ExerciseStatus.PURGED
    assert [e.action for e in AuditEvent.objects.filter(object_type="exercises.exercise")] == [
        "exercise.start", "exercise.stop", "exercise.purge"]


@pytest.mark.flushes
def test_replay_drives_a_running_exercise(world, live_server, capsys):
    """`sinergi replay --exercise ID`: the header, the exercise's day and speed; stored in the exercise only."""
    from sinergi.replay import cli

    ow, u = world
    token = _token(u["officer"])
    ex = services.exercise_start(actor=u["commander"], data=start_data(speed="60"))
    # put the exercise clock at 06:40 so the replay covers the busy half hour of "opened" reports in 20 s
    Exercise.objects.filter(pk=ex.pk).update(started_at=timezone.now() - dt.timedelta(minutes=40) / 60)
    ex.refresh_from_db()
    capsys.readouterr()
    code = cli.main(["--url", live_server.url, "--token", token.key, "--exercise", str(ex.pk), "--to", "07:00",
                     "--only", "checkin", "--concurrency", "1", "--json"])
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0, report
    assert report["exercise"] == ex.pk and report["speed"] == 60 and report["window"].startswith("06:4")
    assert report["accepted"] >= 1 and report["rejected"] == 0, report
    assert report["verify"]["channels"]["checkin"]["lost"] == 0
    with sandbox.enter(ex.clock()):
        stored = list(CheckIn.objects.values_list("at", flat=True))
    assert len(stored) == report["accepted"]
    assert all(s.astimezone(wita(27, 0).tzinfo).date() == dt.date(2024, 11, 27) for s in stored)
    assert not CheckIn.objects.exists()
    # not running: refused with a clear message
    services.exercise_stop(actor=u["commander"], exercise=ex)
    assert cli.main(["--url", live_server.url, "--token", token.key, "--exercise", str(ex.pk)]) == 2
    assert "not running" in capsys.readouterr().err


@pytest.mark.flushes
def test_exports_and_cap_feed_never_mix_exercise_and_real_incidents(world):
    from sinergi.incidents.defaults import load

    ow, u = world
    load()
    analyst = u["analyst"]
    token = _token(analyst)
    body = {"text": "Massa bentrok lempar batu di depan TPS", "tps_code": TPS_A, "severity": 4}
    assert _api(token).post("/api/v1/incident-reports/", json.dumps({**body, "key": "real-1"}),
                            content_type="application/json").status_code == 201
    ex = services.exercise_start(actor=u["commander"], data=start_data())
    resp = _api(token, ex).post("/api/v1/incident-reports/",
                                json.dumps({**body, "key": "latihan-1", "text": "LATIHAN bentrok massa di TPS"}),
                                content_type="application/json")
    assert resp.status_code == 201, resp.content
    web = Client()
    web.force_login(analyst)
    real_csv = b"".join(web.get("/insiden/ekspor/csv/").streaming_content).decode()
    real_cap = web.get("/insiden/ekspor/cap/").content.decode()
    assert "Massa bentrok" in real_csv and "LATIHAN bentrok" not in real_csv and "LATIHAN" not in real_cap
    web.post(f"/latihan/{ex.pk}/masuk/")
    ex_csv = b"".join(web.get("/insiden/ekspor/csv/").streaming_content).decode()
    assert "LATIHAN bentrok" in ex_csv and "Massa bentrok lempar" not in ex_csv
    ex_cap = web.get("/insiden/ekspor/cap/").content.decode()
    assert ex_cap.count("<alert ") <= 1 and "Massa bentrok lempar" not in ex_cap


def test_a_start_that_never_finished_can_be_stopped_and_purged(db, make_user, tmp_path):
    ow = build_ops_world()
    commander = make_user(role=Role.COMMANDER)
    ex = Exercise.objects.create(election=ow.election, sim_date=dt.date(2024, 11, 27),
                                 sim_start=wita(27, 6), sim_end=wita(28, 0), tz="Asia/Makassar", speed=10,
                                 active=True, database=str(tmp_path / "never.sqlite3"))
    with pytest.raises(ValidationError):  # it blocks a new start ...
        services.exercise_start(actor=commander, data=start_data())
    ex = services.exercise_stop(actor=commander, exercise=ex)  # ... until stopped
    assert ex.status == ExerciseStatus.FAILED and ex.active is None
    assert services.exercise_purge(actor=commander, exercise=ex).status == ExerciseStatus.PURGED
