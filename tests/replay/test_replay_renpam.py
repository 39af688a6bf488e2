"""The replay guards its TPS with the plan operations use: the approved Renpam, not a newer what-if scenario."""

from __future__ import annotations

import pytest

from sinergi.accounts.choices import AgencyKind, UnitLevel
from sinergi.deployment.models import GuardAssignment, GuardGroup, Plan
from sinergi.elections.models import PollingStation
from sinergi.replay.local import _assigned_polsek
from tests import factories
from tests.operations.factories import TPS_B, build_ops_world


def _plan(ow, name: str, polsek) -> Plan:
    plan = Plan.objects.create(name=name, election=ow.election, status="succeeded")
    group = GuardGroup.objects.create(plan=plan, unit=ow.polres_b, polsek=polsek, district_code="99.72.01",
                                      tier="rawan", number=1, tps_count=1, officers=2, linmas=2, post_lat=-10.0,
                                      post_lng=123.0, max_travel_min=5.0)
    tps = PollingStation.objects.get(code=TPS_B)
    GuardAssignment.objects.create(plan=plan, group=group, polling_station=tps, tier="rawan")
    return plan


@pytest.mark.django_db
def test_replay_uses_the_approved_renpam_over_a_newer_scenario():
    ow = build_ops_world()
    sek_1 = factories.unit(AgencyKind.POLRI, parent=ow.polres_b, level=UnitLevel.DISTRICT, code="T-RP-SEK-1")
    sek_2 = factories.unit(AgencyKind.POLRI, parent=ow.polres_b, level=UnitLevel.DISTRICT, code="T-RP-SEK-2")
    tps = PollingStation.objects.get(code=TPS_B)

    approved = _plan(ow, "Renpam", sek_1)
    assert _assigned_polsek(ow.election)[tps.pk] == "T-RP-SEK-1"  # no approval yet: the latest completed plan
    _plan(ow, "what-if +20%", sek_2)
    assert _assigned_polsek(ow.election)[tps.pk] == "T-RP-SEK-2"
    factories.renpam_approve(approved, unit=ow.polda)
    assert _assigned_polsek(ow.election)[tps.pk] == "T-RP-SEK-1"  # the Renpam, although a newer plan exists
