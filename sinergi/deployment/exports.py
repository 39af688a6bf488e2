"""Plan exports: XLSX (openpyxl) per Polres / Polsek / TPS, and PDF (WeasyPrint) when it is installed."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook

from sinergi.core.exports import xlsx_sheet

from . import selectors
from .choices import PLACEHOLDER_LABEL, SCENARIOS, ReserveKind, Tier, TierSource


def _summary_rows(plan) -> list[list]:
    """Plan summary in words: scenario label, tier source label and the headline figures by name (minutes, not
    hours; the solver's internal figures stay on the page's details section)."""
    from .selectors import COMPARE_METRICS, _minutes

    m = plan.metrics or {}
    scenario = SCENARIOS.get(plan.scenario, {}).get("label", plan.scenario)
    rows = [[_("Rencana"), plan.name], [_("Skenario"), str(scenario)],
            [_("Sumber tingkat kerawanan"), str(dict(TierSource.choices).get(plan.tier_source, plan.tier_source))]]
    if plan.tier_source == "placeholder":
        rows.append([_("PERHATIAN"), str(PLACEHOLDER_LABEL)])
    for key, label, kind in COMPARE_METRICS:
        v = m.get(key)
        if not isinstance(v, (int, float)):
            continue
        if kind in ("hours", "person_minutes"):
            rows.append([f"{label} ({_('menit')})", round(_minutes(v, kind), 1)])
        elif kind == "share":
            rows.append([f"{label} (%)", round(v * 100, 1)])
        else:
            rows.append([str(label), v])
    for key, label in (("officers_manual", _("Personel menurut metode manual")),
                       ("linmas_required", _("Linmas dibutuhkan"))):
        if isinstance(m.get(key), (int, float)):
            rows.append([str(label), m[key]])
    rows.append([_("Hash masukan"), plan.input_hash])
    return rows


def plan_xlsx(*, user, plan) -> bytes:
    """The plan workbook: one sheet per table, each with a bold frozen header row of labels and fitted columns;
    tiers, sources and reserve objectives as labels, not codes."""
    wb = Workbook()
    tier_label = dict(Tier.choices)
    reserve_label = dict(ReserveKind.choices)
    source_label = {"brimob": _("Brimob"), "polda": _("Mapolda"), "polres": _("Surplus Polres lain"), "tni": _("TNI")}

    def sheet(title, header, rows, first: bool = False):
        return xlsx_sheet(wb, title, header, rows, first)

    sheet(_("Ringkasan"), [_("Butir"), _("Nilai")], _summary_rows(plan), first=True)

    sheet("Polres", [_("Polres"), _("TPS kurang rawan"), _("TPS rawan"), _("TPS sangat rawan"), _("TPS khusus"),
                     _("Kekuatan"), _("Dapat dikerahkan"), _("Personel dibutuhkan"), _("Metode manual"),
                     _("Linmas"), _("Kelompok"), _("Kelompok paling sedikit (TPS per kelompok)"),
                     _("Kelompok paling sedikit (jarak tempuh)"), _("BKO masuk"), _("BKO keluar"),
                     _("Kekurangan")],
          ([pu.unit.name, (t := pu.tps_by_tier).get("kurang_rawan", 0), t.get("rawan", 0),
            t.get("sangat_rawan", 0), t.get("khusus", 0), pu.strength, pu.deployable, pu.officers_required,
            pu.officers_manual, pu.linmas, pu.groups, pu.groups_lower_bound, pu.groups_bound,
            pu.reinforcements_in, pu.reinforcements_out, pu.shortfall]
           for pu in selectors.plan_units(user=user, plan=plan)))

    agg: dict[tuple, list[int]] = {}
    for g in selectors.plan_groups(user=user, plan=plan):
        key = (g.unit.name, g.polsek.name if g.polsek else "", g.district_code)
        a = agg.setdefault(key, [0, 0, 0, 0])
        a[0] += 1
        a[1] += g.tps_count
        a[2] += g.officers
        a[3] += g.linmas
    sheet("Polsek", [_("Polres"), _("Polsek"), _("Kode kecamatan"), _("Kelompok"), _("TPS"), _("Personel"),
                     _("Linmas")], ([*key, *agg[key]] for key in sorted(agg)))

    sheet("TPS", [_("Kode TPS"), _("Tingkat kerawanan"), _("Kelompok"), _("Polsek"), _("Personel kelompok"),
                  _("Linmas kelompok"), _("Menit ke pos (maks kelompok, perkiraan)"), _("Cadangan terdekat"),
                  _("Waktu tanggap cadangan (menit, perkiraan)")],
          ([a.polling_station.code, str(tier_label.get(a.tier, a.tier)), f"K{a.group.number}",
            a.group.polsek.name if a.group.polsek else "", a.group.officers, a.group.linmas,
            a.group.max_travel_min, a.reserve.name if a.reserve else "", a.reserve_minutes]
           for a in selectors.plan_assignments(user=user, plan=plan).select_related("reserve").order_by(
               "polling_station__code").iterator(chunk_size=2000)))

    sheet("BKO", [_("Dari"), _("Jenis sumber"), _("Ke"), _("Jumlah"), _("Menit"), _("Rute")],
          ([r.source_name, str(source_label.get(r.source_kind, r.source_kind)), r.to_unit.name, r.count,
            r.minutes, r.route] for r in selectors.plan_reinforcements(user=user, plan=plan)))

    sheet(_("Cadangan"), [_("Tujuan penempatan"), _("Lokasi"), _("Kode kecamatan"), _("Tim"), _("TPS dilayani"),
                          _("Menit maks"), _("Menit rata-rata")],
          ([str(reserve_label.get(r.kind, r.kind)), r.name, r.district_code, r.team_size, r.demand_count,
            r.max_minutes, r.mean_minutes] for r in selectors.plan_reserves(user=user, plan=plan)))
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
