"""Every write through the Django admin is an audit event, like every write through a service.

The admin records its own LogEntry rows (not chained, editable by anyone with database access). Each
registered ModelAdmin — ours and third-party ones (OTP devices, lockouts, tasks) — is wrapped at start-up so
that additions, changes and deletions also append `admin.add` / `admin.change` / `admin.delete` events to
the audit chain, in the admin's own transaction.
"""

from __future__ import annotations

import functools

from .services import audit_log


def _label(obj) -> str:
    return obj._meta.label_lower


def _wrap_one(admin_obj, name: str, action: str) -> None:
    original = getattr(admin_obj, name)
    if getattr(original, "_sinergi_audited", False):
        return

    if name == "log_deletions":
        @functools.wraps(original)
        def wrapped(request, queryset):
            objects = list(queryset)
            for obj in objects:
                audit_log(actor=request.user, action=action, obj=obj, data={"via": "admin", "repr": str(obj)[:200]})
            return original(request, queryset)
    else:
        @functools.wraps(original)
        def wrapped(request, obj, message, *args, **kwargs):
            audit_log(actor=request.user, action=action, obj=obj,
                      data={"via": "admin", "repr": str(obj)[:200], "change": _message(message)})
            return original(request, obj, message, *args, **kwargs)

    wrapped._sinergi_audited = True  # type: ignore[attr-defined]
    setattr(admin_obj, name, wrapped)


def _message(message) -> list | str:
    """The admin's change message names the changed fields (never their values)."""
    if isinstance(message, list):
        out = []
        for part in message:
            if isinstance(part, dict):
                out.append({k: v.get("fields", v.get("name")) if isinstance(v, dict) else v
                            for k, v in part.items()})
        return out
    return str(message)[:300]


def install(site) -> None:
    for admin_obj in site._registry.values():
        _wrap_one(admin_obj, "log_addition", "admin.add")
        _wrap_one(admin_obj, "log_change", "admin.change")
        _wrap_one(admin_obj, "log_deletions", "admin.delete")
