"""Provider adapters: verify a webhook, read its messages and status callbacks, send one text.

Formats as documented by each provider (see docs/messaging.md for the sources):

- SMS gateway: "SMS Gateway for Android" (sms-gate.app). Webhook POST JSON
  ``{"id", "webhookId", "deviceId", "event": "sms:received"|"sms:sent"|"sms:delivered"|"sms:failed",
  "payload": {"messageId", "message", "phoneNumber", "receivedAt", ...}}``, signed with the webhook signing key:
  ``X-Signature`` = hex HMAC-SHA256(key, raw body + ``X-Timestamp``), ``X-Timestamp`` = Unix seconds (we refuse
  a timestamp more than 5 minutes off: no replay). Send: POST ``{SEND_URL}`` (the device's or the cloud's
  ``/message``) with Basic auth, JSON ``{"textMessage": {"text"}, "phoneNumbers": [...]}``; answer ``{"id"}``.
  An aggregator that posts a form or JSON with ``id``/``from``/``text`` keeps using the generic
  ``/insiden/sms/webhook/`` (sinergi.incidents.views.sms_webhook).
- Telegram Bot API: webhook POST of an ``Update`` JSON (``update_id``, ``message: {message_id, from, chat: {id},
  date, text}``), authenticated only by the ``X-Telegram-Bot-Api-Secret-Token`` header equal to the
  ``secret_token`` given to ``setWebhook`` (Telegram does not sign bodies). Send: POST
  ``{API_BASE}/bot<token>/sendMessage`` JSON ``{"chat_id", "text"}``; answer ``{"ok": true, "result":
  {"message_id"}}``. Telegram has no delivery/read callbacks: a sent message stays "sent".
- WhatsApp Business Cloud API: GET ``?hub.mode=subscribe&hub.verify_token=..&hub.challenge=..`` answered with the
  challenge; POST JSON ``{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages",
  "value": {"messages": [{"from", "id", "timestamp", "type": "text", "text": {"body"}}], "statuses": [{"id",
  "status": "sent"|"delivered"|"read"|"failed", "recipient_id", "errors"}]}}]}]}`` signed with
  ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>``. Send: POST
  ``{API_BASE}/{phone_number_id}/messages`` with ``Authorization: Bearer <token>``, JSON ``{"messaging_product":
  "whatsapp", "to", "type": "text", "text": {"body"}}``; answer ``{"messages": [{"id"}]}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field

from django.conf import settings

from sinergi.core import outbound

MAX_SKEW_S = 300


@dataclass
class InboundItem:
    message_id: str
    sender: str
    text: str
    kind: str = "text"  # "text" or another type we cannot read (photo, sticker...)


@dataclass
class StatusItem:
    provider_message_id: str
    status: str  # sent / delivered / read / failed
    error: str = ""


@dataclass
class Parsed:
    messages: list[InboundItem] = field(default_factory=list)
    statuses: list[StatusItem] = field(default_factory=list)


class SendError(Exception):
    """A send that did not go through; `permanent` when retrying cannot help (bad address, not configured)."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def _eq(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _post_json(url: str, payload: dict, headers: dict[str, str]) -> dict:
    try:
        resp = outbound.post(url, data=json.dumps(payload).encode(), timeout=10.0,
                             headers={"Content-Type": "application/json", **headers})
    except outbound.OutboundError as exc:
        permanent = exc.status is not None and 400 <= exc.status < 500 and exc.status != 429
        raise SendError(f"{exc}" + (f" ({exc.detail})" if exc.detail and exc.status else ""),
                        permanent=permanent) from None
    try:
        body = json.loads(resp.body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError):
        raise SendError("jawaban penyedia bukan JSON") from None
    return body if isinstance(body, dict) else {}


# --------------------------------------------------------------------------- SMS gateway (SMS Gateway for Android)

class SmsGateway:
    channel = "sms"

    @staticmethod
    def configured() -> bool:
        return bool(settings.SINERGI_SMSGW_SIGNING_KEY)

    @staticmethod
    def verify(headers, body: bytes) -> bool:
        key = settings.SINERGI_SMSGW_SIGNING_KEY
        sig = headers.get("X-Signature", "")
        ts = headers.get("X-Timestamp", "")
        if not key or not sig or not ts.isdigit():
            return False
        if abs(time.time() - int(ts)) > MAX_SKEW_S:
            return False
        expected = hmac.new(key.encode(), body + ts.encode(), hashlib.sha256).hexdigest()
        return _eq(sig.lower(), expected)

    @staticmethod
    def parse(data: dict) -> Parsed:
        out = Parsed()
        event = str(data.get("event") or "")
        p = data.get("payload") if isinstance(data.get("payload"), dict) else {}
        mid = str(p.get("messageId") or "")
        if event == "sms:received":
            # the app's messageId is derived from the content and "not guaranteed to be unique": the
            # delivery's own id (retries repeat it) is the idempotency key, with the message id as fallback
            key = str(data.get("id") or mid)
            out.messages.append(InboundItem(message_id=key, sender=str(p.get("phoneNumber") or ""),
                                            text=str(p.get("message") or "")))
        elif event in ("sms:sent", "sms:delivered", "sms:failed") and mid:
            out.statuses.append(StatusItem(provider_message_id=mid, status=event.split(":", 1)[1],
                                           error=str(p.get("reason") or "")))
        return out

    @staticmethod
    def send(address: str, text: str) -> str:
        url = settings.SINERGI_SMSGW_SEND_URL
        if not url:
            raise SendError("SMS gateway belum dikonfigurasi (SINERGI_SMSGW_SEND_URL)", permanent=True)
        cred = f"{settings.SINERGI_SMSGW_USERNAME}:{settings.SINERGI_SMSGW_PASSWORD}".encode()
        body = _post_json(url, {"textMessage": {"text": text}, "phoneNumbers": [f"+{address.lstrip('+')}"]},
                          {"Authorization": "Basic " + base64.b64encode(cred).decode()})
        mid = str(body.get("id") or "")
        if not mid:
            raise SendError("jawaban SMS gateway tanpa id")
        return mid


# --------------------------------------------------------------------------- Telegram Bot API

class Telegram:
    channel = "telegram"

    @staticmethod
    def configured() -> bool:
        return bool(settings.SINERGI_TELEGRAM_WEBHOOK_SECRET)

    @staticmethod
    def verify(headers, body: bytes) -> bool:
        secret = settings.SINERGI_TELEGRAM_WEBHOOK_SECRET
        given = headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        return bool(secret) and bool(given) and _eq(given, secret)

    @staticmethod
    def parse(data: dict) -> Parsed:
        out = Parsed()
        msg = data.get("message") if isinstance(data.get("message"), dict) else None
        if msg is None or "update_id" not in data:
            return out
        chat = msg.get("chat") if isinstance(msg.get("chat"), dict) else {}
        text = msg.get("text")
        out.messages.append(InboundItem(
            message_id=str(data["update_id"]), sender=str(chat.get("id") or ""),
            text=str(text) if isinstance(text, str) else str(msg.get("caption") or ""),
            kind="text" if isinstance(text, str) else "other"))
        return out

    @staticmethod
    def send(address: str, text: str) -> str:
        token = settings.SINERGI_TELEGRAM_BOT_TOKEN
        if not token:
            raise SendError("Telegram belum dikonfigurasi (SINERGI_TELEGRAM_BOT_TOKEN)", permanent=True)
        base = settings.SINERGI_TELEGRAM_API_BASE.rstrip("/")
        body = _post_json(f"{base}/bot{token}/sendMessage", {"chat_id": address, "text": text}, {})
        result = body.get("result") if isinstance(body.get("result"), dict) else {}
        if not body.get("ok") or "message_id" not in result:
            raise SendError(str(body.get("description") or "Telegram menolak pesan"))
        return str(result["message_id"])


# --------------------------------------------------------------------------- WhatsApp Business Cloud API

class WhatsApp:
    channel = "whatsapp"

    @staticmethod
    def configured() -> bool:
        return bool(settings.SINERGI_WHATSAPP_APP_SECRET)

    @staticmethod
    def verify(headers, body: bytes) -> bool:
        secret = settings.SINERGI_WHATSAPP_APP_SECRET
        given = headers.get("X-Hub-Signature-256", "")
        if not secret or not given.startswith("sha256="):
            return False
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return _eq(given[7:].lower(), expected)

    @staticmethod
    def verify_subscription(params) -> str | None:
        token = settings.SINERGI_WHATSAPP_VERIFY_TOKEN
        if (token and params.get("hub.mode") == "subscribe"
                and _eq(params.get("hub.verify_token", ""), token)):
            return params.get("hub.challenge", "")
        return None

    @staticmethod
    def parse(data: dict) -> Parsed:
        out = Parsed()
        for entry in data.get("entry") or []:
            for change in (entry or {}).get("changes") or []:
                value = (change or {}).get("value") or {}
                for m in value.get("messages") or []:
                    if not isinstance(m, dict) or not m.get("id"):
                        continue
                    is_text = m.get("type") == "text"
                    out.messages.append(InboundItem(
                        message_id=str(m["id"]), sender=str(m.get("from") or ""),
                        text=str(((m.get("text") or {}).get("body")) or "") if is_text else "",
                        kind="text" if is_text else "other"))
                for s in value.get("statuses") or []:
                    if isinstance(s, dict) and s.get("id") and s.get("status"):
                        errs = s.get("errors") or [{}]
                        out.statuses.append(StatusItem(provider_message_id=str(s["id"]), status=str(s["status"]),
                                                       error=str((errs[0] or {}).get("title") or "")))
        return out

    @staticmethod
    def send(address: str, text: str) -> str:
        token, phone_id = settings.SINERGI_WHATSAPP_TOKEN, settings.SINERGI_WHATSAPP_PHONE_NUMBER_ID
        if not token or not phone_id:
            raise SendError("WhatsApp belum dikonfigurasi (SINERGI_WHATSAPP_TOKEN / _PHONE_NUMBER_ID)",
                            permanent=True)
        base = settings.SINERGI_WHATSAPP_API_BASE.rstrip("/")
        body = _post_json(f"{base}/{phone_id}/messages",
                          {"messaging_product": "whatsapp", "recipient_type": "individual", "to": address,
                           "type": "text", "text": {"preview_url": False, "body": text}},
                          {"Authorization": f"Bearer {token}"})
        msgs = body.get("messages") or [{}]
        mid = str((msgs[0] or {}).get("id") or "")
        if not mid:
            raise SendError("jawaban WhatsApp tanpa id pesan")
        return mid


ADAPTERS = {"sms": SmsGateway, "telegram": Telegram, "whatsapp": WhatsApp}
