"""Tolerant parser for TPS check-in SMS: ``CEK <kode TPS> <BUKA|MULAI|TUTUP|HITUNG|SERAH|MASALAH> [uraian]``.

Tolerates case, abbreviations (``BK``, ``HTG``, ``SRH``, ``MSLH``...), separators (``#``, ``,``, ``;``, ``/``,
``.``), the kind before the code, a TPS code written with spaces or without dots, and missing parts. It only says
what it understood; the caller stores every message and answers with :data:`CHECKIN_HELP` when something is
missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["CHECKIN_HELP", "CheckinSms", "looks_like_checkin", "parse_checkin_sms", "KIND_WORDS"]

CHECKIN_HELP = ("Format: CEK <kode TPS> <BUKA|MULAI|TUTUP|HITUNG|SERAH|MASALAH> [uraian]. "
                "Contoh: CEK 53.71.01.1001-003 BUKA")

#: words (already lower-case) -> check-in kind
KIND_WORDS: dict[str, str] = {
    **dict.fromkeys(["buka", "bk", "dibuka", "bka", "bukaan", "open", "opened", "b"], "opened"),
    **dict.fromkeys(["mulai", "mli", "ml", "berlangsung", "voting", "coblos", "pencoblosan", "m"], "voting"),
    **dict.fromkeys(["tutup", "ttp", "tt", "ditutup", "selesai", "close", "closed", "t"], "closed"),
    **dict.fromkeys(["hitung", "htg", "hit", "hitng", "penghitungan", "perhitungan", "dihitung", "count",
                     "counted", "h"], "counted"),
    **dict.fromkeys(["serah", "srh", "sr", "serahkan", "diserahkan", "serahterima", "kirim", "handover",
                     "handed", "s"], "handed_over"),
    **dict.fromkeys(["masalah", "msl", "mslh", "maslah", "masalh", "problem", "gangguan", "kendala", "rusuh",
                     "x"], "problem"),
}

#: 53.71.01.1001-003 with tolerant separators; also 5371011001003 (13 digits) and "53.71.01.1001 tps 3"
_TPS_RE = re.compile(
    r"(?<!\d)(\d{2})[.\-/ ]?(\d{2})[.\-/ ]?(\d{2})[.\-/ ]?(\d{4})[\-/ ._]*(?:tps)?[\-/ .:#]*(\d{1,3})(?!\d)",
    re.IGNORECASE)
_SEP_RE = re.compile(r"[#,;|]+")


@dataclass(frozen=True)
class CheckinSms:
    """What the parser understood. ``ok``: a TPS code and a kind were both recognised."""

    raw: str
    is_checkin: bool
    tps_code: str = ""
    kind: str = ""
    note: str = ""
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return bool(self.is_checkin and self.tps_code and self.kind)


def _words(text: str) -> list[str]:
    return _SEP_RE.sub(" ", text).split()


def looks_like_checkin(text: str) -> bool:
    """True when the message starts with a check-in keyword (``CEK``, ``cek-in``, ``CHECKIN``...)."""
    words = _words(text.strip().lower())
    if not words:
        return False
    first = re.sub(r"[^a-z]", "", words[0])
    if first in ("cek", "cekin", "checkin", "chekin", "ceckin", "cekn", "cheking", "checking", "ceking"):
        return True
    # "CEK-IN", "check in", "cek in"
    return first in ("check", "chek", "cek") and len(words) > 1 and words[1].strip(".:-") == "in"


def parse_checkin_sms(text: str) -> CheckinSms:
    raw = text or ""
    body = raw.strip()
    if not looks_like_checkin(body):
        return CheckinSms(raw=raw, is_checkin=False, problems=("bukan format CEK",))
    # drop the keyword (and a following "in")
    m = re.match(r"\s*[#,;|]*\s*(?:check|chek|cek|ceck)[\s\-_]*(?:in|kin|ing|n)?\b[\s.:#,;|\-]*", body, re.IGNORECASE)
    rest = body[m.end():] if m else body
    tps_code = ""
    tm = _TPS_RE.search(rest)
    if tm:
        a, b, c, d, n = tm.groups()
        if 1 <= int(n) <= 999:
            tps_code = f"{a}.{b}.{c}.{d}-{int(n):03d}"
        rest = (rest[:tm.start()] + " " + rest[tm.end():]).strip()
    words = _words(rest)
    kind = ""
    note_words: list[str] = []
    for i, w in enumerate(words):
        key = re.sub(r"[^a-z]", "", w.lower())
        if not kind and i <= 1 and key in KIND_WORDS and (len(key) > 1 or tps_code):
            kind = KIND_WORDS[key]
            continue
        if not kind and i <= 1 and key.startswith("tps"):
            continue
        note_words.append(w)
    note = " ".join(note_words).strip(" .:-")
    problems: list[str] = []
    if not tps_code:
        problems.append("kode TPS tidak terbaca")
    if not kind:
        problems.append("jenis laporan tidak terbaca")
    return CheckinSms(raw=raw, is_checkin=True, tps_code=tps_code, kind=kind, note=note[:1000],
                      problems=tuple(problems))
