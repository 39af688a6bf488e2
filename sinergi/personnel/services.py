"""The only writers of the personnel app; every write is audited in the same transaction.

Roster: ``roster_import`` (CSV/XLSX, row errors, all-or-nothing unless valid rows only, idempotent by identifier),
``officer_phone_reveal`` (audited read), ``demo_roster_generate`` (NTT demo roster from unit strengths).
Assignment: ``assignment_run`` (the engine fills the approved Renpam's posts), ``assignment_adjust`` (by hand).
Surat Perintah: ``warrant_issue`` (numbered, new version when the unit's assignment changed), ``warrant_sign``.
Status: ``status_report``. Dispatch: ``dispatch_assign``, ``dispatch_advance``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import random
import time
from collections import defaultdict
from typing import Any

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext

from sinergi.accounts.choices import AgencyKind, UnitLevel
from sinergi.accounts.models import Unit, UnitStrength
from sinergi.accounts.permissions import has_perm, require_perm
from sinergi.core import clock
from sinergi.core.live import group_send
from sinergi.core.services import RunRecorder, audit_log, taskrun_create
from sinergi.elections.importers import ImportFileError

from . import importer, selectors
from .choices import DispatchState, OfficerKind, PostKind, Status, is_senior, rank_level
from .models import (
    Assignment,
    AssignmentRun,
    Dispatch,
    Officer,
    RosterImport,
    StatusReport,
    UnfilledPost,
    Warrant,
)

IMPORT_KIND = "personnel.roster_import"
ASSIGN_KIND = "personnel.assign"
LIVE_GROUP = "ops"  # the command dashboard's group (sinergi.operations.live)


def _session_verified(user) -> bool:
    check = getattr(user, "is_verified", None)
    if callable(check):
        return bool(check())
    return getattr(user, "otp_device", None) is not None


# -- roster ------------------------------------------------------------------------------------------------------
def roster_import(*, actor, file_bytes: bytes, filename: str, valid_only: bool = False,
                  system: bool = False) -> RosterImport:
    """Validate and store a roster file. Without ``valid_only`` a file with any bad row stores nothing; with it,
    the valid rows are stored and the others reported. Re-importing the same file changes nothing (idempotent by
    kind + identifier). ``system=True`` (command line) imports for every unit."""
    if not system:
        require_perm(actor, "personnel.import")
    digest = hashlib.sha256(file_bytes).hexdigest()
    run = taskrun_create(kind=IMPORT_KIND, actor=actor, parameters={"filename": filename[:200],
                                                                     "valid_only": valid_only},
                         input_hash=digest, input_name=filename[:200])
    record = RosterImport(actor=actor if getattr(actor, "is_authenticated", False) else None,
                          filename=filename[:255], sha256=digest, valid_only=valid_only, task_run=run)
    known = set(Unit.objects.values_list("code", flat=True))
    scope = known if system else set(selectors.scope_units(actor).values_list("code", flat=True))
    existing = {(k, i): u for k, i, u in Officer.objects.values_list("kind", "identifier", "unit__code")}
    from sinergi.core.progress import steps

    at = steps(run, [gettext("Memeriksa berkas daftar personel"), gettext("Menyimpan personel")])
    try:
        with RunRecorder(run) as rec:
            at(0)
            try:
                v = importer.validate(file_bytes, filename, unit_codes_in_scope=scope, known_units=known,
                                      existing=existing)
            except ImportFileError as exc:
                record.errors = [{"row": exc.row, "field": exc.field, "message": exc.message}]
                record.save()
                raise
            record.rows_total = v.rows_total
            record.errors = [e.as_dict() for e in v.errors[:2000]]
            record.rejected_count = len(v.rejected_rows)
            if v.errors and not valid_only:
                record.save()
                audit_log(actor=actor, action="personnel.roster.import_rejected", obj=record,
                          data={"rows": v.rows_total, "rejected": record.rejected_count, "sha256": digest})
                rec.log(f"rejected: {record.rejected_count} rows")
                return record
            at(1)
            with transaction.atomic():
                counts = _apply_rows(v.clean)
                record.created_count, record.updated_count, record.unchanged_count = counts
                record.stored = True
                record.save()
                audit_log(actor=actor, action="personnel.roster.import", obj=record, data={
                    "rows": v.rows_total, "created": counts[0], "updated": counts[1], "unchanged": counts[2],
                    "rejected": record.rejected_count, "sha256": digest, "valid_only": valid_only})
            rec.log(f"created {counts[0]}, updated {counts[1]}, unchanged {counts[2]}")
    except ImportFileError:
        return record
    return record


def _apply_rows(rows: list[importer.OfficerRow]) -> tuple[int, int, int]:
    units = dict(Unit.objects.values_list("code", "pk"))
    existing = {(o.kind, o.identifier): o for o in Officer.objects.filter(
        identifier__in=[r.identifier for r in rows])}
    create, update = [], []
    unchanged = 0
    fields = ("name", "rank", "rank_level", "senior", "function", "phone")
    for r in rows:
        o = existing.get((r.kind, r.identifier))
        values = {"name": r.name, "rank": r.rank, "rank_level": r.rank_level, "senior": r.senior,
                  "function": r.function, "phone": r.phone}
        if o is None:
            create.append(Officer(kind=r.kind, identifier=r.identifier, unit_id=units[r.unit_code], **values))
        elif any(getattr(o, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(o, k, v)
            update.append(o)
        else:
            unchanged += 1
    Officer.objects.bulk_create(create, batch_size=2000)
    if update:
        Officer.objects.bulk_update(update, list(fields), batch_size=2000)
    return len(create), len(update), unchanged


@transaction.atomic
def officer_phone_reveal(*, actor, officer: Officer) -> str:
    """Show an officer's phone number to a user who may read him and reveal phones; every reveal is audited."""
    require_perm(actor, "personnel.reveal_phone")
    if selectors.officer_get(user=actor, pk=officer.pk) is None:
        raise PermissionDenied("not allowed: personnel.reveal_phone (outside your units)")
    audit_log(actor=actor, action="personnel.phone_reveal", obj=officer, data={"officer": officer.pk})
    return officer.phone


@transaction.atomic
def officer_link_user(*, actor, officer: Officer, user) -> Officer:
    """Tie a user account to an officer (his phone page shows his own post)."""
    require_perm(actor, "personnel.import")
    if selectors.officer_get(user=actor, pk=officer.pk) is None:
        raise PermissionDenied("not allowed: outside your units")
    officer.user = user
    officer.save(update_fields=["user", "updated_at"])
    audit_log(actor=actor, action="personnel.officer.link_user", obj=officer, data={"user": user.pk})
    return officer


@transaction.atomic
def leave_record(*, actor, officer: Officer, start: dt.date, end: dt.date, reason: str = ""):
    """Record an officer's leave (cuti); the assignment leaves him out in the weeks it touches."""
    from .models import Leave

    require_perm(actor, "personnel.assign")
    if selectors.officer_get(user=actor, pk=officer.pk) is None:
        raise PermissionDenied("not allowed: officer outside your units")
    if end < start:
        raise ValidationError({"end": "Tanggal selesai sebelum tanggal mulai."})
    if (end - start).days > 366:
        raise ValidationError({"end": "Cuti paling lama satu tahun."})
    leave = Leave.objects.create(officer=officer, start=start, end=end, reason=reason.strip()[:120])
    audit_log(actor=actor, action="personnel.leave", obj=leave, data={
        "officer": officer.pk, "start": start.isoformat(), "end": end.isoformat()})
    return leave


# -- demo roster ---------------------------------------------------------------------------------------------------
DEMO_FIRST = ["Agus", "Yohanes", "Maria", "Fransiskus", "Yosef", "Petrus", "Stefanus", "Anselmus", "Benediktus",
              "Dominikus", "Kornelis", "Melkianus", "Yakobus", "Paulus", "Antonius", "Robertus", "Marselinus",
              "Ferdinandus", "Gregorius", "Herman", "Imanuel", "Simon", "Daniel", "Yulius", "Adrianus", "Elisabet",
              "Veronika", "Theresia", "Margaretha", "Ketut", "Made", "Ahmad", "Muhammad", "Abdul", "Rudi"]
DEMO_LAST = ["Tefa", "Nenobais", "Bria", "Seran", "Lake", "Manek", "Kolo", "Nahak", "Ndun", "Pah", "Riwu", "Lado",
             "Dethan", "Amalo", "Foenay", "Hurek", "Koten", "Lamury", "Openg", "Wutun", "Djawa", "Bunga", "Ratu",
             "Lay", "Radja", "Tallo", "Haning", "Pandie", "Bessie", "Sinlae", "Tanesib", "Neolaka", "Ballo"]
DEMO_POLRI_RANKS = [("Bripda", 18), ("Briptu", 16), ("Brigpol", 22), ("Bripka", 16), ("Aipda", 8), ("Aiptu", 8),
                    ("Ipda", 5), ("Iptu", 3), ("AKP", 2), ("Kompol", 1), ("AKBP", 1)]
DEMO_TNI_RANKS = [("Prada", 20), ("Pratu", 20), ("Praka", 15), ("Kopda", 12), ("Serda", 12), ("Sertu", 8),
                  ("Serka", 6), ("Letda", 4), ("Lettu", 2), ("Kapten", 1)]
#: Satpol PP members per Linmas member shipped (no Satpol PP strength is shipped): a demo assumption
DEMO_SATPOLPP_SHARE = 0.2
#: share of a Polres' strength serving at its Polsek (the rest at the Polres HQ)
DEMO_POLSEK_SHARE = 0.6


def _weighted(rng: random.Random, table: list[tuple[str, int]]) -> str:
    return rng.choices([r for r, _ in table], weights=[w for _, w in table])[0]


def _apportion(total: int, weights: list[int]) -> list[int]:
    s = sum(weights) or 1
    raw = [total * w / s for w in weights]
    out = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: out[i] - raw[i])[: total - sum(out)]:
        out[i] += 1
    return out


@transaction.atomic
def demo_roster_generate(*, actor=None, seed: int = 2024, province_code: str = "53") -> dict[str, int]:
    """A demo roster from the shipped (estimated) unit strengths: every Polri and TNI member, and Satpol PP at a
    fifth of the Linmas strength; Polres strength split 40/60 between the Polres HQ and its Polsek (by TPS
    share). Marked ``demo=True`` (pages say "data demo"); deterministic for a seed; re-running updates in place."""
    if actor is not None:
        require_perm(actor, "personnel.import")
    rng = random.Random(seed)
    strengths = list(UnitStrength.objects.filter(unit__jurisdiction__code__startswith=province_code)
                     .select_related("unit").distinct().order_by("unit__code", "personnel_type"))
    polsek_by_polres: dict[int, list[Unit]] = defaultdict(list)
    for u in Unit.objects.filter(agency__code=AgencyKind.POLRI, level=UnitLevel.DISTRICT).order_by("code"):
        if u.parent_id:
            polsek_by_polres[u.parent_id].append(u)
    specs: list[tuple[Unit, str, int]] = []
    for s in strengths:
        if s.personnel_type in ("polri", "brimob"):
            subs = polsek_by_polres.get(s.unit_id, [])
            if subs:
                at_polsek = int(round(s.count * DEMO_POLSEK_SHARE))
                specs.append((s.unit, OfficerKind.POLRI, s.count - at_polsek))
                for u, n in zip(subs, _apportion(at_polsek, [1] * len(subs)), strict=True):
                    specs.append((u, OfficerKind.POLRI, n))
            else:
                specs.append((s.unit, OfficerKind.POLRI, s.count))
        elif s.personnel_type == "tni":
            specs.append((s.unit, OfficerKind.TNI, s.count))
        elif s.personnel_type == "linmas":
            specs.append((s.unit, OfficerKind.SATPOLPP, int(round(s.count * DEMO_SATPOLPP_SHARE))))
    rows: list[Officer] = []
    serial = {OfficerKind.POLRI: 0, OfficerKind.TNI: 0, OfficerKind.SATPOLPP: 0}
    for unit, kind, n in specs:
        for _ in range(n):
            serial[kind] += 1
            k = serial[kind]
            if kind == OfficerKind.POLRI:
                ident, rank = f"9{k:07d}", _weighted(rng, DEMO_POLRI_RANKS)
            elif kind == OfficerKind.TNI:
                ident, rank = f"31{k:06d}", _weighted(rng, DEMO_TNI_RANKS)
            else:
                ident, rank = f"19900101{k:06d}9999"[:18], ""
            level = rank_level(kind, rank) if rank else 0
            func = "Bhabinkamtibmas" if unit.level == UnitLevel.DISTRICT and rng.random() < 0.15 else (
                "Sabhara" if kind == OfficerKind.POLRI else "")
            rows.append(Officer(
                kind=kind, identifier=ident, name=f"{rng.choice(DEMO_FIRST)} {rng.choice(DEMO_LAST)}", rank=rank,
                rank_level=level or 0, senior=is_senior(kind, level or 0), unit=unit, function=func,
                phone=f"+62812{rng.randrange(10**7, 10**8)}", demo=True, status=Status.OFF_DUTY))
    existing = {(k, i): pk for k, i, pk in Officer.objects.filter(demo=True).values_list("kind", "identifier", "pk")}
    new = [o for o in rows if (o.kind, o.identifier) not in existing]
    old = []
    for o in rows:
        pk = existing.get((o.kind, o.identifier))
        if pk is not None:
            o.pk = pk
            old.append(o)
    Officer.objects.bulk_create(new, batch_size=5000)
    Officer.objects.bulk_update(old, ["name", "rank", "rank_level", "senior", "unit", "function", "phone"],
                                batch_size=5000)
    counts = {k: 0 for k in serial}
    for o in rows:
        counts[o.kind] += 1
    audit_log(actor=actor, action="personnel.demo_roster", object_type="personnel.officer", data={
        "seed": seed, "created": len(new), "updated": len(old), **{str(k): v for k, v in counts.items()}})
    return {"total": len(rows), "created": len(new), "updated": len(old), **{str(k): v for k, v in counts.items()}}


# -- assignment --------------------------------------------------------------------------------------------------
def default_shifts(approval) -> list[dict[str, Any]]:
    """Shifts of a phase: the voting day is one shift; other phases run in weekly rotations of two shifts a day
    (pagi/malam) for the weeks of the operation (a representative week per week)."""
    if approval.phase == "pemungutan":
        return [{"week": 0, "label": "Hari pemungutan suara"}]
    weeks = 4
    return [{"week": w, "label": f"Minggu {w + 1} {part}"} for w in range(weeks) for part in ("pagi", "malam")]


def _unit_points(units: list[Unit]) -> dict[int, tuple[float, float]]:
    """A point per unit: the mean centroid of its jurisdiction regions (Polda/Brimob: the provincial capital)."""
    from sinergi.regions.models import Region

    through = Unit.jurisdiction.through.objects.filter(unit_id__in=[u.pk for u in units]).values_list(
        "unit_id", "region_id")
    codes = defaultdict(list)
    for uid, code in through:
        codes[uid].append(code)
    pts = {r.code: (r.lat, r.lng) for r in Region.objects.filter(code__in={c for v in codes.values() for c in v})
           .only("code", "lat", "lng") if r.lat is not None}
    out: dict[int, tuple[float, float]] = {}
    for u in units:
        cs = [pts[c] for c in codes.get(u.pk, []) if c in pts and len(c) > 2]
        if not cs:
            capital = Region.objects.filter(code__startswith=(codes.get(u.pk) or ["53"])[0][:2] + ".71",
                                            lat__isnull=False).only("lat", "lng").first()
            if capital is not None:
                cs = [(capital.lat, capital.lng)]
        if cs:
            out[u.pk] = (sum(c[0] for c in cs) / len(cs), sum(c[1] for c in cs) / len(cs))
    return out


def _travel_minutes(points: list[tuple[float, float] | None]) -> np.ndarray:
    from sinergi.logistics import travel as lt

    idx = [i for i, p in enumerate(points) if p is not None]
    n = len(points)
    out = np.full((n, n), math.inf)
    np.fill_diagonal(out, 0.0)
    if not idx:
        return out
    lm, model = lt._model()
    lat = np.array([points[i][0] for i in idx])  # type: ignore[index]
    lng = np.array([points[i][1] for i in idx])  # type: ignore[index]
    isl = np.asarray(lm.assign(lat, lng), dtype=np.int64)
    h = model.matrix(lat, lng, isl, lat, lng, isl) * 60.0
    for a, i in enumerate(idx):
        for b, j in enumerate(idx):
            if i != j:
                out[i, j] = h[a, b]
    return out


def assignment_run(*, actor, approval, shifts: list[dict[str, Any]] | None = None, seed: int = 0,
                   time_limit_s: float = 15.0, rest_between_shifts: bool = True,
                   max_minutes: float = 24 * 60.0, system: bool = False, run=None) -> AssignmentRun:
    """Fill the approved Renpam's guard groups and reserve teams with named Polri officers, shift by shift; the
    plan's BKO movements send named members of their source to the destination: Polri from a Polres/Brimob/Polda,
    TNI members of the Kodim for the TNI BKO seats (TNI serve only as BKO, never lead a Polri guard group). A
    movement short of members is stored as an unfilled "bko" row with the reason (none of that source on the
    roster, on leave/resting, fewer on the roster than the plan sends). The result becomes the current assignment
    of the Renpam (the previous one is kept, no longer current)."""
    from sinergi.deployment.models import GuardGroup, Reinforcement, Reserve
    from sinergi.engine.personnel.assign import Movement, Person, Post, Shift, assign

    if not system:
        require_perm(actor, "personnel.assign")
    if approval is None or not approval.is_current:
        raise ValidationError({"approval": "Renpam belum disahkan atau sudah digantikan."})
    plan = approval.plan
    shifts = shifts or default_shifts(approval)
    if run is None:
        run = taskrun_create(kind=ASSIGN_KIND, actor=actor, parameters={"approval": approval.pk, "seed": seed})
    from sinergi.core.progress import progress

    with RunRecorder(run) as rec:
        progress(run, 0, 2, gettext("Mengumpulkan personel dan pos"))
        t0 = time.perf_counter()
        units = list(Unit.objects.filter(agency__code__in=[AgencyKind.POLRI, AgencyKind.TNI]).select_related("parent"))
        by_pk = {u.pk: u for u in units}

        def home_of(unit: Unit) -> Unit:
            return by_pk.get(unit.parent_id, unit) if unit.level == UnitLevel.DISTRICT and unit.parent_id else unit

        reinf = list(Reinforcement.objects.filter(plan=plan).select_related("source_unit", "to_unit"))
        tni_sources = {r.source_unit_id for r in reinf if r.source_kind == "tni" and r.source_unit_id}
        tni_units = [pk for pk, u in by_pk.items() if home_of(u).pk in tni_sources]
        officers = list(Officer.objects.filter(active=True).filter(
            Q(kind=OfficerKind.POLRI) | Q(kind=OfficerKind.TNI, unit_id__in=tni_units)).select_related("unit")
            .order_by("pk"))

        homes: list[Unit] = sorted({home_of(by_pk[o.unit_id]).pk: home_of(by_pk[o.unit_id]) for o in officers
                                    if o.unit_id in by_pk}.values(), key=lambda u: u.code)
        groups = list(GuardGroup.objects.filter(plan=plan).select_related("unit", "polsek").order_by("number"))
        reserves = list(Reserve.objects.filter(plan=plan, kind="median").select_related("unit").order_by("pk"))
        for u in [*(g.unit for g in groups), *(home_of(r.unit) for r in reserves if r.unit_id),
                  *(r.to_unit for r in reinf), *(r.source_unit for r in reinf if r.source_unit_id)]:
            if u.pk not in {h.pk for h in homes}:
                homes.append(u)
        hidx = {u.pk: i for i, u in enumerate(homes)}
        sub_ids = sorted({o.unit_id for o in officers if by_pk.get(o.unit_id) and
                          by_pk[o.unit_id].level == UnitLevel.DISTRICT})
        sidx = {pk: i for i, pk in enumerate(sub_ids)}
        start = approval.approved_at.date()
        leave_weeks: dict[int, set[int]] = defaultdict(set)
        from .models import Leave

        for lv in Leave.objects.filter(officer__kind__in=[OfficerKind.POLRI, OfficerKind.TNI], officer__active=True,
                                       end__gte=start):
            for w in range(max(s["week"] for s in shifts) + 1):
                ws = start + dt.timedelta(days=7 * w)
                we = ws + dt.timedelta(days=6)
                if lv.start <= we and lv.end >= ws:
                    leave_weeks[lv.officer_id].add(w)
        people = [Person(home=hidx[home_of(by_pk[o.unit_id]).pk],
                         sub=sidx.get(o.unit_id, -1) if o.kind == OfficerKind.POLRI else -1,
                         senior=o.senior and o.kind == OfficerKind.POLRI,
                         leave_weeks=frozenset(leave_weeks.get(o.pk, ())), bko_only=o.kind == OfficerKind.TNI)
                  for o in officers]
        posts: list[Post] = []
        post_ref: list[tuple[str, Any, Unit]] = []
        for g in groups:
            posts.append(Post(area=hidx[g.unit_id], sub=sidx.get(g.polsek_id or -1, -1), seats=int(g.officers),
                              needs_leader=True))
            post_ref.append((PostKind.GROUP, g, g.unit))
        for r in reserves:
            home = home_of(r.unit) if r.unit_id else None
            if home is None or home.pk not in hidx:
                continue
            posts.append(Post(area=hidx[home.pk], sub=sidx.get(r.unit_id, -1), seats=int(r.team_size),
                              needs_leader=True))
            post_ref.append((PostKind.RESERVE, r, home))
        move_ref = [r for r in reinf if r.source_unit_id in hidx]
        moves = [Movement(source=hidx[r.source_unit_id], dest=hidx[r.to_unit_id], count=int(r.count))
                 for r in move_ref]
        pts = _unit_points(homes)
        minutes = _travel_minutes([pts.get(u.pk) for u in homes])
        t_inputs = time.perf_counter() - t0
        progress(run, 1, 2, gettext("Menugaskan personel ke pos"))
        res = assign(people, posts, [Shift(int(s["week"]), str(s.get("label", ""))) for s in shifts], minutes,
                     moves, seed=seed, time_limit_s=time_limit_s, rest_between_shifts=rest_between_shifts,
                     max_minutes=max_minutes)
        reasons: dict[str, int] = defaultdict(int)
        for u in res.unfilled:
            reasons[u.reason] += u.missing
        bko_reasons: dict[str, dict[str, int]] = {"tni": defaultdict(int), "polri": defaultdict(int)}
        for m in res.movement_short:
            bko_reasons["tni" if move_ref[m.movement].source_kind == "tni" else "polri"][m.reason] += m.missing
        tni_moves = {i for i, r in enumerate(move_ref) if r.source_kind == "tni"}
        tni_planned = sum(int(r.count) for r in move_ref if r.source_kind == "tni") * len(shifts)
        metrics = {
            "officers": len(officers), "posts": len(posts), "seats": res.total, "filled": res.filled,
            "unfilled": res.total - res.filled, "bound": res.bound, "gap": round(res.gap, 4),
            "travel_minutes": res.travel_minutes, "reasons": dict(reasons), "shifts": len(shifts),
            "bko_moved": [sum(x) for x in zip(*res.movement_fill, strict=False)] if res.movement_fill else [],
            "leaders_missing": sum(1 for u in res.unfilled if u.reason == "no_leader"),
            "bko_tni_planned": tni_planned,
            "bko_tni_moved": sum(sum(x[i] for i in tni_moves) for x in res.movement_fill),
            "bko_tni_seated": sum(1 for s in res.seats if s.movement in tni_moves),
            "bko_unfilled": {k: dict(v) for k, v in bko_reasons.items() if v},
            "stopped_early": res.stopped_early, "seed": seed, "time_inputs_s": round(t_inputs, 3),
            "time_engine_s": round(res.seconds, 3),
        }
        with transaction.atomic():
            AssignmentRun.objects.filter(approval=approval, is_current=True).update(is_current=False)
            ar = AssignmentRun.objects.create(approval=approval, shifts=shifts, metrics=metrics, task_run=run,
                                              parameters={"seed": seed, "time_limit_s": time_limit_s,
                                                          "rest_between_shifts": rest_between_shifts,
                                                          "max_minutes": max_minutes},
                                              created_by=actor if getattr(actor, "is_authenticated", False) else None)
            rows = []
            for s in res.seats:
                kind, obj, unit = post_ref[s.post]
                rows.append(Assignment(
                    run=ar, shift=s.shift, officer_id=officers[s.person].pk, post_kind=kind,
                    group=obj if kind == PostKind.GROUP else None, reserve=obj if kind == PostKind.RESERVE else None,
                    reinforcement=move_ref[s.movement] if s.movement >= 0 else None, post_unit=unit,
                    leader=s.leader, travel_minutes=round(s.minutes, 1)))
            Assignment.objects.bulk_create(rows, batch_size=5000)
            UnfilledPost.objects.bulk_create([UnfilledPost(
                run=ar, shift=u.shift, post_kind=post_ref[u.post][0],
                group=post_ref[u.post][1] if post_ref[u.post][0] == PostKind.GROUP else None,
                reserve=post_ref[u.post][1] if post_ref[u.post][0] == PostKind.RESERVE else None,
                post_unit=post_ref[u.post][2], missing=u.missing, reason=u.reason) for u in res.unfilled] + [
                UnfilledPost(run=ar, shift=m.shift, post_kind=PostKind.BKO, reinforcement=move_ref[m.movement],
                             post_unit=move_ref[m.movement].to_unit, missing=m.missing, reason=m.reason)
                for m in res.movement_short], batch_size=5000)
            metrics["time_total_s"] = round(time.perf_counter() - t0, 3)
            AssignmentRun.objects.filter(pk=ar.pk).update(metrics=metrics)
            ar.metrics = metrics
            audit_log(actor=actor, action="personnel.assignment.run", obj=ar, data={
                "approval": approval.pk, "version": approval.version, "filled": res.filled, "seats": res.total,
                "bound": res.bound, "unfilled_reasons": dict(reasons), "bko_unfilled": metrics["bko_unfilled"],
                "bko_tni_seated": metrics["bko_tni_seated"]})
        rec.log(f"filled {res.filled} of {res.total}")
    return ar


@transaction.atomic
def assignment_enqueue(*, actor, approval):
    """Queue the assignment of an approved Renpam as a background task with a run record (the page's button)."""
    from .tasks import run_assignment_task

    require_perm(actor, "personnel.assign")
    if approval is None or not approval.is_current:
        raise ValidationError({"approval": "Renpam belum disahkan atau sudah digantikan."})
    run = taskrun_create(kind=ASSIGN_KIND, actor=actor, parameters={"approval": approval.pk, "seed": 0})
    audit_log(actor=actor, action="personnel.assignment.queue", obj=run, data={"approval": approval.pk})
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    transaction.on_commit(lambda: run_assignment_task.enqueue(approval.pk, actor_id, run.pk))
    return run


@transaction.atomic
def assignment_adjust(*, actor, assignment: Assignment, officer: Officer) -> Assignment:
    """A planner puts another officer on a post by hand (audited); the officer must be readable by the planner
    and free in that shift."""
    require_perm(actor, "personnel.assign")
    if selectors.officer_get(user=actor, pk=officer.pk) is None:
        raise PermissionDenied("not allowed: officer outside your units")
    if Assignment.objects.filter(run=assignment.run, shift=assignment.shift, officer=officer).exclude(
            pk=assignment.pk).exists():
        raise ValidationError({"officer": f"{officer} sudah bertugas pada giliran ini."})
    if assignment.leader and not officer.senior:
        raise ValidationError({"officer": "Ketua kelompok harus bintara senior (Bripka ke atas)."})
    before = assignment.officer_id
    assignment.officer = officer
    assignment.manual = True
    try:
        with transaction.atomic():
            assignment.save(update_fields=["officer", "manual"])
    except IntegrityError as exc:
        raise ValidationError({"officer": "sudah bertugas pada giliran ini"}) from exc
    audit_log(actor=actor, action="personnel.assignment.adjust", obj=assignment,
              data={"from": before, "to": officer.pk, "shift": assignment.shift})
    return assignment


# -- Surat Perintah ----------------------------------------------------------------------------------------------
def _warrant_rows(run: AssignmentRun, unit: Unit) -> list[dict[str, Any]]:
    """The attachment (lampiran) of a unit's Sprin: every officer of the unit (and its Polsek) with his post, and
    the BKO members (Polri of other units, TNI of the Kodim) who serve on the unit's posts under the plan."""
    from sinergi.deployment.models import GuardAssignment

    qs = (Assignment.objects.filter(run=run).filter(
              Q(officer__unit__path__startswith=unit.path)
              | Q(reinforcement__isnull=False, post_unit__path__startswith=unit.path))
          .select_related("officer", "officer__unit", "group", "reserve", "reinforcement", "reinforcement__to_unit",
                          "post_unit")
          .order_by("shift", "post_unit__code", "group__number", "-leader", "officer__name"))
    rows = list(qs)
    gids = {a.group_id for a in rows if a.group_id}
    tps: dict[int, list[str]] = defaultdict(list)
    for gid, code, addr, vname in (GuardAssignment.objects.filter(group_id__in=gids)
                                   .values_list("group_id", "polling_station__code", "polling_station__address",
                                                "polling_station__village__name").order_by("polling_station__code")):
        tps[gid].append(f"{code} ({addr or vname})")
    shift_labels = [s.get("label", "") for s in run.shifts]
    out = []
    for a in rows:
        o = a.officer
        if a.post_kind == PostKind.GROUP and a.group is not None:
            post = f"Kelompok K{a.group.number} ({a.post_unit.name}); TPS: " + "; ".join(tps.get(a.group_id, []))
        elif a.reserve is not None:
            post = f"Tim cadangan {a.reserve.name} ({a.post_unit.name})"
        else:
            post = a.post_unit.name
        bko = ""
        if a.reinforcement is not None and o.unit.path.startswith(unit.path):
            bko = f"BKO ke {a.reinforcement.to_unit.name}: {a.reinforcement.route}".strip()
        elif a.reinforcement is not None:
            bko = f"BKO dari {a.reinforcement.source_name} ({o.unit.name}): {a.reinforcement.route}".strip()
        out.append({"shift": shift_labels[a.shift] if a.shift < len(shift_labels) else str(a.shift),
                    "name": o.name, "rank": o.rank, "identifier": o.identifier, "kind": o.kind,
                    "leader": a.leader, "post": post, "bko": bko, "demo": o.demo})
    return out


@transaction.atomic
def warrant_issue(*, actor, unit: Unit, run: AssignmentRun) -> Warrant:
    """Issue (or keep) the Sprin of a unit for the current assignment: a new numbered version when the
    attachment changed, else the current one unchanged."""
    require_perm(actor, "personnel.assign")
    if not selectors.scope_units(actor).filter(pk=unit.pk).exists():
        raise PermissionDenied("not allowed: unit outside your scope")
    rows = _warrant_rows(run, unit)
    digest = hashlib.sha256(json.dumps(rows, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    current = Warrant.objects.select_for_update().filter(unit=unit, is_current=True).first()
    if current is not None and current.content_sha256 == digest and current.run_id == run.pk:
        return current
    if current is not None and current.content_sha256 == digest:
        return current
    last = Warrant.objects.filter(unit=unit).order_by("-version").first()
    version = (last.version if last else 0) + 1
    now = clock.now()
    number = f"Sprin/{version}/{now:%m}/{now:%Y}/{unit.code}"
    if current is not None:
        Warrant.objects.filter(pk=current.pk).update(is_current=False)
    w = Warrant.objects.create(unit=unit, run=run, number=number, version=version, is_current=True,
                               content_sha256=digest, officers=len({(r["identifier"]) for r in rows}))
    audit_log(actor=actor, action="personnel.warrant.issue", obj=w, data={
        "unit": unit.code, "version": version, "content_sha256": digest,
        "supersedes": current.version if current else None})
    return w


@transaction.atomic
def warrant_sign(*, actor, warrant: Warrant, rank: str = "") -> Warrant:
    """The commander signs the Sprin (second factor required): the PDF with its attachment is rendered, stored
    and its SHA-256 anchored in the audit chain."""
    from .documents import warrant_pdf

    require_perm(actor, "sprin.sign")
    if not _session_verified(actor):
        raise PermissionDenied("second factor required: sprin.sign")
    if not selectors.scope_units(actor).filter(pk=warrant.unit_id).exists():
        raise PermissionDenied("not allowed: unit outside your scope")
    if warrant.signed_at is not None:
        raise ValidationError({"warrant": "Sprin ini sudah ditandatangani."})
    if not warrant.is_current:
        raise ValidationError({"warrant": "Sprin ini sudah digantikan versi baru."})
    warrant.signed_by = actor
    warrant.signer_name = actor.get_full_name() or actor.username
    warrant.signer_rank = rank.strip()[:120]
    warrant.signed_at = clock.now()
    data = warrant_pdf(warrant, _warrant_rows(warrant.run, warrant.unit))
    warrant.pdf = data
    warrant.pdf_sha256 = hashlib.sha256(data).hexdigest()
    warrant.save()
    audit_log(actor=actor, action="personnel.warrant.sign", obj=warrant, data={
        "unit": warrant.unit.code, "version": warrant.version, "number": warrant.number,
        "pdf_sha256": warrant.pdf_sha256})
    return warrant


# -- status on the day ------------------------------------------------------------------------------------------
def status_report(*, actor, key: str, status: str, at=None, lat: float | None = None, lng: float | None = None,
                  officer: Officer | None = None) -> tuple[StatusReport, bool]:
    """An officer reports his status (or a commander his unit member's). Idempotent by ``key`` (the phone page
    queues offline and retries). Publishes a tiny live event for the command dashboard."""
    require_perm(actor, "status.report")
    key = (key or "").strip()[:80]
    if not key:
        raise ValidationError({"key": "wajib diisi"})
    if status not in Status.values:
        raise ValidationError({"status": f"status tidak dikenal: {str(status)[:20]}"})
    for name, v, lo, hi in (("lat", lat, -90, 90), ("lng", lng, -180, 180)):
        if v is not None and not (isinstance(v, (int, float)) and lo <= v <= hi):
            raise ValidationError({name: "di luar rentang"})
    if officer is None:
        officer = Officer.objects.filter(user=actor).first()
        if officer is None:
            raise ValidationError({"officer": "Akun Anda belum terhubung ke data personel."})
    elif officer.user_id != actor.pk and selectors.officer_get(user=actor, pk=officer.pk) is None:
        raise PermissionDenied("not allowed: officer outside your units")
    now = clock.now()
    at = at or now
    if at > now + dt.timedelta(minutes=10):
        raise ValidationError({"at": "waktu di masa depan"})
    existing = StatusReport.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    with transaction.atomic():
        try:
            with transaction.atomic():
                rep = StatusReport.objects.create(key=key, officer=officer, status=status, at=at, received_at=now,
                                                  lat=lat, lng=lng, reported_by=actor)
        except IntegrityError:
            return StatusReport.objects.get(key=key), False
        if officer.status_at is None or at >= officer.status_at:
            Officer.objects.filter(pk=officer.pk).update(status=status, status_at=at)
        audit_log(actor=actor, action="personnel.status", obj=rep, data={"officer": officer.pk, "status": status})
    # scope field "units": the live room relays it only to users whose units cover the officer's unit
    group_send(LIVE_GROUP, "ops.event", kind="unit_status", unit=officer.unit_id, units=[officer.unit_id],
               status=status)
    return rep, True


# -- dispatch ----------------------------------------------------------------------------------------------------
@transaction.atomic
def dispatch_assign(*, actor, incident, resource_key: str) -> Dispatch:
    """A dispatcher sends a suggested unit to an incident; the unit must be available (no open dispatch)."""
    from .dispatch import resolve_resource

    require_perm(actor, "dispatch.assign")
    res = resolve_resource(resource_key, incident)
    if res is None:
        raise ValidationError({"resource": "Satuan tidak dikenal atau tidak dapat dikirim."})
    if Dispatch.objects.filter(resource_key=res.key).exclude(state=DispatchState.CLEARED).exists():
        raise ValidationError({"resource": f"{res.label} sedang menangani kejadian lain."})
    try:
        with transaction.atomic():
            d = Dispatch.objects.create(incident=incident, resource_kind=res.kind, resource_key=res.key,
                                        label=res.label[:200], unit_id=res.unit_id, polres_id=res.polres_id,
                                        eta_minutes=res.minutes, assigned_by=actor, assigned_at=clock.now())
    except IntegrityError as exc:
        raise ValidationError({"resource": f"{res.label} sedang menangani kejadian lain."}) from exc
    audit_log(actor=actor, action="personnel.dispatch.assign", obj=d, data={
        "incident": incident.pk, "resource": res.key, "eta_minutes": res.minutes})
    group_send(LIVE_GROUP, "ops.event", kind="dispatch", id=d.pk, incident=incident.pk)
    return d


_NEXT = {DispatchState.ASSIGNED: DispatchState.ACKNOWLEDGED, DispatchState.ACKNOWLEDGED: DispatchState.ON_SCENE,
         DispatchState.ON_SCENE: DispatchState.CLEARED}
_TIME_FIELD = {DispatchState.ACKNOWLEDGED: "acknowledged_at", DispatchState.ON_SCENE: "on_scene_at",
               DispatchState.CLEARED: "cleared_at"}


@transaction.atomic
def dispatch_advance(*, actor, dispatch: Dispatch, state: str) -> Dispatch:
    """The unit acknowledges, arrives, clears (in that order; clearing may skip ahead). Times are kept."""
    d = Dispatch.objects.select_for_update().get(pk=dispatch.pk)
    may = has_perm(actor, "dispatch.assign") or (
        has_perm(actor, "status.report") and actor.unit_id is not None
        and Unit.objects.filter(pk=d.unit_id, path__startswith=actor.unit.path).exists())
    if not may:
        raise PermissionDenied("not allowed: dispatch")
    if state not in _TIME_FIELD:
        raise ValidationError({"state": f"status tidak dikenal: {str(state)[:20]}"})
    if d.state == DispatchState.CLEARED:
        raise ValidationError({"state": "Penugasan ini sudah selesai."})
    order = list(_TIME_FIELD)
    if order.index(state) < order.index(_NEXT[d.state]) and state != DispatchState.CLEARED:
        raise ValidationError({"state": "Urutan status tidak valid."})
    now = clock.now()
    for s in order[: order.index(state) + 1]:
        if getattr(d, _TIME_FIELD[s]) is None and s == state:
            setattr(d, _TIME_FIELD[s], now)
    d.state = state
    d.save()
    audit_log(actor=actor, action=f"personnel.dispatch.{state}", obj=d, data={"incident": d.incident_id})
    group_send(LIVE_GROUP, "ops.event", kind="dispatch", id=d.pk, incident=d.incident_id)
    return d
