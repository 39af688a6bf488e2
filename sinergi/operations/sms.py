"""The TPS check-in SMS ("CEK <kode TPS> <BUKA|...>"), registered with sinergi.core.sms at app ready."""

from __future__ import annotations

from sinergi.core import sms
from sinergi.engine.operations import looks_like_checkin


def _handle_checkin(*, message_id: str, sender: str, text: str) -> dict:
    from .services import checkin_sms_receive

    record, reply = checkin_sms_receive(message_id=message_id, sender=sender, text=text)
    return {"checkin_sms": record.pk, "checkin": record.checkin_id, "status": record.status, "reply": reply}


def register() -> None:
    sms.register("operations.checkin", matches=looks_like_checkin, handle=_handle_checkin)
