"""WebSocket routes of messaging; config/asgi.py includes them."""

from django.urls import path

from .consumers import InboxConsumer

websocket_urlpatterns = [
    path("ws/pesan/", InboxConsumer.as_asgi()),
]
