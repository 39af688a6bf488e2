"""The situation room's live feed: an incident's event carries the units it is assigned or shared to, and each
user gets it exactly when incident_list lets them read the incident."""

from __future__ import annotations

from django.utils import timezone

from sinergi.accounts.choices import AgencyKind, Role, UnitLevel
from sinergi.incidents.consumers import decide, prepare_scope, visible_events
from sinergi.incidents.models import Category, Incident
from sinergi.incidents.selectors import incident_list
from sinergi.incidents.services import _units_of
from tests import factories


def test_incident_events_reach_only_readers(db, make_user):
    polda = factories.unit(AgencyKind.POLRI, level=UnitLevel.PROVINCE, code="T-LIVE-POLDA")
    a = factories.unit(AgencyKind.POLRI, parent=polda, code="T-LIVE-A")
    b = factories.unit(AgencyKind.POLRI, parent=polda, code="T-LIVE-B")
    kpu = factories.unit(AgencyKind.KPU, code="T-LIVE-KPU")
    category = Category.objects.create(code="t-live", name="Uji", agency_code="POLRI")
    now = timezone.now()

    def incident(unit):  # a fixture row; the services' routing is tested elsewhere
        return Incident.objects.create(category=category, title="uji", occurred_at=now, first_reported_at=now,
                                       last_reported_at=now, assigned_unit=unit, agency_code=unit.agency.code)

    mine = incident(a)
    shared = incident(b)
    shared.shared_units.add(kpu)
    events = [{"incident": i.pk, "units": _units_of(i.pk)} for i in (mine, shared)]
    for user in (make_user(unit=a, role=Role.OPERATOR), make_user(unit=b, role=Role.OPERATOR),
                 make_user(unit=kpu, role=Role.OPERATOR), make_user(unit=polda, role=Role.ANALYST)):
        readable = set(incident_list(user=user).filter(pk__in=[mine.pk, shared.pk]).values_list("pk", flat=True))
        fast = [d["incident"] for d in (decide(prepare_scope(user), e) for e in events) if d]
        slow = [d["incident"] for d in visible_events(user, [{"incident": e["incident"]} for e in events])]
        assert set(fast) == set(slow) == readable, user.unit
    assert Incident.objects.count() == 2
