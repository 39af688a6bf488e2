"""Deployment planner on the NTT default dataset: plan run, feasibility, scenarios, scoping, pages, exports."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from sinergi.deployment.models import GuardAssignment, GuardGroup, Plan, PlanUnit, Reinforcement, Reserve
from sinergi.deployment.services import plan_run_sync
from sinergi.elections.models import PollingStation
from sinergi.elections.selectors import default_election

pytestmark = pytest.mark.slow


@pytest.fixture
def base_plan(ntt_dataset):
    return plan_run_sync(actor=None, election=default_election(), scenario="dasar")


def test_plan_covers_every_tps_once_within_radius_and_size(base_plan):
    plan = base_plan
    m = plan.metrics
    print({k: v for k, v in m.items() if not isinstance(v, (dict, list))})
    n_tps = PollingStation.objects.filter(election=plan.election).count()
    assert GuardAssignment.objects.filter(plan=plan).count() == n_tps == m["tps"]
    assert GuardAssignment.objects.filter(plan=plan).values("polling_station").distinct().count() == n_tps
    assert not GuardGroup.objects.filter(plan=plan, max_travel_min__gt=15.0 + 1e-6).exists()
    assert m["groups"] >= m["groups_bound"] >= m["groups_lower_bound"]
    assert m["tier_source"] == "placeholder"
    for g in GuardGroup.objects.filter(plan=plan)[:200]:
        assert g.assignments.count() == g.tps_count
    assert PlanUnit.objects.filter(plan=plan).count() == 22
    assert Reserve.objects.filter(plan=plan, kind="median").count() == 10
    assert plan.input_hash and plan.task_run.status == "succeeded"


def _polres_user(make_user, code, role="operator"):
    from sinergi.accounts.models import Unit

    return make_user(unit=Unit.objects.get(code=code), role=role)


def _word_boxes(pdf: bytes, word: str) -> list[tuple[float, float, float]]:
    """(left, right, page width) of every occurrence of `word` in a PDF, from the rendered character boxes."""
    import pypdfium2 as pdfium

    out = []
    for page in pdfium.PdfDocument(pdf):
        width = page.get_size()[0]
        text = page.get_textpage()
        search = text.search(word)
        while (match := search.get_next()):
            first, count = match
            out.append((text.get_charbox(first)[0], text.get_charbox(first + count - 1)[2], width))
    return out


def test_scenarios_compare_pages_scoping_exports_and_api(ntt_dataset, make_user, client):
    from sinergi.accounts.models import Unit

    election = default_election()
    fast = {"reserve_k": 5, "time_limit_s": 1.0}
    base = plan_run_sync(actor=None, election=election, scenario="dasar", parameters=fast)
    ferry = plan_run_sync(actor=None, election=election, scenario="feri-kupang-kalabahi-batal", parameters=fast)
    uplift = plan_run_sync(actor=None, election=election, scenario="rawan-plus-20", parameters=fast)

    # Scenarios: the cancelled ferry never makes BKO to Alor faster; more rawan TPS need more officers.
    alor = Unit.objects.get(code="POLRES-53.05")
    b_alor = Reinforcement.objects.filter(plan=base, to_unit=alor)
    f_alor = Reinforcement.objects.filter(plan=ferry, to_unit=alor)
    assert "Kupang–Kalabahi" in ferry.metrics["cancelled_links"]
    assert all("Bolok → Kalabahi" not in r.route for r in f_alor)
    if b_alor.exists() and f_alor.exists():
        assert max(r.minutes for r in f_alor) >= min(r.minutes for r in b_alor)
    assert uplift.metrics["tier_counts"]["rawan"] > base.metrics["tier_counts"]["rawan"]
    assert uplift.metrics["officers_required"] > base.metrics["officers_required"]
    assert base.input_hash != uplift.input_hash

    # Polda analyst sees every Polres; a Polres operator sees only its own rows.
    polda = _polres_user(make_user, "POLDA-NTT", role="analyst")
    kupang = _polres_user(make_user, "POLRES-53.01")
    kpu = make_user(unit=Unit.objects.get(code="KPU-NTT"), role="analyst")
    client.force_login(polda)
    page = client.get(reverse("deployment:detail", args=[base.pk])).content.decode()
    assert "Polres Alor" in page and "Polres Kupang" in page
    assert "tingkat kerawanan sementara (belum ada penilaian)" in page
    cmp = client.get(reverse("deployment:compare"), {"a": base.pk, "b": ferry.pk}).content.decode()
    assert "Feri Kupang–Kalabahi batal" in cmp
    assert "officers_required" not in cmp and "Personel dibutuhkan" in cmp  # plain labels, not metric keys
    # Opened from the what-if plan's page (a = the scenario): the base still comes first and the difference
    # is the scenario minus the base.
    reversed_cmp = client.get(reverse("deployment:compare"), {"a": ferry.pk, "b": base.pk}).content.decode()
    head = reversed_cmp.split("<thead>")[1].split("</thead>")[0]
    assert head.index(f"#{base.pk} ") < head.index(f"#{ferry.pk} ")
    row = re.search(r"<th>Personel BKO</th>(.*?)</tr>", reversed_cmp, re.S).group(1)
    diff = float(re.search(r'data-diff="([^"]*)"', row).group(1) or 0)
    assert diff == ferry.metrics["reinforcements"] - base.metrics["reinforcements"]
    x = client.get(reverse("deployment:xlsx", args=[base.pk]))
    assert x.status_code == 200 and x.content[:2] == b"PK"
    pr = client.get(reverse("deployment:print", args=[base.pk]))
    assert pr.status_code == 200 and "Per Polsek" in pr.content.decode()
    pdf = client.get(reverse("deployment:print", args=[base.pk]), {"format": "pdf"})
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        assert pdf["Content-Type"].startswith("text/html")  # print view with a message instead
    else:
        assert pdf["Content-Type"] == "application/pdf" and pdf.content[:4] == b"%PDF"
        # Every column header of the per-Polres table lies inside the page (none cut at the right edge).
        headers = ["Polres", "Kekuatan", "Dapat dikerahkan", "Dibutuhkan", "Manual", "Linmas", "Kelompok",
                   "BKO masuk", "BKO keluar", "Kekurangan"]
        for header in headers:
            boxes = _word_boxes(pdf.content, header)
            assert boxes, f"{header} not in the PDF"
            assert all(0 <= left and right <= width for left, right, width in boxes), f"{header} cut: {boxes}"
    api = client.get(f"/api/v1/deployment/plans/{base.pk}/units/").json()
    assert len(api) == 22

    client.force_login(kupang)
    page = client.get(reverse("deployment:detail", args=[base.pk])).content.decode()
    assert "Polres Kupang" in page and "Polres Alor" not in page
    api = client.get(f"/api/v1/deployment/plans/{base.pk}/units/").json()
    assert [u["unit_code"] for u in api] == ["POLRES-53.01"]
    mj = client.get(reverse("deployment:map_json", args=[base.pk])).json()
    assert len(mj["groups"]) == GuardGroup.objects.filter(plan=base, unit__code="POLRES-53.01").count()

    client.force_login(kpu)
    assert client.get(reverse("deployment:detail", args=[base.pk])).status_code == 403
    assert client.get("/api/v1/deployment/plans/").status_code == 403


def test_planner_runs_a_plan_from_the_page_and_api(ntt_dataset, make_user, client,
                                                   django_capture_on_commit_callbacks):
    planner = _polres_user(make_user, "POLDA-NTT", role="commander")
    observer = _polres_user(make_user, "POLRES-53.01", role="observer")
    client.force_login(observer)
    assert client.post(reverse("deployment:index"), {"scenario": "dasar"}).status_code == 403
    client.force_login(planner)
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(reverse("deployment:index"), {"scenario": "dasar", "name": "Uji", "radius_min": 15,
                                                         "reserve_k": 3, "cap_percent": 66.67})
    plan = Plan.objects.get(name="Uji")
    assert resp.status_code == 302 and plan.status == "succeeded"  # immediate task backend in tests
    assert plan.task_run.status == "succeeded" and plan.parameters["reserve_k"] == 3
    assert plan.parameters["cap_share"] == 0.6667  # entered as a percentage
    r = client.post("/api/v1/deployment/plans/run/", {"scenario": "nope"}, content_type="application/json")
    assert r.status_code == 400


def test_cli_plan_run_prints_the_figures(ntt_dataset, capsys):
    import json

    from django.core.management import call_command

    call_command("plan", "run", "--json", "--reserve-k", "3")
    out = json.loads(capsys.readouterr().out)
    for key in ("officers_required", "officers_deployable", "groups", "groups_lower_bound", "shortfall",
                "reserve_median_objective_h", "reserve_median_bound_h", "reserve_median_gap", "time_total_s"):
        assert key in out
    call_command("plan", "run", "--reserve-k", "2")
    text = capsys.readouterr().out
    assert "Personel dibutuhkan" in text and "batas bawah" in text and "tingkat kerawanan sementara" in text
