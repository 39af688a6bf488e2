"""The permission matrix moved to sinergi.core.permissions (every layer asks it); this path re-exports it."""

from sinergi.core.permissions import (  # noqa: F401
    ACTION_ROLES,
    AGENCY_LIMITS,
    MATRIX,
    has_perm,
    require_perm,
)
