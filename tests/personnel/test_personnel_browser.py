"""Personnel pages in Chromium: the officer's phone page shows his post, queues a status offline and sends it when
back online; the counts page shows it per Polres; a commander approves the Renpam through the second factor."""

from __future__ import annotations

from pathlib import Path

import pytest

from sinergi.accounts.choices import Role
from tests.browser_wait import wait_until
from tests.operations.factories import build_ops_world

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def roster_data(audit_rows_flushable, transactional_db, make_user):
    # Built before Chromium starts (Playwright's sync API runs an event loop, where the ORM refuses to run).
    from sinergi.personnel import services
    from tests.personnel.test_personnel import _csv, _good_rows, _plan_world

    ow = build_ops_world()
    op = make_user(unit=ow.polda, role=Role.OPERATOR)
    services.roster_import(actor=op, file_bytes=_csv(ow, _good_rows(ow)[:6]), filename="r.csv")
    _plan, _g, approval = _plan_world(ow)
    run = services.assignment_run(actor=op, approval=approval)
    leader = run.assignments.filter(leader=True, group__isnull=False).select_related("officer").first()
    me = make_user(unit=ow.polsek_a, role=Role.OPERATOR)
    services.officer_link_user(actor=op, officer=leader.officer, user=me)
    from sinergi.personnel.models import Officer

    return ow, op, me, Officer.objects.get(identifier="81010001").pk


def _login(page, url, user, password, next_path):
    page.goto(f"{url}/accounts/login/?next={next_path}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("form.stack button[type=submit]")


def test_status_page_queues_offline_and_counts_show_it(roster_data, live_server, chromium, password):
    ow, op, me, yohanes = roster_data
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, live_server.url, me, password, "/personel/status/")
    page.wait_for_url("**/personel/status/")
    assert "Kelompok K1" in page.inner_text("[data-testid=my-post]")
    assert "Renpam versi 1 disahkan oleh" in page.inner_text("[data-testid=renpam-status]")
    assert page.inner_text("[data-testid=my-status]").strip() == "Lepas dinas"

    context.set_offline(True)
    page.click("button[data-status=on_post]")
    page.wait_for_selector("[data-testid=queue] p[data-status=queued]")
    assert "menunggu sinyal" in page.inner_text("[data-testid=queue]")
    assert len(page.evaluate("SinergiOutbox.all().then(xs => xs.filter(x => x.status === 'waiting'))")) == 1
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("[data-testid=queue] p[data-status=done]", timeout=15_000)
    assert page.inner_text("[data-testid=my-status]").strip() == "Di pos"
    assert page.evaluate("SinergiOutbox.all().then(xs => xs.filter(x => x.status === 'waiting'))") == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "personnel_status_phone.png"), full_page=True)
    context.close()

    context = chromium.new_context()
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, live_server.url, op, password, "/personel/status/polres/")
    page.wait_for_url("**/personel/status/polres/")
    row = page.inner_text(f"[data-testid=status-panel] tr[data-unit='{ow.polres_a.code}']")
    cells = row.split("\t")
    assert cells[0].strip() == "Polres Kota Uji" and cells[2].strip() == "1", row  # one on post
    page.wait_for_selector("[data-testid=status-map][data-points]", timeout=10_000)
    assert int(page.get_attribute("[data-testid=status-map]", "data-points")) >= 1
    page.screenshot(path=str(ARTIFACTS / "personnel_status_counts.png"), full_page=True)
    page.goto(f"{live_server.url}/personel/")
    assert "+62812*****001" in page.inner_text("[data-testid=roster-table]")
    page.click(f"button[data-reveal='/personel/{yohanes}/nomor/']")
    wait_until(page, "document.querySelector('[data-testid=roster-table]').innerText.includes('+6281234567001')")
    assert errors == [], errors
    context.close()


@pytest.fixture
def approve_data(audit_rows_flushable, transactional_db, make_user, settings):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from sinergi.deployment.models import Plan

    settings.SINERGI_OTP_REQUIRED_ROLES = ["admin", "commander"]
    ow = build_ops_world()
    plan = Plan.objects.create(name="Rencana dasar uji", election=ow.election, status="succeeded")
    commander = make_user(unit=ow.polda, role=Role.COMMANDER, first_name="Budi", last_name="Santoso")
    device = TOTPDevice.objects.create(user=commander, name="app", confirmed=True)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=0):06d}"
    return plan, commander, code


def test_commander_approves_renpam_after_second_factor(approve_data, live_server, chromium, password):
    plan, commander, code = approve_data
    context = chromium.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, live_server.url, commander, password, f"/pengamanan/{plan.pk}/sahkan/")
    page.wait_for_url("**/accounts/otp/**")
    page.fill("input[name=token]", code)
    page.locator("input[name=token]").press("Enter")
    page.wait_for_url(f"**/pengamanan/{plan.pk}/sahkan/")
    assert "Belum ada Renpam yang disahkan untuk tahap ini." in page.inner_text("[data-testid=approval-current]")
    page.fill("input[name=rank]", "Irjen Pol")
    page.click("[data-testid=approve-submit]")
    page.wait_for_url("**/pengamanan/renpam/")
    text = page.inner_text("[data-testid=approval-phases]")
    assert "Renpam versi 1 disahkan oleh Budi Santoso, Irjen Pol pada" in text
    page.goto(f"{live_server.url}/pengamanan/{plan.pk}/")
    assert "rencana ini adalah Renpam yang berlaku" in page.inner_text("[data-testid=renpam-status]")
    assert errors == [], errors
    context.close()
