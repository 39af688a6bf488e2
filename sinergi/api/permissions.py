"""DRF permission classes now live in sinergi.core.api_permissions (below the apps that use them)."""

from sinergi.core.api_permissions import HasAction  # noqa: F401
