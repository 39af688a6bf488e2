"""Which responsible bodies a triaged report goes to: data (``RouteRule`` from the shipped routing file),
applied in order — a category's bodies, plus bodies added when words in the text say so (ASN -> BKN/KASN)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["RouteRule", "route_for"]


@dataclass(frozen=True)
class RouteRule:
    """For ``category`` (or every category when empty): the bodies, or bodies added when any of ``when_any``
    (cleaned words or phrases) occurs in the text."""

    category: str
    bodies: tuple[str, ...]
    when_any: tuple[str, ...] = ()
    reason: str = ""


def route_for(category: str, text: str, rules: Sequence[RouteRule], *, election_related: bool = True
              ) -> tuple[list[str], list[str]]:
    """(agency codes in order, reasons).

    >>> rules = [RouteRule("neutrality", ("BAWASLU",)), RouteRule("neutrality", ("BKN_KASN",), ("asn",), "ASN")]
    >>> route_for("neutrality", "camat asn ikut kampanye", rules)
    (['BAWASLU', 'BKN_KASN'], ['ASN'])
    """
    hay = f" {text} "
    out: list[str] = []
    reasons: list[str] = []
    for r in rules:
        if r.category and r.category != category:
            continue
        if r.when_any and not any(f" {w} " in hay for w in r.when_any):
            continue
        if r.when_any and r.reason:
            reasons.append(r.reason)
        for b in r.bodies:
            if b not in out:
                out.append(b)
    if not out:
        out.append("POLRI")
    return out, reasons
