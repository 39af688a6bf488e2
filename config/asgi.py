"""ASGI entry point: Django for HTTP, Channels for the situation room's WebSocket."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (after Django is set up)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from sinergi.core.metrics import count_websockets  # noqa: E402
from sinergi.incidents.routing import websocket_urlpatterns as incident_ws  # noqa: E402
from sinergi.messaging.routing import websocket_urlpatterns as msg_ws  # noqa: E402
from sinergi.operations.routing import websocket_urlpatterns as ops_ws  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_asgi_app,
    "websocket": count_websockets(AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter([*incident_ws, *ops_ws, *msg_ws])))),
})
