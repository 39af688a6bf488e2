from django.db import models
from django.utils.translation import gettext_lazy as _


class Tier(models.TextChoices):
    KURANG_RAWAN = "kurang_rawan", _("Kurang rawan")
    RAWAN = "rawan", _("Rawan")
    SANGAT_RAWAN = "sangat_rawan", _("Sangat rawan")
    KHUSUS = "khusus", _("Lokasi khusus")


TIER_ORDER = [Tier.KURANG_RAWAN, Tier.RAWAN, Tier.SANGAT_RAWAN, Tier.KHUSUS]


class PlanStatus(models.TextChoices):
    QUEUED = "queued", _("antre")
    RUNNING = "running", _("berjalan")
    SUCCEEDED = "succeeded", _("selesai")
    FAILED = "failed", _("gagal")


class TierSource(models.TextChoices):
    RISK = "risk", _("penilaian kerawanan")
    PLACEHOLDER = "placeholder", _("tingkat kerawanan sementara (belum ada penilaian)")


class ReserveKind(models.TextChoices):
    MEDIAN = "median", _("rata-rata waktu tanggap (p-median)")
    CENTER = "center", _("waktu tanggap terburuk (p-center)")


#: Named scenarios: label and the parameter changes they apply on top of the defaults.
SCENARIOS: dict[str, dict] = {
    "dasar": {"label": _("Rencana dasar"), "changes": {}},
    "feri-kupang-kalabahi-batal": {"label": _("Feri Kupang–Kalabahi batal"),
                                   "changes": {"cancelled_links": ["Kupang–Kalabahi"]}},
    "rawan-plus-20": {"label": _("TPS rawan +20%"), "changes": {"rawan_uplift": 0.2}},
    "brimob-ditarik": {"label": _("Kompi Brimob ditarik"), "changes": {"brimob_withdrawn": 100}},
    "menunggu-jadwal-kapal": {"label": _("Menunggu jadwal kapal (rata-rata setengah selang keberangkatan)"),
                              "changes": {"schedule_wait_factor": 0.5}},
}


class OperationPhase(models.TextChoices):
    """Phases of the security operation (Operasi Mantap Praja) a Renpam is approved for."""

    PERSIAPAN = "persiapan", _("Persiapan dan kampanye")
    PEMUNGUTAN = "pemungutan", _("Pemungutan dan penghitungan suara")
    REKAPITULASI = "rekapitulasi", _("Rekapitulasi dan pasca pemungutan")


#: shown on a plan whose TPS tiers are placeholders (no risk assessment yet)
PLACEHOLDER_LABEL = "tingkat kerawanan sementara (belum ada penilaian)"
