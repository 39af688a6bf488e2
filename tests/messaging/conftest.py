import hashlib
import hmac
import json
import time

import pytest

from tests.messaging.fakes import SMS_PASS, SMS_USER, TOKEN, WA_PHONE_ID, WA_TOKEN, ProviderFake

FAKE_PORT = 8171
TG_SECRET = "tg-secret_TOKEN-1"
WA_SECRET = "wa-app-secret"
WA_VERIFY = "wa-verify-token"
SMS_KEY = "sms-signing-key"


@pytest.fixture
def providers(settings):
    settings.SINERGI_OUTBOUND_ALLOW = ["127.0.0.1"]
    base = f"http://127.0.0.1:{FAKE_PORT}"
    settings.SINERGI_TELEGRAM_BOT_TOKEN = TOKEN
    settings.SINERGI_TELEGRAM_WEBHOOK_SECRET = TG_SECRET
    settings.SINERGI_TELEGRAM_API_BASE = base
    settings.SINERGI_WHATSAPP_TOKEN = WA_TOKEN
    settings.SINERGI_WHATSAPP_PHONE_NUMBER_ID = WA_PHONE_ID
    settings.SINERGI_WHATSAPP_APP_SECRET = WA_SECRET
    settings.SINERGI_WHATSAPP_VERIFY_TOKEN = WA_VERIFY
    settings.SINERGI_WHATSAPP_API_BASE = f"{base}/v21.0"
    settings.SINERGI_SMSGW_SIGNING_KEY = SMS_KEY
    settings.SINERGI_SMSGW_SEND_URL = f"{base}/sms/message"
    settings.SINERGI_SMSGW_USERNAME = SMS_USER
    settings.SINERGI_SMSGW_PASSWORD = SMS_PASS
    with ProviderFake(FAKE_PORT) as fake:
        yield fake


def tg_update(update_id: int, chat_id: int, text: str) -> dict:
    return {"update_id": update_id, "message": {
        "message_id": update_id % 1000, "date": int(time.time()), "text": text,
        "from": {"id": chat_id, "is_bot": False, "first_name": "Budi"}, "chat": {"id": chat_id, "type": "private"}}}


def post_tg(client, body: dict, secret: str | None = TG_SECRET):
    headers = {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": secret} if secret is not None else {}
    return client.post("/pesan/webhook/telegram/", data=json.dumps(body), content_type="application/json", **headers)


def wa_message(mid: str, sender: str, text: str) -> dict:
    return {"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "628100", "phone_number_id": WA_PHONE_ID},
        "contacts": [{"profile": {"name": "Budi"}, "wa_id": sender}],
        "messages": [{"from": sender, "id": mid, "timestamp": str(int(time.time())), "type": "text",
                      "text": {"body": text}}]}}]}]}


def wa_status(mid: str, status: str, recipient: str) -> dict:
    return {"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "628100", "phone_number_id": WA_PHONE_ID},
        "statuses": [{"id": mid, "status": status, "timestamp": str(int(time.time())), "recipient_id": recipient}]}}]}]}


def post_wa(client, body: dict, secret: str | None = WA_SECRET):
    raw = json.dumps(body).encode()
    headers = {}
    if secret is not None:
        headers["HTTP_X_HUB_SIGNATURE_256"] = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return client.post("/pesan/webhook/whatsapp/", data=raw, content_type="application/json", **headers)


def post_sms(client, body: dict, key: str | None = SMS_KEY, ts: int | None = None):
    raw = json.dumps(body).encode()
    ts = str(ts if ts is not None else int(time.time()))
    headers = {"HTTP_X_TIMESTAMP": ts}
    if key is not None:
        headers["HTTP_X_SIGNATURE"] = hmac.new(key.encode(), raw + ts.encode(), hashlib.sha256).hexdigest()
    return client.post("/pesan/webhook/sms/", data=raw, content_type="application/json", **headers)


def sms_event(event: str, delivery_id: str, phone: str = "", text: str = "", message_id: str = "") -> dict:
    payload = {"messageId": message_id or delivery_id, "phoneNumber": phone}
    if text:
        payload.update(message=text, receivedAt="2024-11-27T10:00:00.000+08:00", simNumber=1)
    return {"deviceId": "dev1", "event": event, "id": delivery_id, "webhookId": "wh1", "payload": payload}
