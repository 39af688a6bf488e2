"""One triage step for every channel: normalise, place, category, severity, route, duplicates — plain data in
(gazetteer, model weights, taxonomy facts, routing rules), a typed result with reasons out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from .duplicates import DupItem, DupParams, find_duplicate, fingerprint
from .gazetteer import Gazetteer, PlaceResult
from .model import LinearModel
from .normalise import ELECTION_TERMS, clean
from .routing import RouteRule, route_for
from .severity import assess_severity

__all__ = ["CategoryFacts", "TriageResult", "Triager", "NON_ELECTION"]

#: categories that are not about the election (still routed, to Polri or BPBD)
NON_ELECTION = frozenset({"crime_general", "other"})


@dataclass(frozen=True)
class CategoryFacts:
    """What triage needs to know of a taxonomy category."""

    code: str
    base_severity: int
    time_sensitive: bool = False


@dataclass(frozen=True)
class TriageResult:
    category: str
    top3: tuple[tuple[str, float], ...]
    labels: tuple[str, ...]
    election_related: bool
    category_confidence: float
    severity: int
    severity_reasons: tuple[str, ...]
    place: PlaceResult
    route: tuple[str, ...]
    route_reasons: tuple[str, ...]
    duplicate_of: str | None = None
    duplicate_score: float | None = None
    fatalities: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)
    model_version: str = ""

    @property
    def out_of_area(self) -> bool:
        return self.place.out_of_area

    def to_json(self) -> dict[str, Any]:
        """Stored on the report (JSON) and shown to staff."""
        d = asdict(self)
        d["top3"] = [[c, round(s, 3)] for c, s in self.top3]
        d["out_of_area"] = self.out_of_area
        return d


_NUMBER_WORDS = {"satu": 1, "seorang": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7,
                 "delapan": 8, "sembilan": 9, "sepuluh": 10}
_DEAD = {"tewas", "meninggal", "terbunuh", "jenazah", "mayat", "wafat"}


def fatalities_from(words: Sequence[str]) -> int:
    """Deaths a text states ("dua warga tewas" -> 2; "seorang tewas" -> 1; unstated number -> 1).

    >>> fatalities_from("dua warga tewas dan tiga luka".split())
    2
    """
    for i, w in enumerate(words):
        if w in _DEAD and not {"ancam", "diancam", "akan"} & set(words[max(0, i - 3):i]):
            for back in words[max(0, i - 4):i][::-1]:
                if back.isdigit() and int(back) < 1000:
                    return int(back)
                if back in _NUMBER_WORDS:
                    return _NUMBER_WORDS[back]
            return 1
    return 0


class Triager:
    """Holds the gazetteer, the model, the taxonomy facts and routing rules; ``triage`` is pure and fast.

    ``hours_to_vote`` for a report is computed from ``voting_day`` when the report has a date."""

    def __init__(self, gazetteer: Gazetteer, model: LinearModel, categories: Mapping[str, CategoryFacts],
                 rules: Sequence[RouteRule], *, voting_day: datetime | None = None,
                 dup_params: DupParams | None = None) -> None:
        self.gazetteer, self.model, self.categories, self.rules = gazetteer, model, categories, list(rules)
        self.voting_day, self.dup_params = voting_day, dup_params or DupParams()

    def triage(self, text: str, *, at: datetime | None = None, place_text: str = "",
               earlier: Sequence[DupItem] = (), key: str = "", lat: float | None = None,
               lng: float | None = None) -> TriageResult:
        """Triage one report. ``earlier`` are the items it may duplicate (same file, or open incidents)."""
        notes: list[str] = []
        raw = text or ""
        if len(raw) > 20000:
            notes.append(f"teks sangat panjang ({len(raw)} karakter): hanya 20.000 karakter pertama dibaca")
        cleaned = clean(raw)
        words = cleaned.split()
        if not words:
            notes.append("teks kosong atau tanpa huruf/angka yang terbaca")
        place = self.gazetteer.resolve(f"{clean(place_text)} {cleaned}".strip(), cleaned=True)
        ranked = self.model.scores(cleaned)
        known = self.model.known_share(cleaned)
        top3 = tuple(ranked[:3])
        top = top3[0][0] if top3 else "other"
        conf = top3[0][1] * (0.3 + 0.7 * min(1.0, known * 2)) if top3 else 0.0
        if words and known < 0.15:
            notes.append("sebagian besar kata tidak dikenal (bahasa lain?): kategori tidak pasti")
            top = "other" if "other" in self.categories and known == 0 else top
        if words and all(w.isdigit() for w in words):
            notes.append("hanya angka")
            top, conf = "other", 0.0
        labels = [top] + [c for c, s in top3[1:] if s >= 0.3 and c != top]
        election_terms = any(w in ELECTION_TERMS for w in words)
        election_related = top not in NON_ELECTION or (
            election_terms and any(c not in NON_ELECTION for c in labels[1:]))
        if top in NON_ELECTION and election_related:
            notes.append("laporan kriminal umum yang juga menyangkut pemilihan")
        facts = self.categories.get(top, CategoryFacts(top, 1))
        hours = None
        if at is not None and self.voting_day is not None:
            hours = (self.voting_day - at).total_seconds() / 3600
        severity, sev_reasons = assess_severity(words, facts.base_severity, hours_to_vote=hours,
                                                time_sensitive=facts.time_sensitive)
        route, route_reasons = route_for(top, cleaned, self.rules, election_related=election_related)
        if place.out_of_area:
            route_reasons.append("di luar wilayah: diteruskan ke instansi provinsi yang bersangkutan")
        result = TriageResult(
            category=top, top3=top3, labels=tuple(labels), election_related=election_related,
            category_confidence=round(conf, 3), severity=severity, severity_reasons=tuple(sev_reasons),
            place=place, route=tuple(route), route_reasons=tuple(route_reasons),
            fatalities=fatalities_from(words), notes=tuple(notes), model_version=self.model.version)
        return self.with_duplicate(result, text, earlier, at=at, key=key, lat=lat, lng=lng, cleaned=cleaned)

    def with_duplicate(self, result: TriageResult, text: str, earlier: Sequence[DupItem], *,
                       at: datetime | None = None, key: str = "", lat: float | None = None,
                       lng: float | None = None, cleaned: str | None = None,
                       cleaned_fingerprint: str | None = None) -> TriageResult:
        """``result`` with the most similar of ``earlier`` as its duplicate (or none). ``triage`` ends with this;
        a batch triages every text first and asks this second, against the items known at that moment
        (``cleaned`` and ``cleaned_fingerprint``: the text's :func:`clean` and its fingerprint, if known already)."""
        cleaned = clean(text or "") if cleaned is None else cleaned
        dup = None
        if earlier and cleaned.split():
            fp = fingerprint(cleaned) if cleaned_fingerprint is None else cleaned_fingerprint
            item = DupItem(key=key, at=at or datetime.min, fingerprint=fp,
                           categories=tuple(c for c, _ in result.top3), place=result.place.code, lat=lat, lng=lng)
            dup = find_duplicate(item, earlier, self.dup_params)
        return replace(result, duplicate_of=dup[0] if dup else None,
                       duplicate_score=round(dup[1], 3) if dup else None)

    @staticmethod
    def dup_item(key: str, at: datetime, text: str, categories: tuple[str, ...], place: str | None) -> DupItem:
        return DupItem(key=key, at=at, fingerprint=fingerprint(text), categories=categories, place=place)
