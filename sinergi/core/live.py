"""Live-update plumbing shared by the situation room (incidents) and the command dashboard (operations).

A service announces a change with `group_send(group, type, **data)`: a tiny event on a Channels group (ids and
kinds, never record content). `SignedInGroupConsumer` lets signed-in users join that group; the page then reloads
its scoped data through the normal views, so no scoping decision travels over the socket. Best-effort: pages also
poll, and a failing channel layer never fails the write that triggered the event.
"""

from __future__ import annotations

import logging

from channels.generic.websocket import AsyncJsonWebsocketConsumer

log = logging.getLogger(__name__)
#: the session flag of a user who entered an exercise (set by sinergi.exercises)
EXERCISE_SESSION_KEY = "sinergi_latihan"


def exercise_group(group: str, exercise_id) -> str:
    """The group of `group` inside an exercise: exercise events never reach the real operation's pages."""
    return f"latihan-{int(exercise_id)}.{group}" if exercise_id else group


def group_send(group: str, event_type: str, **data) -> None:
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from .clock import current_exercise

    exercise = current_exercise()
    group = exercise_group(group, exercise.exercise_id if exercise else None)

    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": event_type, **data})
    except Exception:  # live updates are best-effort
        log.warning("live update to %s failed", group, exc_info=True)


class SignedInGroupConsumer(AsyncJsonWebsocketConsumer):
    """Joins `group` for signed-in users (anonymous: closed with 4401) and relays each event without its type."""

    group = ""

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        try:  # the session was loaded when the user was (AuthMiddlewareStack): no database access here
            exercise_id = self.scope["session"].get(EXERCISE_SESSION_KEY)
        except Exception:
            exercise_id = None
        self.group = exercise_group(type(self).group, exercise_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if self.channel_layer is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def relay(self, event):
        await self.send_json({k: v for k, v in event.items() if k != "type"})
