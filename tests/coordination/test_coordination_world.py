"""Helpers (no tests): a small multi-agency world for the coordination tests: a Polri tree, partner agencies, one user per
relation to a record raised by Polres A, and helpers to raise records through the services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone

from sinergi.accounts.choices import AgencyKind, UnitLevel
from sinergi.coordination import services
from tests import factories
from tests.factories import UserFactory


def wita(y, m, d, hh=9, mm=0) -> datetime:
    return timezone.make_aware(datetime(y, m, d, hh, mm))


def next_week(hh=9) -> datetime:
    """09:00 WITA a week from today: meetings in the feed window."""
    from datetime import timedelta

    day = timezone.localdate() + timedelta(days=7)
    return wita(day.year, day.month, day.day, hh)


#: relation of a reader to a record raised by `polres_a` (author: `author`)
RELATIONS = ["author", "same_unit", "subunit", "other_unit_same_agency", "other_agency", "shared_unit",
             "shared_agency", "red_recipient", "public"]

#: TLP 2.0 as defined in docs/coordination.md: which relations may read a record of each marking
EXPECTED = {
    "CLEAR": set(RELATIONS),
    "GREEN": set(RELATIONS) - {"public"},
    "AMBER": {"author", "same_unit", "subunit", "shared_unit", "shared_agency", "red_recipient"},
    "AMBER+STRICT": {"author", "same_unit", "subunit"},
    "RED": {"author", "red_recipient"},
}


@dataclass
class World:
    units: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    agencies: dict = field(default_factory=dict)

    def shares(self) -> dict:
        return {"share_units": [self.units["kpu_shared"]], "share_agencies": [self.agencies["bawaslu"]],
                "share_users": [self.users["red_recipient"]]}

    def note(self, marking="AMBER", *, title="Catatan uji", body="Isi rahasia", **kw):
        args = {**self.shares(), **kw}
        return services.note_create(actor=self.users["author"], kind="early_warning", title=title, body=body,
                                    marking=marking, **args)

    def meeting(self, marking="AMBER", *, title="Rakor uji", starts_at=None, **kw):
        args = {**self.shares(), **kw}
        return services.meeting_create(actor=self.users["author"], title=title,
                                       starts_at=starts_at or next_week(), place="Mapolda NTT",
                                       marking=marking, **args)


def build_world() -> World:
    w = World()
    w.agencies = {code.lower(): factories.agency(code) for code in AgencyKind.values}
    u = w.units
    u["polda"] = factories.unit(AgencyKind.POLRI, level=UnitLevel.PROVINCE, name="Polda NTT (uji)")
    u["polres_a"] = factories.unit(AgencyKind.POLRI, parent=u["polda"], name="Polres A")
    u["polsek_a1"] = factories.unit(AgencyKind.POLRI, parent=u["polres_a"], level=UnitLevel.DISTRICT,
                                    name="Polsek A1")
    u["polres_b"] = factories.unit(AgencyKind.POLRI, parent=u["polda"], name="Polres B")
    u["kpu_prov"] = factories.unit(AgencyKind.KPU, level=UnitLevel.PROVINCE, name="KPU Provinsi (uji)")
    u["kpu_other"] = factories.unit(AgencyKind.KPU, parent=u["kpu_prov"], name="KPU Kab X")
    u["kpu_shared"] = factories.unit(AgencyKind.KPU, parent=u["kpu_prov"], name="KPU Kab Y")
    u["bawaslu"] = factories.unit(AgencyKind.BAWASLU, level=UnitLevel.PROVINCE, name="Bawaslu (uji)")
    u["tni"] = factories.unit(AgencyKind.TNI, level=UnitLevel.PROVINCE, name="Korem (uji)")
    u["public"] = factories.unit(AgencyKind.PUBLIC, level=UnitLevel.SPECIAL, name="Masyarakat")
    where = {"author": "polres_a", "same_unit": "polres_a", "subunit": "polsek_a1",
             "other_unit_same_agency": "polres_b", "other_agency": "kpu_other", "shared_unit": "kpu_shared",
             "shared_agency": "bawaslu", "red_recipient": "tni", "public": "public"}
    for rel, unit_key in where.items():
        role = "commander" if rel == "author" else ("observer" if rel == "public" else "operator")
        w.users[rel] = UserFactory(unit=u[unit_key], role=role, username=f"w-{rel}")
    w.users["polda"] = UserFactory(unit=u["polda"], role="operator", username="w-polda")
    return w


def due(days_from: date, n: int) -> date:
    from datetime import timedelta

    return days_from + timedelta(days=n)
