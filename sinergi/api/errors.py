"""Calling a service from an API view: Django's PermissionDenied / ValidationError become DRF's 403 / 400."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import PermissionDenied, ValidationError


def call_service(fn, *, api_fields: dict[str, str] | None = None, **kwargs):
    """Run fn(**kwargs). A field error names the field (renamed to its API name through `api_fields`); an error
    without a field comes back as {"detail": [...]}."""
    try:
        return fn(**kwargs)
    except DjangoValidationError as exc:
        detail = getattr(exc, "message_dict", None) or {"detail": exc.messages}
        if api_fields:
            detail = {api_fields.get(k, k): v for k, v in detail.items()}
        raise ValidationError(detail) from exc
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
