"""WebSocket of the officer's inbox (/ws/pesan/): a signed-in user joins the "pesan" group and gets an event
only when it names them (`users`); the page then reloads its inbox through the normal view."""

from __future__ import annotations

from sinergi.core.live import ScopedFeedConsumer


class InboxConsumer(ScopedFeedConsumer):
    group = "pesan"

    def prepare(self, user):
        return user.pk

    def decide(self, prepared, event):
        users = event.get("users")
        if isinstance(users, list) and prepared in users:
            return {"kind": event.get("kind"), "message": event.get("message")}
        return None

    async def msg_event(self, event):
        await self.relay(event)
