"""Tolerant parser for SMS reports: ``LAPOR <kode TPS atau desa> <kategori> <uraian>``.

Tolerates case, missing keyword, abbreviations, separators (``#``, ``,``, ``;``, ``.``, ``/``) and missing parts.
Nothing is ever discarded: the caller stores every message; :func:`parse_sms` only says what it understood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .text import normalize

__all__ = ["SmsParse", "parse_sms", "HELP_TEXT", "TPS_CODE_RE", "REGION_CODE_RE"]

HELP_TEXT = (
    "Format: LAPOR <kode TPS/nama desa> <kategori> <uraian>. "
    "Contoh: LAPOR 53.71.01.1001-003 POLITIKUANG ada pembagian amplop. Kategori: ketik INFO KATEGORI."
)

KEYWORDS = ("lapor", "laporan", "lpr", "lapr", "lap", "report", "info")
#: full TPS code 53.01.04.2003-001 (separators . - / or space tolerated, TPS number 1-3 digits)
TPS_CODE_RE = re.compile(r"\b(\d{2})[.\-/ ]?(\d{2})[.\-/ ]?(\d{2})[.\-/ ]?(\d{4})[\-/ ._]*(?:tps)?[\-/ .]*(\d{1,3})\b",
                         re.IGNORECASE)
REGION_CODE_RE = re.compile(r"\b(\d{2})\.(\d{2})(?:\.(\d{2})(?:\.(\d{4}))?)?\b")
#: "TPS 3 <desa name>" form
TPS_NUM_RE = re.compile(r"\btps\s*[.:#-]?\s*(\d{1,3})\b", re.IGNORECASE)


@dataclass(frozen=True)
class SmsParse:
    """What the parser understood. ``ok`` means a location and a category were both recognised."""

    raw: str
    has_keyword: bool
    tps_code: str = ""
    region_code: str = ""
    tps_number: int | None = None
    place_text: str = ""
    category_code: str = ""
    description: str = ""
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return bool((self.tps_code or self.region_code or self.place_text) and self.category_code)


def _match_category(words: list[str], aliases: dict[str, str]) -> tuple[str, int]:
    """Longest alias (1-3 words, or the words joined) at the start of ``words``: (category code, words used)."""
    for n in (3, 2, 1):
        if len(words) < n:
            continue
        spaced = " ".join(words[:n])
        joined = "".join(words[:n])
        for key in (spaced, joined):
            if key in aliases:
                return aliases[key], n
    return "", 0


def parse_sms(text: str, aliases: dict[str, str]) -> SmsParse:
    """Parse one SMS. ``aliases`` maps a normalised alias ("politik uang", "pu", "moneypolitik") to a category code.

    >>> al = {"politik uang": "money_politics", "pu": "money_politics"}
    >>> p = parse_sms("lapor 53.71.01.1001-3 PU ada bagi2 amplop", al)
    >>> (p.tps_code, p.category_code, p.description)
    ('53.71.01.1001-003', 'money_politics', 'ada bagi bagi amplop')
    >>> parse_sms("halo pak", al).ok
    False
    """
    raw = text or ""
    body = raw.strip()
    problems: list[str] = []
    tps_code = region_code = ""
    tps_number: int | None = None
    m = TPS_CODE_RE.search(body)
    if m:
        a, b, c, d, n = m.groups()
        tps_code = f"{a}.{b}.{c}.{d}-{int(n):03d}"
        body = (body[: m.start()] + " " + body[m.end():]).strip()
    else:
        m2 = REGION_CODE_RE.search(body)
        if m2:
            region_code = ".".join(g for g in m2.groups() if g)
            body = (body[: m2.start()] + " " + body[m2.end():]).strip()
    words = normalize(body).split()
    has_keyword = bool(words) and words[0] in KEYWORDS
    if has_keyword:
        words = words[1:]
    if not tps_code:
        mt = TPS_NUM_RE.search(" ".join(words))
        if mt:
            tps_number = int(mt.group(1))
            joined = " ".join(words)
            words = (joined[: mt.start()] + " " + joined[mt.end():]).split()
    category = ""
    place_words: list[str] = []
    # The category may come first, after the place name (1-4 words), or anywhere in a free-text message: the
    # whole message is read (triage then reads the place and the category from the full text as well).
    for i in range(len(words)):
        code, used = _match_category(words[i:], aliases)
        if code:
            category = code
            if i <= 4:
                place_words = words[:i]
                words = words[i + used:]
            break
    if not category:
        problems.append("kategori tidak dikenali")
    place_text = " ".join(place_words)
    if not (tps_code or region_code or place_text):
        problems.append("lokasi tidak ada")
    description = " ".join(words)
    if not description:
        problems.append("uraian kosong")
    if not has_keyword:
        problems.append("kata kunci LAPOR tidak ada")
    return SmsParse(raw=raw, has_keyword=has_keyword, tps_code=tps_code, region_code=region_code,
                    tps_number=tps_number, place_text=place_text, category_code=category,
                    description=description if category else normalize(body), problems=tuple(problems))
