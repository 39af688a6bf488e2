"""Place from free text over the national gazetteer: an Aho-Corasick automaton of every province,
kabupaten/kota, kecamatan, desa/kelurahan and island name with its Indonesian variants (Kab./Kabupaten/Kota,
Kec., Desa/Kel., abbreviations such as TTS or Mabar), co-mentions to disambiguate (a desa inside the named
kecamatan and kabupaten scores higher), and rapidfuzz spelling tolerance that only refines or fills in where no
exact name matched, never overriding one.

Scoring: every mention has a strength (a name after its cue word 1.0, a kabupaten/province name alone 0.8, a
kecamatan/desa name alone 0.4 and only when it is not an ordinary Indonesian word, a spelling-tolerant match
0.7). A place scores its own strength plus the strength of each mentioned ancestor; the best place needs 0.8.
Places tied at the top are ambiguous: their common ancestor is returned (or nothing) with a low confidence.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import ahocorasick
from rapidfuzz import fuzz, process

from ..text import spelling_key
from .normalise import clean, dictionary_words

#: words that follow "desa"/"kecamatan" in ordinary sentences and are also names of a few desa
_NOT_NAMES = frozenset("yang buat ini itu dan di ke dari untuk ada tidak sudah akan dengan kami kita saya lain juga "
                       "pun oleh pada sebagai setempat tersebut tadi lagi sini sana situ mana baru lama".split())

__all__ = ["ALIASES", "GazetteerData", "Gazetteer", "PlaceResult", "LEVELS"]

LEVELS = ("province", "regency", "district", "village")
_RANK = {lv: i for i, lv in enumerate(LEVELS)}
_CUES = {"provinsi": "province", "kabupaten": "regency", "kota": "regency", "kecamatan": "district",
         "desa": "village", "kelurahan": "village", "pulau": "island"}

#: abbreviations people write for regions (normalised text -> Kemendagri code)
ALIASES: dict[str, str] = {
    # NTT kabupaten/kota
    "tts": "53.02", "soe": "53.02", "ttu": "53.03", "kefa": "53.03", "kefamenanu": "53.03", "atambua": "53.04",
    "kalabahi": "53.05", "flotim": "53.06", "larantuka": "53.06", "maumere": "53.07", "bajawa": "53.09",
    "ruteng": "53.10", "waingapu": "53.11", "sumba timur": "53.11", "waikabubak": "53.12", "lewoleba": "53.13",
    "rote": "53.14", "mabar": "53.15", "labuan bajo": "53.15", "mbay": "53.16", "waibakul": "53.17",
    "sbd": "53.18", "tambolaka": "53.18", "matim": "53.19", "borong": "53.19", "sabu": "53.20",
    "sarai": "53.20", "betun": "53.21", "kota kupang": "53.71", "oelamasi": "53.01", "manggarai barat": "53.15",
    # provinces
    "ntt": "53", "ntb": "52", "dki": "31", "jakarta": "31", "jabar": "32", "jateng": "33", "jatim": "35",
    "diy": "34", "yogyakarta": "34", "jogja": "34", "jogjakarta": "34", "sumut": "12", "sumbar": "13",
    "sumsel": "16", "kalbar": "61", "kalteng": "62", "kalsel": "63", "kaltim": "64", "kaltara": "65",
    "sulut": "71", "sulteng": "72", "sulsel": "73", "sultra": "74", "sulbar": "76", "malut": "82",
    "babel": "19", "kepri": "21", "papua barat daya": "96", "timor leste": "",
    # cities known by their short name
    "jaksel": "31.74", "jakut": "31.72", "jakbar": "31.73", "jaktim": "31.75", "jakpus": "31.71",
}


@dataclass(frozen=True)
class GazetteerData:
    """Plain arrays: Kemendagri codes, official names and levels (province/regency/district/village/island).
    Islands carry the code of their kabupaten in ``parents``."""

    codes: Sequence[str]
    names: Sequence[str]
    levels: Sequence[str]
    parents: Sequence[str] = ()


@dataclass(frozen=True)
class PlaceResult:
    """What the text says about the place. ``code`` is None when nothing (or nothing unambiguous) was found."""

    code: str | None
    level: str | None
    name: str | None
    confidence: float
    matched: tuple[str, ...] = ()
    method: str = "none"  # exact | fuzzy | none
    ambiguous: bool = False
    candidates: tuple[str, ...] = ()
    out_of_area: bool = False
    province_code: str | None = None
    reasons: tuple[str, ...] = field(default_factory=tuple)


def _ancestors(code: str) -> list[str]:
    parts = code.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _base(name: str, level: str) -> tuple[str, str]:
    """(name without its kind word, kind word) in normalised form."""
    n = clean(name)
    if level in ("district", "village"):
        return n, ""
    for prefix in ("kabupaten administrasi ", "kota administrasi ", "kabupaten ", "kota ", "provinsi ", "pulau "):
        if n.startswith(prefix) and len(n) > len(prefix) + 1:
            return n[len(prefix):], prefix.split()[0]
    return n, ""


class Gazetteer:
    """Built once from :class:`GazetteerData` (about 2 s for the whole country), then ``resolve`` is fast.

    >>> g = Gazetteer(GazetteerData(
    ...     codes=["53", "53.02", "53.02.01", "53.02.01.2001", "35", "35.01"],
    ...     names=["Nusa Tenggara Timur", "Kabupaten Timor Tengah Selatan", "Mollo Utara", "Fatumnasi",
    ...            "Jawa Timur", "Kabupaten Pacitan"],
    ...     levels=["province", "regency", "district", "village", "province", "regency"]), home="53")
    >>> r = g.resolve("bentrok di Desa Fatumnasi Kec. Mollo Utara, TTS")
    >>> (r.code, r.level, r.out_of_area)
    ('53.02.01.2001', 'village', False)
    >>> g.resolve("baliho dirusak di Kab. Pacitan").out_of_area
    True
    """

    def __init__(self, data: GazetteerData, home: str = "53") -> None:
        self.home = home
        self.codes: list[str] = []
        self.names: list[str] = []
        self.levels: list[str] = []
        self.index: dict[str, int] = {}
        self.children: dict[str, list[int]] = defaultdict(list)
        self._keys: dict[str, list[tuple[int, float, bool]]] = defaultdict(list)
        self._by_level_names: dict[str, list[tuple[str, int]]] = defaultdict(list)
        self._scope_cache: dict[tuple[str, str | None], list[int]] = {}
        self._choice_keys: dict[tuple[str, str | None], list[str]] = {}
        words = dictionary_words()
        parents = list(data.parents) if data.parents else [""] * len(data.codes)
        for code, name, level, parent in zip(data.codes, data.names, data.levels, parents, strict=True):
            i = len(self.codes)
            self.codes.append(code)
            self.names.append(name)
            self.levels.append(level)
            base, kind = _base(name, level)
            if not base:
                continue
            if level == "island":
                target = parent or ""
                if target:
                    self._add(f"pulau {base}", i, 0.8, True)
                continue
            self.index[code] = i
            anc = _ancestors(code)
            if anc:
                self.children[anc[-1]].append(i)
            self._by_level_names[level].append((base, i))
            home_or_rare = code.startswith(home) or (base not in words and len(base) >= 4)
            if level == "province":
                self._add(base, i, 1.0, False)
                self._add(f"provinsi {base}", i, 1.0, True)
            elif level == "regency":
                self._add(f"{kind or 'kabupaten'} {base}", i, 1.0, True)
                if kind == "kota":
                    self._add(f"kotamadya {base}", i, 1.0, True)
                if home_or_rare:
                    self._add(base, i, 0.8, False)
                else:  # a name that is also a word ("Kendal", "Jember") counts after "di"/"warga"
                    for prep in ("di", "warga", "ke", "dari"):
                        self._add(f"{prep} {base}", i, 0.8, False)
            elif base in _NOT_NAMES:  # "kepala desa yang ..." is not a desa called Yang
                continue
            else:
                if level == "district":
                    self._add(f"kecamatan {base}", i, 1.0, True)
                else:  # Kemendagri: 1xxx kelurahan, 2xxx desa; people mix the two words up
                    kel = code.rsplit(".", 1)[-1].startswith("1")
                    self._add(f"kelurahan {base}", i, 1.0 if kel else 0.9, True)
                    self._add(f"desa {base}", i, 0.9 if kel else 1.0, True)
                if base not in words and len(base) >= 4:
                    self._add(base, i, 0.4, False)
        self._island_target = {i: p for i, (lv, p) in enumerate(zip(self.levels, parents, strict=True))
                               if lv == "island" and p}
        for alias, code in ALIASES.items():
            if code in self.index:
                self._add(alias, self.index[code], 1.0, True)
        self._auto = ahocorasick.Automaton()
        for key in self._keys:
            self._auto.add_word(f" {key} ", key)
        self._auto.make_automaton()

    def _add(self, key: str, i: int, strength: float, cued: bool) -> None:
        entries = self._keys[key]
        if not any(j == i for j, _, _ in entries):
            entries.append((i, strength, cued))

    def __len__(self) -> int:
        return len(self.index)

    def name_of(self, code: str) -> str:
        i = self.index.get(code)
        return self.names[i] if i is not None else code

    def level_of(self, code: str) -> str:
        i = self.index.get(code)
        return self.levels[i] if i is not None else ""

    # ------------------------------------------------------------------ matching

    def _mentions(self, text: str) -> list[tuple[str, float, str]]:
        """(code, strength, matched words) of every maximal exact mention."""
        hay = f" {text} "
        spans: list[tuple[int, int, str]] = []
        for end, key in self._auto.iter(hay):
            start = end - len(key) - 1  # key is padded with one space each side
            spans.append((start + 1, end, key))
        # drop mentions contained in a longer one ("kupang" inside "kabupaten kupang")
        spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
        kept: list[tuple[int, int, str]] = []
        for s in spans:
            if any(k[0] <= s[0] and s[1] <= k[1] and (k[1] - k[0]) > (s[1] - s[0]) for k in spans):
                continue
            kept.append(s)
        out: list[tuple[str, float, str]] = []
        for _, _, key in kept:
            for i, strength, _cued in self._keys[key]:
                code = self._island_target.get(i) or self.codes[i]
                out.append((code, strength, key))
        return out

    def _fuzzy(self, words: list[str], scope: str | None, exact_keys: set[str]) -> list[tuple[str, float, str]]:
        """Spelling-tolerant matches of the words after a cue word (desa/kec./kab./kota), within ``scope``
        (descendants of an exactly matched place) or, without one, the home province (kabupaten: national)."""
        out: list[tuple[str, float, str]] = []
        for i, w in enumerate(words):
            level = _CUES.get(w)
            if level is None or level in ("island", "province"):
                continue
            covered = any(k.startswith(w + " ") and k.split()[1:2] == words[i + 1:i + 2] for k in exact_keys)
            if covered:
                continue
            choices = self._choices(level, scope)
            if not choices:
                continue
            best: tuple[float, int, str] | None = None
            for n in (1, 2, 3):
                phrase = " ".join(words[i + 1:i + 1 + n])
                if len(phrase) < 4 or any(x in _CUES for x in words[i + 1:i + 1 + n]):
                    break
                hit = process.extractOne(spelling_key(phrase), choices, scorer=fuzz.ratio, score_cutoff=84)
                if hit is not None and (best is None or hit[1] > best[0]):
                    best = (float(hit[1]), int(hit[2]), phrase)
            if best is not None:
                idx = self._choice_idx(level, scope)[best[1]]
                out.append((self.codes[idx], 0.7, f"{w} {best[2]}"))
        return out

    def _choices(self, level: str, scope: str | None) -> list[str]:
        key = (level, scope)
        got = self._choice_keys.get(key)
        if got is None:
            got = [spelling_key(self.names[i]) for i in self._choice_idx(level, scope)]
            self._choice_keys[key] = got
        return got

    def _choice_idx(self, level: str, scope: str | None) -> list[int]:
        key = (level, scope)
        cached = self._scope_cache.get(key)
        if cached is not None:
            return cached
        prefix = scope or (self.home if level in ("district", "village") else "")
        if prefix:
            idx, stack = [], [prefix]
            while stack:
                for j in self.children.get(stack.pop(), []):
                    if self.levels[j] == level:
                        idx.append(j)
                    elif _RANK.get(self.levels[j], 9) < _RANK[level]:
                        stack.append(self.codes[j])
        else:
            idx = [i for _, i in self._by_level_names.get(level, [])]
        if len(self._scope_cache) > 4096:
            self._scope_cache.clear()
            self._choice_keys.clear()
        self._scope_cache[key] = idx
        return idx


    def _score(self, mentions: list[tuple[str, float, str]]) -> dict[str, float]:
        """Own strength + each mentioned ancestor's strength, counting only ancestors named by OTHER words
        (a bare "Blora" names the kabupaten and its kecamatan Blora, but does not confirm the kecamatan)."""
        own: dict[str, float] = {}
        keys: dict[str, dict[str, float]] = defaultdict(dict)
        for code, strength, key in mentions:
            own[code] = max(own.get(code, 0.0), strength)
            keys[code][key] = max(keys[code].get(key, 0.0), strength)
        out: dict[str, float] = {}
        for c, s in own.items():
            mine = set(keys[c])
            support = 0.0
            for a in _ancestors(c):
                other = [v for k, v in keys.get(a, {}).items() if k not in mine]
                support += max(other, default=0.0)
            out[c] = s + support
        return out

    def resolve(self, text: str, *, cleaned: bool = False) -> PlaceResult:
        """The place a report's text names (see the module docstring for the scoring)."""
        norm = text if cleaned else clean(text)
        if not norm.strip():
            return PlaceResult(None, None, None, 0.0, reasons=("teks kosong",))
        mentions = self._mentions(norm)
        scores = self._score(mentions)
        method = "exact"
        best = max(scores.values(), default=0.0)
        scope = None
        if best >= 0.8:
            top = [c for c, s in scores.items() if s >= best - 0.05]
            scope = top[0] if len(top) == 1 else None
        exact_keys = {k for _, _, k in mentions}
        words = norm.split()
        if scope is None or self.level_of(scope) != "village":
            fuzzy = self._fuzzy(words, scope if best >= 0.8 else None, exact_keys)
            if fuzzy:
                scores2 = self._score(mentions + fuzzy)
                best2 = max(scores2.values())
                if best2 > best + 0.05:
                    mentions, scores, best, method = mentions + fuzzy, scores2, best2, "fuzzy"
        if best < 0.8:
            return PlaceResult(None, None, None, round(min(0.3, best / 3), 2),
                               matched=tuple(sorted({k for _, _, k in mentions})),
                               reasons=("tidak ada nama wilayah yang jelas",))
        top = sorted(c for c, s in scores.items() if s >= best - 0.05)
        # a place and its own ancestor both at the top: keep the deeper one
        top = [c for c in top if not any(o != c and o.startswith(c + ".") for o in top)]
        ambiguous = len(top) > 1
        if ambiguous:
            code = _common_ancestor(top)
            out = all(not c.startswith(self.home) for c in top)
        else:
            code = top[0]
            out = not (code == self.home or code.startswith(self.home + "."))
        chain = set(_ancestors(code)) | {code} if code else set()
        matched = tuple(dict.fromkeys(k for c, _, k in mentions if c in chain or any(
            t == c or t.startswith(c + ".") for t in top)))
        conf = 1 - math.exp(-best)
        if ambiguous:
            conf *= 0.45
        if method == "fuzzy":
            conf *= 0.85
        reasons = [f"nama cocok: {', '.join(matched)}"] if matched else []
        if ambiguous:
            reasons.append(f"{len(top)} wilayah bernama sama" + (f", dipakai induknya {code}" if code else ""))
        if method == "fuzzy":
            reasons.append("ejaan mirip (toleransi salah ketik)")
        if out:
            reasons.append("di luar wilayah")
        if code is None:
            return PlaceResult(None, None, None, round(conf, 2), matched, method, True, tuple(top), out,
                               None, tuple(reasons))
        return PlaceResult(code, self.level_of(code), self.name_of(code), round(conf, 2), matched, method,
                           ambiguous, tuple(top), out, code[:2], tuple(reasons))


def _common_ancestor(codes: Sequence[str]) -> str | None:
    parts = [c.split(".") for c in codes]
    common: list[str] = []
    for seg in zip(*parts, strict=False):
        if all(s == seg[0] for s in seg):
            common.append(seg[0])
        else:
            break
    return ".".join(common) or None
