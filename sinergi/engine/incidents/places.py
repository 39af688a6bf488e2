"""Fuzzy matching of desa/kecamatan names with Indonesian spelling variants."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from .text import spelling_key

__all__ = ["Place", "PlaceMatch", "match_place"]


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    level: str  # "village" / "district" / ...


@dataclass(frozen=True)
class PlaceMatch:
    place: Place
    score: float
    ambiguous: bool


def match_place(text: str, places: Sequence[Place], min_score: float = 0.84) -> PlaceMatch | None:
    """Best place for a name; ``ambiguous`` when another place with a different code scores the same.

    >>> ps = [Place("53.01.04.2003", "Oesao", "village"), Place("53.71.01.1001", "Alak", "village")]
    >>> match_place("desa Usao", ps).place.code
    '53.01.04.2003'
    >>> match_place("Jakarta", ps) is None
    True
    """
    key = spelling_key(text)
    if not key:
        return None
    scored: list[tuple[float, Place]] = []
    for p in places:
        pk = spelling_key(p.name)
        if not pk:
            continue
        s = 1.0 if pk == key else SequenceMatcher(None, key, pk).ratio()
        if s >= min_score:
            scored.append((s, p))
    if not scored:
        return None
    scored.sort(key=lambda t: (-t[0], t[1].code))
    top_s, top = scored[0]
    ambiguous = any(s >= top_s - 0.02 and p.code != top.code for s, p in scored[1:])
    return PlaceMatch(place=top, score=top_s, ambiguous=ambiguous)
