"""Shared seed for the situation-report tests: NTT units, incidents at known times and places, action items."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from sinergi.accounts.choices import Role
from sinergi.accounts.models import Unit
from sinergi.elections.models import PollingStation
from sinergi.elections.selectors import default_election
from sinergi.incidents import services as incident_services
from sinergi.incidents.choices import Channel
from sinergi.incidents.services import ReportInput


@dataclass
class World:
    election: object
    polda: Unit
    kupang: Unit  # Polres Kupang, 53.01
    ende: Unit  # Polres Ende, 53.08
    kpu_kupang: Unit
    analyst: object  # Polda analyst
    now: dt.datetime
    incidents: dict = field(default_factory=dict)


def tps(regency: str, n: int = 0) -> PollingStation:
    return PollingStation.objects.filter(regency_code=regency).order_by("code")[n]


def submit(key: str, *, regency: str, n: int, category: str, severity: int, occurred_at: dt.datetime,
           text: str = ""):
    report, _ = incident_services.report_submit(actor=None, data=ReportInput(
        key=key, text=text or f"Kejadian uji {key} di TPS", channel=Channel.API, tps_code=tps(regency, n).code,
        category_hint=category, severity_hint=severity, occurred_at=occurred_at), process=True)
    report.refresh_from_db()
    return report.incident


#: (key, regency, category, severity, hours before now); the first five fall in the 24 h period
SEED = [
    ("a", "53.01", "violence_clash", 4, 2),
    ("b", "53.01", "money_politics", 2, 5),
    ("c", "53.08", "violence_clash", 3, 3),
    ("d", "53.71", "intimidation", 1, 10),
    ("e", "53.08", "protest", 2, 20),
    ("f", "53.01", "logistics", 3, 72),
    ("g", "53.01", "natural_hazard", 2, 30),
]


#: a realistic text per seeded event (identical template texts would be taken as one event told twice)
TEXTS = {
    "a": "Dua kelompok pendukung bentrok saling lempar batu di depan TPS",
    "b": "Tim sukses membagikan amplop berisi uang kepada warga di dusun",
    "c": "Perkelahian massa setelah penghitungan, dua orang luka ringan",
    "d": "Ketua KPPS diancam orang tak dikenal lewat pesan singkat",
    "e": "Warga berunjuk rasa menolak hasil penghitungan di kantor desa",
    "f": "Kotak suara rusak terkena hujan saat distribusi logistik",
    "g": "Banjir merendam jalan menuju TPS, petugas terhambat",
}


def build(make_user) -> World:
    from sinergi.incidents.defaults import load

    load()
    now = timezone.now()
    polda = Unit.objects.get(code="POLDA-NTT")
    w = World(election=default_election(), polda=polda, kupang=Unit.objects.get(code="POLRES-53.01"),
              ende=Unit.objects.get(code="POLRES-53.08"), kpu_kupang=Unit.objects.get(code="KPU-53.01"),
              analyst=make_user(unit=polda, role=Role.ANALYST), now=now)
    for i, (key, regency, category, severity, hours) in enumerate(SEED):
        w.incidents[key] = submit(f"sitrep-{key}", regency=regency, n=i, category=category, severity=severity,
                                  occurred_at=now - dt.timedelta(hours=hours), text=TEXTS[key])
    triage = make_user(unit=polda, role=Role.COMMANDER)
    incident_services.incident_transition(actor=triage, incident=w.incidents["b"], to="verified")
    return w
