"""Approved plan (Renpam): commander with a second factor, one current version per election and phase, new
versions supersede with a readable per Polres diff, a signed PDF anchored in the audit chain, and the pages and
the daily report say which version is in force (or that none is)."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse

from sinergi.accounts.choices import Role
from sinergi.core.models import AuditEvent
from sinergi.deployment.models import Plan, PlanApproval, PlanUnit
from sinergi.deployment.selectors import approved_plan, approved_plan_label
from sinergi.deployment.services import plan_approve
from tests import factories
from tests.operations.factories import build_ops_world


@pytest.fixture
def world(db):
    return build_ops_world()


def _plan(world, name, officers_a, groups_a=3):
    plan = Plan.objects.create(name=name, election=world.election, status="succeeded")
    PlanUnit.objects.create(plan=plan, unit=world.polres_a, strength=100, deployable=66, officers_required=officers_a,
                            officers_manual=officers_a, linmas=4, groups=groups_a, groups_lower_bound=2,
                            groups_bound=2)
    PlanUnit.objects.create(plan=plan, unit=world.polres_b, strength=80, deployable=50, officers_required=10,
                            officers_manual=10, linmas=4, groups=2, groups_lower_bound=2, groups_bound=2)
    return plan


def test_only_a_verified_commander_approves(world, make_user):
    plan = _plan(world, "dasar", 12)
    with pytest.raises(PermissionDenied):
        plan_approve(actor=make_user(unit=world.polda, role=Role.OPERATOR), plan=plan)
    unverified = make_user(unit=world.polda, role=Role.COMMANDER)
    with pytest.raises(PermissionDenied, match="second factor"):
        plan_approve(actor=unverified, plan=plan)
    tni = factories.verified_commander(world.kodim_a)
    with pytest.raises(PermissionDenied):
        plan_approve(actor=tni, plan=plan)
    assert not PlanApproval.objects.exists()
    assert approved_plan(world.election) is None
    assert approved_plan_label(None) == "Belum ada Renpam yang disahkan"


def test_new_version_supersedes_with_diff_and_signed_pdf(world):
    v1 = factories.renpam_approve(_plan(world, "dasar", 12), unit=world.polda, rank="Kombes Pol")
    assert v1.version == 1 and v1.is_current and v1.diff["previous_version"] is None
    data = bytes(v1.pdf)
    assert data[:4] == b"%PDF" and hashlib.sha256(data).hexdigest() == v1.pdf_sha256
    ev = AuditEvent.objects.get(action="deployment.plan.approve", object_id=str(v1.pk))
    assert ev.data["pdf_sha256"] == v1.pdf_sha256 and ev.data["version"] == 1

    p2 = _plan(world, "rawan +20%", 16, groups_a=4)
    v2 = factories.renpam_approve(p2, unit=world.polda)
    v1.refresh_from_db()
    assert v2.version == 2 and v2.is_current and not v1.is_current and v1.superseded_at is not None
    assert v2.diff["previous_version"] == 1
    rows = {r["name"]: r["changes"] for r in v2.diff["rows"]}
    assert rows == {"Polres Kota Uji": {"groups": [3, 4], "officers": [12, 16]}}  # Polres Uji Dua unchanged
    assert approved_plan(world.election).plan == p2
    label = approved_plan_label(approved_plan(world.election))
    assert label.startswith("Renpam versi 2 disahkan oleh") and " pada " in label
    # Another phase has its own numbering.
    r1 = factories.renpam_approve(p2, unit=world.polda, phase="rekapitulasi")
    assert r1.version == 1 and approved_plan(world.election, "pemungutan").version == 2
    # The database refuses a second current Renpam for one election and phase.
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanApproval.objects.create(plan=p2, election=world.election, phase="pemungutan", version=9,
                                    is_current=True, approver_name="x", approved_at=v2.approved_at)


def test_bad_phase_and_unfinished_plan_are_refused(world):
    commander = factories.verified_commander(world.polda)
    with pytest.raises(ValueError, match="phase"):
        plan_approve(actor=commander, plan=_plan(world, "a", 5), phase="perang")
    queued = Plan.objects.create(name="antre", election=world.election, status="queued")
    with pytest.raises(ValueError, match="plan"):
        plan_approve(actor=commander, plan=queued)
    assert not PlanApproval.objects.exists()


def test_pages_ask_for_second_factor_and_show_the_version(world, client, settings):
    settings.SINERGI_OTP_REQUIRED_ROLES = ["admin", "commander"]
    plan = _plan(world, "dasar", 12)
    commander = factories.UserFactory(unit=world.polda, role=Role.COMMANDER, first_name="Budi", last_name="Santoso")
    client.force_login(commander)
    r = client.get(reverse("deployment:approve", args=[plan.pk]))
    assert r.status_code == 302 and r.url.startswith(reverse("otp"))
    # Pass the second factor for this session (what the OTP page does after a correct code).
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=commander, name="app", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    page = client.get(reverse("deployment:approve", args=[plan.pk])).content.decode()
    assert "Belum ada Renpam yang disahkan untuk tahap ini." in page
    r = client.post(reverse("deployment:approve", args=[plan.pk]), {"phase": "pemungutan", "rank": "Kombes Pol",
                                                                   "note": "rakor 20 Nov"})
    assert r.status_code == 302
    listing = client.get(reverse("deployment:approvals")).content.decode()
    assert "Renpam versi 1 disahkan oleh Budi Santoso, Kombes Pol pada" in listing
    a = PlanApproval.objects.get()
    pdf = client.get(reverse("deployment:approval_pdf", args=[a.pk]))
    assert pdf.status_code == 200 and pdf["X-Content-SHA256"] == a.pdf_sha256
    detail = client.get(reverse("deployment:detail", args=[plan.pk])).content.decode()
    assert "rencana ini adalah Renpam yang berlaku" in detail
    ops = client.get(reverse("operations:index")).content.decode()
    assert "Renpam versi 1 disahkan oleh Budi Santoso" in ops


def test_daily_report_uses_the_approved_plan(world):
    from sinergi.reports.content import deployment_section

    latest = _plan(world, "skenario terbaru", 12)
    assert deployment_section(world.election, world.polda, "99") == {"available": False, "approved": False}
    factories.renpam_approve(latest, unit=world.polda, rank="Kombes Pol")
    _plan(world, "skenario lebih baru, belum disahkan", 99)
    s = deployment_section(world.election, world.polda, "99")
    assert s["available"] and s["plan"]["name"] == "skenario terbaru" and s["approval"]["version"] == 1
    assert s["totals"]["required"] == 22
