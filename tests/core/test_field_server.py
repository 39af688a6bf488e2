"""Server side of the field app (issue 16): a resent observation is stored once; the map's pre-clustered TPS add
up; the worker and the manifest are served from the root with the CSP; HTML is compressed."""

from __future__ import annotations

import gzip
import json

from django.urls import reverse

from sinergi.accounts.choices import Role
from sinergi.elections import selectors_map as tps_map
from sinergi.risk.models import Indicator, Observation
from tests.risk.test_risk import world  # noqa: F401 - fixture


def test_observation_sent_twice_with_one_key_is_stored_once(world, make_user, client):  # noqa: F811
    analyst = make_user(unit=world["bawaslu"], role=Role.ANALYST)
    client.force_login(analyst)
    ind = Indicator.objects.get(code="riwayat_kekerasan")
    form = {"tps_code": world["tps"][0].code, "indicator": ind.pk, "value": "ya", "observed_on": "2024-11-01",
            "evidence_text": "dua kali dikirim", "key": "of-uji-1"}
    first = client.post(reverse("risk:observations"), form)
    again = client.post(reverse("risk:observations"), form)  # the outbox retries after a lost answer
    assert first.status_code == again.status_code == 302
    assert Observation.objects.filter(idempotency_key="of-uji-1").count() == 1
    page = client.get(reverse("risk:observations")).content.decode()
    assert 'data-outbox="Pengamatan"' in page and "js/outbox" in page
    assert 'value="20' in page  # the date field is filled in a form a date input accepts (yyyy-mm-dd)


def test_map_clusters_add_up_and_open_into_points(world, make_user):  # noqa: F811
    analyst = make_user(unit=world["bawaslu"], role=Role.ANALYST)
    points = tps_map.tps_points(user=analyst)
    far = tps_map.tps_clusters(user=analyst, zoom=4)
    near = tps_map.tps_clusters(user=analyst, zoom=20)
    assert far["total"] == near["total"] == len(points) > 0
    assert sum(item[2] for item in far["items"]) == len(points) and len(far["items"]) < len(points)
    assert sum(item[2] for item in near["items"]) == len(points)
    assert {item[3] for item in near["items"] if item[2] == 1} <= {p[0] for p in points}


def test_worker_manifest_and_compression(world, make_user, client):  # noqa: F811
    sw = client.get("/sw.js")
    assert sw.status_code == 200 and sw["Service-Worker-Allowed"] == "/"
    assert "script-src 'self'" in sw["Content-Security-Policy"]
    body = sw.content.decode()
    config = json.loads(body.split("var CONFIG = ", 1)[1].split(";\n", 1)[0])
    assert "/operasi/lapor/" in config["pages"] and any("outbox" in a for a in config["assets"])
    manifest = client.get("/manifest.webmanifest").json()
    assert manifest["start_url"] == "/operasi/lapor/" and len(manifest["icons"]) == 2
    page = client.get(reverse("incidents:report_public"), HTTP_ACCEPT_ENCODING="gzip")
    assert page["Content-Encoding"] == "gzip"
    html = gzip.decompress(page.content).decode()
    assert 'rel="manifest"' in html and "data-outbox" in html and "<script>" not in html
