"""A failing part of the command dashboard is an error, not a silently empty panel (issue 12: no silent guards).

The escorts panel used to be wrapped in `except Exception: return None`, so a broken escort read showed an empty
panel and nobody learnt of it."""

from __future__ import annotations

import pytest

from sinergi.accounts.choices import Role
from sinergi.core import providers
from tests.operations.factories import build_ops_world


def test_a_failing_escort_panel_surfaces_instead_of_showing_nothing(db, client, make_user):
    ow = build_ops_world()
    client.force_login(make_user(unit=ow.polda, role=Role.ANALYST))
    assert client.get("/operasi/data/?at=2024-11-27T08:00").status_code == 200

    def broken(user, **kwargs):
        raise RuntimeError("escort read failed")

    shipped = providers.provider("logistics.escort_summary")
    providers.provide("logistics.escort_summary", broken)
    try:
        with pytest.raises(RuntimeError, match="escort read failed"):
            client.get("/operasi/data/?at=2024-11-27T08:00")
    finally:
        providers.provide("logistics.escort_summary", shipped)
