"""Shared fixtures.

`ntt_dataset` loads the full NTT default dataset (national regions + NTT TPS, units, election) once per
test session into the test database; tests run in transactions on top of it and roll back.
Browser tests (marker `browser`) run last because live_server flushes the database afterwards.
"""

from __future__ import annotations

import pytest

from tests.factories import UserFactory

PASSWORD = "Rahasia-Kuat-123"


def pytest_collection_modifyitems(config, items):
    # Browser tests use transactional_db/live_server, which flush the tables at teardown: run them last.
    items.sort(key=lambda item: 1 if item.get_closest_marker("browser") else 0)


@pytest.fixture(scope="session")
def _ntt_session(django_db_setup, django_db_blocker):
    from sinergi.regions.loaders import load_default_dataset

    with django_db_blocker.unblock():
        load_default_dataset(actor=None)
    return True


@pytest.fixture
def ntt_dataset(_ntt_session, db):
    """The NTT default dataset. If a test loaded it inside its own (rolled-back) transaction, load it again."""
    from sinergi.elections.models import PollingStation
    from sinergi.regions.loaders import load_default_dataset

    if not PollingStation.objects.exists():
        load_default_dataset(actor=None)
    return True


@pytest.fixture
def make_user(db):
    def _make(*, unit=None, role="operator", **kw):
        return UserFactory(unit=unit, role=role, **kw)

    return _make


@pytest.fixture
def password():
    return PASSWORD
