"""Kinds of members, ranks, posts, statuses and dispatch states of the personnel app."""

from __future__ import annotations

import re

from django.db import models
from django.utils.translation import gettext_lazy as _


class OfficerKind(models.TextChoices):
    POLRI = "polri", _("Polri")
    TNI = "tni", _("TNI")
    SATPOLPP = "satpolpp", _("Satpol PP")
    LINMAS = "linmas", _("Linmas")


#: identifier of each kind: label and the pattern it must match
IDENTIFIERS: dict[str, tuple[str, re.Pattern[str]]] = {
    OfficerKind.POLRI: ("NRP", re.compile(r"^\d{8}$")),
    OfficerKind.TNI: ("NRP TNI", re.compile(r"^\d{5,18}$")),
    OfficerKind.SATPOLPP: ("NIP", re.compile(r"^\d{18}$")),
    OfficerKind.LINMAS: ("NIK", re.compile(r"^\d{16}$")),
}

#: Polri ranks low to high (level = index + 1); a guard group is led by a senior bintara (Bripka) or higher.
POLRI_RANKS = ["Bharada", "Bharatu", "Bharaka", "Bripda", "Briptu", "Brigpol", "Bripka", "Aipda", "Aiptu", "Ipda",
               "Iptu", "AKP", "Kompol", "AKBP", "Kombes", "Brigjen", "Irjen"]
TNI_RANKS = ["Prada", "Pratu", "Praka", "Kopda", "Koptu", "Kopka", "Serda", "Sertu", "Serka", "Serma", "Pelda",
             "Peltu", "Letda", "Lettu", "Kapten", "Mayor", "Letkol", "Kolonel", "Brigjen"]
RANK_ALIASES = {"brigadir": "Brigpol", "kombes pol": "Kombes", "akbp": "AKBP", "akp": "AKP"}
SENIOR_POLRI = POLRI_RANKS.index("Bripka")
SENIOR_TNI = TNI_RANKS.index("Serka")


def rank_level(kind: str, rank: str) -> int | None:
    """1-based level of a rank within its kind's list, None when unknown; 0 for kinds without ranks."""
    r = rank.strip()
    r = RANK_ALIASES.get(r.lower(), r)
    table = POLRI_RANKS if kind == OfficerKind.POLRI else TNI_RANKS if kind == OfficerKind.TNI else None
    if table is None:
        return 0
    lower = {x.lower(): i for i, x in enumerate(table)}
    i = lower.get(r.lower())
    return None if i is None else i + 1


def is_senior(kind: str, level: int) -> bool:
    if kind == OfficerKind.POLRI:
        return level > SENIOR_POLRI
    if kind == OfficerKind.TNI:
        return level > SENIOR_TNI
    return False


class PostKind(models.TextChoices):
    GROUP = "group", _("Kelompok pengamanan TPS")
    RESERVE = "reserve", _("Tim cadangan")
    BKO = "bko", _("BKO (perkuatan dari satuan lain)")


class UnfilledReason(models.TextChoices):
    NO_LEADER = "no_leader", _("tidak ada bintara senior (Bripka ke atas) dalam jangkauan untuk ketua kelompok")
    ON_LEAVE_OR_REST = "on_leave_or_rest", _("personel dalam jangkauan sedang cuti atau istirahat")
    NO_ONE_IN_REACH = "no_one_in_reach", _("tidak ada personel tersedia dalam jangkauan")
    NO_ONE_AT_SOURCE = "no_one_at_source", _(
        "tidak ada anggota satuan asal BKO dalam roster (impor roster satuan itu, mis. anggota TNI Kodim)")
    SOURCE_SHORT = "source_short", _("anggota satuan asal BKO dalam roster lebih sedikit dari jumlah BKO rencana")


class Status(models.TextChoices):
    AVAILABLE = "available", _("Siaga (tersedia)")
    ON_POST = "on_post", _("Di pos")
    EN_ROUTE = "en_route", _("Dalam perjalanan")
    ON_SCENE = "on_scene", _("Di lokasi kejadian")
    OFF_DUTY = "off_duty", _("Lepas dinas")


class ResourceKind(models.TextChoices):
    RESERVE = "reserve", _("Tim cadangan")
    GROUP = "group", _("Kelompok pengamanan TPS")
    PATROL = "patrol", _("Patroli Polsek")


class DispatchState(models.TextChoices):
    ASSIGNED = "assigned", _("ditugaskan")
    ACKNOWLEDGED = "acknowledged", _("diterima satuan")
    ON_SCENE = "on_scene", _("di lokasi")
    CLEARED = "cleared", _("selesai")
