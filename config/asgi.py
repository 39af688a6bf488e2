"""ASGI entry point (`sinergi up`, `sinergi serve`): Django for HTTP behind the intake fast lane, Channels for the
situation room's WebSocket."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (after Django is set up)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from sinergi.core.asgi_threads import SyncThreads  # noqa: E402
from sinergi.core.metrics import count_websockets  # noqa: E402
from sinergi.incidents import lane  # noqa: E402
from sinergi.incidents.routing import websocket_urlpatterns as incident_ws  # noqa: E402
from sinergi.messaging.routing import websocket_urlpatterns as msg_ws  # noqa: E402
from sinergi.operations.routing import websocket_urlpatterns as ops_ws  # noqa: E402

application = ProtocolTypeRouter({
    # The intake fast lane (docs/adr/0003): plain token POSTs of one report go to the one intake service through
    # the group-commit writer without Django's request machinery; every other request goes to Django.
    # Django's sync code on long-lived threads (with their database connections), not a new one per request.
    "http": SyncThreads(lane.asgi(django_asgi_app)),
    "websocket": count_websockets(AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter([*incident_ws, *ops_ws, *msg_ws])))),
})
