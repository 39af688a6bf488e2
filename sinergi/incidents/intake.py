"""Lean single-report intake: POST /api/v1/incident-reports/ with an API token, without the DRF request,
authentication, serializer and renderer machinery (measured at ~1 ms of CPU per report, most of the
server's time under load). Same contract as ReportViewSet.create:

- the same token and permission (`incident.report`) — checked by the writer for the whole group in one query;
- the same validation: this path only accepts what the serializer accepts, with the same normalisation
  (strings trimmed, time zones made aware). Anything else (no or malformed token, no permission, invalid or
  unusual input, unknown category or TPS code) is handed to the full DRF view, which answers with its usual
  401/403/400 naming the field, and stores nothing;
- the same idempotency: the key is unique; a retry answers 200 `duplicate` with the stored report;
- the same durability: 201 only after the transaction with the row and its audit event committed (group
  commit when SINERGI_INCIDENT_GROUP_COMMIT is on, else a group of one in the request thread).
"""

from __future__ import annotations

import json
import math

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from sinergi.core import jsonsafe

from . import groupcommit
from .choices import Channel
from .models import MAX_TEXT
from .serializers import TPS_CODE_RE
from .services import GroupEntry, ReportInput, report_store_group

# name in the request -> (ReportInput field, max length, required)
_STRINGS = (("key", "key", 100, True), ("text", "text", MAX_TEXT, True), ("place", "place_text", 255, False),
            ("tps_code", "tps_code", 24, False), ("reporter_name", "reporter_name", 120, False),
            ("reporter_contact", "reporter_contact", 120, False))
_ALLOW = "GET, POST, HEAD, OPTIONS"


def token_of(request) -> str | None:
    """The key of an `Authorization: Token <key>` header (DRF's TokenAuthentication format), else None."""
    parts = request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(parts) != 2 or parts[0].lower() != "token":
        return None
    return parts[1]


def plain_request(accept: str, query: str) -> bool:
    """JSON is what DRF's content negotiation would answer (no `?format=`, no HTML or other media asked for)."""
    if query:
        return False
    accept = accept.strip().lower()
    return not accept or accept == "*/*" or ("application/json" in accept and "text/html" not in accept)


def parse(raw) -> ReportInput | None:
    """The report if the serializer would accept it unchanged in meaning, else None (then the full view
    decides and explains). Category and TPS code existence are checked later against the database."""
    if not isinstance(raw, dict):
        return None
    vals: dict = {}
    for name, attr, limit, required in _STRINGS:
        v = raw.get(name)
        if v is None:
            if required:
                return None
            vals[attr] = ""
            continue
        if not isinstance(v, str) or "\x00" in v:
            return None
        v = v.strip()
        if len(v) > limit or (required and not v):
            return None
        vals[attr] = v
    if vals["tps_code"] and not TPS_CODE_RE.match(vals["tps_code"]):
        return None
    coords = []
    for name, bound in (("lat", 90), ("lng", 180)):
        v = raw.get(name)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)
                              or not -bound <= v <= bound):
            return None
        coords.append(None if v is None else float(v))
    if (coords[0] is None) != (coords[1] is None):
        return None
    sev = raw.get("severity")
    if sev is not None and (isinstance(sev, bool) or not isinstance(sev, int) or not 1 <= sev <= 4):
        return None
    cat = raw.get("category")
    if cat is not None and not isinstance(cat, str):
        return None
    occurred = None
    if raw.get("occurred_at") is not None:
        if not isinstance(raw["occurred_at"], str):
            return None
        try:
            occurred = parse_datetime(raw["occurred_at"].strip())
        except ValueError:
            return None
        if occurred is None:
            return None
        if timezone.is_naive(occurred):
            occurred = timezone.make_aware(occurred)
    data = ReportInput(key=vals["key"], text=vals["text"], channel=Channel.API, occurred_at=occurred,
                       lat=coords[0], lng=coords[1], tps_code=vals["tps_code"], place_text=vals["place_text"],
                       category_hint=cat or "", severity_hint=sev, reporter_name=vals["reporter_name"],
                       reporter_contact=vals["reporter_contact"])
    try:
        data.validate()
    except Exception:
        return None
    return data


def _json(body: dict, status: int) -> HttpResponse:
    resp = HttpResponse(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode(),
                        content_type="application/json", status=status)
    resp["Vary"] = "Accept"
    resp["Allow"] = _ALLOW
    return resp


def create(request, fallback) -> HttpResponse:
    """Store one report, or hand the request to `fallback` (the DRF view) for everything but the plain case."""
    token = token_of(request)
    if token is None or request.content_type != "application/json" or \
            request.content_params.get("charset", "utf-8").lower() not in ("utf-8", "utf8") or \
            not plain_request(request.META.get("HTTP_ACCEPT", ""), request.META.get("QUERY_STRING", "")):
        return fallback(request)
    try:
        data = parse(jsonsafe.loads(request.body))
    except ValueError:  # malformed, too deep (sinergi.core.jsonsafe) or not UTF-8
        data = None
    if data is None:
        return fallback(request)
    entry = GroupEntry(data=data, token=token)
    out = groupcommit.submit_entry(entry) if groupcommit.enabled() else report_store_group(entries=[entry])[0]
    if out.status == "refused":
        return fallback(request)
    return _json({"id": out.report_id, "key": out.key, "status": out.status, "incident": out.incident_id},
                 201 if out.status == "accepted" else 200)


def lean_enabled() -> bool:
    return bool(settings.SINERGI_INCIDENT_LEAN_INTAKE)
