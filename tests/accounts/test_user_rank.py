"""Staff carry a rank (pangkat) and NRP/NIP; people are shown as "name, rank — unit" in pickers, lists and the API."""

from __future__ import annotations

import pytest

from sinergi.accounts.choices import AgencyKind, Role
from sinergi.accounts.models import User
from sinergi.accounts.pickers import UserMultipleChoiceField, user_label
from sinergi.accounts.services import user_create
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def kupang():
    return factories.unit(AgencyKind.POLRI, name="Polres Kupang")


def test_label_is_name_rank_unit(kupang):
    user = user_create(actor=None, username="budi", password=None, unit=kupang, role=Role.OPERATOR,
                       first_name="Budi", last_name="Santoso", rank="AKP", staff_number="85010123")
    user.refresh_from_db()
    assert (user.rank, user.staff_number) == ("AKP", "85010123")
    assert user_label(user) == "Budi Santoso, AKP — Polres Kupang"
    field = UserMultipleChoiceField(queryset=User.objects.filter(pk=user.pk))
    assert [label for _, label in field.choices] == ["Budi Santoso, AKP — Polres Kupang"]


def test_label_without_rank_or_name(kupang):
    plain = factories.UserFactory(username="siti", unit=kupang)
    assert user_label(plain) == "siti — Polres Kupang"
    assert factories.UserFactory(username="tanpa", unit=None, first_name="Ani", rank="IPTU").display_label == "Ani, IPTU"


def test_me_api_has_rank_and_staff_number(client, kupang):
    user = factories.UserFactory(unit=kupang, first_name="Budi", last_name="Santoso", rank="AKP",
                                 staff_number="85010123")
    client.force_login(user)
    body = client.get("/api/v1/me/").json()
    assert body["rank"] == "AKP" and body["staff_number"] == "85010123"
    assert body["display_label"] == "Budi Santoso, AKP — Polres Kupang"


def test_admin_user_list_and_form(client, kupang):
    admin = factories.UserFactory(unit=kupang, role=Role.ADMIN, is_superuser=True, is_staff=True)
    factories.UserFactory(username="budi", unit=kupang, first_name="Budi", last_name="Santoso", rank="AKP",
                          staff_number="85010123")
    client.force_login(admin)
    html = client.get("/admin/accounts/user/").content.decode()
    assert "Budi Santoso, AKP — Polres Kupang" in html and "85010123" in html
    budi = User.objects.get(username="budi")
    form = client.get(f"/admin/accounts/user/{budi.pk}/change/").content.decode()
    assert 'name="rank"' in form and 'name="staff_number"' in form
