"""WebSocket routes of the incident app; config/asgi.py includes them (see docs/incidents.md)."""

from django.urls import path

from .consumers import IncidentFeedConsumer

websocket_urlpatterns = [
    path("ws/insiden/", IncidentFeedConsumer.as_asgi()),
]
