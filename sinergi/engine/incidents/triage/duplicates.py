"""Is a report another telling of an earlier one? Text similarity (rapidfuzz on the stemmed words) + time +
place when both places are known. Works without a resolved place (then the text must agree more) and across
channels: an SMS, a form and an API report of one event are compared alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from rapidfuzz import fuzz

from ..dedup import haversine_km
from .normalise import features

__all__ = ["DupItem", "DupParams", "fingerprint", "similarity", "find_duplicate"]


@dataclass(frozen=True)
class DupParams:
    window: timedelta = timedelta(hours=12)
    max_km: float = 5.0
    min_with_place: float = 0.55
    min_without_place: float = 0.68


@dataclass(frozen=True)
class DupItem:
    key: str
    at: datetime
    fingerprint: str  # see :func:`fingerprint`
    categories: tuple[str, ...]  # top-3 (or the confirmed category)
    place: str | None = None  # Kemendagri code or TPS code when known
    lat: float | None = None
    lng: float | None = None


def fingerprint(text: str) -> str:
    """The stemmed content words, in order: what similarity compares.

    >>> fingerprint("Massa membakar baliho paslon di Desa Oesao")
    'massa bakar baliho pasang calon desa oesao'
    """
    return " ".join(f for f in features(text[:4000]) if "_" not in f)


def similarity(a: str, b: str) -> float:
    """0..1: the mean of rapidfuzz's token-set and token-sort ratios of two fingerprints."""
    if not a or not b:
        return 0.0
    return (fuzz.token_set_ratio(a, b) + fuzz.token_sort_ratio(a, b)) / 200.0


def _places_agree(a: str | None, b: str | None) -> bool | None:
    """True when one place contains the other, False when they differ, None when one is unknown."""
    if not a or not b:
        return None
    return a == b or a.startswith(b + ".") or b.startswith(a + ".") or a.startswith(b + "-") or b.startswith(a + "-")


def find_duplicate(new: DupItem, earlier: Sequence[DupItem], params: DupParams = DupParams()
                   ) -> tuple[str, float] | None:
    """(key, score) of the most similar earlier item describing the same event, or None.

    >>> t = datetime(2024, 11, 27, 9)
    >>> a = DupItem("a", t, fingerprint("Massa bentrok lempar batu di TPS 3 Oesao"), ("violence_clash",), "53.01")
    >>> b = DupItem("b", t, fingerprint("bentrok massa saling lempar batu TPS 3 desa Oesao"), ("violence_clash",))
    >>> find_duplicate(b, [a])[0]
    'a'
    """
    best: tuple[str, float] | None = None
    for c in earlier:
        if abs(new.at - c.at) > params.window:
            continue
        if not (new.categories[:1] and c.categories[:1]) or (
                new.categories[0] not in c.categories[:2] and c.categories[0] not in new.categories[:2]):
            continue
        agree = _places_agree(new.place, c.place)
        if agree is False:
            continue
        if None not in (new.lat, new.lng, c.lat, c.lng):
            if haversine_km(new.lat, new.lng, c.lat, c.lng) > params.max_km:  # type: ignore[arg-type]
                continue
            agree = True
        s = similarity(new.fingerprint, c.fingerprint)
        need = params.min_with_place if agree else params.min_without_place
        if s >= need and (best is None or s > best[1]):
            best = (c.key, s)
    return best
