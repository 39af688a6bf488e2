"""The only writers of exercises: start (copy the database, clear its operational records, start the clock), stop
(freeze the clock, keep the debrief), purge (drop the copy in one step). Each writes its audit event in the real
database's chain."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from sinergi.core import sandbox
from sinergi.core.clock import wall_now
from sinergi.core.permissions import require_perm
from sinergi.core.services import audit_log
from sinergi.elections.models import Election, Stage

from .models import Exercise, ExerciseStatus

log = logging.getLogger(__name__)

MIN_SPEED, MAX_SPEED = 1, 60

#: Operational records of the real day, cleared in the exercise's copy at start so the exercise begins on an
#: empty day (reference data, units, TPS, plans and settings stay). Order: children first.
RESET_MODELS = [
    "operations.CheckInSms", "operations.CheckIn", "operations.TpsStatus", "operations.Alert",
    "incidents.Notification", "incidents.TimelineEntry", "incidents.Report", "incidents.Incident",
    "reports.Delivery", "reports.ReportFile", "reports.SituationReport",
]

#: Records counted for the purge's audit event and the exercise page
COUNT_MODELS = {"checkins": "operations.CheckIn", "alerts": "operations.Alert", "reports": "incidents.Report",
                "incidents": "incidents.Incident", "sitreps": "reports.SituationReport"}


@dataclass(frozen=True)
class ExerciseInput:
    election: Election
    sim_date: dt.date
    start: dt.time
    end_minutes: int  # minutes after local midnight of sim_date (24:00 = 1440)
    speed: int
    title: str = ""


def _parse_hhmm(value, field: str) -> int:
    text = str(value or "").strip()
    try:
        hh, mm = text.split(":")
        h, m = int(hh), int(mm)
    except ValueError:
        raise ValidationError({field: f"jam harus berbentuk JJ:MM, bukan {text[:20]!r}"}) from None
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
        raise ValidationError({field: f"jam {text[:20]!r} di luar 00:00-24:00"})
    return h * 60 + m


def election_days(election: Election) -> tuple[dt.date, dt.date]:
    """The days an exercise may simulate: from the first to the last day of the election's stage calendar
    (only the voting day when it has no calendar)."""
    stages = Stage.objects.filter(election=election)
    first = min((s.start_date for s in stages), default=election.voting_date)
    last = max((s.end_date for s in stages), default=election.voting_date)
    return min(first, election.voting_date), max(last, election.voting_date)


def find_election(value) -> Election:
    text = str(value or "").strip()
    if not text:
        raise ValidationError({"election": "pilih pemilihan"})
    election = Election.objects.filter(code=text[:40]).first()
    if election is None and text.isdigit() and len(text) < 12:
        election = Election.objects.filter(pk=int(text)).first()
    if election is None:
        raise ValidationError({"election": f"pemilihan {text[:40]!r} tidak dikenal"})
    return election


def parse_input(data: dict) -> ExerciseInput:
    """From form/CLI values (strings); raises ValidationError naming each bad field."""
    errors: dict[str, str] = {}
    election = None
    try:
        election = find_election(data.get("election"))
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    sim_date = None
    try:
        sim_date = dt.date.fromisoformat(str(data.get("date") or "").strip())
    except ValueError:
        errors["date"] = "tanggal harus berbentuk YYYY-MM-DD"
    start = end = None
    for field in ("start", "end"):
        try:
            minutes = _parse_hhmm(data.get(field), field)
        except ValidationError as exc:
            errors[field] = exc.message_dict[field][0]
            continue
        if field == "start":
            start = minutes
        else:
            end = minutes
    if start is not None and end is not None and end <= start:
        errors["end"] = "akhir jendela harus sesudah awalnya"
    if start is not None and start >= 24 * 60:
        errors["start"] = "awal jendela paling lambat 23:59"
    try:
        speed = int(str(data.get("speed", "")).strip())
    except ValueError:
        speed = None
    if speed is None or not MIN_SPEED <= speed <= MAX_SPEED:
        errors["speed"] = f"kecepatan harus bilangan bulat {MIN_SPEED}-{MAX_SPEED} (x)"
    if election is not None and sim_date is not None:
        first, last = election_days(election)
        if not first <= sim_date <= last:
            errors["date"] = (f"tanggal {sim_date:%d-%m-%Y} di luar hari-hari pemilihan {election.code} "
                              f"({first:%d-%m-%Y} s.d. {last:%d-%m-%Y})")
    if errors:
        raise ValidationError(errors)
    return ExerciseInput(election=election, sim_date=sim_date, start=dt.time(start // 60, start % 60),
                         end_minutes=end, speed=speed, title=str(data.get("title") or "").strip()[:160])


def _tz(election: Election) -> ZoneInfo:
    from sinergi.operations.stages import tz_for

    return tz_for(election.province_id or "")


def running() -> Exercise | None:
    return Exercise.objects.filter(status=ExerciseStatus.RUNNING).first()


def _actor_user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def exercise_start(*, actor, data: dict | ExerciseInput) -> Exercise:
    """Start an exercise: validate (nothing changes on bad input), copy the real database, clear the copy's
    operational records, then start the clock. Raises ValidationError / PermissionDenied."""
    if actor is not None:
        require_perm(actor, "exercise.manage")
    item = data if isinstance(data, ExerciseInput) else parse_input(data)
    tz = _tz(item.election)
    sim_start = dt.datetime.combine(item.sim_date, item.start, tzinfo=tz)
    sim_end = dt.datetime.combine(item.sim_date, dt.time(0, 0), tzinfo=tz) + dt.timedelta(minutes=item.end_minutes)
    active = Exercise.objects.filter(active=True).first()
    if active is not None:
        raise ValidationError({"exercise": f"{active} masih {active.get_status_display()}; hentikan dulu"})
    try:
        with transaction.atomic():
            ex = Exercise.objects.create(
                election=item.election, title=item.title, sim_date=item.sim_date, sim_start=sim_start,
                sim_end=sim_end, tz=str(tz), speed=item.speed, status=ExerciseStatus.PREPARING, active=True,
                started_by=_actor_user(actor))
            ex.database = sandbox.database_name(ex.pk)
            ex.save(update_fields=["database"])
    except IntegrityError:  # another start won the race for the one active slot
        raise ValidationError({"exercise": "latihan lain sedang berjalan; hentikan dulu"}) from None
    try:
        if sandbox.exists(ex.database) and not Exercise.objects.filter(database=ex.database).exclude(pk=ex.pk).exists():
            sandbox.drop(ex.database)  # a copy left by an earlier life of the real database (same numbering)
        sandbox.clone(ex.database)
        cleared = _reset(ex)
    except Exception as exc:
        log.exception("exercise %s could not be prepared", ex.pk)
        try:
            sandbox.drop(ex.database)
        finally:
            Exercise.objects.filter(pk=ex.pk).update(status=ExerciseStatus.FAILED, active=None, error=str(exc)[:2000])
        raise ValidationError({"exercise": f"basis data latihan tidak dapat disiapkan: {exc}"}) from exc
    with transaction.atomic():
        ex.status, ex.started_at = ExerciseStatus.RUNNING, wall_now()
        ex.save(update_fields=["status", "started_at"])
        audit_log(actor=actor, action="exercise.start", obj=ex, data={
            "election": item.election.code, "sim_start": sim_start.isoformat(), "sim_end": sim_end.isoformat(),
            "speed": item.speed, "database": ex.database, "cleared": cleared})
    return ex


def _reset(ex: Exercise) -> dict[str, int]:
    """Clear the real day's operational records in the exercise's copy (in the exercise context)."""
    cleared: dict[str, int] = {}
    with sandbox.enter(ex.clock()):
        for label in RESET_MODELS:
            try:
                model = apps.get_model(label)
            except LookupError:
                continue
            try:
                with transaction.atomic():
                    n, _ = model._base_manager.all().delete()
            except Exception:  # a table that refuses deletes keeps its rows (said on the exercise page)
                log.warning("exercise %s: could not clear %s", ex.pk, label, exc_info=True)
                n = -1
            cleared[label] = n
        # the copy is the exercise: it never carries another exercise's bookkeeping
        Exercise.objects.all().delete()
    return cleared


def record_counts(ex: Exercise) -> dict[str, int]:
    if ex.status not in (ExerciseStatus.RUNNING, ExerciseStatus.STOPPED) or not sandbox.exists(ex.database):
        return dict(ex.counts or {})
    out = {}
    with sandbox.enter(ex.clock()):
        for key, label in COUNT_MODELS.items():
            try:
                out[key] = apps.get_model(label)._base_manager.count()
            except LookupError:
                continue
    return out


def exercise_stop(*, actor, exercise: Exercise) -> Exercise:
    """Stop the clock (frozen at this moment) and keep the debrief with the exercise."""
    if actor is not None:
        require_perm(actor, "exercise.manage")
    if exercise.status == ExerciseStatus.PREPARING:  # a start that never finished (process ended mid-copy)
        with transaction.atomic():
            Exercise.objects.filter(pk=exercise.pk).update(status=ExerciseStatus.FAILED, active=None,
                                                           error="dihentikan saat disiapkan")
            audit_log(actor=actor, action="exercise.abort", obj=exercise, data={})
        exercise.refresh_from_db()
        return exercise
    if exercise.status != ExerciseStatus.RUNNING:
        raise ValidationError({"exercise": f"{exercise} tidak sedang berjalan"})
    from .debrief import build_debrief

    stopped = wall_now()
    sim_at = exercise.clock().at(stopped)
    exercise.stopped_at = stopped
    debrief = build_debrief(exercise)
    counts = record_counts(exercise)
    with transaction.atomic():
        ex = Exercise.objects.select_for_update().get(pk=exercise.pk)
        if ex.status != ExerciseStatus.RUNNING:
            raise ValidationError({"exercise": f"{ex} tidak sedang berjalan"})
        ex.status, ex.active, ex.stopped_at, ex.stopped_sim_at = ExerciseStatus.STOPPED, None, stopped, sim_at
        ex.debrief, ex.counts = debrief, counts
        ex.save(update_fields=["status", "active", "stopped_at", "stopped_sim_at", "debrief", "counts"])
        audit_log(actor=actor, action="exercise.stop", obj=ex, data={"sim_at": sim_at.isoformat(), "counts": counts})
    return ex


def exercise_purge(*, actor, exercise: Exercise) -> Exercise:
    """Delete every record of a stopped (or failed) exercise in one step: its database is dropped. The audit
    chain keeps the exercise's start, stop and this purge (audit events are never deleted)."""
    if actor is not None:
        require_perm(actor, "exercise.manage")
    if exercise.status == ExerciseStatus.RUNNING or exercise.status == ExerciseStatus.PREPARING:
        raise ValidationError({"exercise": f"{exercise} masih berjalan; hentikan dulu"})
    if exercise.status == ExerciseStatus.PURGED:
        raise ValidationError({"exercise": f"{exercise} sudah dihapus"})
    counts = record_counts(exercise) if exercise.status == ExerciseStatus.STOPPED else {}
    sandbox.drop(exercise.database)
    with transaction.atomic():
        ex = Exercise.objects.select_for_update().get(pk=exercise.pk)
        ex.status, ex.purged_at, ex.debrief, ex.counts = ExerciseStatus.PURGED, wall_now(), {}, counts
        ex.save(update_fields=["status", "purged_at", "debrief", "counts"])
        audit_log(actor=actor, action="exercise.purge", obj=ex, data={"database": ex.database, "deleted": counts})
    return ex


def sync_identity(user, token=None) -> None:
    """Inside the exercise context: make sure the signed-in user (and the API token they came with) exist in the
    exercise's copy, so records they write there can point at them (accounts made after the copy was taken)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return
    model = user._meta.model
    if not model._base_manager.filter(pk=user.pk).exists():
        unit_model = model._meta.get_field("unit").related_model
        if user.unit_id and not unit_model._base_manager.filter(pk=user.unit_id).exists():
            return  # a unit made after the copy: the user reads, but cannot be the author of records
        model._base_manager.bulk_create([_copy(user)], ignore_conflicts=True)
    if token is not None and not token._meta.model._base_manager.filter(pk=token.pk).exists():
        token._meta.model._base_manager.bulk_create([_copy(token)], ignore_conflicts=True)


def _copy(obj):
    clone = obj._meta.model()
    for f in obj._meta.concrete_fields:
        setattr(clone, f.attname, getattr(obj, f.attname))
    return clone


def local_window(ex: Exercise) -> str:
    tz = ZoneInfo(ex.tz)
    end = timezone.localtime(ex.sim_end, tz)
    end_text = "24:00" if end.time() == dt.time(0) and end.date() > ex.sim_date else f"{end:%H:%M}"
    return f"{timezone.localtime(ex.sim_start, tz):%H:%M}-{end_text}"
