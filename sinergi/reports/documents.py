"""Rendering a report's snapshot: the HTML shown on the page, the PDF (WeasyPrint, from the same HTML) and
the XLSX (openpyxl). Labels are resolved here, in the requested language; figures come from the snapshot."""

from __future__ import annotations

import datetime as dt
import io
import json

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sinergi.core.exports import xlsx_sheet

from . import charts

#: section key -> heading; the same headings in the page, the PDF and the XLSX sheet titles' source
HEADINGS = {
    "period": gettext_lazy("Periode laporan"),
    "by_category": gettext_lazy("Insiden menurut kategori"),
    "by_region": gettext_lazy("Insiden menurut wilayah"),
    "by_status": gettext_lazy("Insiden menurut status"),
    "notable": gettext_lazy("Insiden menonjol"),
    "deployment": gettext_lazy("Pengerahan personel"),
    "response": gettext_lazy("Waktu tanggap satuan yang dikirim"),
    "checkins": gettext_lazy("Cakupan laporan TPS"),
    "escorts": gettext_lazy("Pengawalan logistik"),
    "alerts": gettext_lazy("Peringatan terbuka"),
    "actions": gettext_lazy("Tindak lanjut lewat jatuh tempo"),
    "map": gettext_lazy("Peta insiden"),
    "trend": gettext_lazy("Tren insiden 7 hari"),
}


def _local(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    return timezone.localtime(dt.datetime.fromisoformat(value), timezone.get_default_timezone())


def _label(choices, code) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return str(code)


def view_model(report, *, language: str = "id") -> dict:
    """Everything a template needs, labels in `language`. Call inside translation.override(language)."""
    from sinergi.coordination.choices import ActionStatus
    from sinergi.incidents.choices import IncidentStatus, Severity
    from sinergi.operations.models import AlertKind

    c = report.content or {}
    en = language == "en"
    inc = c.get("incidents", {})
    notable = [{**n, "category_label": (n.get("category_en") or n["category"]) if en else n["category"],
                "status_label": _label(IncidentStatus, n["status"]),
                "severity_label": _label(Severity, n["severity"]), "occurred": _local(n["occurred_at"])}
               for n in inc.get("notable", [])]
    by_category = [{**r, "label": (r.get("name_en") or r["name"]) if en else r["name"]}
                   for r in inc.get("by_category", [])]
    by_status = [{**r, "label": _label(IncidentStatus, r["code"])} for r in inc.get("by_status", [])]
    by_region = [{**r, "label": r["name"] or _("(lokasi belum diketahui)")} for r in inc.get("by_region", [])]
    alerts = c.get("alerts", {})
    alert_kinds = [{**r, "label": _label(AlertKind, r["code"])} for r in alerts.get("by_kind", [])]
    alert_items = [{**a, "kind_label": _label(AlertKind, a["kind"]), "raised": _local(a["raised_at"])}
                   for a in alerts.get("items", [])]
    actions = c.get("actions", {})
    action_items = [{**a, "status_label": _label(ActionStatus, a["status"])} for a in actions.get("items", [])]
    stage = c.get("stage")
    stage_name = ((stage.get("name_en") or stage["name"]) if en else stage["name"]) if stage else ""
    title = _("Laporan Situasi Harian")
    return {
        "report": report, "c": c, "language": language, "title": title, "h": {k: str(v) for k, v in HEADINGS.items()},
        "start": _local(c.get("period", {}).get("start")), "end": _local(c.get("period", {}).get("end")),
        "stage_name": stage_name, "inc": inc, "by_category": by_category, "by_status": by_status,
        "by_region": by_region, "notable": notable, "alerts": alerts, "alert_kinds": alert_kinds,
        "alert_items": alert_items, "actions": actions, "action_items": action_items,
        "deployment": c.get("deployment", {}), "response": c.get("response", {}), "checkins": c.get("checkins", {}), "escorts": c.get("escorts", {}),
        "trend": c.get("trend", {}).get("days", []),
        "map_svg": mark_safe(charts.map_svg(c.get("scope", {}).get("region_code", ""),  # noqa: S308 - built here
                                            c.get("map", {}).get("points", []), title=str(HEADINGS["map"]))),
        "trend_svg": mark_safe(charts.trend_svg(c.get("trend", {}).get("days", []),  # noqa: S308 - built here
                                                title=str(HEADINGS["trend"]))),
        "severity_colours": charts.SEVERITY_COLOURS,
    }


def render_html(report, *, language: str = "id", standalone: bool = False) -> str:
    with translation.override(language):
        ctx = view_model(report, language=language)
        return render_to_string("sitrep/pdf.html" if standalone else "sitrep/_body.html", ctx)


def render_pdf(report, *, language: str = "id") -> bytes:
    from weasyprint import HTML  # imported lazily: loading pango costs ~0.5 s

    html = render_html(report, language=language, standalone=True)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def render_xlsx(report, *, language: str = "id") -> bytes:
    from openpyxl import Workbook

    with translation.override(language):
        v = view_model(report, language=language)
        c = v["c"]
        wb = Workbook()

        def sheet(title, header, rows, first: bool = False):
            return xlsx_sheet(wb, title, header, rows, first)

        fmt = "%d-%m-%Y %H:%M"
        summary = [
            [_("Laporan"), v["title"]],
            [_("Cakupan"), c["scope"]["unit_name"]], [_("Wilayah"), c["scope"]["region_name"]],
            [_("Pemilihan"), c["election"]["name"]], [_("Tahapan"), v["stage_name"]],
            [_("Awal periode (WITA)"), v["start"].strftime(fmt) if v["start"] else ""],
            [_("Akhir periode (WITA)"), v["end"].strftime(fmt) if v["end"] else ""],
            [_("Versi"), report.version], [_("Jenis"), report.get_kind_display()],
            [_("Insiden dalam periode"), v["inc"].get("total", 0)],
            [_("Insiden masih terbuka"), v["inc"].get("open_now", 0)],
            [_("Dilaporkan terlambat (terjadi sebelum periode)"), v["inc"].get("late_reported", 0)],
            [_("Peringatan terbuka"), v["alerts"].get("total", 0)],
            [_("Tindak lanjut lewat jatuh tempo"), v["actions"].get("total", 0)],
            [_("Hash isi (SHA-256)"), report.content_sha256],
        ]
        sheet(_("Ringkasan"), [_("Butir"), _("Nilai")], summary, first=True)
        sheet(_("Kategori"), [_("Kode"), _("Kategori"), _("Jumlah")],
              [[r["code"], r["label"], r["n"]] for r in v["by_category"]])
        sheet(_("Wilayah"), [_("Kode"), _("Kabupaten/Kota"), _("Jumlah")],
              [[r["code"], r["label"], r["n"]] for r in v["by_region"]])
        sheet(_("Status"), [_("Status"), _("Jumlah")],
              [[r["label"], r["n"]] for r in v["by_status"]])
        sheet(_("Insiden menonjol"), ["ID", _("Judul"), _("Kategori"), _("Keparahan"), _("Waktu (WITA)"),
                                      _("Tempat"), _("TPS"), _("Status"), _("Satuan")],
              [[n["id"], n["title"], n["category_label"], n["severity_label"],
                n["occurred"].strftime(fmt) if n["occurred"] else "", n["place"], n["tps"], n["status_label"],
                n["unit"]] for n in v["notable"]])
        dep = v["deployment"]
        sheet(_("Pengerahan"), [_("Satuan"), _("Kekuatan (perkiraan)"), _("Dapat dikerahkan (perkiraan)"),
                                _("Personel dibutuhkan (perkiraan)"), _("Kelompok"), _("BKO masuk"),
                                _("Kekurangan (perkiraan)")],
              [[r["unit"], r["strength"], r["available"], r["required"], r["groups"], r["reinforcements_in"],
                r["shortfall"]] for r in dep.get("rows", [])])
        rs = v.get("response", {})
        sheet(_("Waktu tanggap"), [_("Polres"), _("Dikirim"), _("Median sampai diterima"), _("Median sampai di lokasi"),
                                   _("Terlama sampai di lokasi"), _("Belum selesai")],
              [[r["polres"], r["n"], r["ack_text"], r["scene_text"], r["max_text"], r["open"]]
               for r in rs.get("rows", [])])
        ck = v["checkins"]
        sheet(_("Cakupan TPS"), [_("Polres"), _("TPS"), _("Dibuka"), _("Pemungutan"), _("Ditutup"),
                                 _("Dihitung"), _("Diserahkan"), _("Masalah"), _("Belum melapor")],
              [[r["unit_name"], r["tps_total"], r["opened"], r["voting"], r["closed"], r["counted"],
                r["handed_over"], r["problems"], r["missing"]] for r in ck.get("rows", [])])
        es = v["escorts"]
        sheet(_("Pengawalan"), [_("Butir"), _("Jumlah")],
              [[_("Seluruh pergerakan"), es.get("total", 0)], [_("Direncanakan"), es.get("planned", 0)],
               [_("Dalam perjalanan"), es.get("in_motion", 0)], [_("Tiba"), es.get("arrived", 0)],
               [_("Terlambat"), es.get("delayed", 0)]] if es.get("available") else [[_("belum ada data"), ""]])
        sheet(_("Peringatan"), [_("Jenis"), _("Tingkat"), _("Pesan"), _("Satuan"), _("Muncul (WITA)")],
              [[a["kind_label"], a["severity"], a["message"], a["unit"],
                a["raised"].strftime(fmt) if a["raised"] else ""] for a in v["alert_items"]])
        sheet(_("Tindak lanjut"), [_("Tindak lanjut"), _("Penanggung jawab"), _("Batas waktu"),
                                   _("Hari terlambat"), _("Status"), "TLP"],
              [[a["title"], a["owner"], a["due_date"], a["days_overdue"], a["status_label"], a["marking"]]
               for a in v["action_items"]])
        sheet(_("Tren"), [_("Tanggal"), _("Insiden")], [[d["date"], d["n"]] for d in v["trend"]])
        checkpoint = c.get("audit_checkpoint")
        if checkpoint:  # the signed audit checkpoint, as JSON to copy out and verify offline (docs/security.md)
            sheet(_("Titik periksa audit"), [_("Butir"), _("Nilai")],
                  [[k, str(checkpoint[k])] for k in sorted(checkpoint)]
                  + [["json", json.dumps(checkpoint, sort_keys=True)]])
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()
