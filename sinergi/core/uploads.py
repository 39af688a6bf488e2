"""Limits on uploaded files (TPS list, risk observations, any CSV/XLSX to come), checked before any work.

Why: a 22 MB XLSX of two million rows drove a worker past 5 GB. The size is checked before the bytes are read
into memory (web form, API and CLI all go through `read_upload` / `read_path`, and the services check again);
rows and columns are counted while the sheet is streamed (sinergi.elections.importers.read_table) and reading
stops at the first row over the limit. The messages name the limit and its setting.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError


def max_bytes() -> int:
    return int(settings.SINERGI_UPLOAD_MAX_BYTES)


def max_rows() -> int:
    return int(settings.SINERGI_UPLOAD_MAX_ROWS)


def max_columns() -> int:
    return int(settings.SINERGI_UPLOAD_MAX_COLUMNS)


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def size_message(size: int) -> str:
    limit = max_bytes()
    return (f"Berkas terlalu besar: {_mb(size)}; batasnya {_mb(limit)} ({limit} byte, SINERGI_UPLOAD_MAX_BYTES) "
            f"(file too large).")


def rows_message() -> str:
    limit = max_rows()
    return (f"Berkas punya lebih dari {limit} baris; batasnya {limit} baris (SINERGI_UPLOAD_MAX_ROWS). "
            "Bagi berkas menjadi beberapa bagian (too many rows).")


def columns_message() -> str:
    limit = max_columns()
    return (f"Berkas punya lebih dari {limit} kolom; batasnya {limit} kolom (SINERGI_UPLOAD_MAX_COLUMNS) "
            "(too many columns).")


def check_size(size: int, *, field: str = "file") -> None:
    """ValidationError naming the limit when `size` bytes is over SINERGI_UPLOAD_MAX_BYTES."""
    if size > max_bytes():
        raise ValidationError({field: size_message(size)})


def read_upload(upload, *, field: str = "file") -> bytes:
    """The bytes of an uploaded file (Django UploadedFile), its size checked first."""
    check_size(int(getattr(upload, "size", 0) or 0), field=field)
    data = upload.read(max_bytes() + 1)
    check_size(len(data), field=field)
    return data


def read_path(path: Path, *, field: str = "file") -> bytes:
    """The bytes of a file on disk (CLI), its size checked first."""
    check_size(path.stat().st_size, field=field)
    return path.read_bytes()
