"""Paths of the shipped data and small readers shared by the dataset loaders."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

DATA_ROOT = Path(__file__).resolve().parents[2] / "data"
IDN_AREA = DATA_ROOT / "idn-area"
NTT = DATA_ROOT / "ntt"


def open_text(path: Path) -> io.TextIOBase:
    """Open a UTF-8 text file, transparently gunzipping ``*.gz``."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="")  # type: ignore[return-value]
    return open(path, encoding="utf-8", newline="")  # noqa: SIM115


def read_csv(path: Path) -> Iterator[dict[str, str]]:
    with open_text(path) as fh:
        yield from csv.DictReader(fh)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def input_hashes(paths: list[Path]) -> dict[str, str]:
    """``{path relative to sinergi/data: sha256}`` for the audit record of a load."""
    return {str(p.relative_to(DATA_ROOT)): file_sha256(p) for p in sorted(set(paths))}
