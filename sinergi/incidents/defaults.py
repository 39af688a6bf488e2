"""The shipped taxonomy, deadline rules, holidays and routing rules (sinergi/data/incidents/*.yaml)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "incidents"


def _yaml(name: str) -> dict:
    return yaml.safe_load((DATA_DIR / name).read_text(encoding="utf-8"))


def taxonomy() -> list[dict]:
    return _yaml("taxonomy.yaml")["categories"]


def deadline_config() -> dict:
    return _yaml("deadlines.yaml")


def routing_rules() -> list[dict]:
    return _yaml("routing.yaml")["rules"]


@lru_cache(maxsize=1)
def training_examples() -> tuple[tuple[str, str], ...]:
    """(text, label) pairs of the labelled set."""
    out = []
    for line in (DATA_DIR / "training.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, text = line.split("|", 1)
            out.append((text.strip(), label.strip()))
    return tuple(out)


def load(apps=None) -> dict:
    """Upsert the shipped defaults. Works with the real models or with a migration's historical `apps`."""
    get = (lambda n: apps.get_model("incidents", n)) if apps else None
    if get is None:
        from . import models as m

        Category, DeadlineRule, Holiday, RoutingRule = m.Category, m.DeadlineRule, m.Holiday, m.RoutingRule
    else:
        Category, DeadlineRule, Holiday, RoutingRule = (get(n) for n in ("Category", "DeadlineRule", "Holiday",
                                                                          "RoutingRule"))
    counts = {"categories": 0, "deadline_rules": 0, "holidays": 0, "routing_rules": 0}
    for order, c in enumerate(taxonomy()):
        Category.objects.update_or_create(code=c["code"], defaults=dict(
            name=c["name"], name_en=c.get("name_en", ""), violation=c.get("violation", ""),
            agency_code=c["agency"], co_agencies=c.get("co_agencies", []), handler=c.get("handler", ""),
            default_severity=c.get("severity", 1), acled_event_type=c["acled"][0], acled_sub_event_type=c["acled"][1],
            deadline_codes=c.get("deadlines", []), sms_aliases=c.get("sms", []), order=order))
        counts["categories"] += 1
    cfg = deadline_config()
    # Older migrations call this with the model as it was then (no `met_by` before incidents 0006).
    has_met_by = any(f.name == "met_by" for f in DeadlineRule._meta.get_fields())
    for r in cfg["rules"]:
        values = dict(name=r["name"], amount=r["amount"], unit=r["unit"], extension=r.get("extension", 0),
                      start=r["start"], basis=r.get("basis", ""))
        if has_met_by:
            values["met_by"] = r.get("met_by") or []
        DeadlineRule.objects.update_or_create(code=r["code"], defaults=values)
        counts["deadline_rules"] += 1
    for day, name in cfg.get("holidays", []):
        day = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
        Holiday.objects.update_or_create(date=day, defaults={"name": name})
        counts["holidays"] += 1
    if not RoutingRule.objects.exists():
        cats = {c.code: c for c in Category.objects.all()}
        for r in routing_rules():
            RoutingRule.objects.create(category=cats.get(r["category"]) if r["category"] else None,
                                       region_prefix=r.get("region", ""), agency_code=r["agency"],
                                       note=r.get("note", ""))
            counts["routing_rules"] += 1
    return counts
