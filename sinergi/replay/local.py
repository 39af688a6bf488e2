"""The replay's reads and writes of the local database: the TPS list, the demo accounts, the read-back.

Demo accounts: `replay_setup` creates one *demo* operator per Polres (username ``replay-polres-53.01``) and one
at Polda level (``replay-polda``), with unusable passwords (API token only), through the accounts and API
services, so every creation and token issue is in the audit log. They exist to drive replays and load tests;
delete or deactivate them on a production system.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from .scenario import Station

DEFAULT_ELECTION_CODE = "pilkada-2024"
DEMO_PREFIX = "replay-"


def default_election(code: str | None = None):
    from sinergi.elections.models import Election

    if code:
        return Election.objects.get(code=code)
    return Election.objects.filter(code=DEFAULT_ELECTION_CODE).first() or Election.objects.order_by("pk").first()


def polres_by_regency() -> dict[str, Any]:
    """Regency code -> the Polri unit at regency level whose jurisdiction holds it (the Polres)."""
    from sinergi.accounts.models import Unit

    out: dict[str, Any] = {}
    units = (Unit.objects.filter(agency__code="POLRI", level="regency").prefetch_related("jurisdiction")
             .order_by("code"))
    for unit in units:
        for region in unit.jurisdiction.all():
            out.setdefault(region.code, unit)
    return out


def _province_unit():
    from sinergi.accounts.models import Unit

    return Unit.objects.filter(agency__code="POLRI", level="province").order_by("path").first()


def _assigned_polsek(election) -> dict[int, str]:
    """TPS id -> Polsek code from the plan operations use: the approved voting-day Renpam; only when none is
    approved (a fresh replay database) the latest completed plan, so a rehearsal still has guarded TPS."""
    from sinergi.deployment.models import GuardAssignment, Plan
    from sinergi.deployment.selectors import approved_plan_obj

    plan = approved_plan_obj(election) or (
        Plan.objects.filter(election=election, status="succeeded").order_by("-pk").first())
    if plan is None:
        return {}
    rows = (GuardAssignment.objects.filter(plan=plan, group__polsek__isnull=False)
            .values_list("polling_station_id", "group__polsek__code"))
    return dict(rows.iterator(chunk_size=5000))


def recap_movements(election) -> dict[str, str]:
    """Desa code -> id of its recapitulation hop PPS -> PPK (logistics plan key `recap:pps:<desa>`), if planned."""
    try:
        from sinergi.logistics.models import Movement
    except ImportError:  # pragma: no cover
        return {}
    rows = (Movement.objects.filter(election=election, key__startswith="recap:pps:")
            .values_list("serves_village_code", "pk"))
    return {code: str(pk) for code, pk in rows.iterator(chunk_size=5000) if code}


def load_stations(election, *, limit: int | None = None, logistics: bool = True) -> list[Station]:
    """The election's TPS sorted by code; `limit` takes that many spread evenly over the list (so a small
    replay still touches every Polres). With `logistics`, each TPS names the recapitulation hop of its desa."""
    from sinergi.elections.models import PollingStation

    polres = polres_by_regency()
    polsek = _assigned_polsek(election)
    recap = recap_movements(election) if logistics else {}
    fallback = _province_unit()
    rows = list(PollingStation.objects.filter(election=election).order_by("code")
                .values_list("pk", "code", "regency_code", "lat", "lng", "voters", "village_id"))
    if limit is not None and 0 < limit < len(rows):
        step = len(rows) / limit
        rows = [rows[int(i * step)] for i in range(limit)]
    out = []
    for pk, code, regency, lat, lng, voters, village in rows:
        unit = polres.get(regency) or fallback
        out.append(Station(code=code, unit=unit.code if unit else "default", lat=lat, lng=lng,
                           voters=voters or 300, polsek=polsek.get(pk, ""), recap_movement=recap.get(village, "")))
    return out


def units_for_setup() -> list[Any]:
    from sinergi.accounts.models import Unit

    ids = {u.pk for u in polres_by_regency().values()}
    return list(Unit.objects.filter(pk__in=ids).order_by("code"))


def username_for(unit_code: str) -> str:
    return f"{DEMO_PREFIX}{unit_code.lower()}"[:150]


def setup_accounts(*, actor=None, units: Iterable[Any] | None = None) -> dict[str, str]:
    """Create (once) a demo operator per Polres and one at Polda, each with an API token. Returns
    {unit code: token, "default": Polda operator's token}. Idempotent; audited through the services."""
    from sinergi.accounts.models import User
    from sinergi.accounts.services import user_create
    from sinergi.api.services import token_issue

    targets = list(units) if units is not None else units_for_setup()
    province = _province_unit()
    tokens: dict[str, str] = {}
    with transaction.atomic():
        for unit, key in [*((u, u.code) for u in targets), *([(province, "default")] if province else [])]:
            name = username_for("polda" if key == "default" else unit.code)
            user = User.objects.filter(username=name).first()
            if user is None:
                user = user_create(actor=actor, username=name, password=None, unit=unit, role="operator",
                                   first_name=f"Demo replay {unit.name}"[:150], rank="BRIPDA")
            tokens[key] = token_issue(user=user).key
    return tokens


def default_tokens_file() -> Path:
    return Path(settings.DATA_DIR) / "replay_tokens.json"


def write_tokens(tokens: dict[str, str], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(tokens, fh, indent=1, sort_keys=True)


def read_tokens(path: Path) -> dict[str, str]:
    data = json.loads(Path(path).read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object of unit code -> token")
    return {str(k): str(v) for k, v in data.items()}


# Where each channel's records keep the client's idempotency key: (model label, key field).
STORES: dict[str, tuple[str, str]] = {
    "incident": ("incidents.Report", "idempotency_key"),
    "checkin": ("operations.CheckIn", "key"),
    "logistics": ("logistics.CustodyEvent", "key"),
}
# Logistics keys are stored in one of two append-only tables (leg events, custody events).
EXTRA_STORES: dict[str, tuple[tuple[str, str], ...]] = {"logistics": (("logistics.LegEvent", "key"),)}


def stored_keys(channel: str, keys: list[str]) -> int:
    """How many of `keys` are stored (each counted once)."""
    from django.apps import apps

    n = 0
    for label, field in (STORES[channel], *EXTRA_STORES.get(channel, ())):
        model = apps.get_model(label)
        for i in range(0, len(keys), 2000):
            chunk = keys[i:i + 2000]
            n += model.objects.filter(**{f"{field}__in": chunk}).values(field).distinct().count()
    return n


def verify_db(result) -> dict[str, dict[str, int]]:
    """Every key the server answered accepted or duplicate must be stored: lost = answered - stored."""
    out = {}
    for channel in sorted({e.channel for e in result.events}):
        if channel not in STORES:
            continue
        keys = result.keys_with(channel)
        stored = stored_keys(channel, keys)
        out[channel] = {"answered": len(keys), "stored": stored, "lost": len(keys) - stored}
    return out


def exercise(exercise_id: int) -> dict[str, Any]:
    """The running exercise a replay drives: its date, speed, simulated now and window end (local minutes)."""
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from sinergi.exercises.models import Exercise, ExerciseStatus

    ex = Exercise.objects.filter(pk=exercise_id).first()
    if ex is None or ex.status != ExerciseStatus.RUNNING:
        raise ValueError(f"exercise {exercise_id} is not running (sinergi exercise status)")
    tz = ZoneInfo(ex.tz)
    sim_now = timezone.localtime(ex.clock().at(timezone.now()), tz)
    midnight = dt.datetime.combine(ex.sim_date, dt.time(0), tzinfo=tz)
    return {"exercise": ex, "id": ex.pk, "date": ex.sim_date, "speed": ex.speed,
            "utc_offset": sim_now.utcoffset().total_seconds() / 3600,
            "now_min": (sim_now - midnight).total_seconds() / 60, "end_min": (ex.sim_end - midnight).total_seconds() / 60}


def verify_db_in_exercise(result, ex) -> dict[str, dict[str, int]]:
    from sinergi.core import sandbox

    with sandbox.enter(ex.clock()):
        return verify_db(result)
