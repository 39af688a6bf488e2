"""Live-update plumbing shared by the situation room (incidents) and the command dashboard (operations).

A service announces a change with `group_send(group, type, **data)`: a tiny event on a Channels group (ids, kinds
and the units/areas concerned, never record content). `ScopedFeedConsumer` lets signed-in users join that group
when they pass the same second factor as pages, and relays an event only when the user may read the record it
names: each app's consumer computes the user's read scope with its own selectors (the ones its pages use) at
connect and every `refresh` seconds, and checks the scope fields the sender put on each event (the units a record
belongs to, the TPS's district) against it without touching the database; events without them are checked with
the selectors (`visible`), in one query per batch of events arriving within `batch_delay`. The page then reloads its scoped data through the normal
views. Best-effort: pages fall back to polling (and say so), and a failing channel layer never fails the write
that triggered the event. Clients may send {"type": "ping"}; the server answers {"type": "pong"} (heartbeat).

The channel layer is shared by every process of the install (web server, worker, incident processor, tick):
Redis when REDIS_URL is set, else `sinergi.core.live_layer.SQLiteFanoutChannelLayer` (docs/adr/0030).
"""

from __future__ import annotations

import asyncio
import logging
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

log = logging.getLogger(__name__)
#: the session flag of a user who entered an exercise (set by sinergi.exercises)
EXERCISE_SESSION_KEY = "sinergi_latihan"


def exercise_group(group: str, exercise_id) -> str:
    """The group of `group` inside an exercise: exercise events never reach the real operation's pages."""
    return f"latihan-{int(exercise_id)}.{group}" if exercise_id else group

#: close codes: not signed in / second factor missing or not allowed to read the feed
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


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


def second_factor_ok(user, session) -> bool:
    """The check pages make (sinergi.accounts.otp.OTPRequiredMiddleware): a user of a role that needs the second
    factor must have verified a confirmed device of their own in this session."""
    from sinergi.core.permissions import otp_required_for

    if not otp_required_for(user):
        return True
    if session is None:
        return False
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.models import Device

    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    device = Device.from_persistent_id(persistent_id) if persistent_id else None
    return bool(device is not None and device.user_id == user.pk and device.confirmed)


class ScopedFeedConsumer(AsyncJsonWebsocketConsumer):
    """Joins `group` for signed-in users who passed the second factor and may read the feed (`may_connect`);
    relays each event whose record `visible` says the user may read. Anonymous: closed with 4401; second factor
    missing or no permission: 4403."""

    group = ""
    batch_delay = 0.05
    refresh = 60.0

    async def connect(self):
        # Refusals accept first and then close with a code, so the page learns why (a refused handshake only
        # shows as 1006) and stops reconnecting.
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        allowed = await database_sync_to_async(self._allowed)(user, self.scope.get("session"))
        if not allowed:
            await self.accept()
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.user = user
        self._prepared = await database_sync_to_async(self.prepare)(user)
        self._prepared_at = time.monotonic()
        self._pending: list[dict] = []
        self._flusher: asyncio.Task | None = None
        try:  # the session was loaded when the user was (AuthMiddlewareStack): no database access here
            exercise_id = self.scope["session"].get(EXERCISE_SESSION_KEY)
        except (KeyError, AttributeError):  # no session in the scope: not in an exercise
            exercise_id = None
        self.group = exercise_group(type(self).group, exercise_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    def _allowed(self, user, session) -> bool:
        return second_factor_ok(user, session) and self.may_connect(user)

    def may_connect(self, user) -> bool:
        return True

    def prepare(self, user):
        """What `decide` needs to know about the user's read scope (computed with the app's selectors at connect
        and again every `refresh` seconds, so a changed role or unit is seen within that time)."""
        return None

    def decide(self, prepared, event: dict):
        """Decide from the scope fields the sender put on the event (units, district): the event to send, None to
        drop it, or ... (Ellipsis) when only the database can tell (then `visible` decides)."""
        return ...

    def visible(self, user, events: list[dict]) -> list[dict]:
        """The events (dicts without "type") the user may receive, read with the app's selectors. Deny by default."""
        return []

    async def disconnect(self, code):
        if self.channel_layer is not None and hasattr(self, "user"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
        flusher = getattr(self, "_flusher", None)
        if flusher is not None:
            flusher.cancel()

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def relay(self, event):
        self._pending.append({k: v for k, v in event.items() if k != "type"})
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())

    async def _flush(self):
        await asyncio.sleep(self.batch_delay)
        while self._pending:
            events, self._pending = self._pending, []
            if time.monotonic() - self._prepared_at > self.refresh:
                self._prepared = await database_sync_to_async(self.prepare)(self.user)
                self._prepared_at = time.monotonic()
            allowed, ask = [], []
            for e in events:
                verdict = self.decide(self._prepared, e)
                if verdict is ...:
                    ask.append(e)
                elif verdict:
                    allowed.append(verdict)
            if ask:
                try:
                    allowed += await database_sync_to_async(self.visible)(self.user, ask)
                except Exception:  # a failed check sends nothing (the page still polls)
                    log.warning("live scope check failed", exc_info=True)
            for e in allowed:
                await self.send_json({"type": "event", **e})
