"""Measure triage on a labelled set: category top-1/top-3, severity within one level, place by level,
kabupaten where the text names one, out-of-area recall, non-election crimes, routing, duplicate pairs, time."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from .core import NON_ELECTION, Triager
from .duplicates import DupItem
from .normalise import clean
from .routing import route_for

__all__ = ["evaluate_rows", "SERIOUS"]

#: a report describing deaths, weapons or arson (independent of the severity rules, for the check)
SERIOUS = re.compile(r"\b(tewas|meninggal|dibunuh|pembunuhan|parang|pisau|senjata|panah|molotov|bom|dibakar|"
                     r"membakar|terbakar|pembakaran|ditikam|dibacok|bacok)\b", re.IGNORECASE)
_NOT_EVENT = re.compile(r"\b(dpt|daftar pemilih|tercantum|terdaftar)\b", re.IGNORECASE)


def _pct(a: int, b: int) -> float:
    return round(100.0 * a / b, 1) if b else 0.0


def evaluate_rows(triager: Triager, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Triage every row in order (duplicates are looked for among the earlier rows) and compare with the
    labels (see sinergi/data/incidents/triage_dev/README.md for the fields)."""
    n = len(rows)
    c = {k: 0 for k in ("top1", "top3", "sev1", "sev_exact", "serious", "serious_low", "named", "named_ok",
                        "out", "out_ok", "in", "false_out", "crime", "crime_ok", "route_ok", "noplace",
                        "noplace_ok", "dup_gold", "dup_found", "dup_false", "elec_ok")}
    by_level: dict[str, list[int]] = {}
    confusions: list[tuple[str, str, str]] = []
    earlier: list[DupItem] = []
    t0 = time.perf_counter()
    results = []
    for r in rows:
        at = datetime.fromisoformat(str(r["date"]))
        res = triager.triage(str(r["text"]), at=at, earlier=earlier[-200:], key=str(r["id"]))
        earlier.append(triager.dup_item(str(r["id"]), at, clean(str(r["text"])), tuple(x for x, _ in res.top3),
                                        res.place.code))
        results.append(res)
    elapsed = time.perf_counter() - t0
    for r, res in zip(rows, results, strict=True):
        gold_cat, gold_sev = str(r["category"]), int(r["severity"])
        c["top1"] += res.category == gold_cat
        c["top3"] += gold_cat in [x for x, _ in res.top3]
        if res.category != gold_cat:
            confusions.append((str(r["id"]), gold_cat, res.category))
        c["sev1"] += abs(res.severity - gold_sev) <= 1
        c["sev_exact"] += res.severity == gold_sev
        text = str(r["text"])
        if SERIOUS.search(text) and not _NOT_EVENT.search(text):
            c["serious"] += 1
            c["serious_low"] += res.severity < 3
        c["elec_ok"] += res.election_related == bool(r.get("election_related", gold_cat not in NON_ELECTION))
        if gold_cat == "crime_general":
            c["crime"] += 1
            c["crime_ok"] += res.category == "crime_general" or not res.election_related
        gold_route, _ = route_for(gold_cat, clean(text), triager.rules)
        c["route_ok"] += list(res.route) == gold_route
        place = r.get("place") or {}
        code, level = place.get("code"), place.get("level")
        if code is None:
            c["noplace"] += 1
            c["noplace_ok"] += res.place.code is None
        else:
            got = res.place.code or ""
            lv = by_level.setdefault(str(level), [0, 0])
            lv[1] += 1
            lv[0] += got == code
            if place.get("names_regency"):
                c["named"] += 1
                c["named_ok"] += got[:5] == str(place["regency"])[:5] and len(got) >= len(str(place["regency"]))
        if place.get("out_of_area"):
            c["out"] += 1
            c["out_ok"] += res.out_of_area
        else:
            c["in"] += 1
            c["false_out"] += res.out_of_area
        if r.get("duplicate_of"):
            c["dup_gold"] += 1
            c["dup_found"] += res.duplicate_of == r["duplicate_of"]
        elif res.duplicate_of:
            c["dup_false"] += 1
    return {
        "n": n,
        "category_top1": _pct(c["top1"], n), "category_top3": _pct(c["top3"], n),
        "severity_within_one": _pct(c["sev1"], n), "severity_exact": _pct(c["sev_exact"], n),
        "serious_reports": c["serious"], "serious_below_3": c["serious_low"],
        "election_related": _pct(c["elec_ok"], n),
        "kabupaten_named": c["named"], "kabupaten": _pct(c["named_ok"], c["named"]),
        "place_by_level": {k: _pct(v[0], v[1]) for k, v in sorted(by_level.items())},
        "place_by_level_n": {k: v[1] for k, v in sorted(by_level.items())},
        "no_place_left_empty": _pct(c["noplace_ok"], c["noplace"]),
        "out_of_area": c["out"], "out_of_area_recall": _pct(c["out_ok"], c["out"]),
        "false_out_of_area": c["false_out"],
        "non_election": c["crime"], "non_election_recognised": _pct(c["crime_ok"], c["crime"]),
        "routing": _pct(c["route_ok"], n),
        "duplicate_pairs": c["dup_gold"], "duplicate_found": c["dup_found"], "duplicate_false": c["dup_false"],
        "ms_per_report": round(1000 * elapsed / n, 3) if n else 0.0,
        "confusions": confusions[:40],
    }
