"""Pages and provider webhooks of messaging.

Webhooks (no session, no CSRF; each authenticated by its provider's documented mechanism, see adapters):
  /pesan/webhook/sms/       SMS Gateway for Android (X-Signature + X-Timestamp)
  /pesan/webhook/telegram/  Telegram Bot API (X-Telegram-Bot-Api-Secret-Token)
  /pesan/webhook/whatsapp/  WhatsApp Cloud API (GET hub.challenge, POST X-Hub-Signature-256)
A forged or unsigned request is refused (403) before anything is read or stored. The generic SMS webhook stays
at /insiden/sms/webhook/.
Pages: /pesan/ the officer's inbox (phone), /pesan/kirim/ and /pesan/keluar/ for staff.
"""

from __future__ import annotations

import json
import uuid

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from sinergi.accounts.choices import Role
from sinergi.accounts.selectors import scope_units
from sinergi.coordination.choices import Marking
from sinergi.core import clock

from . import adapters, selectors, services, webpush
from .models import Message
from .permissions import may_send

# --------------------------------------------------------------------------- webhooks


def _webhook(request, adapter) -> JsonResponse:
    if not adapter.configured():
        return JsonResponse({"error": f"{adapter.channel} webhook disabled: its secret is not configured"},
                            status=503)
    body = request.body
    if not adapter.verify(request.headers, body):
        return JsonResponse({"error": "forbidden: missing or invalid signature"}, status=403)
    try:
        data = json.loads(body.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("object expected")
    except (UnicodeDecodeError, ValueError):
        return JsonResponse({"error": "malformed body: JSON object expected"}, status=400)
    parsed = adapter.parse(data)
    out = {"received": 0, "duplicates": 0, "statuses": 0, "replies": []}
    for item in parsed.messages:
        inbound, created = services.inbound_receive(channel=adapter.channel, item=item)
        out["received" if created else "duplicates"] += 1
        out["replies"].append({"id": inbound.provider_message_id, "status": inbound.status, "reply": inbound.reply})
    for st in parsed.statuses:
        out["statuses"] += int(services.status_update(channel=adapter.channel, item=st))
    return JsonResponse(out)


@csrf_exempt
@require_POST
def sms_webhook(request):
    return _webhook(request, adapters.SmsGateway)


@csrf_exempt
@require_POST
def telegram_webhook(request):
    return _webhook(request, adapters.Telegram)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp_webhook(request):
    if request.method == "GET":
        if not adapters.WhatsApp.configured():
            return JsonResponse({"error": "whatsapp webhook disabled"}, status=503)
        challenge = adapters.WhatsApp.verify_subscription(request.GET)
        if challenge is None:
            return JsonResponse({"error": "forbidden: verify token does not match"}, status=403)
        return HttpResponse(challenge, content_type="text/plain")
    return _webhook(request, adapters.WhatsApp)


# --------------------------------------------------------------------------- officer's inbox


@login_required
def inbox(request):
    rows = list(selectors.inbox(user=request.user)[:100])
    unread = sum(1 for r in rows if r.read_at is None)
    return render(request, "messaging/inbox.html", {
        "rows": rows, "unread": unread, "push_key": webpush.public_key(),
        "push_count": selectors.push_subscriptions(user=request.user).filter(user=request.user).count()})


# --------------------------------------------------------------------------- Web Push subscriptions
# JSON for the page control on /pesan/ (sinergi/messaging/static/messaging/push.js); session + CSRF.


def _json_body(request) -> dict:
    try:
        data = json.loads(request.body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _sub_json(sub) -> dict:
    return {"id": sub.pk, "user": sub.user.username, "user_agent": sub.user_agent,
            "created_at": sub.created_at.isoformat(), "host": sub.endpoint.split("/")[2]}


@login_required
@require_http_methods(["GET", "POST"])
def push_subscriptions(request):
    """GET: the VAPID public key and the subscriptions the user may see (own; admins all). POST {endpoint,
    keys: {p256dh, auth}}: store this browser's subscription for the user."""
    if request.method == "GET":
        subs = selectors.push_subscriptions(user=request.user)[:200]
        return JsonResponse({"public_key": webpush.public_key(), "subscriptions": [_sub_json(s) for s in subs]})
    if not webpush.public_key():
        return JsonResponse({"error": _("Notifikasi web belum dikonfigurasi di server.")}, status=503)
    data = _json_body(request)
    keys = data.get("keys") if isinstance(data.get("keys"), dict) else {}
    try:
        sub = services.push_subscribe(actor=request.user, endpoint=str(data.get("endpoint") or ""),
                                      p256dh=str(keys.get("p256dh") or ""), auth=str(keys.get("auth") or ""),
                                      user_agent=request.headers.get("User-Agent", ""))
    except ValidationError as exc:
        return JsonResponse({"error": _("Langganan notifikasi ditolak."), "fields": exc.message_dict}, status=400)
    return JsonResponse(_sub_json(sub), status=201)


@login_required
@require_POST
def push_unsubscribe(request, pk: int | None = None):
    """Switch a subscription off: by id (its owner or an admin) or, from the page, by this browser's endpoint."""
    qs = selectors.push_subscriptions(user=request.user)
    if pk is not None:
        sub = get_object_or_404(qs, pk=pk)
    else:
        sub = get_object_or_404(qs.filter(user=request.user),
                                endpoint=str(_json_body(request).get("endpoint") or "")[:1000])
    services.push_unsubscribe(actor=request.user, subscription=sub)
    return JsonResponse({"deleted": True})


@login_required
def inbox_count(request):
    return JsonResponse({"unread": selectors.unread_count(user=request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def inbox_item(request, pk: int):
    recipient = get_object_or_404(selectors.inbox(user=request.user), pk=pk)
    services.inbox_read(actor=request.user, recipient=recipient)
    reply = ""
    if request.method == "POST":
        try:
            recipient, reply = services.answer_in_app(actor=request.user, recipient=recipient,
                                                      text=request.POST.get("text", ""),
                                                      key=(request.POST.get("key") or "")[:100])
        except ValidationError as exc:
            for m in exc.messages:
                flash.error(request, m)
        else:
            flash.success(request, reply)
            return redirect("messaging:inbox_item", pk=recipient.pk)
    now_open = recipient.message.is_open(clock.now())
    return render(request, "messaging/inbox_item.html", {"r": recipient, "open": now_open,
                                                          "key": f"app-{uuid.uuid4()}"})


# --------------------------------------------------------------------------- staff


def _require_sender(request):
    if not may_send(request.user):
        raise PermissionDenied(_("Anda tidak berwenang mengirim pesan ke lapangan."))


@login_required
def outbox_list(request):
    _require_sender(request)
    return render(request, "messaging/sent_list.html", {"rows": selectors.message_list(user=request.user)[:100]})


@login_required
@require_http_methods(["GET", "POST"])
def compose(request):
    _require_sender(request)
    units = scope_units(request.user).order_by("path")
    form = {"text": "Laporkan situasi TPS anda", "kind": "question", "marking": "GREEN", "external": "",
            "unit": "", "role": "", "region": "", "tps": ""}
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in form}
        try:
            msg = services.message_send(
                actor=request.user, text=form["text"], kind=form["kind"], marking=form["marking"],
                external=bool(form["external"]), unit_ids=[int(form["unit"])] if form["unit"].isdigit() else None,
                role=form["role"], region=form["region"], tps_codes=form["tps"].replace(",", " ").split())
        except ValidationError as exc:
            for msgs in getattr(exc, "message_dict", {"": exc.messages}).values():
                for m in msgs:
                    flash.error(request, m)
        else:
            flash.success(request, _("Pesan dikirim ke %(n)d petugas.") % {"n": msg.recipients.count()})
            return redirect("messaging:sent_detail", pk=msg.pk)
    return render(request, "messaging/compose.html", {
        "form": form, "units": units, "roles": Role.choices, "markings": Marking.choices,
        "kinds": Message.Kind.choices})


def _sent(request, pk: int) -> Message:
    _require_sender(request)
    try:
        return selectors.message_list(user=request.user).get(pk=pk)
    except Message.DoesNotExist:
        raise Http404 from None


def _counts(msg: Message) -> dict:
    return {"recipients": msg.n_recipients, "delivered": msg.n_delivered, "read": msg.n_read,
            "answered": msg.n_answered}


@login_required
def sent_detail(request, pk: int):
    msg = _sent(request, pk)
    return render(request, "messaging/sent_detail.html", {
        "m": msg, "counts": _counts(msg), "rows": selectors.recipient_rows(message=msg)})


@login_required
def sent_counts(request, pk: int):
    return JsonResponse(_counts(_sent(request, pk)))


@login_required
@require_http_methods(["GET", "POST"])
def contacts(request):
    """Officers' contact addresses (personal data): shown masked; set and revealed by staff managing the unit."""
    _require_sender(request)
    from .models import Contact

    users = services.recipients_select(request.user).select_related("unit")[:300]
    if request.method == "POST":
        user_id = request.POST.get("user", "")
        target = get_object_or_404(services.recipients_select(request.user), pk=int(user_id) if user_id.isdigit() else 0)
        try:
            services.contact_set(actor=request.user, user=target, channel=request.POST.get("channel", ""),
                                 address=request.POST.get("address", ""), tps_code=request.POST.get("tps", ""))
        except ValidationError as exc:
            for msgs in getattr(exc, "message_dict", {"": exc.messages}).values():
                for m in msgs:
                    flash.error(request, m)
        else:
            flash.success(request, _("Kontak disimpan."))
            return redirect("messaging:contacts")
    rows = Contact.objects.filter(user__in=[u.pk for u in users]).select_related("user").order_by("user__username")
    return render(request, "messaging/contacts.html", {
        "rows": rows, "users": users, "channels": Contact._meta.get_field("channel").choices})


@login_required
@require_POST
def contact_reveal(request, pk: int):
    _require_sender(request)
    from .models import Contact

    contact = get_object_or_404(Contact.objects.select_related("user"), pk=pk)
    address = services.contact_reveal(actor=request.user, contact=contact)
    flash.info(request, _("Alamat %(user)s (%(channel)s): %(address)s — pembukaan ini tercatat di audit.") % {
        "user": contact.user.username, "channel": contact.get_channel_display(), "address": address})
    return redirect("messaging:contacts")


@login_required
@require_POST
def sent_close(request, pk: int):
    msg = _sent(request, pk)
    services.message_close(actor=request.user, message=msg)
    flash.success(request, _("Pertanyaan ditutup; jawaban berikutnya disimpan sebagai laporan biasa."))
    return redirect("messaging:sent_detail", pk=pk)


