"""Unit pickers in Chromium: the assignment control on an incident groups units by agency, labels them with their
place in the tree and narrows the list as the user types."""

from __future__ import annotations

import pytest

from sinergi.accounts.choices import Role
from tests.incidents.factories import build_world
from tests.incidents.test_incidents import submit

pytestmark = pytest.mark.browser


@pytest.fixture
def picker_data(audit_rows_flushable, transactional_db, make_user):
    world = build_world()
    report, _ = submit(key="pick-1", tps_code="99.71.01.1001-001")
    analyst = make_user(unit=world.polda, role=Role.ANALYST)
    from sinergi.incidents.models import Incident

    return analyst, Incident.objects.get().pk


def test_unit_picker_groups_labels_and_filters(live_server, picker_data, chromium, password):
    user, incident_id = picker_data
    page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live_server.url}/accounts/login/?next=/insiden/{incident_id}/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{live_server.url}/insiden/{incident_id}/")
    select = page.locator("select[data-picker=unit]")
    groups = page.locator("select[data-picker=unit] optgroup").evaluate_all("els => els.map(e => e.label)")
    assert len(groups) >= 3  # Polri, Bawaslu, KPU, ... each its own group
    labels = select.locator("option").all_inner_texts()
    assert any(" › " in label for label in labels)  # place in the tree, not a flat name
    search = page.locator("input.picker-search").first
    search.fill("T-BAWASLU")  # nothing matches a code: labels are names
    visible = select.evaluate("s => Array.from(s.options).filter(o => o.value && !o.hidden && !o.selected).length")
    assert visible == 0
    search.fill("bawaslu unit")
    shown = select.evaluate("s => Array.from(s.options).filter(o => o.value && !o.hidden && !o.selected).map(o => o.text)")
    assert len(shown) == 2 and all("bawaslu" in t.lower() for t in shown)  # province and its kota unit
    assert any(" › " in t for t in shown)
    hidden_groups = page.locator("select[data-picker=unit] optgroup[hidden]").count()
    assert hidden_groups >= 2  # Polri, KPU... groups without a match are hidden
