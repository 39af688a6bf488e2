"""In Chromium: staff send "Laporkan situasi TPS anda" from the compose page; the officer sees it in the phone
inbox (/pesan/) with its unread count, answers; the staff's open page counts the answer without a reload."""

from __future__ import annotations

from pathlib import Path

import pytest

from sinergi.accounts.choices import Role
from sinergi.messaging import services
from tests.browser_wait import wait_until
from tests.operations.factories import TPS_A, build_ops_world

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def msg_world(audit_rows_flushable, transactional_db, make_user):
    ow = build_ops_world()
    staff = make_user(unit=ow.polres_a, role=Role.OPERATOR)
    officer = make_user(unit=ow.polsek_a, role=Role.OPERATOR)
    services.contact_set(actor=staff, user=officer, channel="telegram", address="5550009", tps_code=TPS_A)
    return staff, officer


def _login(page, base, user, password, next_url):
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("form.stack button[type=submit]")


def test_send_question_and_see_the_answer_counted(msg_world, live_server, chromium, password):
    staff, officer = msg_world
    errors = []
    s_ctx = chromium.new_context()
    sp = s_ctx.new_page()
    sp.on("pageerror", lambda e: errors.append(str(e)))
    _login(sp, live_server.url, staff, password, "/pesan/kirim/")
    sp.wait_for_url("**/pesan/kirim/")
    assert sp.input_value("#id_text") == "Laporkan situasi TPS anda"
    sp.fill("#id_tps", TPS_A)
    sp.click("[data-testid=compose-form] button[type=submit]")
    sp.wait_for_url("**/pesan/keluar/*/")
    assert sp.inner_text("[data-testid=count-recipients]").strip() == "1"
    assert sp.inner_text("[data-testid=count-answered]").strip() == "0"
    sp.evaluate("window.__marker = 'same page'")

    o_ctx = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    op = o_ctx.new_page()
    op.on("pageerror", lambda e: errors.append(str(e)))
    _login(op, live_server.url, officer, password, "/pesan/")
    op.wait_for_url("**/pesan/")
    assert op.inner_text("[data-testid=unread]").strip() == "1"
    op.click("[data-testid=inbox-row] a")
    op.wait_for_selector("[data-testid=answer-form]")
    assert "Laporkan situasi TPS anda" in op.inner_text("[data-testid=message-text]")
    op.fill("#id_text", "Situasi aman, pemilih antre tertib")
    op.click("[data-testid=answer-form] button[type=submit]")
    op.wait_for_selector("[data-testid=answered]")
    assert "Jawaban pertanyaan" in op.content()

    wait_until(sp, "document.querySelector('[data-testid=count-answered]').textContent.trim() === '1'",
               timeout=20_000)
    assert sp.inner_text("[data-testid=count-read]").strip() == "1"
    row = f"[data-testid=recipients] tr[data-user='{officer.username}']"
    sp.locator(row, has_text="laporan").wait_for(timeout=20_000)  # the per-recipient row, swapped in place
    assert sp.evaluate("window.__marker") == "same page"
    ARTIFACTS.mkdir(exist_ok=True)
    sp.screenshot(path=str(ARTIFACTS / "messaging_sent_detail.png"), full_page=True)
    op.screenshot(path=str(ARTIFACTS / "messaging_inbox_item.png"), full_page=True)
    assert errors == [], errors
    s_ctx.close()
    o_ctx.close()
