"""Messaging services: every write goes through here, with its audit event in the same transaction.

Inbound (all channels) -> `inbound_receive`: stored once per (channel, provider message id); a check-in text
("CEK <TPS> <BUKA|...>") goes to the operations check-in service, an answer to an open question becomes a report
(or check-in) tied to the question's TPS, anything else goes to incident intake; the reply (receipt number and
what is missing: place, time) is queued in the outbox. Outbound -> `Outbox` rows sent by `outbox_dispatch`
(the tick) through sinergi.core.outbound, with back-off; provider status callbacks -> `status_update`.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from sinergi.accounts.models import User
from sinergi.accounts.selectors import is_global, scope_units
from sinergi.core import clock
from sinergi.core.live import group_send
from sinergi.core.services import audit_log
from sinergi.engine.incidents.sms import parse_sms
from sinergi.engine.operations import looks_like_checkin
from sinergi.incidents.choices import Channel
from sinergi.incidents.services import ReportInput, report_submit, sms_aliases, sms_receive
from sinergi.operations.models import CheckInChannel
from sinergi.operations.services import CheckInInput, checkin_sms_receive, checkin_submit, normalize_phone

from . import adapters, webpush
from .models import (
    EXTERNAL,
    MAY_LEAVE_APP,
    ChannelKind,
    Contact,
    Inbound,
    Message,
    Outbox,
    PushSubscription,
    Recipient,
)
from .permissions import may_manage_contacts, may_send

log = logging.getLogger(__name__)

#: longest inbound text taken into intake (an SMS of 10 parts; WhatsApp/Telegram allow far more)
MAX_INBOUND = 1600
MAX_OUTGOING = 1000
MAX_ATTEMPTS = 6
LEASE = dt.timedelta(minutes=2)
TIME_RE = re.compile(r"\b(pukul|pkl|jam)\b|\b\d{1,2}[.:]\d{2}\b", re.IGNORECASE)
ORDER = {"queued": 0, "sent": 1, "delivered": 2, "read": 3}
GROUP = "pesan"


def _live(user_ids) -> None:
    ids = sorted({int(i) for i in user_ids})
    if ids:
        transaction.on_commit(lambda: group_send(GROUP, "msg.event", kind="inbox", users=ids))


def normalize_address(channel: str, address: str) -> str:
    if channel in (ChannelKind.SMS, ChannelKind.WHATSAPP):
        return normalize_phone(address)
    return (address or "").strip()


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 1, 2, 4, 8 min ... at most one hour."""
    return dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


# --------------------------------------------------------------------------- contacts

@transaction.atomic
def contact_set(*, actor, user: User, channel: str, address: str, tps_code: str = "", preferred: bool = True,
                active: bool = True) -> Contact:
    """Record where `user` is reached on `channel` (personal data: only staff managing the user's unit)."""
    if not may_manage_contacts(actor, user):
        raise PermissionDenied("Anda tidak berwenang mengubah kontak petugas ini.")
    if channel not in EXTERNAL:
        raise ValidationError({"channel": "saluran harus sms, telegram atau whatsapp"})
    addr = normalize_address(channel, address)
    if not addr or len(addr) > 64 or (channel != ChannelKind.TELEGRAM and not 9 <= len(addr) <= 15):
        raise ValidationError({"address": "alamat tidak sah"})
    if Contact.objects.filter(channel=channel, address=addr).exclude(user=user).exists():
        raise ValidationError({"address": "alamat ini sudah dipakai petugas lain"})
    if preferred:
        Contact.objects.filter(user=user).exclude(channel=channel).update(preferred=False)
    contact, _ = Contact.objects.update_or_create(
        user=user, channel=channel,
        defaults={"address": addr, "tps_code": tps_code[:24], "preferred": preferred, "active": active,
                  "created_at": clock.now()})
    audit_log(actor=actor, action="messaging.contact_set", obj=contact,
              data={"user": user.pk, "channel": channel, "tps": tps_code})
    return contact


def contact_reveal(*, actor, contact: Contact) -> str:
    """The full address of a contact, for staff who manage the officer; audited."""
    if not may_manage_contacts(actor, contact.user):
        raise PermissionDenied("Anda tidak berwenang melihat kontak ini.")
    audit_log(actor=actor, action="messaging.contact_reveal", obj=contact, data={"user": contact.user_id})
    return contact.address


# --------------------------------------------------------------------------- messages to the field

def recipients_select(actor, *, unit_ids=None, role: str = "", region: str = "", tps_codes=None):
    """Active users in the actor's unit scope, narrowed by units (their subtrees), role, region code prefix
    (of the TPS on their contact record) and TPS codes."""
    qs = User.objects.filter(is_active=True).exclude(pk=actor.pk)
    if not is_global(actor):
        qs = qs.filter(unit__in=scope_units(actor))
    if unit_ids:
        from sinergi.accounts.models import Unit

        paths = list(Unit.objects.filter(pk__in=unit_ids).values_list("path", flat=True))
        q = Q()
        for p in paths:
            q |= Q(unit__path__startswith=p)
        qs = qs.filter(q) if paths else qs.none()
    if role:
        qs = qs.filter(role=role)
    if region:
        qs = qs.filter(Q(msg_contacts__tps_code__startswith=region + ".") | Q(msg_contacts__tps_code=region))
    if tps_codes:
        qs = qs.filter(msg_contacts__tps_code__in=list(tps_codes))
    return qs.distinct().order_by("pk")


def message_send(*, actor, text: str, kind: str = Message.Kind.QUESTION, marking: str = "GREEN",
                 external: bool = False, unit_ids=None, role: str = "", region: str = "", tps_codes=None,
                 closes_at: dt.datetime | None = None) -> Message:
    """Send a broadcast or a question to the selected officers: always to their in-app inbox, and with
    `external` also over each officer's preferred channel (SMS/Telegram/WhatsApp) through the outbox.
    TLP:AMBER/AMBER+STRICT/RED content is never sent outside the app."""
    if not may_send(actor):
        raise PermissionDenied("Anda tidak berwenang mengirim pesan ke lapangan.")
    text = (text or "").strip()
    errors = {}
    if not text:
        errors["text"] = "isi pesan wajib diisi"
    elif len(text) > MAX_OUTGOING:
        errors["text"] = f"isi pesan paling panjang {MAX_OUTGOING} karakter"
    if kind not in Message.Kind.values:
        errors["kind"] = "jenis harus broadcast atau question"
    from sinergi.coordination.choices import Marking

    if marking not in Marking.values:
        errors["marking"] = "penandaan TLP tidak dikenal"
    elif external and marking not in MAY_LEAVE_APP:
        errors["marking"] = (f"Pesan bertanda TLP:{marking} tidak boleh dikirim lewat SMS/Telegram/WhatsApp "
                             "(di luar kendali akses aplikasi). Kirim hanya lewat aplikasi, atau turunkan "
                             "penandaannya ke TLP:GREEN/CLEAR bila isinya memang boleh.")
    if errors:
        raise ValidationError(errors)
    tps_codes = [c.strip() for c in (tps_codes or []) if c and c.strip()]
    if any(len(c) > 24 for c in tps_codes) or len(region or "") > 20:
        raise ValidationError({"recipients": "kode TPS paling panjang 24 karakter, kode wilayah 20"})
    users = list(recipients_select(actor, unit_ids=unit_ids, role=role, region=region.strip(),
                                   tps_codes=tps_codes))
    if not users:
        raise ValidationError({"recipients": "tidak ada petugas yang cocok dengan pilihan ini"})
    now = clock.now()
    contacts: dict[int, Contact] = {}
    for c in Contact.objects.filter(user__in=users, active=True).order_by("-preferred", "pk"):
        contacts.setdefault(c.user_id, c)
    with transaction.atomic():
        msg = Message.objects.create(
            kind=kind, text=text, marking=marking, external=external, created_by=actor, unit=actor.unit,
            created_at=now, closes_at=closes_at,
            selection={"units": list(unit_ids or []), "role": role, "region": region, "tps": tps_codes})
        rows, outs = [], []
        for u in users:
            c = contacts.get(u.pk)
            channel = c.channel if (external and c is not None) else ChannelKind.APP
            rows.append(Recipient(message=msg, user=u, channel=channel,
                                  tps_code=(tps_codes[0] if len(tps_codes) == 1 else (c.tps_code if c else "")),
                                  delivered_at=now if channel == ChannelKind.APP else None))
        Recipient.objects.bulk_create(rows)
        prefix = "Pertanyaan" if kind == Message.Kind.QUESTION else "Pesan"
        for r in Recipient.objects.filter(message=msg, channel__in=EXTERNAL):
            c = contacts[r.user_id]
            body = f"[{prefix} #{msg.pk}] {text}"
            if kind == Message.Kind.QUESTION:
                body += " Balas pesan ini untuk menjawab."
            outs.append(Outbox(channel=r.channel, address=c.address, text=body, recipient=r, created_at=now,
                               next_attempt_at=now))
        # Web Push: one outbox row per subscription of every recipient, any TLP marking — only a short notice
        # ("Pesan baru dari <unit>") and the inbox link go through the push service, never the text
        unit_name = actor.unit.name if actor.unit_id else ""
        by_user = {r.user_id: r for r in Recipient.objects.filter(message=msg)}
        for sub in PushSubscription.objects.filter(user__in=users).order_by("pk"):
            r = by_user[sub.user_id]
            outs.append(Outbox(channel=ChannelKind.WEBPUSH, address=f"push:{sub.pk}", push_subscription=sub,
                               text=webpush.notice(unit_name=unit_name, recipient_id=r.pk, message_id=msg.pk),
                               recipient=r, created_at=now, next_attempt_at=now))
        Outbox.objects.bulk_create(outs)
        audit_log(actor=actor, action="messaging.send", obj=msg,
                  data={"kind": kind, "marking": marking, "external": external, "recipients": len(rows),
                        "outbox": len(outs), "selection": msg.selection})
        _live(u.pk for u in users)
    return msg


@transaction.atomic
def message_close(*, actor, message: Message) -> Message:
    if not may_send(actor):
        raise PermissionDenied("Anda tidak berwenang menutup pertanyaan.")
    Message.objects.filter(pk=message.pk).update(closed=True)
    message.closed = True
    audit_log(actor=actor, action="messaging.close", obj=message)
    return message


def inbox_read(*, actor, recipient: Recipient) -> Recipient:
    if recipient.user_id != actor.pk:
        raise PermissionDenied("Bukan pesan Anda.")
    if recipient.read_at is None:
        now = clock.now()
        Recipient.objects.filter(pk=recipient.pk, read_at__isnull=True).update(read_at=now)
        recipient.read_at = now
    return recipient


# --------------------------------------------------------------------------- answers and intake

def _missing(report) -> list[str]:
    asks = []
    raw = (report.raw or {}).get("sms") or (report.raw or {}).get("messaging") or {}
    if not (report.tps_code or report.place_text or raw.get("region_code") or report.lat is not None):
        asks.append("Di mana lokasinya? Kirim kode TPS atau nama desa.")
    if report.occurred_at is None and not TIME_RE.search(report.text or ""):
        asks.append("Pukul berapa kejadiannya?")
    return asks


def _report_reply(report, *, prefix: str = "") -> str:
    asks = _missing(report)
    reply = f"{prefix}Laporan diterima (no. {report.pk})."
    if asks:
        reply += " Mohon lengkapi: " + " ".join(asks)
    else:
        reply += " Terima kasih."
    return reply


def _report_from_text(*, actor, channel: str, key: str, sender: str, text: str, tps_code: str = "",
                      extra: dict | None = None):
    parsed = parse_sms(text, sms_aliases())
    data = ReportInput(
        key=key[:100], text=text or "(kosong)",
        channel={ChannelKind.SMS: Channel.SMS, ChannelKind.APP: Channel.STAFF}.get(channel, Channel.API),
        tps_code=tps_code or parsed.tps_code, place_text=parsed.place_text, category_hint=parsed.category_code,
        reporter_contact=sender[:120] if actor is None else "",
        raw={"messaging": {"channel": channel, "from": sender, "region_code": parsed.region_code,
                           "problems": list(parsed.problems), **(extra or {})}})
    report, _ = report_submit(actor=actor, data=data)
    return report


def _checkin_as(user, *, key: str, text: str, channel: str):
    """A check-in text from a known officer; returns (checkin or None, reply)."""
    from sinergi.engine.operations import CHECKIN_HELP, parse_checkin_sms

    parsed = parse_checkin_sms(text)
    if not parsed.ok:
        return None, f"Laporan TPS belum terbaca ({', '.join(parsed.problems)}). {CHECKIN_HELP}"
    try:
        checkin, _ = checkin_submit(actor=user, data=CheckInInput(
            key=key[:100], tps=parsed.tps_code, kind=parsed.kind, note=parsed.note,
            channel=CheckInChannel.SMS if channel == ChannelKind.SMS else (
                CheckInChannel.WEB if channel == ChannelKind.APP else CheckInChannel.API)))
    except ValidationError as exc:
        return None, f"Laporan TPS {parsed.tps_code} ditolak: " + "; ".join(exc.messages)
    except PermissionDenied as exc:
        return None, f"Laporan TPS ditolak: {exc}"
    return checkin, f"Diterima: laporan TPS {parsed.tps_code} (no. {checkin.pk}). Terima kasih."


def _land_answer(*, user, recipient: Recipient, text: str, channel: str, key: str, sender: str):
    """An answer to an open question: a check-in (CEK ...) or a report tied to the question's TPS."""
    checkin = report = None
    if looks_like_checkin(text):
        checkin, reply = _checkin_as(user, key=key, text=text, channel=channel)
    else:
        report = _report_from_text(actor=user, channel=channel, key=key, sender=sender, text=text,
                                   tps_code=recipient.tps_code,
                                   extra={"question": recipient.message_id, "recipient": recipient.pk})
        reply = _report_reply(report, prefix=f"Jawaban pertanyaan #{recipient.message_id} tercatat. ")
    Recipient.objects.filter(pk=recipient.pk, answered_at__isnull=True).update(
        answered_at=clock.now(), answer_text=text[:MAX_INBOUND],
        answer_report_id=report.pk if report else None, answer_checkin_id=checkin.pk if checkin else None)
    if recipient.read_at is None:  # an answer proves the question was read
        Recipient.objects.filter(pk=recipient.pk, read_at__isnull=True).update(read_at=clock.now())
    audit_log(actor=user, action="messaging.answer", obj=recipient,
              data={"message": recipient.message_id, "channel": channel,
                    "report": report.pk if report else None, "checkin": checkin.pk if checkin else None})
    transaction.on_commit(lambda: group_send(GROUP, "msg.event", kind="answer", message=recipient.message_id,
                                             users=[recipient.message.created_by_id]))
    return report, checkin, reply


def answer_in_app(*, actor, recipient: Recipient, text: str, key: str = "") -> tuple[Recipient, str]:
    """An officer answers a question in the app's inbox."""
    if recipient.user_id != actor.pk:
        raise PermissionDenied("Bukan pesan Anda.")
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "jawaban wajib diisi"})
    if len(text) > MAX_INBOUND:
        raise ValidationError({"text": f"jawaban paling panjang {MAX_INBOUND} karakter"})
    msg = recipient.message
    if msg.kind != Message.Kind.QUESTION:
        raise ValidationError({"text": "pesan siaran tidak perlu dijawab; kirim laporan lewat formulir laporan"})
    if recipient.answered_at is not None:
        return recipient, "Pertanyaan ini sudah Anda jawab."
    with transaction.atomic():
        if not msg.is_open(clock.now()):
            # closed: nothing lost, the text is still taken in as an ordinary report
            report = _report_from_text(actor=actor, channel=ChannelKind.APP, key=key or f"msg:app:{recipient.pk}",
                                       sender="", text=text, tps_code=recipient.tps_code,
                                       extra={"closed_question": msg.pk})
            audit_log(actor=actor, action="messaging.answer_closed", obj=recipient, data={"report": report.pk})
            return recipient, _report_reply(
                report, prefix=f"Pertanyaan #{msg.pk} sudah ditutup; pesan Anda disimpan sebagai laporan biasa. ")
        _, _, reply = _land_answer(user=actor, recipient=recipient, text=text, channel=ChannelKind.APP,
                                   key=key or f"msg:app:{recipient.pk}", sender="")
    recipient.refresh_from_db()
    return recipient, reply


def _queue_reply(inbound: Inbound, text: str) -> None:
    if text and inbound.sender:
        Outbox.objects.create(channel=inbound.channel, address=inbound.sender, text=text[:MAX_OUTGOING],
                              inbound=inbound, created_at=clock.now(), next_attempt_at=clock.now())


def inbound_receive(*, channel: str, item: adapters.InboundItem) -> tuple[Inbound, bool]:
    """Take one inbound message exactly once (a provider retry returns the first result, queues nothing)."""
    sender = normalize_address(channel, item.sender)
    mid = f"{item.message_id}"[:120]
    existing = Inbound.objects.filter(channel=channel, provider_message_id=mid).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            inbound = Inbound.objects.create(channel=channel, provider_message_id=mid, sender=sender[:64],
                                             text=item.text, received_at=clock.now(), status="processing")
            _process(inbound, item)
            audit_log(actor=inbound.user, action="messaging.inbound", obj=inbound,
                      data={"channel": channel, "status": inbound.status, "report": inbound.report_id,
                            "checkin": inbound.checkin_id})
    except IntegrityError:
        existing = Inbound.objects.filter(channel=channel, provider_message_id=mid).first()
        if existing is None:
            raise
        return existing, False
    return inbound, True


def _process(inbound: Inbound, item: adapters.InboundItem) -> None:
    channel, text, sender = inbound.channel, inbound.text, inbound.sender
    key = f"{channel}:{inbound.provider_message_id}"
    contact = (Contact.objects.filter(channel=channel, address=sender, active=True, user__is_active=True)
               .select_related("user").first())
    user = contact.user if contact else None
    inbound.user = user
    status, reply = "accepted", ""
    if item.kind != "text" or not text.strip():
        status = "unsupported"
        reply = ("Pesan kosong atau bukan teks belum bisa diproses; kirim laporan sebagai teks. "
                 "Format: LAPOR <kode TPS/nama desa> <kategori> <uraian>.")
    elif len(text) > MAX_INBOUND:
        status = "too_long"
        reply = (f"Pesan terlalu panjang ({len(text)} karakter, paling banyak {MAX_INBOUND}). Pesan Anda tersimpan "
                 f"(no. masuk {inbound.pk}); mohon kirim ringkasannya: lokasi, waktu, kejadian.")
    elif looks_like_checkin(text):
        if user is not None:
            checkin, reply = _checkin_as(user, key=key, text=text, channel=channel)
            inbound.checkin_id = checkin.pk if checkin else None
            status = "checkin" if checkin else "checkin_rejected"
        elif channel in (ChannelKind.SMS, ChannelKind.WHATSAPP):
            sms, reply = checkin_sms_receive(message_id=key, sender=sender, text=text)
            inbound.checkin_id = sms.checkin_id
            status = "checkin" if sms.checkin_id else f"checkin_{sms.status}"
        else:
            status = "unknown_sender"
            reply = ("Akun ini belum terdaftar sebagai petugas, jadi laporan TPS tidak bisa dicatat. "
                     f"Pesan tersimpan (no. masuk {inbound.pk}). Berikan ID chat Telegram Anda ({sender}) kepada "
                     "operator Polres untuk didaftarkan.")
    else:
        open_r = None
        latest = None
        if user is not None:
            latest = (Recipient.objects.filter(user=user, message__kind=Message.Kind.QUESTION,
                                               answered_at__isnull=True)
                      .select_related("message").order_by("-message__created_at", "-pk").first())
            now = clock.now()
            open_r = latest if latest is not None and latest.message.is_open(now) else None
        if open_r is not None:
            inbound.recipient = open_r
            report, checkin, reply = _land_answer(user=user, recipient=open_r, text=text, channel=channel, key=key,
                                                  sender=sender)
            inbound.report_id = report.pk if report else None
            inbound.checkin_id = checkin.pk if checkin else None
            status = "answer"
        else:
            if channel == ChannelKind.SMS and user is None:
                report, _ = sms_receive(message_id=f"{channel}-{inbound.provider_message_id}", sender=sender,
                                        text=text)
            else:
                report = _report_from_text(actor=user, channel=channel, key=key, sender=sender, text=text)
            inbound.report_id = report.pk
            prefix = ""
            if latest is not None:
                status = "closed_question"
                prefix = (f"Pertanyaan #{latest.message_id} sudah ditutup; pesan Anda disimpan sebagai laporan "
                          "biasa. ")
            elif user is None:
                status = "unknown_sender"
                prefix = "Pengirim belum terdaftar sebagai petugas; pesan diterima sebagai laporan umum. "
                if channel == ChannelKind.TELEGRAM:  # the officer gives this id to the operator to register
                    prefix += f"(ID chat Telegram Anda: {sender}.) "
            else:
                status = "report"
            reply = _report_reply(report, prefix=prefix)
    inbound.status = status[:32]
    inbound.reply = reply
    inbound.save(update_fields=["user", "status", "reply", "recipient", "report_id", "checkin_id"])
    _queue_reply(inbound, reply)


# --------------------------------------------------------------------------- outbox and status callbacks

def outbox_dispatch(*, now: dt.datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Send the due outbox rows once each: claim them (a lease, so a parallel tick skips them), send outside any
    transaction, then record the result. A failure is retried with back-off up to MAX_ATTEMPTS."""
    now = now or clock.now()
    if clock.current_exercise() is not None:
        # an exercise never reaches real phones: its outbox rows are closed with the reason, none is sent
        n = Outbox.objects.filter(status=Outbox.Status.QUEUED).update(
            status=Outbox.Status.FAILED, next_attempt_at=None,
            error="Latihan: tidak dikirim ke penyedia (pesan latihan hanya di aplikasi).")
        return {"sent": 0, "retry": 0, "failed": n}
    with transaction.atomic():
        rows = list(Outbox.objects.select_for_update(skip_locked=True)
                    .filter(status=Outbox.Status.QUEUED, next_attempt_at__lte=now)
                    .order_by("next_attempt_at", "pk")[:limit])
        ids = [r.pk for r in rows]
        Outbox.objects.filter(pk__in=ids).update(next_attempt_at=now + LEASE)
    counts = {"sent": 0, "retry": 0, "failed": 0}
    for row in rows:
        attempts = row.attempts + 1
        try:
            if row.channel == ChannelKind.WEBPUSH:
                mid = _push_send(row)
            else:
                mid = adapters.ADAPTERS[row.channel].send(row.address, row.text)
        except adapters.SendError as exc:
            final = exc.permanent or attempts >= MAX_ATTEMPTS
            Outbox.objects.filter(pk=row.pk).update(
                attempts=attempts, error=str(exc)[:255],
                status=Outbox.Status.FAILED if final else Outbox.Status.QUEUED,
                next_attempt_at=None if final else now + backoff(attempts))
            counts["failed" if final else "retry"] += 1
            continue
        except KeyError:
            Outbox.objects.filter(pk=row.pk).update(attempts=attempts, status=Outbox.Status.FAILED,
                                                    error="saluran tidak dikenal")
            counts["failed"] += 1
            continue
        Outbox.objects.filter(pk=row.pk).update(attempts=attempts, status=Outbox.Status.SENT,
                                                provider_message_id=mid[:120], sent_at=clock.now(), error="",
                                                next_attempt_at=None)
        counts["sent"] += 1
    return counts


def _push_send(row: Outbox) -> str:
    """Send one Web Push outbox row; a subscription the push service no longer knows (404/410) is deleted."""
    sub = PushSubscription.objects.filter(pk=row.push_subscription_id).first() if row.push_subscription_id else None
    if sub is None:
        raise adapters.SendError("langganan notifikasi sudah dihapus", permanent=True)
    try:
        return webpush.send(endpoint=sub.endpoint, p256dh=sub.p256dh, auth=sub.auth, payload=row.text) or "push"
    except webpush.PushGone as exc:
        with transaction.atomic():
            audit_log(actor=None, action="messaging.push_expired", obj=sub,
                      data={"user": sub.user_id, "status": str(exc)})
            sub.delete()
        raise adapters.SendError(f"langganan notifikasi kedaluwarsa ({exc}); dihapus", permanent=True) from None
    except webpush.PushFailed as exc:
        raise adapters.SendError(str(exc), permanent=exc.permanent) from None


# --------------------------------------------------------------------------- Web Push subscriptions

def _push_keys_ok(value: str, n: int) -> bool:
    import base64
    import binascii

    try:
        return len(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))) == n
    except (ValueError, binascii.Error):
        return False


def push_subscribe(*, actor, endpoint: str, p256dh: str, auth: str, user_agent: str = "") -> PushSubscription:
    """Store the browser's Web Push subscription of `actor` (its own only). The endpoint must pass the outbound
    rules (https, a public address unless allow-listed) now, and is checked again at every send."""
    from sinergi.core import outbound

    if not actor.is_authenticated:
        raise PermissionDenied("Masuk dulu untuk mengaktifkan notifikasi.")
    endpoint, p256dh, auth = (endpoint or "").strip(), (p256dh or "").strip(), (auth or "").strip()
    errors = {}
    if not endpoint or len(endpoint) > 1000:
        errors["endpoint"] = "endpoint langganan wajib diisi (paling panjang 1000 karakter)"
    else:
        try:
            outbound.check_url(endpoint)
        except outbound.OutboundError as exc:
            errors["endpoint"] = str(exc)
    if not _push_keys_ok(p256dh, 65):
        errors["p256dh"] = "kunci p256dh tidak valid (titik P-256 base64url)"
    if not _push_keys_ok(auth, 16):
        errors["auth"] = "kunci auth tidak valid (16 bita base64url)"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        existing = PushSubscription.objects.select_for_update().filter(endpoint=endpoint).first()
        if existing is not None and existing.user_id != actor.pk:
            # the same browser now used by another person: the subscription moves to them
            audit_log(actor=actor, action="messaging.push_unsubscribe", obj=existing,
                      data={"user": existing.user_id, "reason": "pindah pengguna"})
            existing.delete()
            existing = None
        if existing is not None:
            PushSubscription.objects.filter(pk=existing.pk).update(p256dh=p256dh, auth=auth,
                                                                   user_agent=user_agent[:200])
            existing.refresh_from_db()
            return existing
        sub = PushSubscription.objects.create(user=actor, endpoint=endpoint, p256dh=p256dh, auth=auth,
                                              user_agent=user_agent[:200], created_at=clock.now())
        audit_log(actor=actor, action="messaging.push_subscribe", obj=sub,
                  data={"user": actor.pk, "host": endpoint.split("/")[2] if "//" in endpoint else ""})
    return sub


def may_manage_push(actor, sub: PushSubscription) -> bool:
    return bool(actor.is_authenticated and (sub.user_id == actor.pk or is_global(actor)))


@transaction.atomic
def push_unsubscribe(*, actor, subscription: PushSubscription) -> None:
    """Switch a subscription off: its owner or an admin."""
    if not may_manage_push(actor, subscription):
        raise PermissionDenied("Anda tidak berwenang menghapus langganan notifikasi ini.")
    audit_log(actor=actor, action="messaging.push_unsubscribe", obj=subscription,
              data={"user": subscription.user_id})
    subscription.delete()


def status_update(*, channel: str, item: adapters.StatusItem) -> bool:
    """A provider's status callback: moves the outbox row (and its recipient) forward, never back; a failure
    after delivery is ignored. Unknown ids are ignored (False)."""
    row = Outbox.objects.filter(channel=channel, provider_message_id=item.provider_message_id[:120]).first()
    if row is None:
        return False
    now = clock.now()
    new = item.status
    with transaction.atomic():
        if new == "failed":
            if row.status in (Outbox.Status.QUEUED, Outbox.Status.SENT):
                Outbox.objects.filter(pk=row.pk).update(status=Outbox.Status.FAILED,
                                                        error=(item.error or "gagal menurut penyedia")[:255])
            return True
        if new not in ORDER or ORDER.get(row.status, 99) >= ORDER[new] and row.status != Outbox.Status.FAILED:
            return True
        fields = {"status": new}
        if new in ("delivered", "read"):
            fields["delivered_at"] = row.delivered_at or now
        if new == "read":
            fields["read_at"] = now
        Outbox.objects.filter(pk=row.pk).update(**fields)
        if row.recipient_id:
            if "delivered_at" in fields:
                Recipient.objects.filter(pk=row.recipient_id, delivered_at__isnull=True).update(delivered_at=now)
            if new == "read":
                Recipient.objects.filter(pk=row.recipient_id, read_at__isnull=True).update(read_at=now)
            recipient = Recipient.objects.select_related("message").get(pk=row.recipient_id)
            created_by = recipient.message.created_by_id
            transaction.on_commit(lambda: group_send(GROUP, "msg.event", kind="status",
                                                     message=recipient.message_id, users=[created_by]))
    return True
