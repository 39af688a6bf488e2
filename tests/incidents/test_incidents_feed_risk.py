"""Verified incidents raise the vulnerability score of nearby TPS (issue 3 x issue 5)."""

import pytest
from django.core.management import call_command

from sinergi.accounts.choices import AgencyKind, Role
from sinergi.accounts.models import Unit
from sinergi.core.models import TaskRun
from sinergi.elections.models import PollingStation
from sinergi.incidents.choices import Channel, IncidentStatus
from sinergi.incidents.models import Incident
from sinergi.incidents.services import ReportInput, incident_transition, report_submit
from sinergi.risk.models import Assessment
from sinergi.risk.services import risk_recompute

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_verified_incident_raises_nearby_tps_score(ntt_dataset, make_user, django_capture_on_commit_callbacks):
    call_command("risk_setup", "--demo", verbosity=0)
    tps = PollingStation.objects.filter(election__code="pilkada-2024", regency_code="53.71").order_by("code").first()
    before = Assessment.objects.filter(polling_station=tps, model__status="published").get()
    polda = Unit.objects.get(agency__code=AgencyKind.POLRI, level="province")
    officer = make_user(unit=polda, role=Role.COMMANDER)

    report, created = report_submit(actor=officer, data=ReportInput(
        key="feed-risk-1", text="Bentrok massa pendukung di dekat TPS, dua orang luka", channel=Channel.STAFF,
        tps_code=tps.code, severity_hint=4))
    assert created
    incident = Incident.objects.get(reports=report)
    with django_capture_on_commit_callbacks(execute=True):
        incident_transition(actor=officer, incident=incident, to=IncidentStatus.VERIFIED)
    # The verification queued a (debounced) recompute; run it as the worker would.
    assert TaskRun.objects.filter(kind__startswith="risk").exists()
    risk_recompute(actor=None, system=True)
    after = Assessment.objects.filter(polling_station=tps, model__status="published").get()
    assert after.incident_points > 0
    assert after.score > before.score
