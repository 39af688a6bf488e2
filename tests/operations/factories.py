"""Shared test data of the operations app: the test province's two regencies with their Polres, a Polsek and a
Kodim, the Pilkada 2024 stage calendar, and the TPS codes the tests use."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from sinergi.accounts.choices import AgencyKind, UnitLevel
from tests import factories
from tests.incidents.factories import build_places

WITA = ZoneInfo("Asia/Makassar")
STAGES_CSV = Path(__file__).resolve().parents[2] / "sinergi" / "data" / "ntt" / "pilkada2024_stages.csv"
TPS_A = "99.71.01.1001-001"
TPS_A2 = "99.71.01.1001-002"
TPS_B = "99.72.01.1001-001"


def wita(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2024, month, day, hour, minute, tzinfo=WITA)


@dataclass
class OpsWorld:
    election: object
    polda: object
    polres_a: object
    polsek_a: object
    polres_b: object
    kodim_a: object


def build_ops_world() -> OpsWorld:
    """Test province 99: Kota Uji (99.71, TPS A) and Kab. Uji Dua (99.72, TPS B), each with its Polres; the
    Pilkada 2024 stage calendar on the election."""
    from sinergi.elections.models import PollingStation, Stage

    build_places()
    from sinergi.elections.selectors import default_election

    election = default_election()
    with open(STAGES_CSV, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            Stage.objects.get_or_create(election=election, code=r["code"], defaults={
                "name": r["name"], "name_en": r["name_en"], "order": int(r["order"]), "start_date": r["start_date"],
                "end_date": r["end_date"]})
    factories.region("99.72", "Kabupaten Uji Dua", lat=-10.0, lng=123.0)
    factories.region("99.72.01", "Kecamatan Dua", lat=-10.0, lng=123.0)
    factories.region("99.72.01.1001", "Duawatu", lat=-10.01, lng=123.01)
    PollingStation.objects.get_or_create(
        election=election, village_id="99.72.01.1001", number=1,
        defaults={"district_code": "99.72.01", "regency_code": "99.72", "code": TPS_B, "voters": 250,
                  "lat": -10.01, "lng": 123.01, "location_source": "kpu", "source": "test"})
    r99 = factories.region("99")
    polda = factories.unit(AgencyKind.POLRI, level=UnitLevel.PROVINCE, code="T-OPS-POLDA", jurisdiction=[r99])
    polres_a = factories.unit(AgencyKind.POLRI, parent=polda, code="T-OPS-POLRES-99.71",
                              name="Polres Kota Uji", jurisdiction=[factories.region("99.71")])
    polsek_a = factories.unit(AgencyKind.POLRI, parent=polres_a, level=UnitLevel.DISTRICT,
                              code="T-OPS-POLSEK-99.71.01", jurisdiction=[factories.region("99.71.01")])
    polres_b = factories.unit(AgencyKind.POLRI, parent=polda, code="T-OPS-POLRES-99.72",
                              name="Polres Uji Dua", jurisdiction=[factories.region("99.72")])
    kodim_a = factories.unit(AgencyKind.TNI, code="T-OPS-KODIM-99.71", jurisdiction=[factories.region("99.71")])
    return OpsWorld(election, polda, polres_a, polsek_a, polres_b, kodim_a)
