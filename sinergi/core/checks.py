"""Start-up checks of the settings whose type alone does not make them right (config/settings/base.py).

A value that does not even cast (an int that is not a number) already stops start-up in the settings module;
these checks refuse values of the right type that Sinergi cannot use. They run before every management command
(`sinergi up`, `serve`, `worker`, `migrate`, `check`), so a wrong value stops the process with the setting's name.
"""

from __future__ import annotations

import ipaddress
import re

from django.conf import settings
from django.core.checks import Error, register

_HHMM = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d$")

#: setting -> smallest value allowed
_MINIMUM = {
    "SINERGI_UPLOAD_MAX_BYTES": 1, "SINERGI_UPLOAD_MAX_ROWS": 1, "SINERGI_UPLOAD_MAX_COLUMNS": 1,
    "SINERGI_JSON_MAX_DEPTH": 1, "SINERGI_OUTBOUND_MAX_RESPONSE_BYTES": 1,
    "SINERGI_API_TOKEN_DAYS": 0, "SINERGI_API_TOKEN_TOUCH_SECONDS": 0, "SINERGI_PUBLIC_REPORTS_PER_HOUR": 0,
    "SINERGI_INCIDENT_GROUP_WRITERS": 1, "RISK_RECOMPUTE_DELAY_S": 0, "SINERGI_OPS_CACHE_TTL": 0,
    "SINERGI_TASK_LEASE_S": 1, "SINERGI_TASK_HEARTBEAT_S": 0.1, "SINERGI_TASK_MAX_ATTEMPTS": 1,
    "SINERGI_LOGISTICS_TOLERANCE_MIN": 0, "SINERGI_LOGISTICS_DEADLINE_DAYS_BEFORE": 0,
    "SINERGI_LOGISTICS_ALERT_HORIZON_H": 1,
}


def _error(setting: str, value, why: str) -> Error:
    return Error(f"{setting}={value!r}: {why}", hint="Fix the environment variable of the same name.",
                 id="sinergi.E001", obj=setting)


@register()
def settings_check(app_configs=None, **kwargs) -> list[Error]:
    from .roles import Role

    errors: list[Error] = []
    for name, low in _MINIMUM.items():
        value = getattr(settings, name)
        if not isinstance(value, (int, float)) or value < low:
            errors.append(_error(name, value, f"must be a number of at least {low}"))
    if settings.SINERGI_INCIDENT_PROCESSING not in ("inline", "deferred"):
        errors.append(_error("SINERGI_INCIDENT_PROCESSING", settings.SINERGI_INCIDENT_PROCESSING,
                             'must be "inline" or "deferred"'))
    for name in ("SINERGI_SITREP_TIME", "SINERGI_LOGISTICS_DEADLINE_TIME"):
        if not _HHMM.match(str(getattr(settings, name))):
            errors.append(_error(name, getattr(settings, name), "must be a local time HH:MM"))
    unknown = set(settings.SINERGI_OTP_REQUIRED_ROLES) - set(Role.values)
    if unknown:
        errors.append(_error("SINERGI_OTP_REQUIRED_ROLES", settings.SINERGI_OTP_REQUIRED_ROLES,
                             f"unknown roles {sorted(unknown)}; known: {sorted(Role.values)}"))
    for name in ("SINERGI_TRUSTED_PROXIES", "SINERGI_METRICS_ALLOWED_IPS"):
        for net in getattr(settings, name) or []:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError:
                errors.append(_error(name, net, "is not an IP address or CIDR network"))
    if not re.fullmatch(r"\d{2}", str(settings.SINERGI_TRIAGE_HOME_PROVINCE)):
        errors.append(_error("SINERGI_TRIAGE_HOME_PROVINCE", settings.SINERGI_TRIAGE_HOME_PROVINCE,
                             "must be a two-digit province code (BPS), e.g. 53"))
    if settings.SINERGI_LOG_FORMAT not in ("text", "json"):
        errors.append(_error("SINERGI_LOG_FORMAT", settings.SINERGI_LOG_FORMAT, 'must be "text" or "json"'))
    return errors
