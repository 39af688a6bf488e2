"""Django side of report triage: builds (once per process) the engine's Triager from the shipped gazetteer,
the category model, the taxonomy and the routing data, and turns a stored report into triage suggestions.

Every channel reaches `report_process` (forms, API single and batch, the lean intake path via deferred
processing, SMS), and `report_process` calls `triage_report` here: one triage for all.

The model is the newest retrained one in SINERGI_DATA_DIR/triage/ (see `manage.py incidents_retrain`) or else
the one shipped in sinergi/data/incidents/triage_model.json."""

from __future__ import annotations

import datetime as dt
import json
import threading
from functools import lru_cache
from pathlib import Path

from django.conf import settings

from sinergi.engine.incidents.triage import (
    CategoryFacts,
    Gazetteer,
    LinearModel,
    RouteRule,
    Triager,
    TriageResult,
)
from sinergi.engine.incidents.triage.data import gazetteer_from_files

from . import defaults

DATA = defaults.DATA_DIR
AREA_DIR = DATA.parent / "idn-area"
SHIPPED_MODEL = DATA / "triage_model.json"
DEV_SET = DATA / "triage_dev" / "dev.jsonl"
#: categories whose severity rises in the last hours before voting
TIME_SENSITIVE = frozenset({"intimidation", "violence_clash", "property_damage", "protest", "logistics",
                            "natural_hazard", "voting_procedure"})
_lock = threading.Lock()


def home_province() -> str:
    """The deployment's province: setting SINERGI_TRIAGE_HOME_PROVINCE, else NTT (53)."""
    return str(settings.SINERGI_TRIAGE_HOME_PROVINCE or "53")


def model_dir() -> Path:
    return Path(settings.DATA_DIR) / "triage"


def model_path() -> Path:
    """The newest retrained model (by version name), else the shipped one."""
    d = model_dir()
    found = sorted(d.glob("model-*.json")) if d.exists() else []
    return found[-1] if found else SHIPPED_MODEL


@lru_cache(maxsize=4)
def _gazetteer(home: str) -> Gazetteer:
    return Gazetteer(gazetteer_from_files(AREA_DIR), home=home)


@lru_cache(maxsize=4)
def _model(path: str, mtime: float) -> LinearModel:
    return LinearModel.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def route_rules() -> list[RouteRule]:
    return [RouteRule(category=r.get("category") or "", bodies=tuple(r["bodies"]),
                      when_any=tuple(r.get("when_any", [])), reason=r.get("reason", ""))
            for r in defaults._yaml("routing.yaml").get("triage_routes", [])]


def bodies() -> list[dict]:
    """The responsible bodies as data (routing.yaml `bodies`)."""
    return list(defaults._yaml("routing.yaml").get("bodies", []))


def category_facts() -> dict[str, CategoryFacts]:
    return {c["code"]: CategoryFacts(c["code"], int(c.get("severity", 1)), c["code"] in TIME_SENSITIVE)
            for c in defaults.taxonomy()}


def voting_day() -> dt.datetime | None:
    """Voting day of the default election (07:00 local), for the 'hours before voting' severity reason."""
    try:
        from sinergi.elections.selectors import default_election

        e = default_election()
    except Exception:  # no database (CLI triage of a file): the default Pilkada 2024 day
        e = None
    day = e.voting_date if e is not None else dt.date(2024, 11, 27)
    return dt.datetime.combine(day, dt.time(7, 0))


_triager: dict[tuple, Triager] = {}


def triager(*, with_db: bool = True) -> Triager:
    """The process' Triager (built once: about 5 s for the national gazetteer; the model is reloaded when a
    newer one is trained)."""
    path = model_path()
    key = (home_province(), str(path), path.stat().st_mtime, with_db)
    t = _triager.get(key)
    if t is None:
        with _lock:
            t = _triager.get(key)
            if t is None:
                t = Triager(_gazetteer(home_province()), _model(str(path), path.stat().st_mtime), category_facts(),
                            route_rules(), voting_day=voting_day() if with_db else dt.datetime(2024, 11, 27, 7))
                _triager.clear()
                _triager[key] = t
    return t


def naive(ts: dt.datetime | None) -> dt.datetime | None:
    """Local wall-clock time without zone (the engine compares naive datetimes)."""
    if ts is None:
        return None
    if ts.tzinfo is not None:
        from django.utils import timezone

        ts = timezone.localtime(ts).replace(tzinfo=None)
    return ts


def dev_set() -> list[dict]:
    return [json.loads(line) for line in DEV_SET.read_text(encoding="utf-8").splitlines() if line.strip()]


def training_examples(*, corrections: bool = True) -> list[tuple[str, str]]:
    """Shipped examples (the development set's train split and the older labelled list) plus, when asked,
    the categories staff confirmed or corrected (stored triage corrections). The test split is never used."""
    known = {c["code"] for c in defaults.taxonomy()}
    out = [(r["text"], r["category"]) for r in dev_set() if r["split"] == "train"]
    out += [(t, lab) for t, lab in defaults.training_examples() if lab in known]
    for c in defaults.taxonomy():  # the taxonomy's own words
        out.append((" ".join([c["name"], *c.get("sms", [])]), c["code"]))
    if corrections:
        from .models import TriageCorrection

        out += [(t, lab) for t, lab in TriageCorrection.objects.filter(field="category")
                .values_list("report__text", "corrected") if lab in known and t]
    return out


def evaluate(triager_obj: Triager | None = None, *, split: str = "test") -> dict:
    from sinergi.engine.incidents.triage.evaluate import evaluate_rows

    rows = [r for r in dev_set() if split == "all" or r["split"] == split]
    return evaluate_rows(triager_obj or triager(with_db=False), rows)


def fingerprint_of(text: str) -> str:
    from sinergi.engine.incidents.triage import fingerprint

    return fingerprint(text or "")


def result_json(tri: TriageResult, text: str, fingerprint: str | None = None) -> dict:
    """What is stored on the report and the incident: the suggestions with their reasons (`fingerprint`: the
    text's, if known already)."""
    d = tri.to_json()
    d["fingerprint"] = fingerprint_of(text) if fingerprint is None else fingerprint
    return d


def with_duplicate_json(base: dict, tri: TriageResult) -> dict:
    """result_json of `tri` from `base`, the result_json of the same result before its duplicate check (which
    changes only duplicate_of and duplicate_score)."""
    return {**base, "duplicate_of": tri.duplicate_of, "duplicate_score": tri.duplicate_score}
