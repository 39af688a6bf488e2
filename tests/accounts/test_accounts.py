"""Roles, scoping, login lockout, session expiry, password hashing."""

import re
import time
from pathlib import Path

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.urls import reverse

from sinergi.accounts.choices import AgencyKind, PersonnelType, Role, UnitLevel
from sinergi.accounts.models import UnitStrength
from sinergi.accounts.permissions import MATRIX, has_perm
from sinergi.accounts.selectors import scope_units, unit_strength_list
from tests.factories import unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    kpu_prov = unit(AgencyKind.KPU, level=UnitLevel.PROVINCE, name="KPU Provinsi NTT")
    kpu_a = unit(AgencyKind.KPU, parent=kpu_prov, name="KPU Kota Kupang")
    kpu_b = unit(AgencyKind.KPU, parent=kpu_prov, name="KPU Kabupaten Alor")
    polda = unit(AgencyKind.POLRI, level=UnitLevel.PROVINCE, name="Polda NTT")
    polres = unit(AgencyKind.POLRI, parent=polda, name="Polres Alor")
    kodim = unit(AgencyKind.TNI, name="Kodim 1622/Alor")
    for u, n in ((kpu_a, 10), (kpu_b, 20), (polres, 300), (polda, 671), (kodim, 120)):
        UnitStrength.objects.create(unit=u, personnel_type=PersonnelType.POLRI, count=n)
    return {"kpu_prov": kpu_prov, "kpu_a": kpu_a, "kpu_b": kpu_b, "polda": polda, "polres": polres, "kodim": kodim}


def test_regency_kpu_user_sees_only_its_own_restricted_records(tree, make_user):
    user = make_user(unit=tree["kpu_a"], role=Role.OPERATOR)
    visible = set(unit_strength_list(user=user).values_list("unit__name", flat=True))
    assert visible == {"KPU Kota Kupang"}


def test_province_unit_sees_its_subtree(tree, make_user):
    user = make_user(unit=tree["kpu_prov"], role=Role.ANALYST)
    assert set(scope_units(user).values_list("name", flat=True)) == {
        "KPU Provinsi NTT", "KPU Kota Kupang", "KPU Kabupaten Alor"}


def test_polda_commander_sees_polri_and_tni_but_not_kpu(tree, make_user):
    user = make_user(unit=tree["polda"], role=Role.COMMANDER)
    names = set(unit_strength_list(user=user).values_list("unit__name", flat=True))
    assert names == {"Polda NTT", "Polres Alor", "Kodim 1622/Alor"}


def test_observer_sees_no_strength_and_cannot_import(tree, make_user):
    user = make_user(unit=tree["polda"], role=Role.OBSERVER)
    assert unit_strength_list(user=user).count() == 0
    assert not has_perm(user, "tps.import")
    assert has_perm(user, "tps.view")


def test_tps_import_limited_to_kpu_and_polri(tree, make_user):
    assert has_perm(make_user(unit=tree["kpu_a"], role=Role.OPERATOR), "tps.import")
    assert not has_perm(make_user(unit=tree["kodim"], role=Role.OPERATOR), "tps.import")


def test_admin_sees_everything(tree, make_user):
    admin = make_user(unit=None, role=Role.ADMIN)
    assert unit_strength_list(user=admin).count() == 5


def test_permission_doc_matches_code():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "permissions.md").read_text()
    roles = ["observer", "liaison", "operator", "analyst", "commander", "admin"]
    rows = {}
    for line in doc.splitlines():
        m = re.match(r"^\| ([a-z_]+(?:\.[a-z_]+)+) \|(.*)\|$", line)
        if m:
            cells = [c.strip() for c in m.group(2).split("|")]
            rows[m.group(1)] = {role for role, c in zip(roles, cells, strict=True) if c == "✓"}
    actions = set().union(*MATRIX.values())
    assert set(rows) == actions
    for action in actions:
        assert rows[action] == {r for r in roles if action in MATRIX[r]}, action


def test_passwords_hashed_with_argon2():
    encoded = make_password("Rahasia-Kuat-123", hasher="argon2")
    assert encoded.startswith("argon2$")
    assert check_password("Rahasia-Kuat-123", encoded)
    from django.conf import settings

    from config.settings import base

    assert base.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert "Argon2PasswordHasher" in " ".join(settings.PASSWORD_HASHERS)


def test_login_locks_after_repeated_failures(client, make_user, password):
    make_user(username="petugas", role=Role.OPERATOR)
    url = reverse("login")
    for _ in range(5):
        resp = client.post(url, {"username": "petugas", "password": "salah"}, REMOTE_ADDR="10.1.1.1")
    resp = client.post(url, {"username": "petugas", "password": password}, REMOTE_ADDR="10.1.1.1")
    assert resp.status_code == 429
    assert not client.session.get("_auth_user_id")


def test_login_works_with_right_password(client, make_user, password):
    make_user(username="petugas2", role=Role.OPERATOR)
    resp = client.post(reverse("login"), {"username": "petugas2", "password": password}, REMOTE_ADDR="10.1.1.2")
    assert resp.status_code == 302
    assert client.session.get("_auth_user_id")


def test_session_expires_after_idle_timeout(client, make_user, settings):
    user = make_user(role=Role.OPERATOR)
    client.force_login(user)
    assert client.get(reverse("about")).wsgi_request.user.is_authenticated
    session = client.session
    session["_sinergi_last"] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT - 5
    session.save()
    resp = client.get(reverse("about"))
    assert not resp.wsgi_request.user.is_authenticated


def test_session_expires_after_absolute_timeout(client, make_user, settings):
    user = make_user(role=Role.OPERATOR)
    client.force_login(user)
    client.get(reverse("about"))
    session = client.session
    session["_sinergi_started"] = int(time.time()) - settings.SESSION_ABSOLUTE_TIMEOUT - 5
    session.save()
    assert not client.get(reverse("about")).wsgi_request.user.is_authenticated


def test_active_session_stays(client, make_user):
    client.force_login(make_user(role=Role.OPERATOR))
    client.get(reverse("about"))
    assert client.get(reverse("about")).wsgi_request.user.is_authenticated
