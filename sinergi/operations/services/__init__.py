"""Writers of election-day operations records, by capability. Every change is audited.

- `alerts`: raise (idempotent by key), resolve, acknowledge, assign — one or many
- `checkins`: TPS check-ins, one or a batch, the TPS status rows and the missing-check-in alerts they resolve
- `phones`: officers' phones and check-ins by SMS

Callers import from `sinergi.operations.services`; every public name is re-exported here.
"""

from .alerts import (
    MAX_BULK,
    alert_acknowledge,
    alert_raise,
    alert_resolve,
    alert_resolve_many,
    alerts_acknowledge_many,
    alerts_assign,
    alerts_raise_many,
)
from .checkins import (
    FUTURE_TOLERANCE,
    KIND_VALUES,
    MAX_BATCH,
    STATUS_FIELDS,
    BatchResult,
    CheckInInput,
    checkin_submit,
    checkin_submit_batch,
    missing_key,
)
from .phones import (
    checkin_sms_receive,
    normalize_phone,
    officer_phone_set,
)

__all__ = [
    "BatchResult",
    "CheckInInput",
    "FUTURE_TOLERANCE",
    "KIND_VALUES",
    "MAX_BATCH",
    "MAX_BULK",
    "STATUS_FIELDS",
    "alert_acknowledge",
    "alert_raise",
    "alert_resolve",
    "alert_resolve_many",
    "alerts_acknowledge_many",
    "alerts_assign",
    "alerts_raise_many",
    "checkin_sms_receive",
    "checkin_submit",
    "checkin_submit_batch",
    "missing_key",
    "normalize_phone",
    "officer_phone_set",
]
