"""Deployment planner on the NTT default dataset: plan run, feasibility, scenarios, scoping, pages, exports."""

from __future__ import annotations

import pytest

from sinergi.deployment.models import GuardAssignment, GuardGroup, PlanUnit, Reserve
from sinergi.deployment.services import plan_run_sync
from sinergi.elections.models import PollingStation
from sinergi.regions.selectors import default_election

pytestmark = pytest.mark.slow


@pytest.fixture
def base_plan(ntt_dataset):
    return plan_run_sync(actor=None, election=default_election(), scenario="dasar")


def test_plan_covers_every_tps_once_within_radius_and_size(base_plan):
    plan = base_plan
    m = plan.metrics
    print({k: v for k, v in m.items() if not isinstance(v, (dict, list))})
    n_tps = PollingStation.objects.filter(election=plan.election).count()
    assert GuardAssignment.objects.filter(plan=plan).count() == n_tps == m["tps"]
    assert GuardAssignment.objects.filter(plan=plan).values("polling_station").distinct().count() == n_tps
    assert not GuardGroup.objects.filter(plan=plan, max_travel_min__gt=15.0 + 1e-6).exists()
    assert m["groups"] >= m["groups_bound"] >= m["groups_lower_bound"]
    assert m["tier_source"] == "placeholder"
    for g in GuardGroup.objects.filter(plan=plan)[:200]:
        assert g.assignments.count() == g.tps_count
    assert PlanUnit.objects.filter(plan=plan).count() == 22
    assert Reserve.objects.filter(plan=plan, kind="median").count() == 10
    assert plan.input_hash and plan.task_run.status == "succeeded"
