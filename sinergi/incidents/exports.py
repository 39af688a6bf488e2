"""Exports: CSV, GeoJSON, ACLED-style CSV, and OASIS CAP 1.2 alerts (severity >= 3) validated against the
vendored official schema (sinergi/data/incidents/cap/CAP-v1.2.xsd)."""

from __future__ import annotations

import io
import json
from functools import lru_cache
from xml.sax.saxutils import escape

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from sinergi.core import clock
from sinergi.core.exports import csv_writer
from sinergi.core.services import audit_log

from .defaults import DATA_DIR
from .models import Incident

CAP_XSD = DATA_DIR / "cap" / "CAP-v1.2.xsd"
CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
SENDER = "sinergi@polda-ntt.invalid"

CSV_FIELDS = ["id", "title", "category", "severity", "status", "occurred_at", "first_reported_at",
              "last_reported_at", "lat", "lng", "region", "regency_code", "location_status", "agency",
              "assigned_unit", "report_count", "escalation_level"]
ACLED_FIELDS = ["event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
                "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
                "interaction", "civilian_targeting", "iso", "region", "country",
                "admin1", "admin2", "admin3", "location", "latitude", "longitude", "geo_precision", "source",
                "source_scale", "notes", "fatalities", "tags", "timestamp"]
_DISORDER = {"Riots": "Political violence", "Protests": "Demonstrations", "Violence against civilians":
             "Political violence", "Battles": "Political violence", "Strategic developments": "Strategic developments"}


def _rows(qs):
    return (qs.select_related("category", "assigned_unit", "region", "region__parent", "region__parent__parent")
            .order_by("-last_reported_at", "-id").iterator(chunk_size=2000))


def _csv_stream(header, rows):
    buf = io.StringIO()
    w = csv_writer(buf)  # formula-safe cells
    w.writerow(header)
    yield buf.getvalue()
    for row in rows:
        buf.seek(0)
        buf.truncate()
        w.writerow(row)
        yield buf.getvalue()


def csv_rows(qs):
    for i in _rows(qs):
        yield [i.pk, i.title, i.category.code, i.severity, i.status, i.occurred_at.isoformat(),
               i.first_reported_at.isoformat(), i.last_reported_at.isoformat(), i.lat, i.lng, i.region_id or "",
               i.regency_code, i.location_status, i.agency_code, i.assigned_unit.code if i.assigned_unit_id else "",
               i.report_count, i.escalation_level]


def _admin(i: Incident) -> tuple[str, str, str]:
    chain = []
    r = i.region
    while r is not None:
        chain.append(r)
        r = r.parent if r.parent_id else None
    by_level = {x.level: x.name for x in chain}
    return by_level.get("province", ""), by_level.get("regency", ""), by_level.get("district", "")


#: ACLED actors per category (inter codes: 1 state forces, 3 political militia, 5 rioters, 6 protesters,
#: 7 civilians); staff may set others on the incident (Incident.acled_actors). Our mapping, not ACLED's coding.
_ACTORS = {
    "violence_clash": ("Rioters (Indonesia)", 5, "Rioters (Indonesia)", 5),
    "property_damage": ("Rioters (Indonesia)", 5, "", 0),
    "protest": ("Protesters (Indonesia)", 6, "", 0),
    "intimidation": ("Unidentified Armed Group (Indonesia)", 3, "Civilians (Indonesia)", 7),
    "crime_general": ("Unidentified Armed Group (Indonesia)", 3, "Civilians (Indonesia)", 7),
    "natural_hazard": ("", 0, "", 0),
}
_DEFAULT_ACTOR = ("Political Supporters (Indonesia)", 3, "", 0)
_OFFICIALS = ("kpps", "pps", "ppk", "kpu", "bawaslu", "pengawas", "panwas", "penyelenggara")


def acled_actors(i: Incident) -> list:
    """actor1, assoc_actor_1, inter1, actor2, assoc_actor_2, inter2, interaction for one incident."""
    a1, i1, a2, i2 = _ACTORS.get(i.category.code, _DEFAULT_ACTOR)
    text = f" {(i.description or '').lower()} "
    assoc1 = "Supporters of a candidate pair (Indonesia)" if any(w in text for w in (" paslon", " pendukung",
                                                                                   " timses", " tim sukses")) else ""
    assoc2 = "Election officials (Indonesia)" if a2 and any(f" {w}" in text for w in _OFFICIALS) else ""
    given = i.acled_actors or {}
    a1, assoc1 = given.get("actor1", a1), given.get("assoc_actor_1", assoc1)
    i1 = int(given.get("inter1", i1) or 0)
    a2, assoc2 = given.get("actor2", a2), given.get("assoc_actor_2", assoc2)
    i2 = int(given.get("inter2", i2) or 0)
    interaction = int(f"{min(i1, i2)}{max(i1, i2)}") if i1 and i2 else i1 * 10
    return [a1, assoc1, i1 or "", a2, assoc2, i2 or "", interaction or ""]


def acled_rows(qs):
    """ACLED's column layout. Non-violent election violations are 'Strategic developments / Other'."""
    for i in _rows(qs):
        a1, a2, a3 = _admin(i)
        local = timezone.localtime(i.occurred_at)
        yield [f"SNG{i.pk}", local.date().isoformat(), local.year, 1,
               _DISORDER.get(i.category.acled_event_type, ""), i.category.acled_event_type,
               i.category.acled_sub_event_type, *acled_actors(i),
               "Civilian targeting" if i.category.acled_event_type == "Violence against civilians" else "",
               360, "Southeast Asia", "Indonesia", a1, a2, a3,
               i.region.name if i.region_id else "", i.lat or "", i.lng or "",
               1 if i.location_status == "resolved" else 2, "Sinergi", "Subnational",
               f"{i.category.name}: {i.description[:500]}", i.fatalities or 0, f"severity={i.severity};reports={i.report_count}",
               int(i.last_reported_at.timestamp())]


def geojson_stream(qs):
    yield '{"type":"FeatureCollection","features":['
    first = True
    for i in _rows(qs):
        if i.lat is None:
            continue
        feat = {"type": "Feature", "id": i.pk, "geometry": {"type": "Point", "coordinates": [i.lng, i.lat]},
                "properties": {"title": i.title, "category": i.category.code, "severity": i.severity,
                               "status": i.status, "occurred_at": i.occurred_at.isoformat(),
                               "report_count": i.report_count, "location_status": i.location_status,
                               "agency": i.agency_code}}
        yield ("" if first else ",") + json.dumps(feat, separators=(",", ":"))
        first = False
    yield "]}"


def _cap_time(ts) -> str:
    return timezone.localtime(ts).replace(microsecond=0).isoformat()


_CAP_SEVERITY = {4: "Extreme", 3: "Severe", 2: "Moderate", 1: "Minor"}
_CAP_CATEGORY = {"natural_hazard": "Geo", "logistics": "Infra"}


def cap_xml(i: Incident) -> str:
    """One CAP 1.2 alert for an incident (restricted scope: partner agencies only)."""
    certainty = "Observed" if i.status not in ("reported", "rejected") else "Possible"
    area = escape(i.region.name if i.region_id else "Lokasi belum terpetakan")
    circle = f"<circle>{i.lat:.5f},{i.lng:.5f} 1.0</circle>" if i.lat is not None else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="{CAP_NS}">
  <identifier>sinergi-incident-{i.pk}</identifier>
  <sender>{SENDER}</sender>
  <sent>{_cap_time(clock.now())}</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Restricted</scope>
  <restriction>Hanya untuk instansi mitra Sinergi (need-to-know)</restriction>
  <info>
    <language>id-ID</language>
    <category>{_CAP_CATEGORY.get(i.category.code, "Security")}</category>
    <event>{escape(i.category.name)}</event>
    <urgency>{"Immediate" if i.severity >= 4 else "Expected"}</urgency>
    <severity>{_CAP_SEVERITY[i.severity]}</severity>
    <certainty>{certainty}</certainty>
    <onset>{_cap_time(i.occurred_at)}</onset>
    <senderName>Sinergi</senderName>
    <headline>{escape(i.title[:160])}</headline>
    <description>{escape(i.description[:2000])}</description>
    <area>
      <areaDesc>{area}</areaDesc>
      {circle}
    </area>
  </info>
</alert>
"""


@lru_cache(maxsize=1)
def cap_schema():
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(CAP_XSD)))


def cap_validate(xml: str) -> list[str]:
    """Errors of the alert against the official CAP 1.2 schema (empty when valid)."""
    from lxml import etree

    schema = cap_schema()
    doc = etree.fromstring(xml.encode("utf-8"))
    if schema.validate(doc):
        return []
    return [str(e) for e in schema.error_log]


def cap_feed(qs) -> str:
    alerts = [cap_xml(i) for i in qs.filter(severity__gte=3).select_related("category", "region")[:500]]
    body = "".join(a.split("\n", 1)[1] for a in alerts)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<alerts count="{len(alerts)}">\n{body}</alerts>\n'


def response(fmt: str, qs, *, actor) -> HttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    audit_log(actor=actor, action="incident.exported", object_type="incidents.incident", data={"format": fmt})
    if fmt == "csv":
        resp = StreamingHttpResponse(_csv_stream(CSV_FIELDS, csv_rows(qs)), content_type="text/csv; charset=utf-8")
    elif fmt == "acled":
        resp = StreamingHttpResponse(_csv_stream(ACLED_FIELDS, acled_rows(qs)), content_type="text/csv; charset=utf-8")
    elif fmt == "geojson":
        resp = StreamingHttpResponse(geojson_stream(qs), content_type="application/geo+json")
    elif fmt == "cap":
        resp = HttpResponse(cap_feed(qs), content_type="application/xml; charset=utf-8")
    else:
        raise KeyError(fmt)
    ext = {"csv": "csv", "acled": "csv", "geojson": "geojson", "cap": "xml"}[fmt]
    resp["Content-Disposition"] = f'attachment; filename="insiden-{fmt}-{stamp}.{ext}"'
    return resp
