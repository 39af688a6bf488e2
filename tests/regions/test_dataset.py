"""The NTT default dataset as loaded by `sinergi load-dataset` (fixture `ntt_dataset`)."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from datetime import date
from io import StringIO

import numpy as np
import pytest
import shapely
from django.core.management import call_command
from shapely.geometry import shape

from sinergi.accounts.models import Unit, UnitStrength
from sinergi.core.models import AuditEvent
from sinergi.core.services import audit_verify
from sinergi.elections.dataset import dataset_is_loaded, load_default_dataset
from sinergi.elections.models import Contest, Election, PollingStation, Stage
from sinergi.regions.loaders import idn_area, ntt
from sinergi.regions.loaders.common import NTT
from sinergi.regions.models import Island, Region

pytestmark = pytest.mark.django_db

DPT = 3_988_372
TPS = 9_877


@pytest.fixture(scope="module", autouse=True)
def _dataset_outside_test_transactions(_ntt_session, django_db_blocker):
    """Keep the dataset loaded for this module outside any test transaction.

    If the session load first ran inside another test's transaction (``getfixturevalue`` in a ``db`` test)
    it was rolled back; reloading once here, at module scope, avoids a reload inside every test.
    """
    with django_db_blocker.unblock():
        if not dataset_is_loaded():
            load_default_dataset(actor=None)


def _sirekap() -> dict[str, int]:
    with open(NTT / "ntt_tps_per_kecamatan_pilkada2024_sirekap.csv", encoding="utf-8") as fh:
        return {r["kode_kemendagri"]: int(r["jumlah_tps"]) for r in csv.DictReader(fh)}


def _tps():
    return PollingStation.objects.filter(election__code="pilkada-2024")


def test_national_regions(ntt_dataset):
    levels = Counter(Region.objects.values_list("level", flat=True))
    assert levels == {"province": 38, "regency": 514, "district": 7_285, "village": 83_762}
    assert Region.objects.filter(parent__isnull=True).count() == 38
    village = Region.objects.select_related("parent__parent__parent").get(code="53.01.04.2003")
    assert village.name == "Bokonusan"
    assert [village.parent.code, village.parent.parent.code, village.parent.parent.parent.code] == [
        "53.01.04", "53.01", "53"]
    assert Region.objects.get(code="11.01.01.2001").province_code == "11"


def test_islands_with_decimal_coordinates(ntt_dataset):
    assert Island.objects.count() == 17_373
    island = Island.objects.get(code="11.01.40001")  # 03°19'03.44" N 097°07'41.73" E
    assert (island.name, island.regency_id) == ("Pulau Batukapal", "11.01")
    assert island.lat == pytest.approx(3 + 19 / 60 + 3.44 / 3600, abs=1e-6)
    assert island.lng == pytest.approx(97 + 7 / 60 + 41.73 / 3600, abs=1e-6)
    assert Island.objects.filter(is_outermost_small=True).count() == 110
    assert Island.objects.filter(is_populated=True).count() == 1_589
    assert not Island.objects.filter(lat__isnull=True).exists()
    assert Island.objects.filter(regency__province_code="53", lat__lt=0).count() == Island.objects.filter(
        regency__province_code="53").count() > 0


def test_ntt_regions_geometry_and_centroids(ntt_dataset):
    ntt_regions = Region.objects.filter(province_code="53")
    assert Counter(ntt_regions.values_list("level", flat=True)) == {
        "province": 1, "regency": 22, "district": 315, "village": 3_442}
    with_geometry = Counter(ntt_regions.exclude(geometry="").values_list("level", flat=True))
    assert with_geometry == {"province": 1, "regency": 22, "district": 315, "village": 3_352}
    assert not ntt_regions.exclude(geometry="").filter(geometry_web="").exists()
    assert not ntt_regions.filter(lat__isnull=True).exists()
    assert Counter(ntt_regions.filter(level="village").values_list("centroid_source", flat=True)) == {
        "cahyadsn_polygon_centroid": 3_352, "FALLBACK_kecamatan_centroid": 90}
    assert not Region.objects.exclude(province_code="53").exclude(geometry="").exists()

    desa = Region.objects.get(code="53.01.04.2003")
    published = shape(json.loads(desa.geometry))
    web = shape(json.loads(desa.geometry_web))
    assert len(desa.geometry_web) < len(desa.geometry)
    assert web.symmetric_difference(published).area < 0.05 * published.area
    coords = json.loads(desa.geometry_web)["coordinates"]
    flat = np.array([pt for poly in coords for ring in poly for pt in ring])
    assert np.allclose(flat, np.round(flat, 5))
    province = Region.objects.get(code="53")
    assert -11.1 < province.lat < -7.7 and 118.9 < province.lng < 125.2
    assert province.centroid_source == "derived_union_kabkota_polygons"


def test_election_stages_and_contests(ntt_dataset):
    election = Election.objects.get(code="pilkada-2024")
    assert (election.name, election.voting_date, election.province_id) == (
        "Pilkada Serentak 2024", date(2024, 11, 27), "53")
    assert election.voters_total == DPT
    assert "ntt_election_aggregates_news.csv" in election.voters_source
    stages = {s.code: s for s in Stage.objects.filter(election=election)}
    expected = {
        "registration": (date(2024, 8, 27), date(2024, 8, 29)),
        "candidates_set": (date(2024, 9, 22), date(2024, 9, 22)),
        "ballot_draw": (date(2024, 9, 23), date(2024, 9, 23)),
        "campaign": (date(2024, 9, 25), date(2024, 11, 23)),
        "quiet_period": (date(2024, 11, 24), date(2024, 11, 26)),
        "voting": (date(2024, 11, 27), date(2024, 11, 27)),
        "recap_district": (date(2024, 11, 28), date(2024, 12, 3)),
        "recap_regency": (date(2024, 11, 29), date(2024, 12, 6)),
        "recap_province": (date(2024, 11, 30), date(2024, 12, 9)),
        "mk_disputes": (date(2025, 1, 1), date(2025, 2, 24)),
        "police_operation": (date(2024, 8, 27), date(2024, 12, 25)),
    }
    assert {code: (s.start_date, s.end_date) for code, s in stages.items()} == expected
    assert all(s.name and s.name_en for s in stages.values())
    assert "Mantap Praja Turangga" in stages["police_operation"].name

    contests = Contest.objects.filter(election=election)
    assert contests.count() == 23
    assert sum(c.candidate_pair_count for c in contests) == 87
    kinds = Counter(contests.values_list("kind", flat=True))
    assert kinds == {"governor": 1, "regent": 21, "mayor": 1}
    assert contests.get(kind="governor").region_id == "53"
    assert contests.get(kind="governor").candidate_pair_count == 3
    assert contests.get(kind="mayor").region_id == "53.71"
    assert contests.get(kind="mayor").candidate_pair_count == 5
    assert contests.get(region_id="53.13").candidate_pair_count == 6  # Lembata
    assert set(contests.filter(kind="regent").values_list("region__level", flat=True)) == {"regency"}


def test_tps_counts_follow_sirekap(ntt_dataset):
    tps = _tps()
    assert tps.count() == TPS
    per_kecamatan = Counter(tps.values_list("district_code", flat=True))
    assert dict(per_kecamatan) == _sirekap()
    # Every desa keeps at least one TPS (no NTT kecamatan has fewer TPS than desa).
    assert tps.values("village").distinct().count() == 3_442


def test_tps_voters_codes_and_flags(ntt_dataset):
    rows = list(_tps().values_list("code", "village_id", "district_code", "regency_code", "number", "voters",
                                   "voters_estimated", "location_estimated", "source", "special_location"))
    assert sum(r[5] for r in rows) == DPT
    assert min(r[5] for r in rows) >= 1 and max(r[5] for r in rows) <= 600
    assert all(r[6] and r[7] for r in rows)
    assert all("PERKIRAAN" in r[8] and "lokasi khusus" in r[8] for r in rows)
    assert not any(r[9] for r in rows)
    numbers = defaultdict(list)
    for code, village, district, regency, number, *_ in rows:
        assert code == PollingStation.make_code(village, number)
        assert district == village.rsplit(".", 1)[0] and regency == village[:5]
        numbers[village].append(number)
    assert all(sorted(n) == list(range(1, len(n) + 1)) for n in numbers.values())


def test_tps_points_inside_desa_or_near_kecamatan(ntt_dataset):
    rows = list(_tps().values_list("village_id", "district_code", "lat", "lng", "location_source"))
    geometry = dict(Region.objects.filter(province_code="53").exclude(geometry="").values_list("code", "geometry"))
    centres = {c: (lat, lng) for c, lat, lng in Region.objects.filter(level="district", province_code="53")
               .values_list("code", "lat", "lng")}
    by_desa = defaultdict(list)
    for village, district, lat, lng, source in rows:
        by_desa[village].append((district, lat, lng, source))
    fallback = 0
    for village, pts in by_desa.items():
        lats = np.array([p[1] for p in pts])
        lngs = np.array([p[2] for p in pts])
        sources = {p[3] for p in pts}
        if village in geometry:
            assert sources == {"estimated_desa"}
            assert shapely.contains_xy(shape(json.loads(geometry[village])), lngs, lats).all(), village
        else:
            fallback += 1
            district = pts[0][0]
            assert sources == {"estimated_kecamatan"}
            assert shapely.contains_xy(shape(json.loads(geometry[district])), lngs, lats).all(), village
            clat, clng = centres[district]
            assert np.hypot(lats - clat, lngs - clng).max() < 0.1, village
    assert fallback == 90


def test_estimate_is_deterministic_and_matches_the_database(ntt_dataset):
    areas = idn_area.read_areas()
    geo = ntt.read_geo()
    first = ntt.estimate_tps(areas, geo, DPT)
    second = ntt.estimate_tps(areas, geo, DPT)
    assert first == second
    stored = {c: (v, lat, lng) for c, v, lat, lng in _tps().values_list("code", "voters", "lat", "lng")}
    assert {t.code: (t.voters, t.lat, t.lng) for t in first} == stored


def test_units_tree_and_jurisdictions(ntt_dataset):
    units = {u.code: u for u in Unit.objects.select_related("agency", "parent").prefetch_related("jurisdiction")}
    polda = units["POLDA-NTT"]
    assert polda.agency.code == "POLRI" and polda.path == f"/{polda.pk}/"
    assert units["BRIMOB-NTT"].parent == polda and units["BRIMOB-NTT"].level == "special"
    for u in units.values():
        expected = (u.parent.path if u.parent else "/") + f"{u.pk}/"
        assert u.path == expected, u.code

    polres = [u for u in units.values() if u.code.startswith("POLRES-")]
    assert len(polres) == 22 and all(u.parent == polda for u in polres)
    assert units["POLRES-53.71"].name == "Polresta Kupang Kota"
    assert units["POLRES-53.01"].name == "Polres Kupang"
    assert sorted(r.code for u in polres for r in u.jurisdiction.all()) == sorted(
        Region.objects.filter(level="regency", province_code="53").values_list("code", flat=True))

    polsek = [u for u in units.values() if u.code.startswith("POLSEK-")]
    assert len(polsek) == 315
    districts = dict(Region.objects.filter(level="district", province_code="53").values_list("code", "name"))
    for u in polsek:
        (kec,) = [r.code for r in u.jurisdiction.all()]
        assert u.parent.code == f"POLRES-{kec[:5]}" and u.level == "district"
        assert u.name == f"Polsek {districts[kec]}"
        assert u.is_within(polda)
    assert sorted(u.jurisdiction.get().code for u in polsek) == sorted(districts)

    def children(prefix: str, parent: str) -> list[Unit]:
        return [u for u in units.values() if u.code.startswith(prefix) and u.parent and u.parent.code == parent]

    assert len(children("KPU-53.", "KPU-NTT")) == 22
    assert len(children("BAWASLU-53.", "BAWASLU-NTT")) == 22
    assert len(children("SATPOLPP-53.", "SATPOLPP-NTT")) == 22
    kodim = children("KODIM-", "KOREM-161")
    assert len(kodim) == 15
    covered = sorted(r.code for u in kodim for r in u.jurisdiction.all())
    assert covered == sorted(Region.objects.filter(level="regency", province_code="53").values_list("code", flat=True))
    assert all("diverifikasi" in u.note for u in kodim if u.jurisdiction.count() > 1)
    assert {u.agency.code for u in units.values()} == {"POLRI", "KPU", "BAWASLU", "TNI", "PEMDA", "BPBD",
                                                       "KEJAKSAAN"}
    assert "KEJATI-NTT" in units and "BPBD-NTT" in units


def test_unit_strengths_are_estimated_and_sum_to_the_reported_totals(ntt_dataset):
    strengths = list(UnitStrength.objects.select_related("unit"))
    assert all(s.estimated and s.source.startswith("PERKIRAAN") for s in strengths)

    def total(personnel_type: str, prefix: str) -> int:
        return sum(s.count for s in strengths if s.personnel_type == personnel_type and s.unit.code.startswith(prefix))

    assert total("polri", "POLDA-NTT") == 671
    assert total("polri", "POLRES-") == 5_477
    assert total("brimob", "BRIMOB-NTT") == 609
    assert total("tni", "KODIM-") == 2_628
    assert total("linmas", "SATPOLPP-") == 2 * TPS
    tps_per_regency = Counter(_tps().values_list("regency_code", flat=True))
    for s in strengths:
        if s.personnel_type == "linmas":
            assert s.count == 2 * tps_per_regency[s.unit.code.removeprefix("SATPOLPP-")]
    polres = {s.unit.code: s.count for s in strengths if s.unit.code.startswith("POLRES-")}
    assert len(polres) == 22
    # Proportional to TPS: the Polres with the most TPS (TTS, 770) has the most officers.
    assert max(polres, key=polres.get) == "POLRES-53.02"
    for code, count in polres.items():
        quota = 5_477 * tps_per_regency[code.removeprefix("POLRES-")] / TPS
        assert abs(count - quota) < 1


def test_one_audit_event_and_idempotent_second_load(ntt_dataset):
    events = AuditEvent.objects.filter(action="dataset.load")
    assert events.count() == 1
    event = events.get()
    assert (event.object_type, event.object_id, event.actor_repr) == ("dataset", "ntt-pilkada-2024", "system")
    assert event.data["counts"]["tps"] == TPS and event.data["counts"]["voters"] == DPT
    assert len(event.data["inputs"]) >= 16
    assert all(len(h) == 64 for h in event.data["inputs"].values())
    assert "ntt/ntt_tps_per_kecamatan_pilkada2024_sirekap.csv" in event.data["inputs"]

    before = (Region.objects.count(), _tps().count(), Unit.objects.count(), UnitStrength.objects.count(),
              AuditEvent.objects.count(), sorted(_tps().values_list("pk", "voters"))[:50])
    summary = load_default_dataset(actor=None)
    assert summary["skipped"] is True
    after = (Region.objects.count(), _tps().count(), Unit.objects.count(), UnitStrength.objects.count(),
             AuditEvent.objects.count(), sorted(_tps().values_list("pk", "voters"))[:50])
    assert after == before
    assert audit_verify().ok


def test_load_dataset_command_reports_already_loaded(ntt_dataset):
    out = StringIO()
    call_command("load_ntt", "--json", stdout=out)
    assert json.loads(out.getvalue())["skipped"] is True
    out = StringIO()
    call_command("load_ntt", stdout=out)
    assert "already loaded" in out.getvalue()


@pytest.mark.slow
def test_forced_reload_replaces_in_place(ntt_dataset):
    unit_pks = dict(Unit.objects.values_list("code", "pk"))
    tps_pks = dict(_tps().values_list("code", "pk"))
    polres = Unit.objects.get(code="POLRES-53.01")
    polres.name = "Polres Kupang (diubah)"
    polres.save()
    PollingStation.objects.filter(code="53.01.04.2003-001").update(voters=1, lat=0, lng=0)
    Region.objects.filter(code="53.01").update(name="Diubah")

    summary = load_default_dataset(actor=None, force=True)
    assert summary["skipped"] is False and summary["tps"] == TPS and summary["voters"] == DPT
    assert dict(Unit.objects.values_list("code", "pk")) == unit_pks
    assert dict(_tps().values_list("code", "pk")) == tps_pks
    assert Unit.objects.get(code="POLRES-53.01").name == "Polres Kupang"
    assert Region.objects.get(code="53.01").name == "Kabupaten Kupang"
    assert _tps().get(code="53.01.04.2003-001").lat < 0
    assert sum(_tps().values_list("voters", flat=True)) == DPT
    assert Region.objects.count() == 38 + 514 + 7_285 + 83_762
    assert UnitStrength.objects.count() == summary["strengths"]
    assert AuditEvent.objects.filter(action="dataset.load").count() == 2
    assert AuditEvent.objects.filter(action="dataset.load").order_by("-seq").first().data["force"] is True
