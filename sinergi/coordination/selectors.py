"""Scoped reads of the coordination app. `visible_q` is THE rule for handling markings (TLP 2.0).

Pages, the API, exports (CSV, PDF), search, the iCalendar feed and notifications all read through `restrict`
(or the list functions below, which call it). See docs/coordination.md for the definitions.
"""

from __future__ import annotations

from datetime import date

from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, Value, When

from sinergi.accounts.choices import AgencyKind

from .choices import OPEN_STATUSES, Marking
from .models import (
    ActionItem,
    ActionUpdate,
    AgendaItem,
    Attendance,
    Decision,
    Meeting,
    MeetingAttachment,
    Notification,
    SharedNote,
)

SHAREABLE_MODELS = (Meeting, ActionItem, SharedNote)


def unit_ancestor_ids(unit) -> list[int]:
    """The unit and every unit above it, from the materialised path ("/1/5/42/" -> [1, 5, 42])."""
    if unit is None:
        return []
    return [int(part) for part in unit.path.strip("/").split("/") if part]


def _user_facts(user):
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    unit = user.unit if user.unit_id else None
    agency_id = unit.agency_id if unit else None
    community = bool(unit) and unit.agency.code != AgencyKind.PUBLIC
    return unit, agency_id, community


def _level_q(field: str, *, community: bool, in_org: Q, shared: Q, named: Q, author: Q) -> Q:
    """Who may read a record whose marking (in `field`) is each TLP level."""
    q = Q(**{field: Marking.CLEAR})
    if community:
        q |= Q(**{field: Marking.GREEN})
    q |= Q(**{field: Marking.AMBER}) & (in_org | shared | named | author)
    q |= Q(**{field: Marking.AMBER_STRICT}) & (in_org | author)
    q |= Q(**{field: Marking.RED}) & (named | author)
    return q


def _parts(user, model):
    facts = _user_facts(user)
    if facts is None:
        return None
    unit, agency_id, community = facts
    ancestors = unit_ancestor_ids(unit)
    through_units = model.share_units.through
    through_agencies = model.share_agencies.through
    through_users = model.share_users.through
    fk = f"{model._meta.model_name}_id"
    in_org = Q(unit_id__in=ancestors)  # the user's unit lies in the originating unit's subtree
    shared = Q(Exists(through_units.objects.filter(**{fk: OuterRef("pk")}, unit_id__in=ancestors)))
    if agency_id is not None:
        shared |= Q(Exists(through_agencies.objects.filter(**{fk: OuterRef("pk")}, agency_id=agency_id)))
    named = Q(Exists(through_users.objects.filter(**{fk: OuterRef("pk")}, user_id=user.pk)))
    author = Q(author_id=user.pk)
    return dict(community=community, in_org=in_org, shared=shared, named=named, author=author)


def visible_q(user, model, *, summary: bool = False) -> Q:
    """Records of `model` the user may read in full (or, with summary=True, whose summary they may read)."""
    parts = _parts(user, model)
    if parts is None:
        return Q(pk__in=[])
    if summary:
        return ~Q(summary_marking="") & _level_q("summary_marking", **parts)
    return _level_q("marking", **parts)


def restrict(qs: QuerySet, user) -> QuerySet:
    """Rows the user may see at all, annotated `full_access` (False: only the redacted summary)."""
    model = qs.model
    full = visible_q(user, model)
    summary = visible_q(user, model, summary=True)
    return qs.filter(full | summary).annotate(
        full_access=Case(When(full, then=Value(True)), default=Value(False), output_field=BooleanField())
    )


def restrict_full(qs: QuerySet, user) -> QuerySet:
    """Only rows the user may read in full (used where a summary makes no sense, e.g. meeting contents)."""
    return qs.filter(visible_q(user, qs.model)).annotate(full_access=Value(True, output_field=BooleanField()))


def can_view(user, obj) -> bool:
    return restrict(type(obj).objects.filter(pk=obj.pk), user).exists()


# --- meetings -----------------------------------------------------------------------------------------------

def meeting_list(*, user) -> QuerySet[Meeting]:
    return restrict(Meeting.objects.select_related("unit", "unit__agency"), user)


def meeting_get(*, user, pk: int) -> Meeting:
    """The meeting or Meeting.DoesNotExist (for records the user may not see, too)."""
    return meeting_list(user=user).get(pk=pk)


def meeting_full_ids(user):
    return Meeting.objects.filter(visible_q(user, Meeting)).values("pk")


def agenda_item_list(*, user) -> QuerySet[AgendaItem]:
    return AgendaItem.objects.filter(meeting__in=meeting_full_ids(user)).select_related("meeting", "action_item")


def attendance_list(*, user) -> QuerySet[Attendance]:
    return Attendance.objects.filter(meeting__in=meeting_full_ids(user)).select_related("unit")


def attachment_list(*, user) -> QuerySet[MeetingAttachment]:
    return MeetingAttachment.objects.filter(meeting__in=meeting_full_ids(user))


def decision_list(*, user) -> QuerySet[Decision]:
    return Decision.objects.filter(meeting__in=meeting_full_ids(user)).select_related("meeting")


def previous_meeting_for(*, unit, series: str = "", before) -> Meeting | None:
    """The latest earlier meeting convened by the same unit (and of the same series when one is given).

    Not scoped by user: it is used by the carry-over service, which copies only references.
    """
    qs = Meeting.objects.filter(unit=unit, starts_at__lt=before).exclude(status="cancelled")
    if series:
        qs = qs.filter(series=series)
    return qs.order_by("-starts_at", "-id").first()


# --- action items ---------------------------------------------------------------------------------------------

def action_item_list(*, user) -> QuerySet[ActionItem]:
    return restrict(ActionItem.objects.select_related("owner_unit", "owner_unit__agency", "unit", "meeting"), user)


def action_update_list(*, user) -> QuerySet[ActionUpdate]:
    full_ids = ActionItem.objects.filter(visible_q(user, ActionItem)).values("pk")
    return ActionUpdate.objects.filter(action_item__in=full_ids).select_related("author")


def open_action_items_of_meeting(meeting: Meeting) -> QuerySet[ActionItem]:
    """Open items raised in the meeting or carried onto its agenda (unscoped; callers restrict)."""
    return ActionItem.objects.filter(
        Q(meeting=meeting) | Q(agenda_items__meeting=meeting), status__in=OPEN_STATUSES
    ).distinct()


def agency_obligations(*, user, agency, today: date | None = None) -> dict:
    """What the agency owes (its units own the item) and what is owed to it (its units raised or support it)."""
    items = action_item_list(user=user).filter(status__in=OPEN_STATUSES)
    owe = items.filter(owner_unit__agency=agency)
    owed = items.exclude(owner_unit__agency=agency).filter(
        Q(unit__agency=agency) | Q(meeting__unit__agency=agency)
        | Q(pk__in=ActionItem.supporting_units.through.objects.filter(unit__agency=agency).values("actionitem_id"))
    )
    return {"owe": owe.order_by("due_date", "id"), "owed": owed.order_by("due_date", "id"), "today": today}


# --- notes -----------------------------------------------------------------------------------------------

def note_list(*, user, q: str = "", kind: str = "", region: str = "", meeting: int | None = None,
              tps: int | None = None, incident: int | None = None) -> QuerySet[SharedNote]:
    """Notes the user may see; the search matches the body only where the user may read the body."""
    qs = restrict(SharedNote.objects.select_related("unit", "unit__agency"), user)
    if q:
        qs = qs.filter(
            Q(title__icontains=q) | Q(summary__icontains=q) | (Q(full_access=True) & Q(body__icontains=q))
        )
    if kind:
        qs = qs.filter(kind=kind)
    if region or meeting or tps or incident:
        # Links (regions, meetings, TPS, incidents) belong to the full record: a summary-only reader must not
        # learn them by filtering, so link filters match only notes the user may read in full.
        qs = qs.filter(full_access=True)
    if region:
        qs = qs.filter(regions__code__startswith=region).distinct()
    if meeting:
        qs = qs.filter(meetings__pk=meeting)
    if tps:
        qs = qs.filter(polling_stations__pk=tps)
    if incident:
        # JSON containment lookups are not available on SQLite: match in Python over the visible rows' ids.
        ids = [pk for pk, refs in qs.values_list("pk", "incident_ids") if incident in (refs or [])]
        qs = qs.filter(pk__in=ids)
    return qs


# --- notifications ------------------------------------------------------------------------------------------

def notification_list(*, user) -> QuerySet[Notification]:
    if user is None or not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(user=user)
