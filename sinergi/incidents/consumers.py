"""WebSocket for the situation room (/ws/insiden/): a signed-in user with the second factor and `incident.view`
joins the "incidents" group and gets a small event ({"type": "event", "incident": id} or {"report": id}) only for
incidents that `selectors.incident_list` lets them read (reports: those of such incidents; reports not yet
turned into an incident only for those who see every incident); the page then reloads its scoped feed, so no
incident data travels over the socket itself."""

from __future__ import annotations

from sinergi.core.live import ScopedFeedConsumer

GROUP = "incidents"


def _int(v) -> int | None:
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def visible_events(user, events: list[dict]) -> list[dict]:
    from .models import Report
    from .selectors import incident_list, sees_all

    inc_ids = {i for e in events if (i := _int(e.get("incident"))) is not None}
    rep_ids = {i for e in events if (i := _int(e.get("report"))) is not None}
    visible = incident_list(user=user)
    ok_inc = set(visible.filter(pk__in=inc_ids).values_list("pk", flat=True)) if inc_ids else set()
    ok_rep: set[int] = set()
    if rep_ids:
        reports = Report.objects.filter(pk__in=rep_ids)
        if not sees_all(user):
            reports = reports.filter(incident__in=visible.values("pk"))
        ok_rep = set(reports.values_list("pk", flat=True))
    out = []
    for e in events:
        if (i := _int(e.get("incident"))) is not None and i in ok_inc:
            out.append({"incident": i})
        elif (r := _int(e.get("report"))) is not None and r in ok_rep:
            out.append({"report": r})
    return out


def prepare_scope(user) -> tuple[bool, frozenset[int]]:
    """(sees every incident, ids of the units in scope): what selectors.incident_list filters by."""
    from sinergi.accounts.selectors import scope_units

    from .selectors import sees_all

    if sees_all(user):
        return True, frozenset()
    return False, frozenset(scope_units(user).values_list("pk", flat=True))


def decide(prepared, e: dict):
    """By the units the incident is assigned or shared to ("units", put on by the sender); ... without them."""
    if "units" not in e:
        return ...
    everything, units = prepared
    out = {k: e[k] for k in ("incident", "report") if k in e}
    if everything:
        return out
    return out if units & {u for u in e["units"] if isinstance(u, int)} else None


class IncidentFeedConsumer(ScopedFeedConsumer):
    group = GROUP

    def prepare(self, user):
        return prepare_scope(user)

    def decide(self, prepared, event):
        return decide(prepared, event)

    def may_connect(self, user) -> bool:
        from .permissions import can

        return can(user, "incident.view")

    def visible(self, user, events):
        return visible_events(user, events)

    async def incident_event(self, event):
        await self.relay(event)
