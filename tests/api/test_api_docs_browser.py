"""The API documentation page in Chromium: Swagger UI loads from our own static files (closed network) and lists
the operations of the published schema; nothing is requested from another host."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture
def docs_user(audit_rows_flushable, transactional_db, make_user):
    from sinergi.accounts.choices import AgencyKind
    from tests import factories

    return make_user(unit=factories.unit(AgencyKind.POLRI, name="Polda Uji"), role="analyst")


def test_api_docs_page_renders_from_local_files(live_server, docs_user, chromium, password):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    external: list[str] = []
    page.on("request", lambda r: r.url.startswith(live_server.url) or r.url.startswith("data:")
            or external.append(r.url))
    page.goto(f"{live_server.url}/accounts/login/?next=/api/v1/docs/")
    page.fill("#id_username", docs_user.username)
    page.fill("#id_password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{live_server.url}/api/v1/docs/")
    page.wait_for_selector(".opblock-summary-path", timeout=30_000)
    # Swagger UI renders only the operation groups near the viewport: scroll down until the intake's own path
    # is drawn (29 groups since the messaging API).
    intake = page.locator(".opblock-summary-path", has_text="/api/v1/incident-reports/")
    for _ in range(60):
        if intake.count():
            break
        page.mouse.wheel(0, 800)
        page.wait_for_timeout(150)
    assert intake.count() > 0
    page.mouse.wheel(0, -100_000)
    assert page.locator(".info .title").inner_text().startswith("Sinergi API")
    assert external == []
    context.close()
