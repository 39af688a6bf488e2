"""Parsing JSON from the network without server errors: deep nesting and huge bodies become a 400.

Why: `json.loads` of a 100,000-deep `[[[[...` raises RecursionError (not ValueError), which every caller let
through as a 500. `loads` turns that, and anything nested deeper than SINERGI_JSON_MAX_DEPTH (default 64; no
Sinergi payload nests more than a few levels), into ValueError with a message naming the limit. The depth is
measured without recursion. `SafeJSONParser` is DRF's JSON parser on top of it (the default for the API).
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def max_depth() -> int:
    return int(settings.SINERGI_JSON_MAX_DEPTH)


def depth_message() -> str:
    return (f"JSON bersarang lebih dari {max_depth()} tingkat (SINERGI_JSON_MAX_DEPTH) "
            "(JSON nested too deeply).")


def depth(value: Any, limit: int) -> int:
    """Nesting depth of a parsed JSON value (a scalar is 0), counted up to limit + 1."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if deepest > limit:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((c, level + 1) for c in children if isinstance(c, dict | list))
    return deepest


def _no_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")  # NaN / Infinity: strict JSON, as DRF's parser


def loads(data: bytes | str) -> Any:
    """json.loads, with too-deep nesting a ValueError (never RecursionError)."""
    try:
        value = json.loads(data, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError(depth_message()) from None
    if depth(value, max_depth()) > max_depth():
        raise ValueError(depth_message())
    return value


class SafeJSONParser(JSONParser):
    """DRF JSON parser: malformed, too deep or larger than DATA_UPLOAD_MAX_MEMORY_SIZE -> 400 (ParseError)."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if limit else stream.read()
        if limit and len(raw) > limit:
            raise ParseError(f"Isi permintaan lebih dari {limit} byte (DATA_UPLOAD_MAX_MEMORY_SIZE) "
                             "(request body too large).")
        if not raw:
            raise ParseError("JSON parse error - empty body")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return loads(raw.decode(encoding))
        except UnicodeDecodeError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
