"""WebSocket for the situation room: signed-in users join the "incidents" group and get a small event
({"incident": id} or {"report": id}) whenever something changes; the page then reloads its scoped feed,
so no incident data (and no scoping decision) travels over the socket itself."""

from __future__ import annotations

from channels.generic.websocket import AsyncJsonWebsocketConsumer

GROUP = "incidents"


class IncidentFeedConsumer(AsyncJsonWebsocketConsumer):
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

    async def incident_event(self, event):
        await self.send_json({k: v for k, v in event.items() if k != "type"})
