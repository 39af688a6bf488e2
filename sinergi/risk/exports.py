"""Exports of the current assessments: CSV, XLSX and GeoJSON. Demo data is labelled in every row."""

from __future__ import annotations

import io
import json

from django.utils.translation import gettext as _

from sinergi.core.exports import csv_writer, xlsx_append, xlsx_header

from .choices import TpsTier

COLUMNS = ["kode_tps", "desa", "kecamatan", "kabupaten_kota", "lintang", "bujur", "lokasi_perkiraan", "skor",
           "tingkat", "cakupan_data", "data_kurang", "poin_insiden", "alasan", "model_versi", "dihitung", "data_demo"]
TIER_LABEL = dict(TpsTier.choices)


def xlsx_columns() -> list[tuple[str, int]]:
    """(header label, column width) of the XLSX sheet, in the order of COLUMNS (the CSV/GeoJSON keep the codes)."""
    return [(_("Kode TPS"), 16), (_("Desa/Kelurahan"), 22), (_("Kecamatan"), 20), (_("Kabupaten/Kota"), 22),
            (_("Lintang"), 11), (_("Bujur"), 11), (_("Lokasi"), 11), (_("Skor"), 8), (_("Tingkat kerawanan"), 18),
            (_("Cakupan data"), 13), (_("Data kurang"), 12), (_("Poin insiden"), 12), (_("Alasan utama"), 60),
            (_("Versi model"), 12), (_("Dihitung"), 26), (_("Data demo"), 11)]


def rows(assessments, model, names: dict[str, str], indicators: dict[str, str] | None = None):
    """Export rows with words, not codes: tier labels and the names of the top indicators (`indicators`)."""
    indicators = indicators or {}
    for a in assessments.order_by("polling_station__code").values_list(
            "polling_station__code", "polling_station__village__name", "polling_station__district_code",
            "polling_station__regency_code", "polling_station__lat", "polling_station__lng",
            "polling_station__location_estimated", "score", "tier", "coverage", "low_coverage", "incident_points",
            "top", "computed_at", "is_demo"):
        (code, desa, kec, kab, lat, lng, est, score, tier, cov, low, inc, top, when, demo) = a
        yield [code, desa, names.get(kec, kec), names.get(kab, kab), lat, lng, "perkiraan" if est else "",
               score, str(TIER_LABEL.get(tier, "belum dinilai")), round(cov, 3), "ya" if low else "",
               inc, "; ".join(indicators.get(c, c) for c, _p in (top or [])), model.version, when.isoformat(),
               "data demo" if demo else ""]


def to_csv(data) -> bytes:
    buf = io.StringIO()
    w = csv_writer(buf)  # formula-safe cells
    w.writerow(COLUMNS)
    w.writerows(data)
    return buf.getvalue().encode("utf-8-sig")


def to_xlsx(data, title: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    cols = xlsx_columns()
    assert len(cols) == len(COLUMNS)
    xlsx_header(ws, [label for label, _w in cols], widths=[w for _label, w in cols])
    for r in data:
        xlsx_append(ws, r)  # formula-safe cells
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_geojson(data) -> bytes:
    features = []
    for r in data:
        if r[4] is None:
            continue
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [r[5], r[4]]},
                         "properties": dict(zip(COLUMNS, r, strict=True))})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode("utf-8")
