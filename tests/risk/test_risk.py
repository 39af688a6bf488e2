"""Vulnerability mapping: catalog, default model, demo calibration, versioning, missing data, scoping, import."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from sinergi.accounts.choices import AgencyKind, Role, UnitLevel
from sinergi.core.models import AuditEvent, TaskRun
from sinergi.elections.models import Election, PollingStation
from sinergi.risk import importers, selectors, services
from sinergi.risk.models import Assessment, Indicator, Observation, RegionAssessment
from tests.factories import region, unit

DAY = dt.date(2024, 11, 10)


@pytest.fixture
def world(db):
    province = region("53", "Nusa Tenggara Timur", lat=-9.5, lng=121.5)
    region("53.98", "Kabupaten Uji", lat=-10.0, lng=123.8)
    region("53.98.01", "Kecamatan Uji Satu", lat=-10.2, lng=123.4)
    region("53.98.02", "Kecamatan Uji Dua", lat=-10.3, lng=123.5)
    region("53.98.01.2001", "Desa A", lat=-10.2, lng=123.4)
    region("53.98.02.2001", "Desa B", lat=-10.3, lng=123.5)
    election, _ = Election.objects.get_or_create(code="pilkada-2024", defaults=dict(
        name="Pilkada Serentak 2024", voting_date=dt.date(2024, 11, 27), province=province))
    tps = []
    for desa, n in (("53.98.01.2001", 3), ("53.98.02.2001", 2)):
        for number in range(1, n + 1):
            tps.append(PollingStation.objects.create(
                election=election, village_id=desa, district_code=desa[:8], regency_code=desa[:5], number=number,
                code=PollingStation.make_code(desa, number), voters=300, lat=-10.2, lng=123.4))
    services.risk_seed_defaults(actor=None, election=election)
    polres = unit(AgencyKind.POLRI, level=UnitLevel.REGENCY, name="Polres Uji",
                  jurisdiction=[region("53.98.01")])
    bawaslu = unit(AgencyKind.BAWASLU, level=UnitLevel.PROVINCE, name="Bawaslu NTT", jurisdiction=[province])
    return {"election": election, "tps": tps, "polres": polres, "bawaslu": bawaslu}


def ind(code):
    return Indicator.objects.get(code=code)


def observe_all(actor, tps, yes=(), when=DAY):
    for i in Indicator.objects.filter(scope="tps"):
        value = 1 if i.code in yes else 0
        services.observation_create(actor=actor, indicator=i, value=value, observed_on=when, polling_station=tps)


def test_catalog_has_bawaslu_tps_mapping_and_ikp_dimensions(world):
    tps = Indicator.objects.filter(scope="tps")
    assert tps.count() == 25
    assert tps.values("group").distinct().count() == 8
    reg = Indicator.objects.filter(scope="region")
    assert set(reg.values_list("group", flat=True)) == {"konteks_sosial_politik", "penyelenggaraan", "kontestasi",
                                                       "partisipasi"}
    violence = ind("riwayat_kekerasan")
    assert (violence.value_type, violence.source_agency, violence.direction) == ("yes_no", "POLRI", 1)
    assert violence.name_en and violence.group_name == "Keamanan"
    model = services.published_model(world["election"])
    assert model.version == 1 and model.published_at is not None
    assert (model.region_cut_sedang, model.region_cut_tinggi) == (21.7, 68.5)
    # idempotent
    assert services.risk_seed_defaults(actor=None, election=world["election"])["model_created"] is False
    assert Indicator.objects.count() == 37


def test_observation_recompute_explains_tier(world, make_user, django_capture_on_commit_callbacks):
    op = make_user(unit=world["polres"], role=Role.OPERATOR)
    a, b = world["tps"][0], world["tps"][1]
    with django_capture_on_commit_callbacks(execute=True):
        observe_all(op, a, yes={"riwayat_kekerasan", "intimidasi_penyelenggara"})
        observe_all(op, b)
    # the debounce queued (and, with the immediate backend, ran) one recompute per commit
    assert TaskRun.objects.filter(kind="risk_recompute", status="succeeded").exists()
    model = services.published_model(world["election"])
    got = {x.polling_station_id: x for x in Assessment.objects.filter(model=model)}
    assert got[a.pk].tier == "sangat_rawan" and got[a.pk].score == pytest.approx(23.0)
    assert [c for c, _p in got[a.pk].top] == ["riwayat_kekerasan", "intimidasi_penyelenggara"]
    assert got[b.pk].tier == "kurang_rawan" and got[b.pk].score == 0
    card = selectors.tps_card(user=op, pk=a.pk)
    assert selectors.explain(card).startswith("Sangat rawan karena: ada riwayat kekerasan; ada riwayat intimidasi")
    assert selectors.tps_tier_map(election=world["election"])[a.pk] == "sangat_rawan"


def test_missing_observations_are_not_zero_and_coverage_is_reported(world, make_user):
    op = make_user(unit=world["polres"], role=Role.OPERATOR)
    a, b, c = world["tps"][:3]
    services.observation_create(actor=op, indicator=ind("riwayat_kekerasan"), value="ya", observed_on=DAY,
                                polling_station=a)
    observe_all(op, b)
    run = services.risk_recompute(actor=None, system=True)
    assert run.status == "succeeded"
    got = {x.polling_station_id: x for x in Assessment.objects.filter(model__status="published")}
    # only violence observed: scored on what was observed (100), flagged low coverage, never a silent 0
    assert got[a.pk].score == 100 and got[a.pk].low_coverage and got[a.pk].coverage == pytest.approx(0.12)
    assert got[b.pk].score == 0 and not got[b.pk].low_coverage
    assert got[c.pk].score is None and got[c.pk].tier == "" and got[c.pk].coverage == 0
    assert run.result["tiers"]["tidak_dinilai"] >= 3  # 3 here, plus any TPS of a dataset loaded by other tests
    assert "data baru mencakup 12%" in selectors.explain(selectors.tps_card(user=op, pk=a.pk))
    assert "Belum dinilai" in selectors.explain(selectors.tps_card(user=op, pk=c.pk))


def test_latest_observation_wins_and_history_is_kept(world, make_user):
    op = make_user(unit=world["polres"], role=Role.OPERATOR)
    a = world["tps"][0]
    observe_all(op, a, yes={"riwayat_kekerasan"}, when=DAY)
    services.observation_create(actor=op, indicator=ind("riwayat_kekerasan"), value="tidak",
                                observed_on=DAY + dt.timedelta(days=3), polling_station=a, evidence_text="klarifikasi")
    services.risk_recompute(actor=None, system=True)
    assert Observation.objects.filter(polling_station=a, indicator__code="riwayat_kekerasan").count() == 2
    assert Assessment.objects.get(polling_station=a, model__status="published").score == 0


def test_new_model_version_never_rewrites_old_assessments(world, make_user, django_capture_on_commit_callbacks):
    analyst = make_user(unit=world["bawaslu"], role=Role.ANALYST)
    a = world["tps"][0]
    with django_capture_on_commit_callbacks(execute=True):
        observe_all(analyst, a, yes={"riwayat_politik_uang"})
    services.risk_recompute(actor=analyst)
    v1 = services.published_model(world["election"])
    before = list(Assessment.objects.filter(model=v1).values_list("polling_station_id", "score", "tier"))
    draft = services.model_draft_create(actor=analyst, election=world["election"])
    services.model_update(actor=analyst, model=draft, tps_cut_rawan=5.0, tps_cut_sangat_rawan=8.0,
                          weights={"riwayat_politik_uang": 20})
    preview = selectors.preview_counts(draft)
    assert preview["sangat_rawan"] == 1
    assert not Assessment.objects.filter(model=draft).exists()  # a preview stores nothing
    with django_capture_on_commit_callbacks(execute=True):
        services.model_publish(actor=analyst, model=draft)
    draft.refresh_from_db()
    v1.refresh_from_db()
    assert (draft.status, v1.status) == ("published", "retired")
    assert draft.published_by == analyst and draft.published_at
    assert Assessment.objects.get(model=draft, polling_station=a).tier == "sangat_rawan"
    assert list(Assessment.objects.filter(model=v1).values_list("polling_station_id", "score", "tier")) == before
    with pytest.raises(ValidationError):
        services.model_update(actor=analyst, model=draft, tps_cut_rawan=1.0)
    with pytest.raises(ValidationError):
        services.model_update(actor=analyst, model=v1, tps_cut_rawan=1.0)
    assert AuditEvent.objects.filter(action="risk.model_publish", object_id=str(draft.pk)).exists()


def test_model_thresholds_are_validated(world, make_user):
    analyst = make_user(unit=world["bawaslu"], role=Role.ANALYST)
    draft = services.model_draft_create(actor=analyst, election=world["election"])
    with pytest.raises(ValidationError):
        services.model_update(actor=analyst, model=draft, tps_cut_rawan=50.0, tps_cut_sangat_rawan=40.0)
    with pytest.raises(ValidationError):
        services.model_update(actor=analyst, model=draft, weights={"riwayat_kekerasan": -1})


def test_permissions_and_jurisdiction(world, make_user):
    observer = make_user(unit=world["polres"], role=Role.OBSERVER)
    commander = make_user(unit=world["polres"], role=Role.COMMANDER)
    operator = make_user(unit=world["polres"], role=Role.OPERATOR)
    inside, outside = world["tps"][0], world["tps"][3]  # 53.98.01 is Polres Uji's area, 53.98.02 is not
    with pytest.raises(PermissionDenied):
        services.observation_create(actor=observer, indicator=ind("riwayat_psu"), value=1, observed_on=DAY,
                                    polling_station=inside)
    with pytest.raises(ValidationError, match="wilayah hukum"):
        services.observation_create(actor=operator, indicator=ind("riwayat_psu"), value=1, observed_on=DAY,
                                    polling_station=outside)
    services.observation_create(actor=operator, indicator=ind("riwayat_psu"), value=1, observed_on=DAY,
                                polling_station=inside)
    for user in (operator, commander, observer):
        with pytest.raises(PermissionDenied):
            services.model_draft_create(actor=user, election=world["election"])
        with pytest.raises(PermissionDenied):
            services.indicator_create(actor=user, code="x", name="x", scope="tps", group="lain",
                                      group_name="Lain", value_type="yes_no", source_agency="POLRI")
    # everyone reads tiers; observations only inside the reader's jurisdiction
    other = make_user(unit=unit(AgencyKind.POLRI, name="Polres lain", jurisdiction=[region("53.98.02")]),
                      role=Role.OBSERVER)
    assert selectors.observation_list(user=observer).count() == 1
    assert selectors.observation_list(user=other).count() == 0
    assert selectors.current_model(user=other) is not None


def test_analyst_adds_and_edits_indicator(world, make_user):
    analyst = make_user(unit=world["bawaslu"], role=Role.ANALYST)
    new = services.indicator_create(actor=analyst, code="hoaks_lokal", name="Hoaks di grup warga", scope="tps",
                                    group="sara", group_name="Politisasi SARA", value_type="yes_no",
                                    default_weight=2, source_agency="BAWASLU")
    assert new.slot == Indicator.objects.order_by("-slot").first().slot
    services.indicator_update(actor=analyst, indicator=new, default_weight=3.0)
    assert Indicator.objects.get(code="hoaks_lokal").default_weight == 3.0
    with pytest.raises(ValidationError):
        services.indicator_create(actor=analyst, code="hoaks_lokal", name="dup", scope="tps", group="sara",
                                  group_name="x", value_type="yes_no", source_agency="BAWASLU")


HEADER = "kode_tps,indikator,nilai,tanggal,bukti"


def _import(actor, text, capture, valid_only=False):
    with capture(execute=True):
        run = importers.observation_import_start(actor=actor, file_bytes=text.encode(), filename="obs.csv",
                                                 valid_only=valid_only)
    run.refresh_from_db()
    return run


def test_bulk_import_reports_row_errors_and_is_idempotent(world, make_user, django_capture_on_commit_callbacks):
    op = make_user(unit=world["bawaslu"], role=Role.OPERATOR)
    a, b = world["tps"][0].code, world["tps"][1].code
    bad = "\n".join([
        HEADER,
        f"{a},riwayat_kekerasan,ya,2024-11-10,laporan Panwascam",
        f"{a},riwayat_kekerasan,mungkin,2024-11-09,",
        "53.98.01.2001-099,riwayat_kekerasan,ya,2024-11-10,",
        f"{b},ikp_keamanan,50,2024-11-10,",
        f"{b},dpt_tms,,2024-11-10,",
        f"{b},dpt_tms,3,2099-01-01,",
    ]) + "\n"
    run = _import(op, bad, django_capture_on_commit_callbacks)
    assert run.status == "failed" and run.result["imported"] is False
    rows = {e["row"]: e["message"] for e in run.result["errors"]}
    assert set(rows) == {3, 4, 5, 6, 7}
    assert "ya atau tidak" in rows[3] and "tidak ada" in rows[4] and "bukan TPS" in rows[5]
    assert "kosong tidak sama dengan nol" in rows[6] and "masa depan" in rows[7]
    assert not Observation.objects.exists()
    run = _import(op, bad, django_capture_on_commit_callbacks, valid_only=True)
    assert run.result["created"] == 1 and run.result["rows_rejected"] == 5
    good = f"{HEADER}\n{a},riwayat_kekerasan,ya,2024-11-10,laporan Panwascam\n{b},dpt_tms,3,10/11/2024,\n"
    run = _import(op, good, django_capture_on_commit_callbacks)
    assert (run.result["created"], run.result["unchanged"]) == (1, 1)
    run = _import(op, good, django_capture_on_commit_callbacks)
    assert (run.result["created"], run.result["updated"], run.result["unchanged"]) == (0, 0, 2)
    assert Observation.objects.count() == 2
    assert Assessment.objects.filter(polling_station=world["tps"][0], tier="sangat_rawan").exists()


def test_import_refuses_missing_columns(world, make_user, django_capture_on_commit_callbacks):
    op = make_user(unit=world["bawaslu"], role=Role.OPERATOR)
    run = _import(op, "kode_tps,nilai\nx,1\n", django_capture_on_commit_callbacks)
    assert run.status == "failed"
    assert {e["field"] for e in run.result["errors"]} >= {"indikator", "tanggal"}


def test_debounce_keeps_one_queued_recompute(world):
    first = services.risk_recompute_request(election=world["election"], reason="a", enqueue=False)
    second = services.risk_recompute_request(election=world["election"], reason="b", enqueue=False)
    assert first.pk == second.pk
    first.refresh_from_db()
    assert first.parameters["reasons"] == ["a", "b"]


def test_incident_points_empty_without_incident_model(world):
    lat, lng, age, sev = services._incident_points(world["election"])
    assert len(lat) == len(lng) == len(age) == len(sev)


def test_demo_tiers_match_polda_ntt_split(ntt_dataset, capsys):
    """Demo observations (seeded) + the default model give Polda NTT's published split within 5 % per tier."""
    election = services.default_election()
    result = services.risk_demo_observations(actor=None)
    assert not result["skipped"] and result["tps_unobserved"] == 10
    prevalence = result["prevalence"]
    assert prevalence["riwayat_kekerasan"] == pytest.approx(306 / 16746, abs=0.004)
    assert prevalence["pemilih_disabilitas"] == pytest.approx(318 / 612, abs=0.03)
    call_command("risk", "recompute", "--json")
    out = capsys.readouterr().out
    assert '"kurang_rawan"' in out
    model = services.published_model(election)
    tiers = model.summary["tiers"]
    for tier, target in (("kurang_rawan", 8526), ("rawan", 1237), ("sangat_rawan", 104)):
        assert abs(tiers[tier] - target) <= 0.05 * target, (tier, tiers[tier], target)
    assert Assessment.objects.filter(model=model, is_demo=True).count() == 9867
    regency = RegionAssessment.objects.get(model=model, region_id="53.18")
    assert regency.basis == "ikp" and regency.tier in ("sedang", "tinggi") and regency.is_demo
    assert RegionAssessment.objects.filter(model=model, level="district").count() > 300
    tier_map = selectors.tps_tier_map(election=election)
    assert len(tier_map) == 9867 and set(tier_map.values()) <= {"kurang_rawan", "rawan", "sangat_rawan", "khusus"}
    assert services.risk_demo_observations(actor=None)["skipped"] is True
