"""Screenshots of the user guide, taken in a real browser as each role signs in on the NTT default dataset (with
the demo vulnerability assessment, a deployment plan and an incident report). They are written to
docs/guide/img/ (PNG, 1200x750, reduced to 256 colours) and committed, so the guide shows the pages as they are.

    pytest -q tests/core/test_guide_screenshots.py -m browser
"""

from __future__ import annotations

import io

import pytest

from tests.browser_wait import wait_until
from tests.core.guide_shots import IMG, SHOTS

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1200, "height": 750}


@pytest.fixture
def ntt_like(_ntt_session, transactional_db, password):
    """The NTT default dataset (loaded again if an earlier browser test flushed it), the demo vulnerability
    assessment, one deployment plan and an incident report; a person of each role with name and rank."""
    from django.core.management import call_command

    from sinergi.accounts.choices import Role
    from sinergi.accounts.models import Unit
    from sinergi.accounts.services import user_create
    from sinergi.deployment.services import plan_run_sync
    from sinergi.elections.dataset import load_default_dataset
    from sinergi.elections.models import PollingStation
    from sinergi.elections.selectors import default_election
    from sinergi.incidents.defaults import load
    from tests.incidents.test_incidents import submit

    if not PollingStation.objects.exists():
        load_default_dataset(actor=None)
    call_command("risk_setup", "--demo", verbosity=0)
    plan_run_sync(actor=None, election=default_election(), scenario="dasar",
                  parameters={"reserve_k": 5, "time_limit_s": 1.0})
    load()  # incident categories and routing
    polda, polres, kpu = (Unit.objects.get(code=c) for c in ("POLDA-NTT", "POLRES-53.71", "KPU-NTT"))
    people = {
        "perencana.md": (polda, Role.ANALYST, "Maria", "Ndun", "KOMPOL"),
        "komandan.md": (polda, Role.COMMANDER, "Yohanes", "Bria", "KOMBES POL"),
        "operator.md": (polres, Role.OPERATOR, "Budi", "Santoso", "AKP"),
        "mitra.md": (kpu, Role.LIAISON, "Theresia", "Lake", ""),
        "admin.md": (polda, Role.ADMIN, "Agus", "Manafe", "IPDA"),
    }
    users = {}
    for page, (unit, role, first, last, rank) in people.items():
        users[page] = user_create(actor=None, username=f"panduan-{page.split('.')[0]}", password=password,
                                  unit=unit, role=role, first_name=first, last_name=last, rank=rank,
                                  is_superuser=role == Role.ADMIN)
    tps = PollingStation.objects.filter(regency_code="53.71").order_by("code").first()
    submit(users["operator.md"], key="panduan-1", tps_code=tps.code)
    return users, password


def _save_png(raw: bytes, path) -> None:
    """PNG reduced to 256 colours (a page is flat colours and text: a quarter of the size, same look)."""
    try:
        from PIL import Image
    except ImportError:  # Pillow comes with WeasyPrint; without it keep the full PNG
        path.write_bytes(raw)
        return
    img = Image.open(io.BytesIO(raw)).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    img.save(path, format="PNG", optimize=True)


def test_guide_screenshots_per_role(live_server, ntt_like, chromium):
    users, password = ntt_like
    IMG.mkdir(parents=True, exist_ok=True)
    for page_name, shots in SHOTS.items():
        user = users[page_name]
        context = chromium.new_context(viewport=VIEWPORT, locale="id-ID", timezone_id="Asia/Makassar")
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("form.stack button[type=submit]")
        page.wait_for_load_state()
        assert "/accounts/login/" not in page.url, page_name
        for file_name, url, ready in shots:
            response = page.goto(live_server.url + url)
            assert response is not None and response.status == 200, (page_name, url)
            page.wait_for_selector(ready, timeout=20_000)
            wait_until(page, "document.readyState === 'complete'")
            page.wait_for_timeout(300)  # let the maps and pickers settle
            _save_png(page.screenshot(type="png"), IMG / file_name)
            assert (IMG / file_name).stat().st_size < 400_000, file_name
        assert errors == [], (page_name, errors)
        context.close()
