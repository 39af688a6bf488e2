"""Writes through the Django admin land in the audit chain (add, change, delete; ours and third-party)."""

from __future__ import annotations

import pytest

from sinergi.accounts.models import Agency
from sinergi.core.models import AuditEvent
from sinergi.core.services import audit_verify
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    admin = make_user(role="admin", is_staff=True, is_superuser=True, username="admin-web")
    client.force_login(admin)
    client.user = admin
    return client


def test_admin_add_change_delete_are_audited(admin_client):
    from sinergi.accounts.choices import AgencyKind

    agency = factories.agency("POLRI")
    free = next(c for c in AgencyKind.values if not Agency.objects.filter(code=c).exists())  # dataset may hold some
    response = admin_client.post("/admin/accounts/agency/add/", {"code": free, "name": "Instansi uji"})
    assert response.status_code == 302
    added = Agency.objects.get(code=free)
    ev = AuditEvent.objects.get(action="admin.add", object_type="accounts.agency", object_id=str(added.pk))
    assert ev.actor == admin_client.user and ev.data["via"] == "admin"

    unit = factories.unit("POLRI", name="Polres uji admin")
    response = admin_client.post(f"/admin/accounts/unit/{unit.pk}/change/", {
        "code": unit.code, "name": "Polres diubah", "agency": agency.pk, "level": unit.level, "parent": "",
        "note": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    ev = AuditEvent.objects.get(action="admin.change", object_id=str(unit.pk))
    assert ev.object_type == "accounts.unit" and ev.data["change"] == [{"changed": ["Nama"]}]

    response = admin_client.post("/admin/accounts/agency/", {
        "action": "delete_selected", "_selected_action": [added.pk], "post": "yes"})
    assert response.status_code == 302
    assert not Agency.objects.filter(pk=added.pk).exists()
    assert AuditEvent.objects.filter(action="admin.delete", object_id=str(added.pk)).exists()
    assert audit_verify().ok


def test_third_party_admin_writes_are_audited_too(admin_client):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=admin_client.user, name="lama", confirmed=True)
    response = admin_client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="admin.delete", object_type="otp_totp.totpdevice",
                                     object_id=str(device.pk)).exists()
