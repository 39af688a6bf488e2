"""Plan exports: XLSX (openpyxl) per Polres / Polsek / TPS, and PDF (WeasyPrint) when it is installed."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from sinergi.core.exports import xlsx_append

from . import selectors
from .choices import PLACEHOLDER_LABEL


def plan_xlsx(*, user, plan) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Ringkasan"
    m = plan.metrics
    rows = [("Rencana", plan.name), ("Skenario", plan.scenario), ("Hash masukan", plan.input_hash)]
    if plan.tier_source == "placeholder":
        rows.append(("PERHATIAN", PLACEHOLDER_LABEL))
    rows += [(k, v) for k, v in m.items() if isinstance(v, (int, float, str))]
    for r in rows:
        xlsx_append(ws, list(r))
    ws["A1"].font = Font(bold=True)

    ws = wb.create_sheet("Polres")
    xlsx_append(ws, ["Polres", "TPS kurang rawan", "TPS rawan", "TPS sangat rawan", "TPS khusus", "Kekuatan",
               "Dapat dikerahkan", "Personel dibutuhkan", "Metode manual", "Linmas", "Kelompok",
               "Batas bawah ceil(n/B)", "Batas (radius)", "BKO masuk", "BKO keluar", "Kekurangan"])
    for pu in selectors.plan_units(user=user, plan=plan):
        t = pu.tps_by_tier
        xlsx_append(ws, [pu.unit.name, t.get("kurang_rawan", 0), t.get("rawan", 0), t.get("sangat_rawan", 0),
                   t.get("khusus", 0), pu.strength, pu.deployable, pu.officers_required, pu.officers_manual,
                   pu.linmas, pu.groups, pu.groups_lower_bound, pu.groups_bound, pu.reinforcements_in,
                   pu.reinforcements_out, pu.shortfall])

    ws = wb.create_sheet("Polsek")
    xlsx_append(ws, ["Polres", "Polsek", "Kecamatan", "Kelompok", "TPS", "Personel", "Linmas"])
    agg: dict[tuple, list[int]] = {}
    for g in selectors.plan_groups(user=user, plan=plan):
        key = (g.unit.name, g.polsek.name if g.polsek else "", g.district_code)
        a = agg.setdefault(key, [0, 0, 0, 0])
        a[0] += 1
        a[1] += g.tps_count
        a[2] += g.officers
        a[3] += g.linmas
    for key in sorted(agg):
        xlsx_append(ws, [*key, *agg[key]])

    ws = wb.create_sheet("TPS")
    xlsx_append(ws, ["Kode TPS", "Tingkat", "Kelompok", "Polsek", "Personel kelompok", "Linmas kelompok",
               "Menit ke pos (maks kelompok, perkiraan)", "Cadangan terdekat",
               "Waktu tanggap cadangan (menit, perkiraan)"])
    for a in selectors.plan_assignments(user=user, plan=plan).select_related("reserve").order_by(
            "polling_station__code").iterator(chunk_size=2000):
        g = a.group
        xlsx_append(ws, [a.polling_station.code, a.tier, f"K{g.number}", g.polsek.name if g.polsek else "", g.officers,
                   g.linmas, g.max_travel_min, a.reserve.name if a.reserve else "", a.reserve_minutes])

    ws = wb.create_sheet("BKO")
    xlsx_append(ws, ["Dari", "Jenis", "Ke", "Jumlah", "Menit", "Rute"])
    for r in selectors.plan_reinforcements(user=user, plan=plan):
        xlsx_append(ws, [r.source_name, r.source_kind, r.to_unit.name, r.count, r.minutes, r.route])

    ws = wb.create_sheet("Cadangan")
    xlsx_append(ws, ["Tujuan", "Lokasi", "Kode", "Tim", "TPS dilayani", "Menit maks", "Menit rata-rata"])
    for r in selectors.plan_reserves(user=user, plan=plan):
        xlsx_append(ws, [r.kind, r.name, r.district_code, r.team_size, r.demand_count, r.max_minutes, r.mean_minutes])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def plan_pdf(html: str) -> bytes | None:
    """PDF from the print view's HTML, or None when WeasyPrint is not installed."""
    try:
        import weasyprint
    except (ImportError, OSError):
        return None
    return weasyprint.HTML(string=html).write_pdf()


def approval_pdf(approval, snapshot: dict[str, dict]) -> bytes:
    """The signed Renpam: version, approver (name, rank, unit), time, the per Polres figures and the changes
    against the previous version. Plain HTML bytes when WeasyPrint is missing (still hashed and anchored)."""
    from django.template.loader import render_to_string
    from django.utils import timezone

    html = render_to_string("deployment/approval_pdf.html", {
        "a": approval, "plan": approval.plan, "rows": [dict(code=k, **v) for k, v in sorted(snapshot.items())],
        "approved_local": timezone.localtime(approval.approved_at),
        "diff": approval.diff, "placeholder": approval.plan.tier_source == "placeholder",
        "placeholder_label": PLACEHOLDER_LABEL})
    pdf = plan_pdf(html)
    return pdf if pdf is not None else html.encode()
