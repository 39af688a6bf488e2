"""Messaging end to end on the database: provider webhooks (signature, idempotency, bad input), intake and
replies, the outbox sent to a local provider fake through sinergi.core.outbound, status callbacks, messages to
the field with TLP rules, answers landing as reports / check-ins, and the API."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sinergi.accounts.choices import Role
from sinergi.core import clock
from sinergi.core.models import AuditEvent
from sinergi.incidents.models import Report
from sinergi.messaging import jobs, services
from sinergi.messaging.models import Contact, Inbound, Message, Outbox, Recipient
from sinergi.operations.models import CheckIn
from tests.factories import api_token
from tests.messaging.conftest import (
    WA_VERIFY,
    post_sms,
    post_tg,
    post_wa,
    sms_event,
    tg_update,
    wa_message,
    wa_status,
)
from tests.operations.factories import TPS_A, build_ops_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_user):
    ow = build_ops_world()
    staff = make_user(unit=ow.polres_a, role=Role.OPERATOR)
    officers = [make_user(unit=ow.polsek_a, role=Role.OPERATOR) for _ in range(3)]
    services.contact_set(actor=staff, user=officers[0], channel="telegram", address="5550001", tps_code=TPS_A)
    services.contact_set(actor=staff, user=officers[1], channel="whatsapp", address="0812-1111-2222",
                         tps_code=TPS_A)
    services.contact_set(actor=staff, user=officers[2], channel="sms", address="+62 813 3333 4444",
                         tps_code="99.71.01.1001-002")
    return ow, staff, officers


def _dispatch(minutes: int = 0):
    return jobs.tick(clock.now() + dt.timedelta(minutes=minutes))


# --------------------------------------------------------------------------- webhooks: signature and bad input

def test_forged_or_unsigned_webhooks_are_refused_and_store_nothing(client, providers):
    upd = tg_update(9001, 42, "lapor ada bagi amplop di desa Oebufu jam 10.00")
    assert post_tg(client, upd, secret=None).status_code == 403
    assert post_tg(client, upd, secret="wrong").status_code == 403
    body = wa_message("wamid.F1", "6281200000000", "lapor amplop")
    assert post_wa(client, body, secret=None).status_code == 403
    assert post_wa(client, body, secret="not-the-app-secret").status_code == 403
    ev = sms_event("sms:received", "d-1", "+6281200000000", "lapor amplop")
    assert post_sms(client, ev, key=None).status_code == 403
    assert post_sms(client, ev, key="other-key").status_code == 403
    assert post_sms(client, ev, ts=1).status_code == 403  # replayed: timestamp far off
    assert Inbound.objects.count() == 0 and Report.objects.count() == 0 and Outbox.objects.count() == 0


def test_webhook_disabled_without_secret_and_malformed_body(client, settings, providers):
    settings.SINERGI_TELEGRAM_WEBHOOK_SECRET = ""
    assert post_tg(client, tg_update(1, 2, "x"), secret="").status_code == 503
    settings.SINERGI_TELEGRAM_WEBHOOK_SECRET = "s"
    r = client.post("/pesan/webhook/telegram/", data="[1,2", content_type="application/json",
                    HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="s")
    assert r.status_code == 400 and Inbound.objects.count() == 0


def test_whatsapp_subscription_handshake(client, providers):
    ok = client.get("/pesan/webhook/whatsapp/", {"hub.mode": "subscribe", "hub.verify_token": WA_VERIFY,
                                                 "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.content == b"1158201444"
    bad = client.get("/pesan/webhook/whatsapp/", {"hub.mode": "subscribe", "hub.verify_token": "nope",
                                                  "hub.challenge": "1"})
    assert bad.status_code == 403


# --------------------------------------------------------------------------- intake, replies, exactly once

def test_telegram_report_from_unknown_sender_exactly_once_with_reply_asking_what_is_missing(client, providers):
    upd = tg_update(7001, 777, "LAPOR politik uang ada pembagian amplop")
    r = post_tg(client, upd)
    assert r.status_code == 200 and r.json()["received"] == 1
    inbound = Inbound.objects.get()
    assert inbound.status == "unknown_sender" and inbound.report_id
    report = Report.objects.get(pk=inbound.report_id)
    assert report.raw["messaging"]["channel"] == "telegram"
    assert f"no. {report.pk}" in inbound.reply
    assert "lokasinya" in inbound.reply and "Pukul berapa" in inbound.reply
    assert "ID chat Telegram Anda: 777" in inbound.reply  # to give to the operator who registers the officer
    # the provider retries the same update: nothing new is stored or queued
    again = post_tg(client, upd)
    assert again.json()["duplicates"] == 1
    assert Inbound.objects.count() == 1 and Report.objects.count() == 1 and Outbox.objects.count() == 1
    # the reply goes out through the outbox to Telegram's sendMessage
    assert _dispatch() == {"sent": 1, "retry": 0, "failed": 0}
    sent = providers.requests[-1]
    assert sent["body"]["chat_id"] == "777" and f"no. {report.pk}" in sent["body"]["text"]
    out = Outbox.objects.get()
    assert out.status == "sent" and out.provider_message_id and out.attempts == 1


def test_sms_gateway_report_with_place_and_time_and_status_callbacks(client, providers):
    ev = sms_event("sms:received", "deliv-1", "+6281299990000",
                   "LAPOR 99.71.01.1001-001 politik uang pukul 09.30 ada amplop")
    r = post_sms(client, ev)
    assert r.status_code == 200 and r.json()["received"] == 1
    inbound = Inbound.objects.get()
    report = Report.objects.get(pk=inbound.report_id)
    assert report.channel == "sms" and report.tps_code == "99.71.01.1001-001"
    assert inbound.reply.endswith("Terima kasih.") and "Mohon lengkapi" not in inbound.reply
    assert post_sms(client, ev).json()["duplicates"] == 1 and Report.objects.count() == 1
    _dispatch()
    out = Outbox.objects.get()
    assert out.provider_message_id == "sms-1" and providers.requests[-1]["body"]["phoneNumbers"] == ["+6281299990000"]
    assert post_sms(client, sms_event("sms:delivered", "deliv-2", message_id="sms-1")).json()["statuses"] == 1
    out.refresh_from_db()
    assert out.status == "delivered" and out.delivered_at is not None
    # a late "sent" never moves it back
    post_sms(client, sms_event("sms:sent", "deliv-3", message_id="sms-1"))
    out.refresh_from_db()
    assert out.status == "delivered"


def test_too_long_and_non_text_messages_get_a_clear_answer_and_are_kept(client, providers):
    long_text = "lapor " + "x" * 2000
    post_wa(client, wa_message("wamid.L1", "6281200001111", long_text))
    inbound = Inbound.objects.get()
    assert inbound.status == "too_long" and inbound.text == long_text and "terlalu panjang" in inbound.reply
    photo = wa_message("wamid.P1", "6281200001111", "")
    photo["entry"][0]["changes"][0]["value"]["messages"][0]["type"] = "image"
    post_wa(client, photo)
    assert Inbound.objects.get(provider_message_id="wamid.P1").status == "unsupported"
    assert Report.objects.count() == 0 and Outbox.objects.count() == 2


def test_generic_sms_webhook_still_works(client, settings, db):
    settings.SINERGI_SMS_WEBHOOK_SECRET = "gw"
    r = client.post("/insiden/sms/webhook/", data=json.dumps({"id": "g1", "from": "0812", "text": "lapor x"}),
                    content_type="application/json", HTTP_X_SINERGI_SMS_SECRET="gw")
    assert r.status_code == 200 and "report" in r.json()


# --------------------------------------------------------------------------- outbox: retry with back-off

def test_outbox_retries_with_backoff_then_sends(world, providers):
    ow, staff, officers = world
    services.message_send(actor=staff, text="Apel pukul 06.00", kind="broadcast", external=True,
                          tps_codes=[TPS_A])
    rows = Outbox.objects.order_by("pk")
    assert {o.channel for o in rows} == {"telegram", "whatsapp"} and all(o.status == "queued" for o in rows)
    providers.fail_next = [500, 429]
    counts = _dispatch()
    assert counts == {"sent": 0, "retry": 2, "failed": 0}
    first = Outbox.objects.order_by("pk").first()
    assert first.attempts == 1 and first.next_attempt_at > clock.now() and "HTTP 500" in first.error
    assert _dispatch() == {"sent": 0, "retry": 0, "failed": 0}  # not due yet
    assert _dispatch(minutes=2) == {"sent": 2, "retry": 0, "failed": 0}
    assert set(Outbox.objects.values_list("status", flat=True)) == {"sent"}


def test_send_fails_permanently_when_provider_refuses(world, providers, settings):
    ow, staff, officers = world
    settings.SINERGI_WHATSAPP_TOKEN = "revoked"
    services.message_send(actor=staff, text="Cek", kind="broadcast", external=True, tps_codes=[TPS_A])
    _dispatch()
    wa = Outbox.objects.get(channel="whatsapp")
    assert wa.status == "failed" and wa.attempts == 1 and "HTTP 401" in wa.error


def test_outbound_refuses_internal_address_unless_allow_listed(world, providers, settings):
    ow, staff, officers = world
    settings.SINERGI_OUTBOUND_ALLOW = []
    services.message_send(actor=staff, text="Cek", kind="broadcast", external=True, tps_codes=[TPS_A])
    _dispatch()
    assert providers.requests == []
    assert all("tidak diizinkan" in o.error for o in Outbox.objects.all())


# --------------------------------------------------------------------------- messages to the field

def test_tlp_amber_and_red_are_refused_outside_the_app(world):
    ow, staff, officers = world
    for marking in ("AMBER", "AMBER+STRICT", "RED"):
        with pytest.raises(ValidationError) as exc:
            services.message_send(actor=staff, text="Info intel", marking=marking, external=True)
        assert "tidak boleh dikirim lewat SMS/Telegram/WhatsApp" in str(exc.value)
    assert Message.objects.count() == 0
    msg = services.message_send(actor=staff, text="Info intel", marking="RED", external=False)
    assert msg.recipients.count() == 3 and set(msg.recipients.values_list("channel", flat=True)) == {"app"}
    assert Outbox.objects.count() == 0


def test_question_answered_over_whatsapp_lands_as_report_tied_to_tps_and_is_counted(client, world, providers):
    ow, staff, officers = world
    msg = services.message_send(actor=staff, text="Laporkan situasi TPS anda", external=True, tps_codes=[TPS_A])
    assert AuditEvent.objects.filter(action="messaging.send", object_id=str(msg.pk)).exists()
    _dispatch()
    wa_out = Outbox.objects.get(channel="whatsapp")
    assert wa_out.address == "6281211112222" and "Laporkan situasi TPS anda" in wa_out.text
    post_wa(client, wa_status(wa_out.provider_message_id, "delivered", "6281211112222"))
    post_wa(client, wa_status(wa_out.provider_message_id, "read", "6281211112222"))
    r = Recipient.objects.get(message=msg, user=officers[1])
    assert r.delivered_at and r.read_at
    post_wa(client, wa_message("wamid.A1", "6281211112222", "Situasi aman, antrean pemilih tertib"))
    r.refresh_from_db()
    assert r.answered_at and r.answer_report_id
    report = Report.objects.get(pk=r.answer_report_id)
    assert report.tps_code == TPS_A and report.reporter_user == officers[1]
    inbound = Inbound.objects.get(provider_message_id="wamid.A1")
    assert inbound.status == "answer" and f"no. {report.pk}" in inbound.reply
    from sinergi.messaging.selectors import message_list

    m = message_list(user=staff).get(pk=msg.pk)
    assert (m.n_recipients, m.n_answered, m.n_read) == (2, 1, 1)
    # the question is closed: a later reply is kept as an ordinary report, and says so
    services.message_close(actor=staff, message=msg)
    post_tg(client, tg_update(8002, 5550001, "Ada keributan kecil di TPS"))
    late = Inbound.objects.get(provider_message_id="8002")
    assert late.status == "closed_question" and "sudah ditutup" in late.reply and late.report_id


def test_checkin_over_telegram_from_known_officer(client, world, providers):
    from tests.operations.test_operations_sms import _voting_was_yesterday

    ow, staff, officers = world
    _voting_was_yesterday(ow.election)
    post_tg(client, tg_update(8101, 5550001, f"CEK {TPS_A} SERAH"))
    inbound = Inbound.objects.get()
    assert inbound.status == "checkin", inbound.reply
    ck = CheckIn.objects.get(pk=inbound.checkin_id)
    assert ck.officer == officers[0] and ck.polling_station.code == TPS_A
    assert f"no. {ck.pk}" in inbound.reply


def test_in_app_answer_and_scoping(client, world, make_user, password):
    ow, staff, officers = world
    msg = services.message_send(actor=staff, text="Laporkan situasi TPS anda", tps_codes=[TPS_A])
    r = Recipient.objects.get(message=msg, user=officers[0])
    client.force_login(officers[0])
    page = client.get("/pesan/")
    assert page.status_code == 200 and "Laporkan situasi TPS anda" in page.content.decode()
    assert client.get("/pesan/jumlah/").json() == {"unread": 1}
    client.get(f"/pesan/{r.pk}/")
    assert client.get("/pesan/jumlah/").json() == {"unread": 0}
    resp = client.post(f"/pesan/{r.pk}/", {"text": "Aman terkendali", "key": "k-1"}, follow=True)
    assert "Jawaban pertanyaan" in resp.content.decode()
    r.refresh_from_db()
    assert r.answered_at and Report.objects.get(pk=r.answer_report_id).tps_code == TPS_A
    # another officer cannot open it; officers cannot send
    client.force_login(officers[1])
    assert client.get(f"/pesan/{r.pk}/").status_code == 404
    observer = make_user(unit=ow.polres_a, role=Role.OBSERVER)
    client.force_login(observer)
    assert client.get("/pesan/kirim/").status_code == 403
    # another Polres' staff does not see the message
    other = make_user(unit=ow.polres_b, role=Role.OPERATOR)
    client.force_login(other)
    assert client.get(f"/pesan/keluar/{msg.pk}/").status_code == 404


def test_contact_reveal_is_audited_and_scoped(world, make_user):
    ow, staff, officers = world
    c = Contact.objects.get(user=officers[1])
    assert c.masked.endswith("2222") and "6281211" not in c.masked
    assert services.contact_reveal(actor=staff, contact=c) == "6281211112222"
    assert AuditEvent.objects.filter(action="messaging.contact_reveal").count() == 1
    outsider = make_user(unit=ow.polres_b, role=Role.OPERATOR)
    with pytest.raises(PermissionDenied):
        services.contact_reveal(actor=outsider, contact=c)


# --------------------------------------------------------------------------- API

def test_api_send_detail_answer_and_errors(client, world, make_user):
    ow, staff, officers = world
    auth = {"HTTP_AUTHORIZATION": f"Token {api_token(staff)}"}
    bad = client.post("/api/v1/messages/", data=json.dumps({"text": "x", "marking": "RED", "external": True}),
                      content_type="application/json", **auth)
    assert bad.status_code == 400 and "marking" in bad.json()
    none = client.post("/api/v1/messages/", data=json.dumps({"text": "x", "tps": ["00.00.00.0000-001"]}),
                       content_type="application/json", **auth)
    assert none.status_code == 400 and "recipients" in none.json()
    r = client.post("/api/v1/messages/", data=json.dumps({"text": "Laporkan situasi TPS anda", "tps": [TPS_A]}),
                    content_type="application/json", **auth)
    assert r.status_code == 201, r.content
    mid = r.json()["id"]
    assert r.json()["counts"]["recipients"] == 2
    o_auth = {"HTTP_AUTHORIZATION": f"Token {api_token(officers[0])}"}
    inbox = client.get("/api/v1/inbox/", **o_auth).json()
    rid = inbox["results"][0]["id"] if isinstance(inbox, dict) else inbox[0]["id"]
    ans = client.post(f"/api/v1/inbox/{rid}/answer/", data=json.dumps({"text": "Aman"}),
                      content_type="application/json", **o_auth)
    assert ans.status_code == 200 and "no." in ans.json()["reply"]
    detail = client.get(f"/api/v1/messages/{mid}/", **auth).json()
    assert detail["counts"]["answered"] == 1
    observer = make_user(unit=ow.polres_a, role=Role.OBSERVER)
    assert client.get("/api/v1/messages/", HTTP_AUTHORIZATION=f"Token {api_token(observer)}").status_code == 403
    assert client.get("/api/v1/messages/").status_code in (401, 403)


def test_contacts_page_masks_sets_and_reveals_with_audit(client, world, make_user):
    ow, staff, officers = world
    client.force_login(staff)
    page = client.get("/pesan/kontak/").content.decode()
    assert "•••••••••2222" in page and "6281211112222" not in page
    r = client.post("/pesan/kontak/", {"user": officers[0].pk, "channel": "sms", "address": "0812 9999 0000",
                                       "tps": TPS_A})
    assert r.status_code == 302 and Contact.objects.get(user=officers[0], channel="sms").address == "6281299990000"
    c = Contact.objects.get(user=officers[1])
    shown = client.post(f"/pesan/kontak/{c.pk}/buka/", follow=True).content.decode()
    assert "6281211112222" in shown
    assert AuditEvent.objects.filter(action="messaging.contact_reveal", object_id=str(c.pk)).count() == 1
    outsider = make_user(unit=ow.polres_b, role=Role.OPERATOR)
    client.force_login(outsider)
    assert client.post(f"/pesan/kontak/{c.pk}/buka/").status_code == 403
    assert "2222" not in client.get("/pesan/kontak/").content.decode()


def test_exercise_outbox_never_reaches_providers(world, providers):
    from sinergi.core.clock import ExerciseClock, reset_exercise, set_exercise

    ow, staff, officers = world
    services.message_send(actor=staff, text="Latihan: laporkan situasi", kind="broadcast", external=True,
                          tps_codes=[TPS_A])
    now = clock.now()
    token = set_exercise(ExerciseClock(exercise_id=1, sim_start=now, sim_end=now + dt.timedelta(hours=1),
                                       started_at=now, speed=1))
    try:
        assert jobs.tick(now)["failed"] == 2
    finally:
        reset_exercise(token)
    assert providers.requests == []
    assert all(o.error.startswith("Latihan") for o in Outbox.objects.all())


def test_inbox_consumer_relays_only_events_naming_the_user():
    from sinergi.messaging.consumers import InboxConsumer

    c = InboxConsumer()
    assert c.decide(7, {"kind": "inbox", "users": [3, 7]}) == {"kind": "inbox", "message": None}
    assert c.decide(7, {"kind": "inbox", "users": [3]}) is None
    assert c.decide(7, {"kind": "inbox"}) is None


def test_pages_speak_indonesian(client, world, providers):
    from tests.core.language_check import problems

    ow, staff, officers = world
    msg = services.message_send(actor=staff, text="Laporkan situasi TPS anda", external=True, tps_codes=[TPS_A])
    _dispatch()
    r = Recipient.objects.get(message=msg, user=officers[0])
    client.force_login(staff)
    for url in ["/pesan/kirim/", "/pesan/keluar/", f"/pesan/keluar/{msg.pk}/", "/pesan/kontak/"]:
        resp = client.get(url, HTTP_ACCEPT_LANGUAGE="id")
        assert resp.status_code == 200 and problems(resp.content.decode(), "id") == [], url
    client.force_login(officers[0])
    for url in ["/pesan/", f"/pesan/{r.pk}/"]:
        resp = client.get(url, HTTP_ACCEPT_LANGUAGE="id")
        assert resp.status_code == 200 and problems(resp.content.decode(), "id") == [], url


def test_checkin_sms_from_a_number_registered_in_operations_goes_through_checkin_sms_receive(client, world,
                                                                                               providers):
    from sinergi.operations.models import CheckInSms
    from sinergi.operations.services import officer_phone_set
    from tests.operations.test_operations_sms import _voting_was_yesterday

    ow, staff, officers = world
    _voting_was_yesterday(ow.election)
    officer = officers[0]
    officer_phone_set(actor=officer, user=officer, number="0812-7777-0001")
    ev = sms_event("sms:received", "ck-1", "+6281277770001", f"CEK {TPS_A} SERAH")
    assert post_sms(client, ev).status_code == 200
    inbound = Inbound.objects.get()
    assert inbound.status == "checkin" and CheckIn.objects.get(pk=inbound.checkin_id).officer == officer
    assert CheckInSms.objects.get().message_id == "sms:ck-1"
    # unknown number: stored by the check-in service with its own clear answer
    post_sms(client, sms_event("sms:received", "ck-2", "+6281200000009", f"CEK {TPS_A} SERAH"))
    unknown = Inbound.objects.get(provider_message_id="ck-2")
    assert unknown.status == "checkin_unknown_sender" and "belum terdaftar" in unknown.reply
    assert Outbox.objects.filter(channel="sms").count() == 2
