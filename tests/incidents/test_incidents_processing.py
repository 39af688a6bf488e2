"""Processing in batches gives the same incidents as processing the same reports one by one (issue 20): the same
reports stored twice on the same database state (a savepoint rolled back in between), once processed report by
report and once as one batch; everything a user sees is compared (incidents, grouping of reports, categories,
places, routing, deadlines, notifications, timeline and audit). Runs on SQLite and, with DATABASE_URL, PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db import transaction

from sinergi.core.models import AuditEvent
from sinergi.incidents import services
from sinergi.incidents.choices import Channel, ProcessingStatus
from sinergi.incidents.models import Deadline, Incident, Notification, Report, TimelineEntry
from sinergi.incidents.services import ReportInput
from tests.incidents.factories import build_world

TPS = "99.71.01.1001-001"
# Near each other (same TPS or within a few hundred metres) and alike: some must corroborate incidents created
# earlier in the SAME batch; others differ in category, place or time and must not.
REPORTS = [
    dict(text="Massa bentrok saling lempar batu di depan TPS", tps_code=TPS),
    dict(text="bentrok massa lempar batu depan TPS, dua orang luka", tps_code=TPS),
    dict(text="Ada pembagian amplop berisi uang ke warga oleh timses", lat=-14.181, lng=123.561),
    dict(text="timses bagi amplop uang ke warga desa", lat=-14.1815, lng=123.5612),
    dict(text="Banjir merendam lokasi TPS, kotak suara dipindah", place_text="Ujiwatu"),
    dict(text="Surat suara kurang di TPS 2", tps_code="99.71.01.1001-002"),
    dict(text="Surat suara kurang di TPS, pemilih menunggu", tps_code="99.71.01.1001-002"),
    dict(text="Baliho paslon dirusak orang tak dikenal", lat=-14.161, lng=123.571),
    dict(text="Massa bentrok saling lempar batu di depan TPS", lat=-14.161, lng=123.571, hours=-9),
    dict(text="pak tolong ada ribut", channel=Channel.SMS),
    dict(text="Kericuhan di luar provinsi, Kabupaten Lombok Timur", place_text="Lombok Timur"),
    dict(text="bentrok lempar batu di depan TPS lagi", tps_code=TPS, category_hint="violence_clash"),
]


def _store(prefix: str, base: dt.datetime) -> list[int]:
    ids = []
    for i, r in enumerate(REPORTS):
        r = dict(r)
        hours = r.pop("hours", 0)
        data = ReportInput(key=f"{prefix}-{i}", channel=r.pop("channel", Channel.API),
                           occurred_at=base + dt.timedelta(hours=hours, minutes=i), **r)
        report, created = services.report_submit(actor=None, data=data, process=False)
        assert created
        ids.append(report.pk)
    return ids


def _seen(ids: list[int]) -> dict:
    """What users see, without database ids or wall-clock times."""
    reports = list(Report.objects.filter(pk__in=ids).order_by("id"))
    index = {r.incident_id: n for n, r in reversed(list(enumerate(reports)))}  # incident -> its first report
    out = {"reports": [], "incidents": []}
    def tri_of(d: dict) -> dict:  # the triager's duplicate names an incident id: the incident's first report here
        d = dict(d or {})
        if d.get("duplicate_of"):
            d["duplicate_of"] = index.get(int(d["duplicate_of"]), "other")
        return d

    for r in reports:
        tri = tri_of(r.triage)
        out["reports"].append((r.processing, r.category_id and r.category.code, r.suggested_category_id
                               and r.suggested_category.code, r.location_status, r.location_method, r.region_id,
                               r.tps_id and r.tps.code, r.out_of_area, index.get(r.incident_id), r.dedup_score,
                               r.lat, r.lng, tri, (r.raw or {}).get("location_notes")))
    for inc in Incident.objects.filter(pk__in=index).order_by("id"):
        deadlines = sorted((d.rule.code, (d.due_at - d.starts_at).total_seconds(), d.met_at is not None)
                           for d in Deadline.objects.filter(incident=inc).select_related("rule"))
        out["incidents"].append((
            index[inc.pk], inc.category.code, inc.severity, inc.title, inc.region_id, inc.tps_id and inc.tps.code,
            inc.location_status, inc.agency_code, inc.assigned_unit_id and inc.assigned_unit.code, inc.report_count,
            sorted(u.code for u in inc.shared_units.all()), inc.out_of_area, inc.fatalities, deadlines,
            Counter(TimelineEntry.objects.filter(incident=inc).values_list("kind", flat=True)),
            Counter(Notification.objects.filter(incident=inc).values_list("unit__code", "channel")),
            tri_of(inc.triage)))
    out["audit"] = Counter(AuditEvent.objects.filter(action__in=["incident.created", "incident.report_processed"])
                           .values_list("action", flat=True))
    return out


@pytest.mark.django_db
def test_a_batch_gives_the_same_incidents_as_one_by_one(settings):
    settings.SINERGI_INCIDENT_PROCESSING = "deferred"
    build_world()
    base = dt.datetime(2024, 11, 27, 9, 0, tzinfo=dt.UTC)
    sid = transaction.savepoint()
    ids = _store("same", base)
    for pk in ids:
        assert services.report_process(report_id=pk) is not None
    one_by_one = _seen(ids)
    transaction.savepoint_rollback(sid)
    assert not Report.objects.exists()

    ids = _store("same", base)
    done = services.reports_process(ids)
    batch = _seen(ids)
    assert [r.pk for r in done] == ids
    for n, (a, b) in enumerate(zip(batch["reports"], one_by_one["reports"], strict=True)):
        assert (n, a) == (n, b)
    assert batch == one_by_one
    # the set is not trivial: several reports corroborate an incident created in the same batch
    assert len(batch["incidents"]) < len(REPORTS)
    assert batch["audit"]["incident.report_processed"] == len(REPORTS)
    assert Report.objects.filter(pk__in=ids, processing=ProcessingStatus.PENDING).count() == 0


@pytest.mark.django_db
def test_processing_is_exactly_once(settings):
    settings.SINERGI_INCIDENT_PROCESSING = "deferred"
    build_world()
    ids = _store("once", dt.datetime(2024, 11, 27, 9, 0, tzinfo=dt.UTC))
    assert len(services.reports_process(ids)) == len(ids)
    assert services.reports_process(ids) == []          # processed reports are skipped
    assert services.process_pending() == 0
    assert AuditEvent.objects.filter(action="incident.report_processed").count() == len(ids)
    total = sum(Incident.objects.values_list("report_count", flat=True))
    assert total == len(ids)


def _processed_whole(prefix: str, base: dt.datetime) -> dict:
    """What users see after processing REPORTS with the default chunks and transactions; rolled back after, so
    the same reports can be stored and processed again another way."""
    sid = transaction.savepoint()
    ids = _store(prefix, base)
    services.reports_process(ids)
    whole = _seen(ids)
    transaction.savepoint_rollback(sid)
    return whole


@pytest.mark.django_db
def test_small_chunks_give_the_same_incidents(settings):
    """Chunk boundaries (short write transactions on SQLite) change nothing a user sees."""
    settings.SINERGI_INCIDENT_PROCESSING = "deferred"
    build_world()
    base = dt.datetime(2024, 11, 27, 9, 0, tzinfo=dt.UTC)
    whole = _processed_whole("chunk", base)
    settings.SINERGI_INCIDENT_PROCESS_CHUNK = 3
    ids = _store("chunk", base)
    services.reports_process(ids)
    assert _seen(ids) == whole


@pytest.mark.django_db
def test_bounded_transactions_give_the_same_incidents(settings):
    """A processing transaction that stops after its time budget (SQLite: intake writers wait for the one write
    lock) and goes on in the next one, reusing the open incidents it knows, changes nothing a user sees."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.SINERGI_INCIDENT_PROCESSING = "deferred"
    build_world()
    base = dt.datetime(2024, 11, 27, 9, 0, tzinfo=dt.UTC)
    whole = _processed_whole("hold", base)
    settings.SINERGI_INCIDENT_PROCESS_HOLD_MS = 1  # about one report per transaction
    ids = _store("hold", base)
    with CaptureQueriesContext(connection) as ctx:
        services.reports_process(ids)
    transactions = sum(1 for q in ctx.captured_queries if q["sql"].startswith("SAVEPOINT"))
    assert transactions >= len(REPORTS) // 2  # (inside the test's transaction each one is a savepoint)
    assert _seen(ids) == whole


@pytest.mark.django_db
def test_kept_open_incidents_see_changes_made_meanwhile(settings):
    """The processor loop keeps the open incidents it knows between transactions; an incident closed by someone
    else meanwhile is no longer corroborated by the next similar report."""
    from sinergi.incidents.choices import IncidentStatus
    from sinergi.incidents.services.processing import _Batch

    settings.SINERGI_INCIDENT_PROCESSING = "deferred"
    build_world()
    base = dt.datetime(2024, 11, 27, 9, 0, tzinfo=dt.UTC)
    batch = _Batch()

    def submit(key: str, minutes: int) -> Report:
        report, _ = services.report_submit(actor=None, process=False, data=ReportInput(
            key=key, channel=Channel.API, text="Massa bentrok saling lempar batu di depan TPS", tps_code=TPS,
            occurred_at=base + dt.timedelta(minutes=minutes)))
        assert services.process_pending(batch=batch) == 1
        report.refresh_from_db()
        return report

    first = submit("kept-1", 0)
    assert submit("kept-2", 5).incident_id == first.incident_id  # the same incident, corroborated
    inc = Incident.objects.get(pk=first.incident_id)
    inc.status = IncidentStatus.CLOSED
    inc.save(update_fields=["status", "updated_at"])
    third = submit("kept-3", 10)
    assert third.incident_id != first.incident_id
    assert Incident.objects.get(pk=third.incident_id).status == IncidentStatus.REPORTED
