"""Every XLSX export (risk ranking, deployment plan, situation report) opens in a spreadsheet with a bold header
row of labels that stays in view (frozen), columns wide enough to read, and labels instead of choice codes."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from sinergi.accounts.choices import Role
from tests.risk.test_risk_web import scored, world  # noqa: F401 - fixtures

CODE = re.compile(r"^[a-z]+(_[a-z]+)+$")  # e.g. kode_tps, sangat_rawan, violence_clash


def check_workbook(data: bytes) -> dict[str, list[tuple]]:
    """Each sheet: header frozen, bold, labelled (not snake_case codes), every column at least 8 wide."""
    wb = load_workbook(io.BytesIO(data))
    sheets = {}
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        header = [c for c in ws[1]]
        assert header and all(c.font.b for c in header), ws.title
        labels = [c.value for c in header]
        assert all(isinstance(v, str) and v.strip() and not CODE.match(v) for v in labels), (ws.title, labels)
        for c in header:
            assert (ws.column_dimensions[c.column_letter].width or 0) >= 8, (ws.title, c.value)
        sheets[ws.title] = list(ws.iter_rows(values_only=True))
    return sheets


def no_codes(rows: list[tuple], codes: set[str]) -> None:
    assert not {v for r in rows for v in r if isinstance(v, str)} & codes


def test_risk_xlsx(scored, client):  # noqa: F811
    w, analyst = scored
    client.force_login(analyst)
    sheets = check_workbook(client.get(reverse("risk:export", args=["tps", "xlsx"])).content)
    rows = next(iter(sheets.values()))
    assert rows[0][:3] == ("Kode TPS", "Desa/Kelurahan", "Kecamatan") and "Tingkat kerawanan" in rows[0]
    tier = rows[0].index("Tingkat kerawanan")
    assert {r[tier] for r in rows[1:]} >= {"sangat rawan", "rawan"}
    no_codes(rows[1:], {"sangat_rawan", "kurang_rawan", "riwayat_kekerasan"})


def test_situation_report_xlsx(ntt_dataset, make_user, django_capture_on_commit_callbacks):
    from sinergi.reports.models import ReportFile
    from tests import reports_data
    from tests.reports.test_reports import generate

    rw = reports_data.build(make_user)
    report = generate(django_capture_on_commit_callbacks, rw.analyst, rw.polda, rw)
    files = ReportFile.objects.filter(report=report, format="xlsx")
    assert files.exists()
    for f in files:
        sheets = check_workbook(bytes(f.data))
        status = sheets["Status"]
        assert status[0][0] in ("Status",)
        no_codes(status[1:], {"new", "verified", "in_progress", "resolved", "rejected"})


@pytest.mark.slow
def test_plan_xlsx(ntt_dataset, make_user, client):
    from sinergi.accounts.models import Unit
    from sinergi.deployment.services import plan_run_sync
    from sinergi.elections.selectors import default_election

    plan = plan_run_sync(actor=None, election=default_election(), scenario="dasar",
                         parameters={"reserve_k": 5, "time_limit_s": 1.0})
    client.force_login(make_user(unit=Unit.objects.get(code="POLDA-NTT"), role=Role.ANALYST))
    sheets = check_workbook(client.get(reverse("deployment:xlsx", args=[plan.pk])).content)
    assert list(sheets) == ["Ringkasan", "Polres", "Polsek", "TPS", "BKO", "Cadangan"]
    summary = {r[0]: r[1] for r in sheets["Ringkasan"][1:]}
    assert summary["Skenario"] == "Rencana dasar" and summary["Personel dibutuhkan"] == plan.metrics["officers_required"]
    assert not any(CODE.match(k) for k in summary)
    tps = sheets["TPS"]
    assert {r[1] for r in tps[1:]} <= {"Kurang rawan", "Rawan", "Sangat rawan", "Lokasi khusus"}
    no_codes(tps[1:] + sheets["BKO"][1:] + sheets["Cadangan"][1:],
             {"kurang_rawan", "sangat_rawan", "median", "center", "brimob", "polda", "tni"})
    assert sheets["Polres"][0][-1] == "Kekurangan"
