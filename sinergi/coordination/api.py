"""API v1 of coordination under /api/v1/coordination/. Every queryset comes from a restricting selector;
writes go through services. Detail reads of AMBER/AMBER+STRICT/RED records are audited."""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import get_object_or_404  # a non-numeric id is a 404, not a 500
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response

from sinergi.regions.models import Region

from . import permissions as coordination_permissions
from . import selectors, serializers, services
from .models import ActionItem, Decision, Meeting, SharedNote


class CanWrite(BasePermission):
    """Unsafe methods need a writer (observers and the public only read), checked before the payload."""

    message = "Anda tidak berwenang melakukan aksi ini."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS or getattr(view, "action", None) == "mark_read":
            return True
        return coordination_permissions.can_write(request.user)


def _call(fn, **kwargs):
    try:
        return fn(**kwargs)
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    except DjangoValidationError as exc:
        raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from exc


class AuditedRetrieveMixin:
    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        services.record_read(actor=request.user, obj=obj)
        return Response(self.get_serializer(obj).data)


class MarkingMixin:
    @extend_schema(request=serializers.MarkingChangeInput)
    @action(detail=True, methods=["post"], url_path="marking")
    def marking(self, request, pk=None):
        obj = get_object_or_404(selectors.restrict_full(self.queryset_model.objects.all(), request.user), pk=pk)
        payload = serializers.MarkingChangeInput(data=request.data)
        payload.is_valid(raise_exception=True)
        _call(services.marking_change, actor=request.user, obj=obj, **payload.validated_data)
        obj = self.get_queryset().get(pk=obj.pk)
        return Response(self.get_serializer(obj).data)


class MeetingViewSet(MarkingMixin, AuditedRetrieveMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Meetings the caller may see (summary-only ones carry only summary fields)."""

    permission_classes = [IsAuthenticated, CanWrite]
    serializer_class = serializers.MeetingSerializer
    queryset_model = Meeting
    filterset_fields = ["status", "unit", "series"]
    ordering_fields = ["starts_at", "id"]
    ordering = ["-starts_at", "-id"]

    def get_queryset(self):
        return selectors.meeting_list(user=self.request.user).prefetch_related(
            "share_units", "share_agencies", "share_users")

    @extend_schema(request=serializers.MeetingInput, responses=serializers.MeetingSerializer)
    def create(self, request, *args, **kwargs):
        payload = serializers.MeetingInput(data=request.data)
        payload.is_valid(raise_exception=True)
        meeting = _call(services.meeting_create, actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=meeting.pk)).data,
                        status=status.HTTP_201_CREATED)


class AgendaItemViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAuthenticated, CanWrite]
    serializer_class = serializers.AgendaItemSerializer
    filterset_fields = ["meeting", "kind"]

    def get_queryset(self):
        return selectors.agenda_item_list(user=self.request.user).order_by("meeting", "order", "id")

    @extend_schema(request=serializers.AgendaItemInput, responses=serializers.AgendaItemSerializer)
    def create(self, request, *args, **kwargs):
        payload = serializers.AgendaItemInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        meeting = get_object_or_404(selectors.restrict_full(Meeting.objects.all(), request.user), pk=data["meeting"])
        item = _call(services.agenda_item_add, actor=request.user, meeting=meeting, title=data["title"],
                     description=data["description"])
        return Response(self.get_serializer(item).data, status=status.HTTP_201_CREATED)


class DecisionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAuthenticated, CanWrite]
    serializer_class = serializers.DecisionSerializer
    filterset_fields = ["meeting"]

    def get_queryset(self):
        return selectors.decision_list(user=self.request.user).order_by("meeting", "order", "id")

    @extend_schema(request=serializers.DecisionInput, responses=serializers.DecisionSerializer)
    def create(self, request, *args, **kwargs):
        payload = serializers.DecisionInput(data=request.data)
        payload.is_valid(raise_exception=True)
        meeting = get_object_or_404(selectors.restrict_full(Meeting.objects.all(), request.user),
                                    pk=payload.validated_data["meeting"])
        decision = _call(services.decision_add, actor=request.user, meeting=meeting,
                         text=payload.validated_data["text"])
        return Response(self.get_serializer(decision).data, status=status.HTTP_201_CREATED)


class ActionItemFilter(django_filters.FilterSet):
    """`meeting` is a link of the full record: it matches only items the caller may read in full."""

    meeting = django_filters.NumberFilter(method="filter_meeting")

    class Meta:
        model = ActionItem
        fields = ["status", "owner_unit", "meeting"]

    def filter_meeting(self, qs, name, value):
        return qs.filter(full_access=True, meeting_id=value)


class ActionItemViewSet(MarkingMixin, AuditedRetrieveMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAuthenticated, CanWrite]
    serializer_class = serializers.ActionItemSerializer
    queryset_model = ActionItem
    filterset_class = ActionItemFilter
    ordering_fields = ["due_date", "id"]
    ordering = ["due_date", "id"]

    def get_queryset(self):
        return selectors.action_item_list(user=self.request.user).prefetch_related(
            "supporting_units", "share_units", "share_agencies", "share_users")

    @extend_schema(request=serializers.ActionItemInput, responses=serializers.ActionItemSerializer)
    def create(self, request, *args, **kwargs):
        payload = serializers.ActionItemInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        meeting = None
        if data.pop("meeting"):
            meeting = get_object_or_404(selectors.restrict_full(Meeting.objects.all(), request.user),
                                        pk=payload.validated_data["meeting"])
        decision_id = data.pop("decision")
        decision = get_object_or_404(Decision, pk=decision_id, meeting=meeting) if decision_id else None
        item = _call(services.action_item_create, actor=request.user, meeting=meeting, decision=decision, **data)
        return Response(self.get_serializer(self.get_queryset().get(pk=item.pk)).data,
                        status=status.HTTP_201_CREATED)


class ActionUpdateViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAuthenticated, CanWrite]
    serializer_class = serializers.ActionUpdateSerializer
    filterset_fields = ["action_item"]

    def get_queryset(self):
        return selectors.action_update_list(user=self.request.user).order_by("created_at", "id")

    @extend_schema(request=serializers.ActionUpdateInput, responses=serializers.ActionUpdateSerializer)
    def create(self, request, *args, **kwargs):
        payload = serializers.ActionUpdateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        item = get_object_or_404(selectors.restrict_full(ActionItem.objects.all(), request.user),
                                 pk=data.pop("action_item"))
        update = _call(services.action_update_add, actor=request.user, item=item, **data)
        return Response(self.get_serializer(update).data, status=status.HTTP_201_CREATED)


class SharedNoteViewSet(MarkingMixin, AuditedRetrieveMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Shared notes; `?q=` searches title and summary (and the body where the caller may read it)."""

    permission_classes = [IsAuthenticated, CanWrite]
    serializer_class = serializers.SharedNoteSerializer
    queryset_model = SharedNote
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        p = self.request.query_params

        def _int(name):
            return int(p[name]) if p.get(name, "").isdigit() else None

        return selectors.note_list(
            user=self.request.user, q=p.get("q", "").strip(), kind=p.get("kind", ""), region=p.get("region", ""),
            meeting=_int("meeting"), tps=_int("tps"), incident=_int("incident"),
        ).prefetch_related("regions", "polling_stations", "meetings", "share_units", "share_agencies",
                           "share_users")

    @extend_schema(request=serializers.NoteInput, responses=serializers.SharedNoteSerializer)
    def create(self, request, *args, **kwargs):
        payload = serializers.NoteInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        codes = data.pop("regions")
        regions = list(Region.objects.filter(code__in=codes))
        if len(regions) != len(set(codes)):
            raise ValidationError({"regions": ["unknown region code"]})
        meetings = list(selectors.restrict_full(Meeting.objects.filter(pk__in=data.pop("meetings")), request.user))
        note = _call(services.note_create, actor=request.user, regions=regions, meetings=meetings, **data)
        return Response(self.get_serializer(self.get_queryset().get(pk=note.pk)).data,
                        status=status.HTTP_201_CREATED)


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAuthenticated, CanWrite]
    serializer_class = serializers.NotificationSerializer
    filterset_fields = ["kind"]

    def get_queryset(self):
        return selectors.notification_list(user=self.request.user)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"], url_path="read")
    def mark_read(self, request, pk=None):
        notification = self.get_object()
        services.notification_mark_read(actor=request.user, notification=notification)
        return Response(self.get_serializer(notification).data)


def register(router) -> None:
    router.register("coordination/meetings", MeetingViewSet, basename="coordination-meeting")
    router.register("coordination/agenda-items", AgendaItemViewSet, basename="coordination-agenda-item")
    router.register("coordination/decisions", DecisionViewSet, basename="coordination-decision")
    router.register("coordination/action-items", ActionItemViewSet, basename="coordination-action-item")
    router.register("coordination/action-updates", ActionUpdateViewSet, basename="coordination-action-update")
    router.register("coordination/notes", SharedNoteViewSet, basename="coordination-note")
    router.register("coordination/notifications", NotificationViewSet, basename="coordination-notification")
