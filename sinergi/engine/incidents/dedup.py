"""Is a new report about an event already known? Time window, distance and text similarity."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .classifier import features

__all__ = ["haversine_km", "text_similarity", "DedupParams", "Candidate", "Match", "best_match"]


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in km.

    >>> round(haversine_km(-10.17, 123.6, -10.18, 123.6), 2)
    1.11
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


def text_similarity(a: str, b: str) -> float:
    """Jaccard similarity of the word and bigram features (0..1).

    >>> text_similarity("massa bentrok di depan TPS 3", "bentrok massa depan tps") > 0.3
    True
    """
    fa, fb = set(features(a)), set(features(b))
    if not fa or not fb:
        return 0.0
    return len(fa & fb) / len(fa | fb)


@dataclass(frozen=True)
class DedupParams:
    window: timedelta = timedelta(hours=6)
    max_km: float = 2.0
    min_text: float = 0.15
    #: same TPS or same desa with the same category counts as the same place even without coordinates
    same_place_bonus: float = 0.2


@dataclass(frozen=True)
class Candidate:
    """A report (or an incident's representative) to compare."""

    key: int
    at: datetime
    category: str
    text: str
    lat: float | None = None
    lng: float | None = None
    place: str = ""  # TPS code or desa code, when known


@dataclass(frozen=True)
class Match:
    key: int
    score: float
    distance_km: float | None
    text_score: float


def best_match(new: Candidate, candidates: Sequence[Candidate], params: DedupParams = DedupParams()) -> Match | None:
    """The most similar candidate describing the same event, or None.

    Same event = within the time window, same category, and either within ``max_km`` or at the same
    TPS/desa, and text similarity (plus the same-place bonus) at least ``min_text``.
    """
    best: Match | None = None
    for c in candidates:
        if abs(new.at - c.at) > params.window or c.category != new.category:
            continue
        dist: float | None = None
        near = False
        if None not in (new.lat, new.lng, c.lat, c.lng):
            dist = haversine_km(new.lat, new.lng, c.lat, c.lng)  # type: ignore[arg-type]
            near = dist <= params.max_km
        same_place = bool(new.place and c.place and (new.place.startswith(c.place) or c.place.startswith(new.place)))
        if not (near or same_place):
            continue
        ts = text_similarity(new.text, c.text)
        score = ts + (params.same_place_bonus if same_place else 0.0)
        if score < params.min_text:
            continue
        if best is None or score > best.score:
            best = Match(key=c.key, score=score, distance_km=dist, text_score=ts)
    return best
