"""Officer phones and TPS check-ins by SMS ("CEK <kode TPS> <BUKA|...>", taken by the incidents SMS webhook through
sinergi.core.sms). Every change is audited."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from sinergi.core import clock
from sinergi.core.permissions import has_perm
from sinergi.core.services import audit_log

from .. import stages
from ..models import (
    CheckInChannel,
    CheckInKind,
    CheckInSms,
    OfficerPhone,
)
from .checkins import CheckInInput, checkin_submit

# --------------------------------------------------------------------------- officer phones (SMS check-ins)

def normalize_phone(number: str) -> str:
    """Digits with the country code: 0812-3456-7890, +62 812 3456 7890 -> 6281234567890."""
    digits = "".join(ch for ch in number or "" if ch.isdigit())
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    elif digits.startswith("8"):
        digits = "62" + digits
    return digits


def officer_phone_set(*, actor, user, number: str, active: bool = True) -> OfficerPhone:
    """Register (or re-activate) the phone an officer sends check-in SMS from. The officer themself or an admin /
    operator of a unit above them."""
    from sinergi.accounts.selectors import is_global

    if actor is None or not actor.is_authenticated:
        raise PermissionDenied("masuk dulu")
    if actor.pk != user.pk and not is_global(actor) and not (
            has_perm(actor, "ops.configure") and actor.unit_id and user.unit_id
            and user.unit.is_within(actor.unit)):
        raise PermissionDenied("hanya petugas itu sendiri atau admin")
    digits = normalize_phone(number)
    if not 9 <= len(digits) <= 15:
        raise ValidationError({"number": "nomor HP tidak sah"})
    with transaction.atomic():
        phone = OfficerPhone.objects.select_for_update().filter(number=digits).first()
        if phone is not None and phone.user_id != user.pk and phone.active:
            raise ValidationError({"number": "nomor ini sudah dipakai petugas lain"})
        if phone is None:
            phone = OfficerPhone.objects.create(user=user, number=digits, active=active)
        else:
            phone.user, phone.active = user, active
            phone.save(update_fields=["user", "active"])
        audit_log(actor=actor, action="ops.officer_phone_set", obj=phone,
                  data={"user": user.pk, "number_tail": digits[-4:], "active": active})
    return phone


# --------------------------------------------------------------------------- SMS check-ins

def checkin_sms_receive(*, message_id: str, sender: str, text: str) -> tuple[CheckInSms, str]:
    """Store a check-in SMS (always, even unreadable or refused) and return the reply for the sender. The sender's
    phone must belong to an active officer (OfficerPhone) allowed to check in for the TPS. A retry of the same
    gateway message id gets the first answer."""
    from sinergi.engine.operations import CHECKIN_HELP, parse_checkin_sms

    previous = CheckInSms.objects.filter(message_id=message_id[:100]).first()
    if previous is not None:
        return previous, previous.reply
    parsed = parse_checkin_sms(text)
    phone = (OfficerPhone.objects.filter(number=normalize_phone(sender), active=True, user__is_active=True)
             .select_related("user", "user__unit", "user__unit__agency").first())
    user = phone.user if phone is not None else None
    checkin = None
    if not parsed.ok:
        status = "unparsed"
        reply = f"Laporan TPS belum terbaca ({', '.join(parsed.problems)}). {CHECKIN_HELP}"
    elif user is None:
        status = "unknown_sender"
        reply = "Nomor HP ini belum terdaftar sebagai petugas. Hubungi operator Polres untuk mendaftarkan nomor."
    else:
        try:
            checkin, created = checkin_submit(actor=user, data=CheckInInput(
                key=f"sms:{message_id}"[:100], tps=parsed.tps_code, kind=parsed.kind, note=parsed.note,
                channel=CheckInChannel.SMS))
        except ValidationError as exc:
            status = "rejected"
            reasons = "; ".join(f"{m}" for msgs in getattr(exc, "message_dict", {"": exc.messages}).values()
                                for m in msgs)
            reply = f"Laporan TPS {parsed.tps_code} ditolak: {reasons}"
        except PermissionDenied as exc:
            status = "rejected"
            reply = f"Laporan ditolak: {exc}"
        else:
            status = "accepted" if created else "duplicate"
            local = timezone.localtime(checkin.at, stages.tz_for(checkin.district_code))
            label = CheckInKind(checkin.kind).label
            reply = f"Diterima: TPS {parsed.tps_code} {label} pukul {local:%H:%M} (no. {checkin.pk}). Terima kasih."
            if "out_of_order" in checkin.flags:
                reply += " Catatan: urutan laporan tidak wajar, mohon periksa."
            if "early" in checkin.flags:
                reply += " Catatan: lebih awal dari jadwal, mohon periksa."
    try:
        with transaction.atomic():
            sms = CheckInSms.objects.create(message_id=message_id[:100], sender=sender[:40], text=text or "",
                                            received_at=clock.now(), user=user, checkin=checkin, status=status,
                                            reply=reply[:320])
            audit_log(actor=user, action="ops.checkin_sms", obj=sms,
                      data={"status": status, "checkin": checkin.pk if checkin else None})
    except IntegrityError:
        sms = CheckInSms.objects.get(message_id=message_id[:100])
    return sms, sms.reply
