"""Calling a service from an API view: Django's PermissionDenied / ValidationError become DRF's 403 / 400."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.views import exception_handler as drf_exception_handler


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


def exception_handler(exc, context):
    """REST_FRAMEWORK EXCEPTION_HANDLER: a Django ValidationError raised by a selector or a filter (bad query
    parameter) is a 400 naming the field, like a serializer's, instead of a 500."""
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(getattr(exc, "message_dict", None) or {"detail": exc.messages})
    return drf_exception_handler(exc, context)
