"""Reading and validating KPU's TPS list (CSV or XLSX), and upserting it into PollingStation.

Three steps, each usable on its own:

1. `read_table(data, filename)` turns the bytes into a header and rows with their spreadsheet row numbers
   (the header is row 1), or raises `ImportFileError` for an unreadable file (bad encoding, empty, corrupt XLSX).
2. `validate_rows(table, election)` maps the header to canonical columns, checks every row against the regions
   in the database (and their polygons) and returns the clean rows plus a list of `RowError`.
3. `apply_rows(election, rows)` upserts the clean rows by (election, desa, number) with bulk operations and
   returns how many were created, updated or unchanged.

Messages are in Bahasa Indonesia with the English in parentheses. Nothing here writes audit events: the service
(`services.tps_import_execute`) wraps these steps in a run record and a transaction.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max, Min

from sinergi.core import uploads
from sinergi.regions.models import Region, RegionLevel

from .models import MAX_VOTERS_PER_TPS, Election, PollingStation

#: canonical column -> accepted header spellings (compared after `_norm_header`)
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "kode_desa": (
        "kode_desa", "kode_kelurahan", "kode_desa_kelurahan", "kode_desakel", "kode_kel", "kd_desa", "kd_kel",
        "kode_wilayah", "kode_kpu_desa", "kode_kemendagri", "village_code", "desa_code", "kode",
    ),
    "no_tps": ("no_tps", "nomor_tps", "nomer_tps", "tps", "tps_no", "tps_number"),
    "jumlah_pemilih": (
        "jumlah_pemilih", "jml_pemilih", "pemilih", "dpt", "jumlah_dpt", "jml_dpt", "total_dpt", "voters",
    ),
    "lat": ("lat", "latitude", "lintang"),
    "lng": ("lng", "lon", "long", "longitude", "bujur"),
    "alamat": ("alamat", "alamat_tps", "lokasi_tps", "address"),
    "akses": ("akses", "moda_akses", "jalur", "access", "access_mode"),
    "lokasi_khusus": ("lokasi_khusus", "tps_khusus", "khusus", "tps_lokasi_khusus", "special_location", "special"),
    "keterangan": ("keterangan", "ket", "catatan", "note", "notes", "special_location_note"),
}
REQUIRED_COLUMNS = ("kode_desa", "no_tps", "jumlah_pemilih")
COLUMN_LABELS = {
    "kode_desa": "kode desa", "no_tps": "nomor TPS", "jumlah_pemilih": "jumlah pemilih", "lat": "lintang",
    "lng": "bujur", "alamat": "alamat", "akses": "akses", "lokasi_khusus": "lokasi khusus",
    "keterangan": "keterangan",
}

ACCESS_VALUES = {
    "road": PollingStation.AccessMode.ROAD, "darat": PollingStation.AccessMode.ROAD,
    "jalan": PollingStation.AccessMode.ROAD, "jalan_darat": PollingStation.AccessMode.ROAD,
    "boat": PollingStation.AccessMode.BOAT, "laut": PollingStation.AccessMode.BOAT,
    "perahu": PollingStation.AccessMode.BOAT, "kapal": PollingStation.AccessMode.BOAT,
    "air": PollingStation.AccessMode.BOAT, "sea": PollingStation.AccessMode.BOAT,
    "foot": PollingStation.AccessMode.FOOT, "kaki": PollingStation.AccessMode.FOOT,
    "jalan_kaki": PollingStation.AccessMode.FOOT, "walk": PollingStation.AccessMode.FOOT,
    "unknown": PollingStation.AccessMode.UNKNOWN, "tidak_diketahui": PollingStation.AccessMode.UNKNOWN,
    "belum_diketahui": PollingStation.AccessMode.UNKNOWN,
}
YES_VALUES = {"ya", "y", "yes", "true", "1", "x", "v", "benar", "khusus"}
NO_VALUES = {"tidak", "t", "no", "n", "false", "0", "bukan", "-"}

MAX_TPS_NUMBER = 999  # the TPS code pads the number to three digits
POLYGON_TOLERANCE_M = 200.0  # a point this close outside the desa polygon is still accepted
PROVINCE_MARGIN_DEG = 0.25  # margin around the province's extent (~28 km)
INDONESIA_BOUNDS = (-11.5, 6.5, 94.0, 141.5)  # lat_min, lat_max, lng_min, lng_max
METERS_PER_DEGREE = 111_320.0
IMPORT_SOURCE = "KPU (impor daftar TPS)"
FILE_FIELD = "berkas"
HEADER_SEARCH_ROWS = 10  # a title block above the header may take this many rows

_DOTTED_CODE = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
_KPU_CODE = re.compile(r"^\d{10}$")
_TPS_NUMBER = re.compile(r"^(?:tps\s*)?0*(\d+)$", re.IGNORECASE)


class ImportFileError(Exception):
    """The file as a whole cannot be read; `row` is the spreadsheet row when it is known."""

    def __init__(self, message: str, *, row: int | None = None, field_name: str = FILE_FIELD):
        super().__init__(message)
        self.message = message
        self.row = row
        self.field = field_name


@dataclass(frozen=True)
class RowError:
    row: int | None
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass
class Table:
    format: str
    header: list[str]
    header_row: int
    rows: list[tuple[int, list[Any]]]  # (spreadsheet row number, cells)


@dataclass
class CleanRow:
    row: int
    village_code: str
    number: int
    voters: int
    lat: float | None = None
    lng: float | None = None
    address: str | None = None
    access_mode: str | None = None
    special_location: bool | None = None
    special_location_note: str | None = None


@dataclass
class Validation:
    rows_total: int = 0
    clean: list[CleanRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    file_error: bool = False
    columns: dict[str, str] = field(default_factory=dict)  # canonical -> header as written
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors if e.row is not None and e.row > 1})


@dataclass
class ApplyCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    not_in_file: int = 0


# --------------------------------------------------------------------------------------------- reading


def detect_format(data: bytes, filename: str) -> str:
    """"xlsx" for an Office Open XML workbook (by content), "csv" otherwise; old .xls and .ods are refused."""
    name = (filename or "").lower()
    if data[:4] == b"PK\x03\x04":
        if name.endswith(".ods"):
            raise ImportFileError("Format .ods tidak didukung; simpan sebagai .xlsx atau .csv (ODS not supported).")
        return "xlsx"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or name.endswith(".xls"):
        raise ImportFileError(
            "Format Excel lama (.xls) tidak didukung; simpan sebagai .xlsx atau CSV UTF-8 "
            "(legacy .xls not supported)."
        )
    return "csv"


def read_table(data: bytes, filename: str = "") -> Table:
    if not data or not data.strip():
        raise ImportFileError("Berkas kosong (empty file).")
    if len(data) > uploads.max_bytes():
        raise ImportFileError(uploads.size_message(len(data)))
    fmt = detect_format(data, filename)
    if fmt == "xlsx":
        _check_xlsx_unpacked(data)
    raw_rows = _read_xlsx(data) if fmt == "xlsx" else _read_csv(data)
    filled = _filled_rows(raw_rows)
    if not filled:
        raise ImportFileError("Berkas kosong (empty file).")
    # The header is the first non-empty row, unless a title block sits above it: then the first of the
    # leading rows that names at least two required columns. Row numbers stay those of the spreadsheet.
    at = 0
    for i, (_number, cells) in enumerate(filled[:HEADER_SEARCH_ROWS]):
        if _required_hits([_cell_text(c) for c in cells]) >= 2:
            at = i
            break
    header_row, header_cells = filled[at]
    header = [_cell_text(c) for c in header_cells]
    rows = filled[at + 1:]
    return Table(format=fmt, header=header, header_row=header_row, rows=rows)


def _filled_rows(raw_rows: Iterable[tuple[int, list[Any]]]) -> list[tuple[int, list[Any]]]:
    """The non-blank rows, read one by one; stops with an error naming the limit at the first row (or column)
    over SINERGI_UPLOAD_MAX_ROWS / _COLUMNS, so a huge sheet is never held in memory (+1 row: the header)."""
    rows_limit, cols_limit = uploads.max_rows() + 1, uploads.max_columns()
    # a sheet of mostly empty rows is refused too (openpyxl fills each skipped row number)
    numbers_limit = 2 * rows_limit + HEADER_SEARCH_ROWS
    filled: list[tuple[int, list[Any]]] = []
    for number, cells in raw_rows:
        if number > numbers_limit:
            raise ImportFileError(uploads.rows_message(), row=number)
        if all(_is_blank(c) for c in cells):
            continue
        if len(cells) > cols_limit and not all(_is_blank(c) for c in cells[cols_limit:]):
            raise ImportFileError(uploads.columns_message(), row=number)
        if len(filled) >= rows_limit:
            raise ImportFileError(uploads.rows_message(), row=number)
        end = len(cells)
        while end and _is_blank(cells[end - 1]):  # XLSX rows come padded to the column limit: keep the filled part
            end -= 1
        filled.append((number, list(cells[:end])))
    return filled


def _required_hits(header: list[str]) -> int:
    names = {_norm_header(h) for h in header}
    return sum(1 for canon in REQUIRED_COLUMNS if names & set(COLUMN_ALIASES[canon]))


def _read_csv(data: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = data[exc.start:exc.start + 1].hex().upper()
        row = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            f"Berkas bukan UTF-8: byte 0x{bad} di posisi {exc.start} (baris {row}) tidak dapat dibaca. "
            "Simpan ulang sebagai 'CSV UTF-8' (file is not UTF-8).",
            row=row,
        ) from exc
    text = text.replace("\x00", "")
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((";", ",", "\t"), key=lambda d: first_line.count(d))
    if first_line.count(delimiter) == 0:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise ImportFileError(f"CSV tidak dapat dibaca: {exc} (unreadable CSV).") from exc


def _read_xlsx(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportFileError(f"Berkas XLSX rusak atau tidak dapat dibaca (corrupt XLSX): {exc}") from exc
    try:
        if not workbook.worksheets:
            raise ImportFileError("Berkas XLSX tidak punya lembar kerja (no worksheet).")
        sheet = workbook.worksheets[0]
        # Streaming (read-only) and at most one column past the limit: the sheet's declared dimension is not
        # trusted (a row claiming column XFD would otherwise be padded to 16,384 cells).
        width = uploads.max_columns() + 1
        for number, cells in enumerate(sheet.iter_rows(values_only=True, max_col=width), start=1):
            yield number, list(cells)
    finally:
        workbook.close()


def _check_xlsx_unpacked(data: bytes) -> None:
    """openpyxl keeps the shared-strings table in memory: refuse one that unpacks beyond the upload limit."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if info.filename.lower().endswith("sharedstrings.xml") and info.file_size > uploads.max_bytes():
                    raise ImportFileError(uploads.size_message(info.file_size))
    except zipfile.BadZipFile as exc:
        raise ImportFileError(f"Berkas XLSX rusak atau tidak dapat dibaca (corrupt XLSX): {exc}") from exc


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _norm_header(name: str) -> str:
    name = name.replace("\ufeff", "").strip().lower()
    name = re.sub(r"[^0-9a-z]+", "_", name)
    return name.strip("_")


def _norm_word(value: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", value.strip().lower()).strip("_")


# --------------------------------------------------------------------------------------------- values


def normalize_village_code(raw: str) -> str | None:
    """53.01.04.2003 or the KPU's 5301042003 -> 53.01.04.2003; None when the text is not such a code."""
    code = raw.strip().replace(" ", "")
    if _DOTTED_CODE.match(code):
        return code
    if _KPU_CODE.match(code):
        return f"{code[:2]}.{code[2:4]}.{code[4:6]}.{code[6:]}"
    return None


def _parse_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = str(value).strip()
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    if re.fullmatch(r"[+-]?\d+[.,]0+", text):
        return int(re.split(r"[.,]", text)[0])
    return None


def _parse_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = str(value).strip().replace(" ", "")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")  # Indonesian decimal comma
        try:
            number = float(text)
        except ValueError:
            return None
    return number if math.isfinite(number) else None


# --------------------------------------------------------------------------------------------- validation


@dataclass
class _RegionInfo:
    level: str
    province_code: str
    lat: float | None
    lng: float | None
    centroid_source: str


def map_header(header: list[str], header_row: int, result: Validation) -> dict[str, int]:
    """canonical column -> cell index; header problems are added to `result.errors`."""
    lookup = {alias: canon for canon, aliases in COLUMN_ALIASES.items() for alias in aliases}
    index: dict[str, int] = {}
    for i, name in enumerate(header):
        key = _norm_header(name)
        if not key:
            continue
        canon = lookup.get(key)
        if canon is None:
            result.ignored_columns.append(name)
            continue
        if canon in index:
            result.errors.append(RowError(header_row, canon, (
                f"Kolom '{name}' dan '{header[index[canon]]}' sama-sama berarti {canon}; hapus salah satu "
                "(duplicate column).")))
            continue
        index[canon] = i
        result.columns[canon] = name
    for canon in REQUIRED_COLUMNS:
        if canon not in index:
            result.errors.append(RowError(header_row, canon, (
                f"Kolom wajib '{canon}' tidak ada di baris judul (required column missing). "
                f"Nama yang diterima: {', '.join(COLUMN_ALIASES[canon][:4])}.")))
    if ("lat" in index) != ("lng" in index):
        missing = "lng" if "lat" in index else "lat"
        result.errors.append(RowError(header_row, missing, (
            f"Kolom '{missing}' tidak ada, padahal kolom pasangannya ada; isi lat dan lng bersama-sama "
            "(lat and lng columns must come together).")))
    return index


def validate_rows(table: Table, election: Election, progress=None) -> Validation:
    """Check every row; `progress(i)` (optional) is called with the number of rows checked so far."""
    result = Validation(rows_total=len(table.rows))
    index = map_header(table.header, table.header_row, result)
    if result.errors:
        result.file_error = True
        return result
    if not table.rows:
        result.errors.append(RowError(None, FILE_FIELD, "Berkas tidak berisi baris data, hanya judul (no data rows)."))
        result.file_error = True
        return result

    def cell(cells: list[Any], canon: str) -> Any:
        i = index.get(canon)
        if i is None or i >= len(cells):
            return None
        value = cells[i]
        return None if _is_blank(value) else value

    codes: dict[int, str] = {}
    for number, cells in table.rows:
        raw = cell(cells, "kode_desa")
        if raw is not None:
            code = normalize_village_code(_cell_text(raw))
            if code:
                codes[number] = code
    regions = _load_regions(set(codes.values()))
    election_province = election.province_id
    bounds_cache: dict[str, tuple[float, float, float, float]] = {}

    candidates: list[CleanRow] = []
    row_errors: dict[int, list[RowError]] = {}

    def err(row: int, canon: str, message: str) -> None:
        row_errors.setdefault(row, []).append(RowError(row, canon, message))

    for checked, (number, cells) in enumerate(table.rows):
        if progress is not None:
            progress(checked)
        # kode_desa
        raw_code = cell(cells, "kode_desa")
        code = codes.get(number)
        info: _RegionInfo | None = None
        if raw_code is None:
            err(number, "kode_desa", "Kode desa wajib diisi (required).")
        elif code is None:
            err(number, "kode_desa", (
                f"Kode desa '{_cell_text(raw_code)}' tidak dikenali; gunakan kode Kemendagri seperti 53.01.04.2003 "
                "atau kode KPU 10 angka seperti 5301042003 (malformed region code)."))
        else:
            info = regions.get(code)
            if info is None:
                err(number, "kode_desa", f"Kode desa {code} tidak ada di basis data wilayah (unknown region code).")
            elif info.level != RegionLevel.VILLAGE:
                err(number, "kode_desa", f"Kode {code} bukan desa/kelurahan (not a village).")
                info = None
            elif election_province and info.province_code != election_province:
                err(number, "kode_desa", (
                    f"Desa {code} berada di luar provinsi pemilihan {election_province} "
                    "(village outside the election's province)."))
                info = None
        # no_tps
        raw_number = cell(cells, "no_tps")
        tps_number: int | None = None
        if raw_number is None:
            err(number, "no_tps", "Nomor TPS wajib diisi (required).")
        else:
            text = _cell_text(raw_number)
            match = _TPS_NUMBER.match(text)
            value = int(match.group(1)) if match else _parse_int(raw_number)
            if value is None:
                err(number, "no_tps", f"Nomor TPS '{text}' bukan bilangan bulat (not an integer).")
            elif not 1 <= value <= MAX_TPS_NUMBER:
                err(number, "no_tps", f"Nomor TPS {value} di luar rentang 1–{MAX_TPS_NUMBER} (out of range).")
            else:
                tps_number = value
        # jumlah_pemilih
        raw_voters = cell(cells, "jumlah_pemilih")
        voters: int | None = None
        if raw_voters is None:
            err(number, "jumlah_pemilih", "Jumlah pemilih wajib diisi (required).")
        else:
            value = _parse_int(raw_voters)
            if value is None:
                err(number, "jumlah_pemilih",
                    f"Jumlah pemilih '{_cell_text(raw_voters)}' bukan bilangan bulat (not an integer).")
            elif not 1 <= value <= MAX_VOTERS_PER_TPS:
                err(number, "jumlah_pemilih", (
                    f"Jumlah pemilih {value} di luar rentang 1–{MAX_VOTERS_PER_TPS} "
                    f"(voters must be between 1 and {MAX_VOTERS_PER_TPS})."))
            else:
                voters = value
        # lat / lng
        raw_lat, raw_lng = cell(cells, "lat"), cell(cells, "lng")
        lat = lng = None
        if (raw_lat is None) != (raw_lng is None):
            missing = "lng" if raw_lng is None else "lat"
            err(number, missing, "Isi lintang (lat) dan bujur (lng) bersama-sama, atau kosongkan keduanya "
                                 "(give both lat and lng, or neither).")
        elif raw_lat is not None:
            lat, lng = _parse_float(raw_lat), _parse_float(raw_lng)
            if lat is None:
                err(number, "lat", f"Lintang '{_cell_text(raw_lat)}' bukan angka (latitude is not a number).")
            if lng is None:
                err(number, "lng", f"Bujur '{_cell_text(raw_lng)}' bukan angka (longitude is not a number).")
            if lat is not None and lng is not None:
                province = (info.province_code if info else None) or election_province
                lat_min, lat_max, lng_min, lng_max = (
                    _province_bounds(province, bounds_cache) if province else INDONESIA_BOUNDS)
                if not (lat_min <= lat <= lat_max and lng_min <= lng <= lng_max):
                    swapped = lat_min <= lng <= lat_max and lng_min <= lat <= lng_max
                    err(number, "lat", (
                        f"Koordinat ({lat}, {lng}) di luar wilayah provinsi "
                        f"(lintang {lat_min:.2f}..{lat_max:.2f}, bujur {lng_min:.2f}..{lng_max:.2f})"
                        + ("; lat dan lng tampaknya tertukar" if swapped else "")
                        + " (coordinates outside the province area)."))
                    lat = lng = None
        # optional columns
        address = None
        if "alamat" in index:
            raw = cell(cells, "alamat")
            if raw is not None:
                address = _cell_text(raw)
                if len(address) > 255:
                    err(number, "alamat", f"Alamat terlalu panjang ({len(address)} > 255 karakter) (too long).")
        access = None
        if "akses" in index:
            raw = cell(cells, "akses")
            if raw is not None:
                access = ACCESS_VALUES.get(_norm_word(_cell_text(raw)))
                if access is None:
                    err(number, "akses", (
                        f"Akses '{_cell_text(raw)}' tidak dikenal; gunakan darat, laut atau kaki "
                        "(road, boat, foot) (unknown access mode)."))
        special = None
        if "lokasi_khusus" in index:
            raw = cell(cells, "lokasi_khusus")
            if raw is not None:
                word = _norm_word(_cell_text(raw))
                if word in YES_VALUES:
                    special = True
                elif word in NO_VALUES:
                    special = False
                else:
                    err(number, "lokasi_khusus",
                        f"Lokasi khusus '{_cell_text(raw)}' harus ya atau tidak (must be yes or no).")
        note = None
        if "keterangan" in index:
            raw = cell(cells, "keterangan")
            if raw is not None:
                note = _cell_text(raw)
                if len(note) > 255:
                    err(number, "keterangan", f"Keterangan terlalu panjang ({len(note)} > 255 karakter) (too long).")
        if info is not None and code and tps_number is not None and voters is not None:
            candidates.append(CleanRow(
                row=number, village_code=code, number=tps_number, voters=voters, lat=lat, lng=lng,
                address=address, access_mode=access, special_location=special, special_location_note=note,
            ))

    # The same TPS twice in one file: neither row can be trusted, so every occurrence is rejected.
    seen: dict[tuple[str, int], list[int]] = {}
    for number, cells in table.rows:
        code = codes.get(number)
        raw_number = cell(cells, "no_tps")
        if code is None or raw_number is None:
            continue
        match = _TPS_NUMBER.match(_cell_text(raw_number))
        value = int(match.group(1)) if match else _parse_int(raw_number)
        if value is not None:
            seen.setdefault((code, value), []).append(number)
    for (code, value), occurrences in seen.items():
        if len(occurrences) < 2:
            continue
        for row in occurrences:
            others = ", ".join(str(r) for r in occurrences if r != row)
            err(row, "no_tps", (
                f"TPS nomor {value} di desa {code} muncul lebih dari sekali dalam berkas (juga di baris {others}) "
                "(duplicate TPS number within the same desa)."))

    # Points against the desa polygon (with a tolerance), only for rows still clean.
    pending = [c for c in candidates if c.lat is not None and c.row not in row_errors]
    for clean, distance in _polygon_distances(pending):
        if distance > POLYGON_TOLERANCE_M:
            err(clean.row, "lat", (
                f"Koordinat ({clean.lat}, {clean.lng}) berada {distance / 1000:.1f} km di luar batas desa "
                f"{clean.village_code} (toleransi {POLYGON_TOLERANCE_M:.0f} m) (point outside the village polygon)."))

    result.clean = [c for c in candidates if c.row not in row_errors]
    for row in sorted(row_errors):
        result.errors.extend(row_errors[row])
    return result


def _load_regions(codes: set[str]) -> dict[str, _RegionInfo]:
    found: dict[str, _RegionInfo] = {}
    for chunk in _chunks(sorted(codes), 900):
        for code, level, province, lat, lng, source in Region.objects.filter(code__in=chunk).values_list(
            "code", "level", "province_code", "lat", "lng", "centroid_source"
        ):
            found[code] = _RegionInfo(level, province, lat, lng, source)
    return found


def _province_bounds(province: str, cache: dict[str, tuple[float, float, float, float]]):
    if province in cache:
        return cache[province]
    bounds: tuple[float, float, float, float] | None = None
    boxes: list[tuple[float, float, float, float]] = []
    # Regency outlines (22 in NTT) give the province's real extent cheaply; desa centroids fill in the rest.
    for text in Region.objects.filter(province_code=province, level__in=[RegionLevel.PROVINCE, RegionLevel.REGENCY])\
            .exclude(geometry="").values_list("geometry", flat=True):
        geom = _shape(text)
        if geom is not None and not geom.is_empty:
            minx, miny, maxx, maxy = geom.bounds
            boxes.append((miny, maxy, minx, maxx))
    agg = Region.objects.filter(province_code=province, lat__isnull=False, lng__isnull=False).aggregate(
        lat_min=Min("lat"), lat_max=Max("lat"), lng_min=Min("lng"), lng_max=Max("lng"))
    if agg["lat_min"] is not None:
        boxes.append((agg["lat_min"], agg["lat_max"], agg["lng_min"], agg["lng_max"]))
    if boxes:
        bounds = (
            min(b[0] for b in boxes) - PROVINCE_MARGIN_DEG, max(b[1] for b in boxes) + PROVINCE_MARGIN_DEG,
            min(b[2] for b in boxes) - PROVINCE_MARGIN_DEG, max(b[3] for b in boxes) + PROVINCE_MARGIN_DEG,
        )
    cache[province] = bounds or INDONESIA_BOUNDS
    return cache[province]


def _shape(text: str):
    """GeoJSON text (geometry, Feature or FeatureCollection) -> shapely geometry, or None when unreadable."""
    return _shapes([text])[0]


def _shapes(texts: list[str]) -> list[Any]:
    import shapely

    geoms = shapely.from_geojson(texts, on_invalid="ignore")
    out = []
    for geom in geoms:
        if geom is None or geom.is_empty:
            out.append(None)
        else:
            out.append(geom if geom.is_valid else shapely.make_valid(geom))
    return out


def _polygon_distances(rows: list[CleanRow]) -> Iterator[tuple[CleanRow, float]]:
    """Approximate distance in metres from each point to its desa polygon (0 inside); desa without one are skipped."""
    if not rows:
        return
    import numpy as np
    import shapely

    codes = sorted({r.village_code for r in rows})
    geoms: dict[str, Any] = {}
    for chunk in _chunks(codes, 900):
        pairs = list(Region.objects.filter(code__in=chunk).exclude(geometry="").values_list("code", "geometry"))
        for (code, _text), geom in zip(pairs, _shapes([t for _c, t in pairs]), strict=True):
            if geom is not None:
                geoms[code] = geom
    checked = [r for r in rows if r.village_code in geoms]
    if not checked:
        return
    shapely.prepare(np.array(list(geoms.values()), dtype=object))
    polygons = np.array([geoms[r.village_code] for r in checked], dtype=object)
    xs = np.array([r.lng for r in checked], dtype=float)
    ys = np.array([r.lat for r in checked], dtype=float)
    inside = shapely.contains_xy(polygons, xs, ys)
    outside = ~inside
    distances = np.zeros(len(checked))
    if outside.any():
        points = shapely.points(xs[outside], ys[outside])
        # Degrees to metres: one degree of latitude; longitude shrinks by cos(lat), so scale that axis.
        deg = shapely.distance(polygons[outside], points)
        distances[outside] = deg * METERS_PER_DEGREE * np.maximum(np.cos(np.radians(ys[outside])), 0.5)
    for r, d in zip(checked, distances, strict=True):
        yield r, float(d)


def _chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# --------------------------------------------------------------------------------------------- writing

_COMPARED_FIELDS = (
    "district_code", "regency_code", "code", "voters", "voters_estimated", "lat", "lng", "location_source",
    "location_estimated", "address", "access_mode", "special_location", "special_location_note", "source",
)


def apply_rows(election: Election, rows: list[CleanRow]) -> ApplyCounts:
    """Upsert the clean rows by (election, desa, number). Call inside a transaction."""
    counts = ApplyCounts()
    if not rows:
        return counts
    village_codes = sorted({r.village_code for r in rows})
    existing: dict[tuple[str, int], PollingStation] = {}
    for chunk in _chunks(village_codes, 900):
        for tps in PollingStation.objects.filter(election=election, village_id__in=chunk):
            existing[(tps.village_id, tps.number)] = tps
    region_points = {
        code: (lat, lng, source)
        for chunk in _chunks(village_codes, 900)
        for code, lat, lng, source in Region.objects.filter(code__in=chunk).values_list(
            "code", "lat", "lng", "centroid_source")
    }
    in_file = {(r.village_code, r.number) for r in rows}
    counts.not_in_file = sum(1 for key in existing if key not in in_file)

    to_create: list[PollingStation] = []
    to_update: list[PollingStation] = []
    for r in rows:
        tps = existing.get((r.village_code, r.number))
        is_new = tps is None
        if tps is None:
            tps = PollingStation(election=election, village_id=r.village_code, number=r.number)
            lat, lng, source = region_points.get(r.village_code, (None, None, ""))
            # No point given for a new TPS: put it at the desa's point and say so (estimated).
            tps.lat, tps.lng = lat, lng
            tps.location_estimated = True
            tps.location_source = (PollingStation.LocationSource.ESTIMATED_KECAMATAN
                                   if "kecamatan" in (source or "").lower()
                                   else PollingStation.LocationSource.ESTIMATED_DESA)
        before = None if is_new else tuple(getattr(tps, f) for f in _COMPARED_FIELDS)
        parts = r.village_code.split(".")
        tps.regency_code = ".".join(parts[:2])
        tps.district_code = ".".join(parts[:3])
        tps.code = PollingStation.make_code(r.village_code, r.number)
        tps.voters = r.voters
        tps.voters_estimated = False
        if r.lat is not None and r.lng is not None:
            tps.lat, tps.lng = r.lat, r.lng
            tps.location_source = PollingStation.LocationSource.KPU
            tps.location_estimated = False
        if r.address is not None:
            tps.address = r.address
        if r.access_mode is not None:
            tps.access_mode = r.access_mode
        if r.special_location is not None:
            tps.special_location = r.special_location
        if r.special_location_note is not None:
            tps.special_location_note = r.special_location_note
        tps.source = IMPORT_SOURCE
        if is_new:
            to_create.append(tps)
            counts.created += 1
        elif tuple(getattr(tps, f) for f in _COMPARED_FIELDS) != before:
            to_update.append(tps)
            counts.updated += 1
        else:
            counts.unchanged += 1
    if to_create:
        PollingStation.objects.bulk_create(to_create, batch_size=1000)
    if to_update:
        _update_many(to_update)
    return counts


def _update_many(stations: list[PollingStation]) -> None:
    """One parameterised UPDATE run with executemany.

    `bulk_update` builds CASE WHEN expressions whose cost grows with the batch size; for 10k rows and 14 columns
    it took over a minute on SQLite, while executemany of a single statement takes well under a second.
    """
    from django.db import connections, router

    using = router.db_for_write(PollingStation)
    connection = connections[using]
    quote = connection.ops.quote_name
    fields = [PollingStation._meta.get_field(name) for name in _COMPARED_FIELDS]
    pk = PollingStation._meta.pk
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        quote(PollingStation._meta.db_table), ", ".join(f"{quote(f.column)} = %s" for f in fields), quote(pk.column))
    params = [
        [f.get_db_prep_save(getattr(tps, f.attname), connection) for f in fields]
        + [pk.get_db_prep_save(tps.pk, connection)]
        for tps in stations
    ]
    with connection.cursor() as cursor:
        for chunk in _chunks(params, 2000):
            cursor.executemany(sql, chunk)
