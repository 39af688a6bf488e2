"""The embedded default's channel layer: a group message sent in one process reaches the group members of another
process through the shared SQLite file (two layer instances stand for the web server and the tick here; the real
processes are covered by tests/core/test_live_server.py)."""

from __future__ import annotations

import asyncio

from sinergi.core.live_layer import SQLiteFanoutChannelLayer


def test_group_send_in_one_process_reaches_members_in_another(tmp_path):
    path = tmp_path / "live.sqlite3"

    async def scenario():
        web = SQLiteFanoutChannelLayer(path=path, poll_interval=0.02)
        tick = SQLiteFanoutChannelLayer(path=path)
        channel = await web.new_channel()
        await web.group_add("ops", channel)
        await tick.group_send("ops", {"type": "ops.event", "kind": "alert", "id": 7})
        await tick.group_send("other", {"type": "ops.event", "kind": "alert", "id": 8})
        got = await asyncio.wait_for(web.receive(channel), 3)
        assert got == {"type": "ops.event", "kind": "alert", "id": 7}
        # local sends are delivered once (not again through the file)
        await web.group_send("ops", {"type": "ops.event", "kind": "checkin", "id": 9})
        assert (await asyncio.wait_for(web.receive(channel), 3))["id"] == 9
        await asyncio.sleep(0.2)
        assert channel not in web.channels or web.channels[channel].empty()  # nothing twice
        await web.flush()

    asyncio.run(scenario())
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_a_member_that_joins_later_does_not_get_old_events(tmp_path):
    path = tmp_path / "live.sqlite3"

    async def scenario():
        tick = SQLiteFanoutChannelLayer(path=path)
        await tick.group_send("ops", {"type": "ops.event", "id": 1})
        web = SQLiteFanoutChannelLayer(path=path, poll_interval=0.02)
        channel = await web.new_channel()
        await web.group_add("ops", channel)
        await tick.group_send("ops", {"type": "ops.event", "id": 2})
        assert (await asyncio.wait_for(web.receive(channel), 3))["id"] == 2
        await web.flush()

    asyncio.run(scenario())
