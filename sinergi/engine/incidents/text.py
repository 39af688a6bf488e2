"""Indonesian text normalisation shared by the SMS parser, the classifier and the place matcher."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize", "tokens", "spelling_key", "stem", "ABBREVIATIONS"]

#: SMS/chat abbreviations expanded before classification (lower case, whole words)
ABBREVIATIONS: dict[str, str] = {
    "yg": "yang", "dgn": "dengan", "dg": "dengan", "utk": "untuk", "tdk": "tidak", "gak": "tidak",
    "ga": "tidak", "nggak": "tidak", "tak": "tidak", "sdh": "sudah", "udh": "sudah", "blm": "belum",
    "krn": "karena", "karna": "karena", "org": "orang", "orng": "orang", "kpd": "kepada", "dr": "dari",
    "dri": "dari", "sm": "sama", "jg": "juga", "bnyk": "banyak", "byk": "banyak", "tps": "tps",
    "kades": "kepala desa", "pol": "polisi", "ptgs": "petugas", "pemilh": "pemilih", "duit": "uang",
    "sembako": "sembako", "amplop": "amplop", "kec": "kecamatan", "kel": "kelurahan", "ds": "desa",
    "kab": "kabupaten", "paslon": "pasangan calon", "cln": "calon", "cal": "calon", "msa": "massa",
    "rbt": "ribut", "brantem": "berantem", "bakar": "bakar", "dibakr": "dibakar", "sy": "saya",
    "skrg": "sekarang", "tlg": "tolong", "bgt": "sekali", "bs": "bisa", "hrs": "harus", "lg": "lagi",
}

_NON_WORD = re.compile(r"[^a-z0-9]+")


def normalize(text: str) -> str:
    """Lower-case, strip accents and punctuation, expand common SMS abbreviations.

    >>> normalize("Ada org bagi2 AMPLOP di TPS 03!!")
    'ada orang bagi bagi amplop di tps 03'
    """
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"(\w+)2\b", r"\1 \1", text)  # Indonesian reduplication written as "bagi2"
    words = _NON_WORD.sub(" ", text).split()
    return " ".join(ABBREVIATIONS.get(w, w) for w in words)


def tokens(text: str) -> list[str]:
    return normalize(text).split()


_SPELLING = [
    ("oe", "u"), ("dj", "j"), ("tj", "c"), ("nj", "ny"), ("sj", "sy"), ("ch", "kh"),
    ("ph", "f"), ("v", "f"), ("z", "s"), ("q", "k"), ("x", "ks"), ("y", "i"), ("w", "u"),
]
_PLACE_WORDS = {"desa", "kelurahan", "kecamatan", "kabupaten", "kota", "kab", "kec", "kel", "ds", "dusun"}


def spelling_key(name: str) -> str:
    """A key that is equal for common Indonesian spelling variants of a place name.

    Old (Van Ophuijsen/Soewandi) spellings, doubled letters, spaces and the words "desa", "kec." are ignored.

    >>> spelling_key("Desa Oesao") == spelling_key("usao")
    True
    >>> spelling_key("Tjamplong") == spelling_key("Camplong")
    True
    """
    words = [w for w in normalize(name).split() if w not in _PLACE_WORDS and w not in ("kepala",)]
    s = "".join(words)
    for old, new in _SPELLING:
        s = s.replace(old, new)
    s = re.sub(r"(.)\1+", r"\1", s)  # doubled letters
    s = s.replace("h", "") if len(s) > 4 else s  # silent/dropped h (Kefamenanu/Kefamnanu handled by ratio)
    return s


_PREFIXES = ("memper", "diper", "meng", "meny", "mem", "men", "me", "peng", "peny", "pem", "pen", "pe",
             "ber", "ter", "di", "ke", "se")
_SUFFIXES = ("kannya", "annya", "kan", "an", "nya", "lah", "kah", "i")


def stem(word: str) -> str:
    """A light Indonesian stemmer (affix stripping, no dictionary); good enough to group word forms.

    >>> [stem(w) for w in ("dirusak", "pembakaran", "dibakar", "ancaman")]
    ['rusak', 'bakar', 'bakar', 'ancam']
    """
    w = word
    if len(w) <= 4:
        return w
    for s in _SUFFIXES:
        if w.endswith(s) and len(w) - len(s) >= 4:
            w = w[: -len(s)]
            break
    for p in _PREFIXES:
        if w.startswith(p) and len(w) - len(p) >= 4:
            w = w[len(p):]
            break
    return w
