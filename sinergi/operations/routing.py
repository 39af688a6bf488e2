"""WebSocket routes of election-day operations; config/asgi.py includes them."""

websocket_urlpatterns: list = []
