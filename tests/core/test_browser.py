"""The map in a real browser: log in through the form, open the map, see boundaries and clustered TPS.

Runs Debian's Chromium through Playwright against pytest-django's live_server. live_server flushes the
database afterwards, so the test builds its own small dataset instead of using the session fixture.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web_data import build_small_dataset

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.browser


def _inside(box, view) -> bool:
    if not box:
        return False
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    return view["x"] + 20 < cx < view["x"] + view["width"] - 20 and view["y"] + 20 < cy < view["y"] + view["height"] - 20


def _distance(box, point) -> float:
    return abs(box["x"] + box["width"] / 2 - point[0]) + abs(box["y"] + box["height"] / 2 - point[1])


@pytest.fixture
def map_data(transactional_db, make_user, password):
    from sinergi.accounts.choices import AgencyKind
    from sinergi.elections.models import PollingStation
    from sinergi.elections.selectors import default_election
    from tests import factories

    # If an earlier test loaded the full dataset, it is still there (live_server flushes only afterwards);
    # the small dataset then adds nothing new, so the expectations are read back from the database.
    build_small_dataset()
    located = PollingStation.objects.filter(election=default_election(), lat__isnull=False)
    estimated = located.filter(location_estimated=True, district_code="53.71.01").order_by("id").first()
    user = make_user(unit=factories.unit(AgencyKind.POLRI, name="Polresta Kupang Kota"), role="operator")
    return user, password, located.count(), estimated


def test_map_draws_boundaries_and_clustered_tps(live_server, map_data, chromium):
    user, password, n_points, estimated_tps = map_data
    ARTIFACTS.mkdir(exist_ok=True)
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="id-ID")
    page = context.new_page()
    external: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: r.url.startswith(live_server.url) or r.url.startswith("data:")
            or external.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(f"{live_server.url}/wilayah/peta/")
    assert "/accounts/login/" in page.url  # the map needs a login
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{live_server.url}/wilayah/peta/")

    page.wait_for_selector("#map[data-ready='1']", timeout=20_000)
    assert page.get_attribute("#map", "data-points") == str(n_points)  # TPS without a location are not drawn
    assert int(page.get_attribute("#map", "data-boundaries")) >= 2
    boundary_paths = page.locator(".leaflet-overlay-pane svg path")
    assert boundary_paths.count() >= 2
    clusters = page.locator(".leaflet-marker-pane .marker-cluster")
    assert clusters.count() >= 1
    assert "titik perkiraan" in page.inner_text(".map-side")
    page.screenshot(path=str(ARTIFACTS / "browser_map.png"))

    # Zoomed in, the clusters open into single points; estimated ones are dashed circles.
    page.goto(f"{live_server.url}/wilayah/")
    page.goto(f"{live_server.url}/wilayah/peta/#{estimated_tps.lat:.6f},{estimated_tps.lng:.6f},17")
    page.wait_for_selector("#map[data-ready='1']", timeout=20_000)
    page.wait_for_timeout(500)
    dashed = page.locator(".leaflet-tps-pane path[stroke-dasharray='3 3']")
    assert dashed.count() >= 1
    page.screenshot(path=str(ARTIFACTS / "browser_map_zoom.png"))
    view = page.locator("#map").bounding_box()
    visible = [m for m in dashed.all() if _inside(m.bounding_box(), view)]
    assert visible, "no estimated point in view"
    centre = (view["x"] + view["width"] / 2, view["y"] + view["height"] / 2)
    min(visible, key=lambda m: _distance(m.bounding_box(), centre)).click(force=True)
    page.wait_for_selector("[data-testid=tps-popup]", timeout=10_000)
    popup = page.inner_text(".leaflet-popup-content")
    assert estimated_tps.code in popup and "perkiraan" in popup.lower()
    page.wait_for_timeout(400)  # let the pan and fade settle for the screenshot
    page.screenshot(path=str(ARTIFACTS / "browser_map_popup.png"))

    page.click(".leaflet-popup-content a >> nth=0")
    page.wait_for_selector("[data-testid=tps-facts]")
    assert "PERKIRAAN" in page.inner_text("[data-field=voters]").upper()
    page.screenshot(path=str(ARTIFACTS / "browser_tps.png"), full_page=True)

    assert external == [], f"requests left the server: {external}"
    assert errors == [], errors
    context.close()
