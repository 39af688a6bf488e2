"""Indonesian text normalisation for triage: accents, reduplication, chat abbreviations, election jargon,
Sastrawi stemming (dictionary-based), and the features the category model reads."""

from __future__ import annotations

from functools import lru_cache

from ..text import normalize

__all__ = ["JARGON", "clean", "stem_word", "words", "features", "ELECTION_TERMS"]

#: slang and election jargon -> canonical words (after :func:`sinergi.engine.incidents.text.normalize`)
JARGON: dict[str, str] = {
    "timses": "tim sukses", "tim ses": "tim sukses", "serfaj": "serangan fajar", "sf": "serangan fajar",
    "amplop": "amplop", "angpao": "amplop", "money": "uang", "politic": "politik", "politik": "politik",
    "mp": "politik uang", "bansos": "bantuan sosial", "sajam": "senjata tajam", "senpi": "senjata api",
    "pns": "asn", "honorer": "asn", "lurah": "lurah", "kadus": "kepala dusun", "pj": "penjabat",
    "c1": "formulir c1", "c6": "undangan memilih", "ss": "surat suara", "dpt": "daftar pemilih tetap",
    "dptb": "daftar pemilih tambahan", "dpk": "daftar pemilih khusus", "apk": "alat peraga kampanye",
    "panwas": "pengawas", "panwascam": "pengawas kecamatan", "pkd": "pengawas desa", "ptps": "pengawas tps",
    "hoax": "hoaks", "medsos": "media sosial", "fb": "facebook", "wa": "whatsapp", "gk": "tidak",
    "ngga": "tidak", "enggak": "tidak", "gmn": "bagaimana", "bnyk": "banyak", "tsb": "tersebut",
    "spt": "seperti", "dlm": "dalam", "pd": "pada", "tp": "tetapi", "tpi": "tetapi", "jd": "jadi",
    "smp": "sampai", "sdg": "sedang", "mrk": "mereka", "kmrn": "kemarin", "td": "tadi", "tdi": "tadi",
    "ank": "anak", "tmn": "teman", "pak": "bapak", "bpk": "bapak", "ibu": "ibu", "polsek": "polsek",
    "ormas": "organisasi massa", "provokator": "provokator", "rusuh": "kerusuhan", "demo": "unjuk rasa",
    "unras": "unjuk rasa", "maling": "pencuri", "curanmor": "pencurian motor", "jambret": "penjambretan",
    "miras": "minuman keras", "sopi": "minuman keras", "moke": "minuman keras", "narkoba": "narkoba",
}

#: words that mark a text as being about the election (used for the election_related flag)
ELECTION_TERMS = frozenset(
    "pilkada pemilu pemilihan paslon calon kandidat kampanye tps kpps pps ppk kpu bawaslu pengawas suara "
    "coblos mencoblos pencoblosan pemungutan penghitungan rekapitulasi timses relawan pemenangan pendukung "
    "daftar pemilih asn netral netralitas gakkumdu dkpp bupati gubernur walikota wakil surat nomor urut "
    "baliho apk alat peraga".split())

_STOP = frozenset(
    "di ke dari yang dan ini itu ada pada untuk dengan oleh saya kami kita telah sudah akan the juga "
    "karena tadi sekarang pak bapak ibu mohon tolong segera kepada sekitar sedang dalam jadi tetapi lagi "
    "pukul jam wita wib wit tersebut adalah para sebuah seorang satu dua tiga".split())


@lru_cache(maxsize=1)
def dictionary_words() -> frozenset[str]:
    """Sastrawi's Indonesian root-word list (about 30,000 words): a plain mention of a place name that is
    also an ordinary word ("batu", "baru") needs a cue word (desa, kota...) to count as a place."""
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return frozenset(StemmerFactory().get_words())


_PREFIXES = ("", "di", "ke", "se", "ber", "be", "ter", "te", "me", "mem", "men", "meng", "meny", "pe", "pem", "pen",
             "peng", "peny", "per", "memper", "diper", "ber", "keber", "keter", "pember", "pemer", "penge")
_SUFFIXES = ("", "kan", "an", "i", "nya", "lah", "kah", "annya", "kannya", "inya", "pun")
_RECODE = {"meny": "s", "peny": "s", "mem": "p", "pem": "p", "men": "t", "pen": "t", "meng": "k", "peng": "k"}


def _root(word: str) -> str | None:
    """The longest dictionary root reachable by stripping one suffix and one prefix (with the nasal recoding
    meny->s, mem->p, men->t, meng->k), or None. Set lookups only."""
    roots = dictionary_words()
    best: str | None = None
    for suf in _SUFFIXES:
        if suf and not word.endswith(suf):
            continue
        core = word[: len(word) - len(suf)] if suf else word
        for pre in _PREFIXES:
            if pre and not core.startswith(pre):
                continue
            rest = core[len(pre):]
            if len(rest) < 3:
                continue
            for cand in (rest, _RECODE[pre] + rest) if pre in _RECODE else (rest,):
                if cand in roots and (best is None or len(cand) > len(best)):
                    best = cand
    return best


@lru_cache(maxsize=65536)
def stem_word(word: str) -> str:
    """Root of one lower-case word over Sastrawi's dictionary of Indonesian root words (cached).

    Sastrawi's own stemmer took 40-300 ms per new word on the shared 2-core machine and seconds on unknown
    words (place names, other languages); this dictionary-guided affix stripping gives the same roots for
    the word forms reports use in microseconds. Unknown words are returned unchanged.

    >>> [stem_word(w) for w in ("pembakaran", "diintimidasi", "memukul", "menyerang", "kefamenanu")]
    ['bakar', 'intimidasi', 'pukul', 'serang', 'kefamenanu']
    """
    if len(word) <= 3 or word.isdigit() or len(word) > 30 or word in dictionary_words():
        return word
    return _root(word) or word


def clean(text: str, limit: int = 20000) -> str:
    """Normalised text (see ``normalize``) with jargon expanded; long inputs are cut at ``limit`` characters.

    >>> clean("Timses bagi2 amplop, ada sajam!!")
    'tim sukses bagi bagi amplop ada senjata tajam'
    """
    base = normalize((text or "")[:limit]).split()
    out: list[str] = []
    i = 0
    while i < len(base):
        two = " ".join(base[i:i + 2])
        if two in JARGON:
            out.append(JARGON[two])
            i += 2
            continue
        out.append(JARGON.get(base[i], base[i]))
        i += 1
    return " ".join(out)


def words(text: str) -> list[str]:
    return clean(text).split()


def features(text: str) -> list[str]:
    """Stemmed unigrams and bigrams without stop words and numbers: what the category model reads.

    >>> features("Massa membakar baliho")
    ['massa', 'bakar', 'baliho', 'massa_bakar', 'bakar_baliho']
    """
    ws = [stem_word(w) for w in words(text) if w not in _STOP and not w.isdigit() and len(w) > 1]
    return ws + [f"{a}_{b}" for a, b in zip(ws, ws[1:], strict=False)]
