"""Who may read which audit event, and which parts of it (need-to-know for the audit log itself).

An audit event describes a record. Reading the event must not tell more than reading the record would:

- Domain apps register, per object type (``app_label.model``), the records a user may read (a function
  ``user -> queryset`` of those records). A non-admin reader sees an event of a registered type only when the
  record is among them; events of other types (reference data, run records, users) follow the unit rule
  (the acting unit lies in the reader's unit subtree). Core never imports a domain app: the apps register
  themselves in their ``AppConfig.ready``.
- Free text of restricted records (titles, decision text, reasons, file names of TLP:AMBER/AMBER+STRICT/RED
  coordination records) is not written into new events, and old events are redacted when read: a registered
  ``restricted`` function returns which of the given record ids carry restricted content.

See docs/security.md ("Audit log: need-to-know").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast

#: keys of an event's data that carry a record's free text; redacted for restricted records
CONTENT_KEYS = frozenset({"title", "text", "name", "reason", "note", "summary", "body", "changes", "file",
                          "evidence", "message", "agenda", "from", "to"})
REDACTED = "[disamarkan]"


@dataclass(frozen=True)
class AuditScope:
    readable: Callable[..., QuerySet]  # user -> queryset of records the user may read
    restricted: Callable[[list[str]], set[str]] | None = None  # object ids whose free text is restricted
    content_keys: frozenset[str] = CONTENT_KEYS


_SCOPES: dict[str, AuditScope] = {}


def register(object_type: str, *, readable: Callable[..., QuerySet],
             restricted: Callable[[list[str]], set[str]] | None = None,
             content_keys: Iterable[str] | None = None) -> None:
    """Declare how events about `object_type` records are scoped (called from an AppConfig.ready)."""
    _SCOPES[object_type] = AuditScope(readable=readable, restricted=restricted,
                                      content_keys=frozenset(content_keys) if content_keys else CONTENT_KEYS)


def registered_types() -> list[str]:
    return sorted(_SCOPES)


def readable_q(user, unit_q: Q) -> Q:
    """Events the (non-admin) user may read: registered types by the record, the others by `unit_q`."""
    types = registered_types()
    # Events of a registered type without a record id (e.g. an export or a batch) follow the unit rule.
    q = (~Q(object_type__in=types) | Q(object_id="")) & unit_q
    for object_type in types:
        ids = (_SCOPES[object_type].readable(user).order_by()
               .annotate(_audit_id=Cast("pk", output_field=CharField())).values("_audit_id"))
        q |= Q(object_type=object_type, object_id__in=ids)
    return q


def restricted_keys(events: Iterable) -> dict[int, frozenset[str]]:
    """seq -> data keys to redact, for the given events (one query per registered type on the page)."""
    by_type: dict[str, set[str]] = defaultdict(set)
    events = list(events)
    for ev in events:
        scope = _SCOPES.get(ev.object_type)
        if scope is not None and scope.restricted is not None and ev.object_id:
            by_type[ev.object_type].add(ev.object_id)
    hidden = {t: _SCOPES[t].restricted(sorted(ids)) for t, ids in by_type.items()}  # type: ignore[misc]
    return {ev.seq: _SCOPES[ev.object_type].content_keys for ev in events
            if ev.object_id and ev.object_id in hidden.get(ev.object_type, ())}


def redact(data: dict, keys: frozenset[str]) -> dict:
    """A copy of `data` with the free-text keys replaced (the event's own stored data stays as hashed)."""
    if not keys or not isinstance(data, dict):
        return data
    out = {k: (REDACTED if k in keys and v not in (None, "", [], {}) else v) for k, v in data.items()}
    out["redacted"] = True
    return out
