"""WebSocket routes of election-day operations; config/asgi.py includes them."""

from django.urls import path

from .consumers import OpsFeedConsumer

websocket_urlpatterns = [
    path("ws/operasi/", OpsFeedConsumer.as_asgi()),
]
