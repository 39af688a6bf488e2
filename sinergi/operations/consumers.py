"""WebSocket for the command dashboard: signed-in users join the "ops" group and get a tiny event
({"kind": "checkin"|"alert"|"escort", ...}) whenever something changes; the page then reloads its scoped JSON, so no
record content (and no scoping decision) travels over the socket itself."""

from __future__ import annotations

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .live import GROUP


class OpsFeedConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if self.channel_layer is not None:
            await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def ops_event(self, event):
        await self.send_json({k: v for k, v in event.items() if k != "type"})
