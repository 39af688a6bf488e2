"""Any Polda (docs/provinces.md): a second province end to end — load it, import its TPS, plan, intake — and the
national mode's scoping between two Polda under Mabes Polri."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from sinergi.accounts.choices import Role, UnitLevel
from sinergi.accounts.models import Unit, UnitStrength
from sinergi.accounts.selectors import unit_strength_list
from sinergi.elections.dataset import dataset_load_national
from sinergi.elections.models import Contest, Election, PollingStation, Stage
from sinergi.incidents import selectors as incident_selectors
from sinergi.incidents import services as incident_services
from sinergi.incidents.services import ReportInput
from sinergi.regions.models import Region
from tests import factories

NTB = "52"
ELECTION = "pilkada-2024-52"


def _cmd(*args: str) -> dict:
    out = StringIO()
    call_command(*args, stdout=out)
    return json.loads(out.getvalue())


def _tps_csv(tmp_path) -> tuple[str, list[str]]:
    """Twelve TPS in two kabupaten/kota of NTB (Kota Mataram and Lombok Barat) with KPU-style coordinates."""
    rows, codes = ["kode_desa,no_tps,jumlah_pemilih,lat,lng"], []
    villages = []
    for regency, lat, lng in (("52.71", -8.583, 116.116), ("52.01", -8.660, 116.060)):
        villages += [(code, lat, lng) for code in Region.objects.filter(level="village", code__startswith=f"{regency}.")
                     .order_by("code").values_list("code", flat=True)[:3]]
    for i, (code, lat, lng) in enumerate(villages):
        for number in (1, 2):
            rows.append(f"{code},{number},{250 + i},{lat + 0.002 * i:.5f},{lng + 0.003 * number:.5f}")
            codes.append(PollingStation.make_code(code, number))
    path = tmp_path / "dpt_ntb.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return str(path), codes


@pytest.mark.django_db
def test_second_province_end_to_end_load_import_plan_intake(ntt_dataset, tmp_path):
    first = _cmd("load_ntt", "--province", NTB, "--json")
    regencies = Region.objects.filter(level="regency", province_code=NTB).count()
    districts = Region.objects.filter(level="district", province_code=NTB).count()
    assert first["election"] == ELECTION and first["tps"] == 0 and first["strengths"] == 0
    assert first["boundaries"] == 0  # only NTT's boundaries ship
    election = Election.objects.get(code=ELECTION)
    assert election.province_id == NTB and election.voting_date.isoformat() == "2024-11-27"
    assert Stage.objects.filter(election=election).count() == Stage.objects.filter(election__code="pilkada-2024").count()
    contests = Contest.objects.filter(election=election)
    assert contests.count() == 1 + regencies  # governor + a bupati/wali kota per kabupaten/kota
    assert contests.get(region_id=NTB).kind == "governor" and contests.get(region_id="52.71").kind == "mayor"
    assert all(c.source.startswith("PERKIRAAN") for c in contests)
    polda = Unit.objects.get(code="POLDA-52")
    assert polda.parent_id is None and polda.level == UnitLevel.PROVINCE  # no Mabes outside the national mode
    polres = Unit.objects.get(code="POLRES-52.71")
    assert polres.parent == polda and list(polres.jurisdiction.values_list("code", flat=True)) == ["52.71"]
    assert Unit.objects.filter(code__startswith="POLSEK-52.", parent__parent=polda).count() == districts
    for code in ("KPU-52", "KPU-52.01", "BAWASLU-52", "BAWASLU-52.71", "PEMPROV-52", "SATPOLPP-52.01", "BPBD-52",
                 "KEJATI-52"):
        assert Unit.objects.filter(code=code).exists(), code
    # The NTT default is untouched.
    assert Unit.objects.get(code="POLDA-NTT").parent_id is None
    assert PollingStation.objects.filter(election__code="pilkada-2024").count() == 9877

    # KPU's TPS list for the province, then a rerun derives the estimates that need TPS.
    path, codes = _tps_csv(tmp_path)
    imported = _cmd("import_tps", path, "--election", ELECTION, "--json")
    assert imported["status"] == "succeeded", imported
    assert PollingStation.objects.filter(election=election).count() == 12
    again = _cmd("load_ntt", "--province", NTB, "--json")
    assert again["tps"] == 12 and again["strengths"] > 0 and again["centroids_derived"] >= 3
    strength = UnitStrength.objects.get(unit=polres, personnel_type="polri")
    assert strength.estimated and strength.source.startswith("PERKIRAAN")
    assert Region.objects.get(code="52.71").centroid_source == "derived_mean_tps"

    # A deployment plan for that election covers its TPS with its own Polres only.
    plan = _cmd("plan", "run", "--election", ELECTION, "--json")
    assert plan["tps"] == 12 and plan["groups"] >= 1
    own = sum(UnitStrength.objects.filter(unit__code__startswith="POLRES-52.", personnel_type="polri")
              .values_list("count", flat=True))
    assert 0 < plan["officers_deployable"] <= own  # NTT's 5,477 Polres officers are not in it

    # An incident report at one of its TPS is routed to a Polri unit of that province.
    from sinergi.incidents.defaults import load

    load()
    report, created = incident_services.report_submit(
        actor=None, process=True,
        data=ReportInput(key="ntb-1", text="Kericuhan massa di depan TPS, kotak suara dirusak", channel="api",
                         tps_code=codes[0]))
    assert created
    incident = report.incident
    assert incident is not None and incident.regency_code == "52.71"
    assert incident.assigned_unit is None or incident.assigned_unit.code.split("-")[1].startswith(NTB)


@pytest.mark.django_db
def test_national_mode_keeps_each_poldas_restricted_records_inside_it(ntt_dataset):
    summary = dataset_load_national(actor=None)
    assert summary["provinces"] == 38 and summary["polda"] == 38
    assert summary["elections"] == 38  # NTT's default and one per other province
    mabes = Unit.objects.get(code="MABES-POLRI")
    polda_ntt, polda_ntb = Unit.objects.get(code="POLDA-NTT"), Unit.objects.get(code="POLDA-52")
    assert polda_ntt.parent == mabes and polda_ntb.parent == mabes
    assert Unit.objects.get(code="POLSEK-53.71.01").path.startswith(mabes.path)  # whole NTT subtree moved
    assert not Contest.objects.filter(election__province_id="34", kind="governor").exists()  # DIY
    assert not Contest.objects.filter(election__province_id="31", kind__in=["regent", "mayor"]).exists()  # DKI

    from sinergi.incidents.defaults import load

    load()
    ntt_polres = Unit.objects.get(code="POLRES-53.71")
    ntb_polres = Unit.objects.get(code="POLRES-52.71")
    UnitStrength.objects.update_or_create(unit=ntb_polres, personnel_type="polri", defaults={"count": 40})
    village = Region.objects.filter(level="village", code__startswith="52.71.").order_by("code").first()
    ntb_tps = PollingStation.objects.create(
        election=Election.objects.get(code=ELECTION), village=village, district_code=village.code[:8],
        regency_code="52.71", number=1, code=PollingStation.make_code(village.code, 1), voters=300, lat=-8.58,
        lng=116.11, location_source="kpu", source="uji")
    ntt_incident = _incident("ntt-1", PollingStation.objects.filter(regency_code="53.71").order_by("code")[0].code)
    ntb_incident = _incident("ntb-1", ntb_tps.code)
    assert ntt_incident.regency_code == "53.71" and ntb_incident.regency_code == "52.71"

    def visible(unit) -> set[int]:
        user = factories.UserFactory(unit=unit, role=Role.COMMANDER)
        return set(incident_selectors.incident_list(user=user).filter(pk__in=[ntt_incident.pk, ntb_incident.pk])
                   .values_list("pk", flat=True))

    assert visible(polda_ntt) == {ntt_incident.pk}
    assert visible(polda_ntb) == {ntb_incident.pk}
    assert visible(mabes) == {ntt_incident.pk, ntb_incident.pk}
    # Personnel strength (restricted): a Polda commander reads its own province's only.
    ntt_commander = factories.UserFactory(unit=polda_ntt, role=Role.COMMANDER)
    ntt_units = set(unit_strength_list(user=ntt_commander).values_list("unit__code", flat=True))
    assert "POLRES-53.71" in ntt_units and "POLRES-52.71" not in ntt_units
    mabes_units = set(unit_strength_list(user=factories.UserFactory(unit=mabes, role=Role.COMMANDER))
                      .values_list("unit__code", flat=True))
    assert {"POLRES-53.71", "POLRES-52.71"} <= mabes_units
    assert ntt_polres.pk != ntb_polres.pk


def _incident(key: str, tps_code: str):
    report, _ = incident_services.report_submit(
        actor=None, process=True,
        data=ReportInput(key=key, text="Bentrokan pendukung pasangan calon di depan TPS", channel="api",
                         tps_code=tps_code))
    return report.incident
