"""`sinergi exercise start|status|stop|purge`: run an exercise (latihan) from the command line.

    sinergi exercise start --election pilkada-2024 --date 2024-11-27 --from 06:00 --to 24:00 --speed 10 [--title T]
    sinergi exercise status [--json]
    sinergi exercise stop
    sinergi exercise purge ID

Bad input (unknown election, a window outside the election's days, speed outside 1-60, a second exercise while
one runs) exits with status 2 and a clear message; nothing is changed. `--user NAME` records who did it (default:
the system).
"""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from sinergi.exercises import services
from sinergi.exercises.models import Exercise, ExerciseStatus


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return "; ".join(exc.messages)


def _describe(ex: Exercise) -> dict:
    clock = ex.clock()
    sim_now = clock.at(timezone.now()) if ex.status in (ExerciseStatus.RUNNING, ExerciseStatus.STOPPED) else None
    return {"id": ex.pk, "title": str(ex), "election": ex.election.code, "date": ex.sim_date.isoformat(),
            "window": services.local_window(ex), "tz": ex.tz, "speed": ex.speed, "status": ex.status,
            "sim_now": timezone.localtime(sim_now).isoformat() if sim_now else None,
            "window_ended": bool(ex.is_running and clock.ended), "database": ex.database,
            "started_at": ex.started_at.isoformat() if ex.started_at else None,
            "counts": services.record_counts(ex)}


class Command(BaseCommand):
    help = "Exercise mode (latihan): start, status, stop, purge."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["start", "status", "stop", "purge"])
        parser.add_argument("id", nargs="?", help="exercise id (purge; stop: default the running one)")
        parser.add_argument("--election", default="pilkada-2024", help="election id or code")
        parser.add_argument("--date", default="", help="simulated date YYYY-MM-DD (default: the voting day)")
        parser.add_argument("--from", dest="start", default="06:00")
        parser.add_argument("--to", dest="end", default="24:00")
        parser.add_argument("--speed", default="10")
        parser.add_argument("--title", default="")
        parser.add_argument("--user", default="", help="username recorded as the actor (must be commander/admin)")
        parser.add_argument("--json", action="store_true")

    def _actor(self, name: str):
        if not name:
            return None
        user = get_user_model().objects.filter(username=name).first()
        if user is None:
            raise CommandError(f"user {name!r} not found")
        return user

    def _out(self, data: dict, text: str, as_json: bool) -> None:
        self.stdout.write(json.dumps(data) if as_json else text)

    def handle(self, *args, **o):
        actor = self._actor(o["user"])
        try:
            getattr(self, f"do_{o['action']}")(actor, o)
        except ValidationError as exc:
            raise CommandError(_errors(exc)) from exc

    def do_start(self, actor, o):
        data = {"election": o["election"], "date": o["date"], "start": o["start"], "end": o["end"],
                "speed": o["speed"], "title": o["title"]}
        if not data["date"]:
            try:
                data["date"] = services.find_election(o["election"]).voting_date.isoformat()
            except ValidationError:
                pass
        ex = services.exercise_start(actor=actor, data=data)
        d = _describe(ex)
        self._out(d, f"exercise {ex.pk} running: {d['election']} {d['date']} {d['window']} ({d['tz']}) at "
                     f"{d['speed']}x; simulated now {d['sim_now']}; database {d['database']}", o["json"])

    def do_status(self, actor, o):
        rows = [_describe(ex) for ex in Exercise.objects.select_related("election")[:20]]
        running = next((r for r in rows if r["status"] == ExerciseStatus.RUNNING), None)
        if o["json"]:
            self.stdout.write(json.dumps({"running": running, "exercises": rows}))
            return
        if running is None:
            self.stdout.write("no exercise running")
        for r in rows:
            self.stdout.write(f"#{r['id']} {r['status']:9} {r['election']} {r['date']} {r['window']} {r['speed']}x "
                              f"sim {r['sim_now'] or '-'} {r['counts']}")

    def do_stop(self, actor, o):
        if o["id"] and not str(o["id"]).isdigit():
            raise CommandError("usage: sinergi exercise stop [ID]")
        ex = (Exercise.objects.filter(pk=int(o["id"])).first() if o["id"]
              else Exercise.objects.filter(active=True).first())
        if ex is None:
            raise CommandError("no exercise running" if not o["id"] else f"exercise {o['id']} not found")
        ex = services.exercise_stop(actor=actor, exercise=ex)
        self._out(_describe(ex), f"exercise {ex.pk} stopped at simulated "
                                 f"{timezone.localtime(ex.stopped_sim_at):%Y-%m-%d %H:%M}; counts {ex.counts}",
                  o["json"])

    def do_purge(self, actor, o):
        if not o["id"] or not str(o["id"]).isdigit():
            raise CommandError("usage: sinergi exercise purge ID")
        ex = Exercise.objects.filter(pk=int(o["id"])).first()
        if ex is None:
            raise CommandError(f"exercise {o['id']} not found")
        ex = services.exercise_purge(actor=actor, exercise=ex)
        self._out(_describe(ex), f"exercise {ex.pk} purged: deleted {ex.counts}", o["json"])
