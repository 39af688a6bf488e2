"""Page actions on an incident make the same record-level checks as the API (they live in the services): only
the assigned unit acknowledges and works an incident; observers add no notes."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from sinergi.accounts.choices import Role
from sinergi.incidents import services
from sinergi.incidents.choices import IncidentStatus
from sinergi.incidents.models import Incident, Report, TimelineEntry
from tests.incidents.factories import build_world
from tests.incidents.test_incidents import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_incident(db):
    """Money politics at a TPS of Kota Uji: assigned to Bawaslu Kota, shared with the Polres (Gakkumdu)."""
    world = build_world()
    r, _ = submit(key="mp-page", text="Tim sukses membagikan amplop berisi uang kepada warga",
                  tps_code="99.71.01.1002-001")
    inc = Incident.objects.get(pk=Report.objects.get(pk=r.pk).incident_id)
    assert inc.assigned_unit == world.bawaslu_kota and world.polres in inc.shared_units.all()
    services.incident_transition(actor=None, incident=inc, to=IncidentStatus.VERIFIED)
    services.incident_transition(actor=None, incident=inc, to=IncidentStatus.ASSIGNED)
    return world, Incident.objects.get(pk=inc.pk)


def _action_url(inc):
    return reverse("incidents:action", args=[inc.pk])


def test_liaison_of_a_sharing_unit_cannot_acknowledge_or_work_the_incident_from_the_page(
        shared_incident, client, make_user):
    world, inc = shared_incident
    liaison = make_user(unit=world.polres, role=Role.LIAISON)  # incident.work, sees it through the share
    client.force_login(liaison)
    assert client.get(reverse("incidents:detail", args=[inc.pk])).status_code == 200
    assert client.post(_action_url(inc), {"action": "acknowledge"}).status_code == 403
    assert client.post(_action_url(inc), {"action": "transition", "to": "in_progress"}).status_code == 403
    inc.refresh_from_db()
    assert inc.acknowledged_at is None and inc.status == IncidentStatus.ASSIGNED
    # The assigned unit can.
    owner = make_user(unit=world.bawaslu_kota, role=Role.LIAISON)
    client.force_login(owner)
    assert client.post(_action_url(inc), {"action": "acknowledge"}).status_code == 302
    assert client.post(_action_url(inc), {"action": "transition", "to": "in_progress"}).status_code == 302
    inc.refresh_from_db()
    assert inc.acknowledged_by == owner and inc.status == IncidentStatus.IN_PROGRESS


def test_observer_cannot_add_a_note(shared_incident, client, make_user):
    world, inc = shared_incident
    observer = make_user(unit=world.polres, role=Role.OBSERVER)
    client.force_login(observer)
    assert client.post(_action_url(inc), {"action": "note", "note": "catatan pengamat"}).status_code == 403
    assert not TimelineEntry.objects.filter(incident=inc, note="catatan pengamat").exists()
    with pytest.raises(PermissionDenied):
        services.incident_note(actor=observer, incident=inc, note="lewat layanan")


def test_service_refuses_work_by_a_unit_that_is_not_assigned(shared_incident, make_user):
    world, inc = shared_incident
    kejati_operator = make_user(unit=world.kejati, role=Role.OPERATOR)  # shared too, has triage and work
    with pytest.raises(PermissionDenied):
        services.incident_acknowledge(actor=kejati_operator, incident=inc)
    with pytest.raises(PermissionDenied):
        services.incident_transition(actor=kejati_operator, incident=inc, to=IncidentStatus.IN_PROGRESS)
    outsider = make_user(unit=world.bpbd, role=Role.OPERATOR)  # cannot even read it
    with pytest.raises(PermissionDenied):
        services.incident_transition(actor=outsider, incident=inc, to=IncidentStatus.REJECTED)


def test_triage_services_refuse_people_without_triage_or_scope(shared_incident, make_user):
    world, inc = shared_incident
    liaison = make_user(unit=world.polres, role=Role.LIAISON)  # sees it, has no incident.triage
    with pytest.raises(PermissionDenied):
        services.incident_update(actor=liaison, incident=inc, severity=4)
    with pytest.raises(PermissionDenied):
        services.incident_share(actor=liaison, incident=inc, units=[world.bpbd])
    outsider = make_user(unit=world.bpbd, role=Role.OPERATOR)  # triage, but cannot read it
    with pytest.raises(PermissionDenied):
        services.incident_update(actor=outsider, incident=inc, severity=4)
    inc.refresh_from_db()
    assert inc.severity != 4 and world.bpbd not in inc.shared_units.all()
