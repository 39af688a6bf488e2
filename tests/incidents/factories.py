"""Shared test data of the incidents app: a test province (99) with places and TPS, and the units of the
agencies incidents are routed to. Other apps' tests build on these (docs/architecture.md: tests beside their app)."""

from __future__ import annotations

from dataclasses import dataclass

from sinergi.accounts.choices import AgencyKind, UnitLevel
from tests import factories


@dataclass
class World:
    polda: object
    polres: object
    bawaslu: object
    bawaslu_kota: object
    kpu_kota: object
    kejati: object
    bpbd: object


def build_places() -> None:
    """Province 99 (a test province, so the tests behave the same with or without the NTT dataset loaded):
    one kota, one kecamatan, two desa with invented names, four TPS in the default election."""
    from datetime import date

    from sinergi.elections.models import Election, PollingStation
    from sinergi.elections.selectors import default_election

    factories.region("99", "Provinsi Uji", lat=-9.0, lng=122.0)
    factories.region("99.71", "Kota Uji", lat=-14.17, lng=123.6)
    factories.region("99.71.01", "Kecamatan Ujilak", lat=-14.17, lng=123.57)
    factories.region("99.71.01.1001", "Ujiwatu", lat=-14.18, lng=123.56)
    factories.region("99.71.01.1002", "Oelnasi Ujiraya", lat=-14.16, lng=123.57)
    election = default_election() or Election.objects.get_or_create(
        code="pilkada-2024", defaults={"name": "Pilkada Serentak 2024", "voting_date": date(2024, 11, 27)})[0]
    for village, number, lat, lng in [("99.71.01.1001", 1, -14.181, 123.561), ("99.71.01.1001", 2, -14.182, 123.562),
                                      ("99.71.01.1002", 1, -14.161, 123.571), ("99.71.01.1002", 2, -14.162, 123.572)]:
        PollingStation.objects.get_or_create(
            election=election, village_id=village, number=number,
            defaults={"district_code": village[:8], "regency_code": village[:5],
                      "code": PollingStation.make_code(village, number), "voters": 300, "lat": lat, "lng": lng,
                      "location_source": "kpu", "source": "test"})


def build_world() -> World:
    from sinergi.incidents.defaults import load

    build_places()
    load()
    r53 = factories.region("99")
    r5371 = factories.region("99.71")
    polda = factories.unit(AgencyKind.POLRI, level=UnitLevel.PROVINCE, code="T-POLDA", jurisdiction=[r53])
    polres = factories.unit(AgencyKind.POLRI, parent=polda, code="T-POLRES-99.71", jurisdiction=[r5371])
    bawaslu = factories.unit(AgencyKind.BAWASLU, level=UnitLevel.PROVINCE, code="T-BAWASLU", jurisdiction=[r53])
    bawaslu_kota = factories.unit(AgencyKind.BAWASLU, parent=bawaslu, code="T-BAWASLU-99.71", jurisdiction=[r5371])
    kpu_kota = factories.unit(AgencyKind.KPU, code="T-KPU-99.71", jurisdiction=[r5371])
    kejati = factories.unit(AgencyKind.KEJAKSAAN, level=UnitLevel.PROVINCE, code="T-KEJATI", jurisdiction=[r53])
    bpbd = factories.unit(AgencyKind.BPBD, level=UnitLevel.PROVINCE, code="T-BPBD", jurisdiction=[r53])
    return World(polda, polres, bawaslu, bawaslu_kota, kpu_kota, kejati, bpbd)
