"""WebSocket for the command dashboard (/ws/operasi/): a signed-in user with the second factor and `ops.view` joins
the "ops" group and gets a tiny event ({"type": "event", "kind": "checkin"|"alert"|"escort", "id": ...} or
"ids": [...]; "unit_status" with no id when an officer of the user's units reports a status) only for the records the dashboard's selectors let them read; the page then reloads its scoped JSON,
so no record content travels over the socket itself."""

from __future__ import annotations

from sinergi.accounts.permissions import has_perm
from sinergi.core.live import ScopedFeedConsumer

from .live import GROUP


def _ids(event: dict) -> list[int]:
    raw = event.get("ids") if isinstance(event.get("ids"), list) else [event.get("id")]
    out = []
    for v in raw:
        try:
            out.append(int(v))
        except (TypeError, ValueError):
            continue
    return out


def visible_events(user, events: list[dict]) -> list[dict]:
    """Each event narrowed to the records `user` may read through the dashboard's selectors; events naming none
    of them are dropped. Bulk alert events name their units ("units"), read against the same unit scope as
    operations.selectors.alerts_for."""
    from sinergi.accounts.selectors import is_global, scope_units

    from .selectors import alerts_for, checkin_list

    wanted: dict[str, set[int]] = {}
    for e in events:
        wanted.setdefault(str(e.get("kind")), set()).update(_ids(e))
    readable: dict[str, set[int]] = {}
    if wanted.get("alert"):
        readable["alert"] = set(alerts_for(user, open_only=False).filter(pk__in=wanted["alert"])
                                .values_list("pk", flat=True))
    if wanted.get("checkin"):
        readable["checkin"] = set(checkin_list(user).filter(pk__in=wanted["checkin"]).values_list("pk", flat=True))
    if wanted.get("escort"):
        try:
            from sinergi.logistics.selectors import movement_list
        except ImportError:
            readable["escort"] = set()
        else:
            readable["escort"] = set(movement_list(user=user).filter(pk__in=wanted["escort"])
                                     .values_list("pk", flat=True))
    my_units = None
    out = []
    for e in events:
        kind = str(e.get("kind"))
        if "units" in e:  # bulk alerts raised or resolved by the tick
            if is_global(user):
                out.append({"kind": kind, "count": e.get("count", 0)})
                continue
            if my_units is None:
                my_units = set(scope_units(user).values_list("pk", flat=True))
            if my_units & {u for u in e["units"] if isinstance(u, int)}:
                out.append({"kind": kind, "scope": "units"})
            continue
        ids = [i for i in _ids(e) if i in readable.get(kind, set())]
        if not ids:
            continue
        out.append({"kind": kind, "id": ids[0]} if "ids" not in e else {"kind": kind, "ids": ids})
    return out


def prepare_scope(user) -> tuple[bool, frozenset[int], object]:
    """(sees every unit, ids of the units in scope, TPS read scope) — what selectors.alerts_for and
    selectors.checkin_list filter by."""
    from sinergi.accounts.selectors import is_global, scope_units

    from .scope import read_scope

    glob = is_global(user)
    return glob, frozenset() if glob else frozenset(scope_units(user).values_list("pk", flat=True)), read_scope(user)


def decide(prepared, e: dict):
    """An event narrowed by its own scope fields: check-ins by their TPS's district ("district" / "districts"),
    alerts by their unit and assigned unit ("units"); ... when the event carries none (ask the database)."""
    glob, units, tps_scope = prepared
    kind = str(e.get("kind"))
    if kind == "checkin" and ("district" in e or "districts" in e):
        if "districts" in e:
            ids = [i for i, d in zip(_ids(e), e["districts"], strict=False) if tps_scope.covers(str(d))]
            return {"kind": kind, "ids": ids} if ids else None
        return {"kind": kind, "id": e.get("id")} if tps_scope.covers(str(e["district"])) else None
    if kind == "unit_status" and "units" in e:  # an officer's status changed (sinergi.personnel)
        return {"kind": kind} if glob or units & {u for u in e["units"] if isinstance(u, int)} else None
    if kind == "alert" and "units" in e:
        if not (glob or units & {u for u in e["units"] if isinstance(u, int)}):
            return None
        if "id" in e and "ids" not in e:
            return {"kind": kind, "id": e["id"]}
        return {"kind": kind, "count": e.get("count", 0)} if glob else {"kind": kind, "scope": "units"}
    return ...


class OpsFeedConsumer(ScopedFeedConsumer):
    group = GROUP

    def may_connect(self, user) -> bool:
        return has_perm(user, "ops.view")

    def prepare(self, user):
        return prepare_scope(user)

    def decide(self, prepared, event):
        return decide(prepared, event)

    def visible(self, user, events):
        return visible_events(user, events)

    async def ops_event(self, event):
        await self.relay(event)
