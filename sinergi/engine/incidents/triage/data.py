"""Read the shipped national gazetteer files (idn-area CSVs) into :class:`GazetteerData` arrays."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

from .gazetteer import GazetteerData

__all__ = ["gazetteer_from_files"]

_FILES = (("provinces.csv", "province"), ("regencies.csv", "regency"), ("districts.csv", "district"),
          ("villages.csv.gz", "village"), ("islands.csv.gz", "island"))


def gazetteer_from_files(folder: Path) -> GazetteerData:
    """Provinces, kabupaten/kota, kecamatan, desa/kelurahan and islands (islands point at their kabupaten)."""
    codes: list[str] = []
    names: list[str] = []
    levels: list[str] = []
    parents: list[str] = []
    for name, level in _FILES:
        path = folder / name
        if not path.exists():
            continue
        with (gzip.open(path, "rt", encoding="utf-8") if name.endswith(".gz")
              else path.open(encoding="utf-8")) as f:
            for row in csv.DictReader(f):
                codes.append(row["code"])
                names.append(row["name"])
                levels.append(level)
                parents.append(row.get("regency_code", "") if level == "island" else "")
    return GazetteerData(codes=codes, names=names, levels=levels, parents=parents)
