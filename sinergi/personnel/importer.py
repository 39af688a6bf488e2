"""Roster file (CSV/XLSX) reading and row validation; no writes here (services.roster_import writes).

Columns (header names are case-insensitive; Indonesian or English): ``jenis`` (polri|tni|satpolpp|linmas, default
polri), ``nrp`` / ``nomor`` (identifier: Polri NRP 8 digits, TNI NRP 5–18 digits, Satpol PP NIP 18 digits, Linmas
NIK 16 digits), ``nama``, ``pangkat``, ``satuan`` (unit code, e.g. POLSEK-53.71.01), ``fungsi``, ``telepon``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sinergi.elections.importers import ImportFileError, RowError, read_table

from .choices import IDENTIFIERS, OfficerKind, is_senior, rank_level

COLUMNS = {
    "kind": ("jenis", "kind", "jenis_personel"),
    "identifier": ("nrp", "nomor", "nomor_identitas", "identifier", "nip", "nik"),
    "name": ("nama", "name", "nama_lengkap"),
    "rank": ("pangkat", "rank"),
    "unit": ("satuan", "unit", "kode_satuan"),
    "function": ("fungsi", "function", "jabatan"),
    "phone": ("telepon", "phone", "hp", "no_hp", "nomor_hp"),
}
REQUIRED = ("identifier", "name", "unit")
MAX_ROWS = 50_000
_PHONE = re.compile(r"^(?:\+62|62|0)(8[1-9]\d{6,10})$")


@dataclass
class OfficerRow:
    row: int
    kind: str
    identifier: str
    name: str
    rank: str
    rank_level: int
    senior: bool
    unit_code: str
    function: str
    phone: str


@dataclass
class RosterValidation:
    rows_total: int = 0
    clean: list[OfficerRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors if e.row is not None})


def normalize_phone(raw: str) -> str | None:
    """Indonesian mobile number as +628…, or None when it is not one (e.g. 0812-3456-7890 -> +6281234567890)."""
    digits = re.sub(r"[\s\-().]", "", raw or "")
    m = _PHONE.match(digits)
    return f"+62{m.group(1)}" if m else None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _header_map(header: list[str]) -> dict[str, int]:
    norm = [re.sub(r"[^0-9a-z]+", "_", h.strip().lower().replace("\ufeff", "")).strip("_") for h in header]
    out: dict[str, int] = {}
    for canon, aliases in COLUMNS.items():
        for i, h in enumerate(norm):
            if h in aliases and canon not in out:
                out[canon] = i
    return out


def validate(data: bytes, filename: str, *, unit_codes_in_scope: set[str], known_units: set[str],
             existing: dict[tuple[str, str], str]) -> RosterValidation:
    """Check every row. ``existing`` maps (kind, identifier) of officers already stored to their unit code.

    Errors name the row and the reason: unknown/invalid identifier, an identifier twice in the file, one officer
    in two units (in the file or against the stored roster), a phone number in a wrong format, a unit unknown or
    outside the importer's scope, an unknown rank."""
    table = read_table(data, filename)
    cols = _header_map(table.header)
    result = RosterValidation()
    missing = [c for c in REQUIRED if c not in cols]
    if missing:
        raise ImportFileError("Kolom wajib tidak ada: " + ", ".join(COLUMNS[c][0] for c in missing)
                              + " (missing columns).", row=table.header_row)
    if len(table.rows) > MAX_ROWS:
        raise ImportFileError(f"Terlalu banyak baris: {len(table.rows)} (maks. {MAX_ROWS}).")
    seen: dict[tuple[str, str], tuple[int, str]] = {}
    for number, cells in table.rows:
        result.rows_total += 1

        def cell(name: str, cells: list[Any] = cells) -> str:
            i = cols.get(name)
            return _text(cells[i]) if i is not None and i < len(cells) else ""

        errs: list[RowError] = []

        def err(fieldname: str, message: str, number: int = number, errs: list[RowError] = errs) -> None:
            errs.append(RowError(number, fieldname, message))

        kind = (cell("kind") or OfficerKind.POLRI).lower().replace(" ", "")
        if kind not in OfficerKind.values:
            err("jenis", f"Jenis '{kind[:30]}' tidak dikenal (polri, tni, satpolpp, linmas).")
            kind = OfficerKind.POLRI
        label, pattern = IDENTIFIERS[kind]
        ident = re.sub(r"\s", "", cell("identifier"))
        if not pattern.match(ident):
            err("nrp", f"{label} '{ident[:30]}' tidak valid untuk {OfficerKind(kind).label}.")
        name = cell("name")
        if not name or len(name) > 160:
            err("nama", "Nama wajib diisi (maks. 160 karakter).")
        rank = cell("rank")[:40]
        level = rank_level(kind, rank) if rank else 0
        if rank and level is None:
            err("pangkat", f"Pangkat '{rank}' tidak dikenal untuk {OfficerKind(kind).label}.")
            level = 0
        unit_code = cell("unit")
        if unit_code not in known_units:
            err("satuan", f"Satuan '{unit_code[:60]}' tidak dikenal.")
        elif unit_code not in unit_codes_in_scope:
            err("satuan", f"Satuan '{unit_code}' di luar wilayah Anda.")
        phone_raw = cell("phone")
        phone = ""
        if phone_raw:
            phone = normalize_phone(phone_raw) or ""
            if not phone:
                err("telepon", f"Nomor HP '{phone_raw[:30]}' salah format (contoh: 0812-3456-7890).")
        key = (kind, ident)
        if key in seen:
            first_row, first_unit = seen[key]
            if first_unit != unit_code:
                err("satuan", f"Personel {label} {ident} tercatat di dua satuan: {first_unit} (baris {first_row}) "
                              f"dan {unit_code}.")
            else:
                err("nrp", f"{label} {ident} ganda dalam berkas (juga di baris {first_row}).")
        else:
            seen[key] = (number, unit_code)
        stored_unit = existing.get(key)
        if stored_unit and stored_unit != unit_code and not errs:
            err("satuan", f"Personel {label} {ident} sudah terdaftar di satuan {stored_unit}; satu personel hanya "
                          "di satu satuan (mutasikan dulu).")
        if errs:
            result.errors += errs
            continue
        result.clean.append(OfficerRow(number, kind, ident, name, rank, int(level or 0),
                                       is_senior(kind, int(level or 0)), unit_code, cell("function")[:80], phone))
    return result
