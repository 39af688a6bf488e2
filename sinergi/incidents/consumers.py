"""WebSocket for the situation room: signed-in users join the "incidents" group and get a small event
({"incident": id} or {"report": id}) whenever something changes; the page then reloads its scoped feed,
so no incident data (and no scoping decision) travels over the socket itself."""

from __future__ import annotations

from sinergi.core.live import SignedInGroupConsumer

GROUP = "incidents"


class IncidentFeedConsumer(SignedInGroupConsumer):
    group = GROUP

    async def incident_event(self, event):
        await self.relay(event)
