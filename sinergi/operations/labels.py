"""Words for the codes of the stage calendar (dashboard panels, forms, check-in kinds) and the basis of each
check-in window in the reader's language, so the calendar page shows no raw code."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .models import CheckInKind

PANELS = {
    "coverage": _("cakupan laporan TPS"), "counters": _("ringkasan angka"), "alerts": _("peringatan"),
    "logistics": _("pengawalan logistik"), "incidents": _("insiden"), "map": _("peta TPS"),
}
FORMS = {
    "incident_report": _("laporan insiden"), "checkin": _("laporan TPS"), "problem": _("masalah di TPS"),
    "escort_handover": _("serah terima logistik"),
}
SCHEDULE_CSV = Path(__file__).resolve().parent.parent / "data" / "operations" / "checkin_schedule.csv"


def words(codes, mapping) -> str:
    """'incidents;alerts' codes -> 'insiden, peringatan' (unknown codes with spaces for underscores)."""
    return ", ".join(str(mapping.get(c, str(c).replace("_", " "))) for c in codes)


def kind_words(codes) -> str:
    return words(codes, {k.value: k.label for k in CheckInKind})


@lru_cache(maxsize=1)
def _bases() -> dict[str, tuple[str, str]]:
    with open(SCHEDULE_CSV, encoding="utf-8") as f:
        return {r["kind"]: (r.get("dasar") or r["source"], r["source"]) for r in csv.DictReader(f)}


def basis(kind: str) -> str:
    """Why a check-in window is what it is, in the reader's language (Indonesian first)."""
    id_text, en_text = _bases().get(kind, ("", ""))
    return en_text if (get_language() or "id").startswith("en") else id_text
