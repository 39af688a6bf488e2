"""Every page, for each role, in Bahasa Indonesia and in English: no English on an Indonesian page, no
untranslated Indonesian on an English page, no raw code shown to a person (tests/core/language_check.py)."""

from __future__ import annotations

import pytest
from django.test import Client

from sinergi.accounts.choices import AgencyKind, Role
from tests import factories
from tests.core.language_check import problems
from tests.incidents.test_incidents import submit
from tests.operations.factories import build_ops_world
from tests.operations.test_operations import submit as checkin

PAGES = ["/", "/tentang/", "/wilayah/", "/wilayah/peta/", "/wilayah/99/", "/wilayah/99.71/", "/kerawanan/",
         "/kerawanan/peringkat/", "/kerawanan/model/", "/kerawanan/pengamatan/", "/kerawanan/indikator/",
         "/insiden/", "/insiden/situasi/", "/insiden/lapor/", "/insiden/notifikasi/", "/operasi/",
         "/operasi/tahapan/", "/operasi/lapor/", "/pengamanan/", "/pengamanan/pola/", "/logistik/",
         "/logistik/peta/", "/koordinasi/", "/koordinasi/catatan/", "/koordinasi/instansi/", "/laporan-situasi/",
         "/laporan-situasi/langganan/", "/accounts/satuan/"]


@pytest.fixture
def site(db):
    from sinergi.incidents.defaults import load
    from sinergi.incidents.models import Incident

    world = build_ops_world()
    load()
    officer = factories.UserFactory(unit=world.polsek_a, role=Role.OPERATOR)
    checkin(officer, key="lang-o", kind="opened")
    submit(key="lang-r", tps_code="99.71.01.1001-001")
    incident = Incident.objects.first()
    from sinergi.elections.models import PollingStation

    tps = PollingStation.objects.get(code="99.71.01.1001-001")
    return world, [*PAGES, f"/insiden/{incident.pk}/", f"/pemilihan/tps/{tps.pk}/", f"/operasi/tps/{tps.pk}/"]


ROLES = [(AgencyKind.POLRI, Role.ADMIN, "polda"), (AgencyKind.POLRI, Role.OPERATOR, "polres"),
         (AgencyKind.KPU, Role.LIAISON, "kota"), (AgencyKind.BAWASLU, Role.ANALYST, "kota")]


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("agency,role,level", ROLES)
def test_pages_read_in_one_language_without_codes(site, language, agency, role, level):
    world, pages = site
    unit = {"polda": world.polda, "polres": world.polres_a}.get(level) or factories.unit(
        agency, code=f"T-LANG-{agency}", jurisdiction=[factories.region("99.71")])
    user = factories.UserFactory(unit=unit, role=role)
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    found = {}
    for url in pages:
        resp = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        if resp.status_code != 200 or not resp["Content-Type"].startswith("text/html"):
            continue
        bad = problems(resp.content.decode(), language)
        if bad:
            found[url] = bad
    if found:
        pytest.fail("\n".join(f"{url}: {', '.join(bad)}" for url, bad in found.items()), pytrace=False)
