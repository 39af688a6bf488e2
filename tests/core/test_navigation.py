"""The main navigation offers each role only the pages it may open: every link a user sees answers 200."""

from __future__ import annotations

import re

import pytest

from sinergi.accounts.choices import AgencyKind, Role
from tests import factories
from tests.operations.factories import build_ops_world

USERS = [
    (AgencyKind.POLRI, Role.OPERATOR), (AgencyKind.POLRI, Role.ANALYST), (AgencyKind.POLRI, Role.COMMANDER),
    (AgencyKind.POLRI, Role.ADMIN), (AgencyKind.KPU, Role.LIAISON), (AgencyKind.BAWASLU, Role.LIAISON),
    (AgencyKind.TNI, Role.OPERATOR), (AgencyKind.BPBD, Role.OBSERVER),
]


def _nav_links(html: str) -> list[str]:
    nav = re.search(r'<nav class="main-nav"[^>]*>(.*?)</nav>', html, re.S).group(1)
    return re.findall(r'href="([^"]+)"', nav)


@pytest.mark.parametrize("agency,role", USERS)
def test_every_navigation_link_opens_for_its_role(db, client, make_user, agency, role):
    build_ops_world()
    unit = factories.unit(agency, code=f"T-NAV-{agency}-{role}", jurisdiction=[factories.region("99.71")])
    user = make_user(unit=unit, role=role)
    client.force_login(user)
    links = _nav_links(client.get("/").content.decode())
    assert "/" in links and len(links) >= 4
    refused = {url: client.get(url).status_code for url in links if client.get(url).status_code != 200}
    assert refused == {}


def test_partner_agencies_are_not_offered_the_deployment_plan(db, client, make_user):
    build_ops_world()
    kpu = factories.unit(AgencyKind.KPU, code="T-NAV-KPU", jurisdiction=[factories.region("99.71")])
    client.force_login(make_user(unit=kpu, role=Role.LIAISON))
    assert "/pengamanan/" not in _nav_links(client.get("/").content.decode())
    assert client.get("/pengamanan/").status_code == 403
