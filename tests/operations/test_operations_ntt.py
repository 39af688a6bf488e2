"""Check-ins on the whole NTT default dataset: a 5,000-item batch through the fast path, coverage for the 22
Polres, and the missing check-in alerts of the tick for the other TPS."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

from sinergi.accounts.choices import Role
from sinergi.accounts.models import Unit
from sinergi.core.models import AuditEvent
from sinergi.elections.models import PollingStation
from sinergi.elections.selectors import default_election
from sinergi.operations import jobs, selectors, services
from sinergi.operations.models import Alert, TpsStatus

WITA = ZoneInfo("Asia/Makassar")


def test_ntt_batch_coverage_and_missing_alerts(ntt_dataset, make_user):
    election = default_election()
    polda = make_user(unit=Unit.objects.get(code="POLDA-NTT"), role=Role.COMMANDER)
    codes = list(PollingStation.objects.filter(election=election, regency_code__startswith="53.")
                 .order_by("code").values_list("code", flat=True))
    assert len(codes) == 9877
    at = dt.datetime(2024, 11, 27, 7, 10, tzinfo=WITA)
    items = [{"key": f"ntt-{c}-opened", "tps": c, "kind": "opened", "at": at.isoformat()} for c in codes[:5000]]
    t0 = time.perf_counter()
    results = services.checkin_submit_batch(actor=polda, items=items)
    elapsed = time.perf_counter() - t0
    assert [r.status for r in results].count("accepted") == 5000, [r for r in results if r.status != "accepted"][:3]
    print(f"batch of 5,000 check-ins: {elapsed:.2f} s")
    assert AuditEvent.objects.filter(action="ops.checkin_batch").count() == 1
    assert TpsStatus.objects.filter(election=election, opened_at__isnull=False).count() == 5000
    again = services.checkin_submit_batch(actor=polda, items=items[:100])
    assert {r.status for r in again} == {"duplicate"}

    t0 = time.perf_counter()
    out = jobs.tick(dt.datetime(2024, 11, 27, 7, 31, tzinfo=WITA))
    print(f"tick raising missing alerts: {time.perf_counter() - t0:.2f} s")
    assert out[election.code]["raised"]["opened"] >= 4877
    kupang = Unit.objects.get(code="POLRES-53.71")
    assert Alert.objects.filter(kind="checkin_missing", resolved_at__isnull=True, unit=kupang).exists()

    t0 = time.perf_counter()
    rows = selectors.coverage_by_polres(polda, election=election, at=dt.datetime(2024, 11, 27, 8, tzinfo=WITA))
    print(f"coverage for 22 Polres: {(time.perf_counter() - t0) * 1000:.0f} ms")
    assert len(rows) == 22 and sum(r["tps_total"] for r in rows) == 9877
    assert sum(r["opened"] for r in rows) == 5000
    assert sum(r["missing"] for r in rows) == 9877 - 5000
    polres_user = make_user(unit=kupang, role=Role.OPERATOR)
    own = selectors.coverage_by_polres(polres_user, election=election)
    assert [r["unit_code"] for r in own] == ["POLRES-53.71"] and own[0]["tps_total"] == 552
