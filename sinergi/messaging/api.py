"""API v1 of messaging: /api/v1/messages/ (staff: send, list, detail with per-recipient status and counts) and
/api/v1/inbox/ (an officer's own messages: list, read, answer). Reads come from scoped selectors, writes
go through services; Django's ValidationError / PermissionDenied become 400 / 403 (sinergi.api.errors)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from sinergi.accounts.choices import Role
from sinergi.api.errors import call_service
from sinergi.coordination.choices import Marking

from . import selectors, services
from .models import Message, Outbox, Recipient
from .permissions import may_send

# Error statuses (400/401/403/404) and their body are added to every operation by sinergi.api.schema.AutoSchema.


class OutboxSerializer(serializers.ModelSerializer):
    class Meta:
        model = Outbox
        fields = ["channel", "status", "attempts", "next_attempt_at", "provider_message_id", "error", "sent_at",
                  "delivered_at", "read_at"]


class RecipientSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    outbox = OutboxSerializer(many=True, read_only=True)

    class Meta:
        model = Recipient
        fields = ["id", "username", "channel", "tps_code", "delivered_at", "read_at", "answered_at",
                  "answer_report_id", "answer_checkin_id", "outbox"]


class CountsSerializer(serializers.Serializer):
    recipients = serializers.IntegerField()
    delivered = serializers.IntegerField()
    read = serializers.IntegerField()
    answered = serializers.IntegerField()


class MessageSerializer(serializers.ModelSerializer):
    counts = serializers.SerializerMethodField()
    sender = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = Message
        fields = ["id", "kind", "text", "marking", "external", "sender", "unit", "selection", "created_at",
                  "closes_at", "closed", "counts"]

    @extend_schema(responses=CountsSerializer)
    def get_counts(self, obj) -> dict:
        return {"recipients": getattr(obj, "n_recipients", 0), "delivered": getattr(obj, "n_delivered", 0),
                "read": getattr(obj, "n_read", 0), "answered": getattr(obj, "n_answered", 0)}


class MessageDetailSerializer(MessageSerializer):
    recipients = serializers.SerializerMethodField()

    class Meta(MessageSerializer.Meta):
        fields = [*MessageSerializer.Meta.fields, "recipients"]

    def get_recipients(self, obj) -> list[dict]:
        return RecipientSerializer(selectors.recipient_rows(message=obj), many=True).data


class MessageInput(serializers.Serializer):
    text = serializers.CharField(max_length=services.MAX_OUTGOING)
    kind = serializers.ChoiceField(choices=Message.Kind.choices, default=Message.Kind.QUESTION)
    marking = serializers.ChoiceField(choices=Marking.choices, default=Marking.GREEN)
    external = serializers.BooleanField(default=False, help_text="Juga lewat SMS/Telegram/WhatsApp "
                                                                 "(hanya TLP:CLEAR/GREEN).")
    units = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    role = serializers.ChoiceField(choices=Role.choices, required=False, default="")
    region = serializers.CharField(required=False, default="", allow_blank=True, max_length=20)
    tps = serializers.ListField(child=serializers.CharField(max_length=24), required=False, default=list)
    closes_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class InboxSerializer(serializers.ModelSerializer):
    message = serializers.SerializerMethodField()

    class Meta:
        model = Recipient
        fields = ["id", "message", "channel", "tps_code", "delivered_at", "read_at", "answered_at", "answer_text",
                  "answer_report_id", "answer_checkin_id"]

    @extend_schema(responses=inline_serializer("InboxMessage", {
        "id": serializers.IntegerField(), "kind": serializers.CharField(), "text": serializers.CharField(),
        "marking": serializers.CharField(), "created_at": serializers.DateTimeField(),
        "closed": serializers.BooleanField()}))
    def get_message(self, obj) -> dict:
        m = obj.message
        return {"id": m.pk, "kind": m.kind, "text": m.text, "marking": m.marking,
                "created_at": m.created_at.isoformat(), "closed": m.closed}


class AnswerInput(serializers.Serializer):
    text = serializers.CharField(max_length=services.MAX_INBOUND)
    key = serializers.CharField(max_length=100, required=False, default="")


class AnswerOutput(serializers.Serializer):
    reply = serializers.CharField()
    recipient = InboxSerializer()


class CanSend(BasePermission):
    message = "Anda tidak berwenang membaca atau mengirim pesan ke lapangan."

    def has_permission(self, request, view) -> bool:
        return may_send(request.user)


class MessageViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Messages to the field the caller may see (staff: operators, commanders, admins; scoped by unit)."""

    permission_classes = [IsAuthenticated, CanSend]
    serializer_class = MessageSerializer
    queryset = Message.objects.none()  # for the schema; reads go through the selector

    def get_queryset(self):
        return selectors.message_list(user=self.request.user)

    def get_serializer_class(self):
        return MessageDetailSerializer if self.action == "retrieve" else MessageSerializer

    @extend_schema(responses={200: MessageSerializer(many=True)})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: MessageDetailSerializer})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=MessageInput, responses={201: MessageDetailSerializer})
    def create(self, request, *args, **kwargs):
        payload = MessageInput(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        msg = call_service(services.message_send, actor=request.user, text=d["text"], kind=d["kind"],
                           marking=d["marking"], external=d["external"], unit_ids=d["units"], role=d["role"],
                           region=d["region"], tps_codes=d["tps"], closes_at=d["closes_at"])
        obj = selectors.message_list(user=request.user).get(pk=msg.pk)
        return Response(MessageDetailSerializer(obj).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: MessageDetailSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        msg = self.get_object()
        call_service(services.message_close, actor=request.user, message=msg)
        return Response(MessageDetailSerializer(self.get_queryset().get(pk=msg.pk)).data)


class InboxViewSet(viewsets.ReadOnlyModelViewSet):
    """The caller's own messages (any signed-in user)."""

    permission_classes = [IsAuthenticated]
    serializer_class = InboxSerializer
    queryset = Recipient.objects.none()  # for the schema; reads go through the selector

    def get_queryset(self):
        return selectors.inbox(user=self.request.user)

    @extend_schema(responses={200: InboxSerializer(many=True)})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: InboxSerializer})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=None, responses={200: InboxSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        r = get_object_or_404(self.get_queryset(), pk=pk)
        r = call_service(services.inbox_read, actor=request.user, recipient=r)
        return Response(InboxSerializer(r).data)

    @extend_schema(request=AnswerInput, responses={200: AnswerOutput})
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        r = get_object_or_404(self.get_queryset(), pk=pk)
        payload = AnswerInput(data=request.data)
        payload.is_valid(raise_exception=True)
        r, reply = call_service(services.answer_in_app, actor=request.user, recipient=r,
                                text=payload.validated_data["text"], key=payload.validated_data["key"])
        return Response({"reply": reply, "recipient": InboxSerializer(r).data})


def register(router) -> None:
    router.register("messages", MessageViewSet, basename="message")
    router.register("inbox", InboxViewSet, basename="inbox")
