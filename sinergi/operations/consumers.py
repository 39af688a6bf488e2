"""WebSocket for the command dashboard: signed-in users join the "ops" group and get a tiny event
({"kind": "checkin"|"alert"|"escort", ...}) whenever something changes; the page then reloads its scoped JSON, so no
record content (and no scoping decision) travels over the socket itself."""

from __future__ import annotations

from sinergi.core.live import SignedInGroupConsumer

from .live import GROUP


class OpsFeedConsumer(SignedInGroupConsumer):
    group = GROUP

    async def ops_event(self, event):
        await self.relay(event)
