"""OpenAPI schema class: every operation documents the error statuses the API returns and their body.

Why: clients (and schemathesis) must be able to rely on the schema for failures too. DRF answers
400 (invalid input: {"field": ["message", ...]} or {"detail": ...}), 401 (no or bad credentials), 403 (not
allowed), 404 (not found, out of scope, or a page past the end) and 503 (database briefly unavailable, see
sinergi/core/middleware.py) from any operation; those are added to each
operation that does not document them itself, with one `Error` component describing the body.

A serializer whose answer leaves out some of its fields for some readers (e.g. the summary-only form of a shared
record) lists the fields always present in `schema_always_present`; only those are `required` in its component.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": "Error: `detail` (text or list of texts), or per field a list of messages naming the field.",
    "properties": {"detail": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}},
    "additionalProperties": {},
}
ERRORS = {
    "400": "Invalid input; the body names each field and why.",
    "401": "No credentials or invalid token.",
    "403": "Not allowed for this user.",
    "404": "Not found, outside the caller's scope, or a page past the end.",
    "503": "The database is briefly unavailable; retry after the Retry-After header's seconds.",
}


class AutoSchema(SpectacularAutoSchema):
    def _map_basic_serializer(self, serializer, direction):
        component = super()._map_basic_serializer(serializer, direction)
        always = getattr(serializer, "schema_always_present", None)
        if always is not None and direction == "response" and "required" in component:
            component["required"] = sorted(set(component["required"]) & set(always))
            if not component["required"]:
                del component["required"]
        return component

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        component = ResolvedComponent(name=ERROR_COMPONENT, type=ResolvedComponent.SCHEMA, object=ERROR_COMPONENT,
                                      schema=ERROR_SCHEMA)
        self.registry.register_on_missing(component)
        for code, text in ERRORS.items():
            responses.setdefault(code, {"description": text,
                                        "content": {"application/json": {"schema": component.ref}}})
        return responses
