"""API v1 router. Each app's `api` module registers its viewsets through `register(router)`."""

from importlib import import_module

from rest_framework.routers import DefaultRouter

router = DefaultRouter()

API_MODULES = [
    "sinergi.accounts.api",
    "sinergi.regions.api",
    "sinergi.elections.api",
    "sinergi.elections.api_import",
    "sinergi.core.api",
    "sinergi.risk.api",
    "sinergi.deployment.api",
    "sinergi.incidents.api",
    "sinergi.coordination.api",
    "sinergi.operations.api",
    "sinergi.logistics.api",
    "sinergi.reports.api",
    "sinergi.personnel.api",
    "sinergi.messaging.api",
]

for _name in API_MODULES:
    try:
        _module = import_module(_name)
    except ModuleNotFoundError as exc:  # an app without an API module yet
        if exc.name != _name:
            raise
        continue
    _module.register(router)
