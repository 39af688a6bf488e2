"""What a person must never see on a page: English on an Indonesian page, Indonesian left untranslated on an
English page, or a raw code (snake_case choice values such as `sangat_rawan`, `checkin_missing`).

Used by the page-walk test (tests/core/test_language.py) and available to other page tests."""

from __future__ import annotations

import re

from lxml import html as lxml_html

# Words that only appear in English text (not in Indonesian UI copy, names or codes).
ENGLISH = {"the", "and", "with", "from", "loading", "save", "submit", "cancel", "search", "please", "your",
           "this", "that", "there", "which", "not", "yet", "none", "open", "closed", "unknown",
           "estimated", "details", "download", "upload", "report", "reports", "incident", "incidents",
           "officer", "officers", "alert", "alerts", "stage", "stages", "voting", "score", "tier", "error",
           "required", "select", "all", "yes", "next", "previous", "page", "of"}
# Words that only appear in Indonesian text.
INDONESIAN = {"dan", "yang", "untuk", "dengan", "belum", "tidak", "sudah", "dari", "pada", "ke", "atau",
              "laporan", "insiden", "rapat", "satuan", "wilayah", "kerawanan", "pengamanan", "simpan", "cari",
              "halaman", "berikutnya", "sebelumnya", "jumlah", "peta", "masuk", "keluar", "perkiraan", "tanggal"}
# Not words of either language: proper names and terms used in both (TPS, Polres, Bawaslu, ...).
NEUTRAL = {"tps", "polres", "polsek", "polda", "bawaslu", "kpu", "tni", "bpbd", "linmas", "bko", "renpam", "sinergi",
           "pilkada", "api", "pdf", "xlsx", "csv", "geojson", "ics", "ntt", "wita", "wib", "wit", "tlp", "red",
           "amber", "green", "clear", "strict", "id", "en", "ok", "sms", "cap", "acled", "ikp", "dpt", "kpps"}
RAW_CODE = re.compile(r"(?<![\w./:-])[a-z]{2,}(?:_[a-z0-9]{2,})+(?![\w./:-])")
WORD = re.compile(r"[A-Za-zÀ-ÿ:]+")


def visible_text(body: str, language: str = "") -> str:
    """Text a person reads: the page body without scripts, styles, code, hidden inputs and attributes; passages
    marked with another `lang` (a licence's required wording, quoted verbatim) are left out."""
    doc = lxml_html.fromstring(body)
    if language:
        for quoted in doc.xpath(f"//body//*[@lang and not(starts-with(@lang, '{language}'))]"):
            quoted.drop_tree()
    for bad in doc.xpath("//script|//style|//code|//pre|//noscript|//template|//*[@hidden]"
                         "|//*[contains(@class,'sr-only')]|//select[@id='lang-select']|//footer"):
        bad.drop_tree()
    main = doc.xpath("//body")
    return " ".join((main[0] if main else doc).text_content().split())


def problems(body: str, language: str) -> list[str]:
    """Words or codes that should not be on a page rendered in `language` ("id" or "en")."""
    text = visible_text(body, language)
    tokens = [t for t in text.split() if not any(ch in t for ch in "_/.@")]  # not file names, paths, codes
    words = [w.lower() for t in tokens for w in WORD.findall(t)]
    foreign = ENGLISH if language == "id" else INDONESIAN
    found = sorted({w for w in words if w in foreign and w not in NEUTRAL})
    codes = sorted(set(RAW_CODE.findall(text)))
    out = [f"{'English' if language == 'id' else 'Indonesian'} word: {w}" for w in found]
    out += [f"raw code: {c}" for c in codes]
    return out
