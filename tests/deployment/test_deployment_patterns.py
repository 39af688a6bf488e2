"""Polres set their own A-B-C security patterns on a page; Polda sets any; the next plan uses them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sinergi.accounts.models import Unit
from sinergi.core.models import AuditEvent
from sinergi.deployment.models import SecurityPattern
from sinergi.deployment.services import effective_patterns

pytestmark = [pytest.mark.django_db]


def _user(make_user, code, role="operator"):
    return make_user(unit=Unit.objects.get(code=code), role=role)


def test_polres_sets_its_own_pattern_and_sees_only_its_row(ntt_dataset, make_user, client):
    alor = Unit.objects.get(code="POLRES-53.05")
    client.force_login(_user(make_user, "POLRES-53.05"))
    page = client.get(reverse("deployment:patterns")).content.decode()
    assert alor.name in page and "Polres Ende" not in page and "Polres Sikka" not in page
    r = client.post(reverse("deployment:patterns"), {
        "unit": alor.pk, "tier": "rawan", "officers": 2, "tps": 3, "linmas": 6, "pairs": "on",
        "source": "Rapat Polres Alor 2024"})
    assert r.status_code == 302
    sp = SecurityPattern.objects.get(unit=alor, tier="rawan")
    assert (sp.officers, sp.tps, sp.linmas, sp.pairs) == (2, 3, 6, True)
    assert AuditEvent.objects.filter(action="deployment.pattern.set", object_id=str(sp.pk)).exists()
    _, labels = effective_patterns([alor])
    assert labels[alor.code]["rawan"].startswith("2-3-6") and "Rapat Polres Alor 2024" in labels[alor.code]["rawan"]
    assert "2-3-6" in client.get(reverse("deployment:patterns")).content.decode()


def test_polres_cannot_set_another_polres_pattern(ntt_dataset, make_user, client):
    ende = Unit.objects.get(code="POLRES-53.08")
    client.force_login(_user(make_user, "POLRES-53.05"))
    r = client.post(reverse("deployment:patterns"), {
        "unit": ende.pk, "tier": "rawan", "officers": 2, "tps": 3, "linmas": 6, "pairs": "on"})
    assert r.status_code == 200 and "unit" in r.context["form"].errors
    assert not SecurityPattern.objects.filter(unit=ende).exists()


def test_polda_sets_any_pattern_and_invalid_pairs_are_refused(ntt_dataset, make_user, client):
    ende = Unit.objects.get(code="POLRES-53.08")
    client.force_login(make_user(unit=Unit.objects.get(agency__code="POLRI", level="province"), role="analyst"))
    page = client.get(reverse("deployment:patterns")).content.decode()
    assert page.count("<tr>") >= 23  # header + 22 Polres
    bad = client.post(reverse("deployment:patterns"), {
        "unit": ende.pk, "tier": "sangat_rawan", "officers": 1, "tps": 1, "linmas": 2, "pairs": "on"})
    assert bad.status_code == 200 and "paling sedikit 2 personel" in bad.content.decode()
    ok = client.post(reverse("deployment:patterns"), {
        "unit": ende.pk, "tier": "sangat_rawan", "officers": 2, "tps": 1, "linmas": 2, "pairs": "on"})
    assert ok.status_code == 302 and SecurityPattern.objects.filter(unit=ende, tier="sangat_rawan").exists()


def test_observer_and_partner_agencies_cannot_edit(ntt_dataset, make_user, client):
    alor = Unit.objects.get(code="POLRES-53.05")
    client.force_login(_user(make_user, "POLRES-53.05", role="observer"))
    page = client.get(reverse("deployment:patterns")).content.decode()
    assert 'data-testid="pattern-form"' not in page
    assert client.post(reverse("deployment:patterns"), {"unit": alor.pk, "tier": "rawan", "officers": 2,
                                                         "tps": 2, "linmas": 4}).status_code == 403
    kpu = Unit.objects.filter(agency__code="KPU").first()
    client.force_login(make_user(unit=kpu, role="operator"))
    assert client.get(reverse("deployment:patterns")).status_code == 403
