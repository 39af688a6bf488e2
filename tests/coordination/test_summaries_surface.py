"""The counts a coordination document quotes from other apps: a database error is an error, not "no data"
(issue 12: `_count_by` used to turn any DatabaseError into None, the same as an empty count)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError

from sinergi.coordination.documents import _count_by
from sinergi.incidents.models import Incident


def test_an_empty_count_is_none(db):
    assert _count_by(Incident.objects.none(), ("status",)) is None


def test_a_database_error_while_counting_is_raised(db):
    broken = Incident.objects.extra(where=["no_such_column = 1"])
    with pytest.raises(DatabaseError):
        _count_by(broken, ("status",))
