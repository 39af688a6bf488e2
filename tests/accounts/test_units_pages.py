"""Unit directory pages: names for everyone signed in, strength only within the user's scope."""

import pytest
from django.urls import reverse

from sinergi.accounts.choices import Role
from sinergi.accounts.models import Unit

pytestmark = pytest.mark.django_db


def test_units_page_lists_partner_agencies(client, make_user, ntt_dataset):
    kpu_kota = Unit.objects.get(agency__code="KPU", jurisdiction__code="53.71")
    client.force_login(make_user(unit=kpu_kota, role=Role.OPERATOR))
    html = client.get(reverse("units")).content.decode()
    for name in ("Polda NTT", "Polresta Kupang Kota", "Korem 161/Wira Sakti", "Kejati NTT"):
        assert name in html
    # A KPU regency user sees no Polri strength figures.
    polres = Unit.objects.get(name="Polresta Kupang Kota")
    detail = client.get(reverse("unit_detail", args=[polres.pk])).content.decode()
    assert 'data-testid="strength-restricted"' in detail
    assert 'data-testid="strength-table"' not in detail


def test_polda_commander_sees_polres_strength_marked_estimated(client, make_user, ntt_dataset):
    polda = Unit.objects.get(name="Polda NTT")
    client.force_login(make_user(unit=polda, role=Role.COMMANDER))
    polres = Unit.objects.get(name="Polresta Kupang Kota")
    detail = client.get(reverse("unit_detail", args=[polres.pk])).content.decode()
    assert 'data-testid="strength-table"' in detail
    assert "PERKIRAAN" in detail
    assert "Kota Kupang" in detail  # jurisdiction


def test_units_page_filters_by_agency_and_needs_login(client, make_user, ntt_dataset):
    assert client.get(reverse("units")).status_code == 302
    client.force_login(make_user(role=Role.OBSERVER))
    html = client.get(reverse("units"), {"instansi": "BAWASLU"}).content.decode()
    assert "Bawaslu Provinsi" in html or "Bawaslu" in html
    assert "Polda NTT" not in html
