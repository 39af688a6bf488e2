"""Shared fixtures.

`ntt_dataset` loads the full NTT default dataset (national regions + NTT TPS, units, election) once per
test session into the test database; tests run in transactions on top of it and roll back.
Browser tests (marker `browser`) run last because live_server flushes the database afterwards.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.factories import UserFactory

PASSWORD = "Rahasia-Kuat-123"


def pytest_collection_modifyitems(config, items):
    # Browser tests use transactional_db/live_server, which flush the tables at teardown: run them last.
    # Tests marked `flushes` (transactional_db, e.g. exercise databases copied from the test database) too.
    items.sort(key=lambda item: 1 if item.get_closest_marker("browser") or item.get_closest_marker("flushes") else 0)


#: tests that start `sinergi up` in a subprocess: its server runs on its own embedded SQLite whatever the suite's
#: database, so the PostgreSQL run would repeat the SQLite run's test exactly
UP_SERVER_ON_SQLITE_ONLY = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="`sinergi up` runs on its own embedded SQLite whatever the suite's database: run once, in the SQLite run")


@pytest.fixture(scope="session")
def up_prepared(tmp_path_factory):
    """One `sinergi up --no-serve` (migrate, NTT dataset, risk, logistics, static files, admin; about 100 s) for
    every test module that starts a server: each copies it with `up_copy` instead of preparing its own."""
    from types import SimpleNamespace

    from sinergi.core.upserver import UpServer

    base = tmp_path_factory.mktemp("up-prepared") / "data"
    return SimpleNamespace(path=base, stdout=UpServer(base).prepare())


def up_copy(prepared, dest: Path) -> Path:
    """A data folder of its own, prepared: a copy of `up_prepared` (without the template's log and lock files)."""
    import shutil

    shutil.copytree(prepared.path, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.lock", "server.log"))
    return dest


@pytest.fixture(scope="session")
def _ntt_session(django_db_setup, django_db_blocker):
    from sinergi.elections.dataset import load_default_dataset

    with django_db_blocker.unblock():
        load_default_dataset(actor=None)
    return True


@pytest.fixture
def ntt_dataset(_ntt_session, db):
    """The NTT default dataset. If a test loaded it inside its own (rolled-back) transaction, load it again."""
    from sinergi.elections.dataset import load_default_dataset
    from sinergi.elections.models import PollingStation

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


CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def audit_rows_flushable(django_db_setup, django_db_blocker):
    """Let live_server's teardown flush on SQLite.

    The flush empties tables with DELETE on SQLite, which the audit table's append-only trigger refuses once
    any earlier test (e.g. the session dataset load) has written an audit event. PostgreSQL flushes with
    TRUNCATE, which the row trigger does not see. Browser tests run last, so the trigger is dropped only
    for them and put back at the end of the session.
    """
    import importlib

    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    triggers = importlib.import_module("sinergi.core.migrations.0002_audit_append_only_triggers")
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_delete;")
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(triggers.SQLITE[1])


@pytest.fixture(autouse=True)
def _own_audit_checkpoint_file(settings, tmp_path):
    """Signed audit checkpoints (written with every situation report) go to a file outside the database; each
    test gets its own, since the database rolls back between tests and the file would not."""
    settings.SINERGI_AUDIT_CHECKPOINT_FILE = str(tmp_path / "audit_checkpoints.jsonl")


@pytest.fixture(autouse=True)
def _browser_tests_can_flush(request):
    if request.node.get_closest_marker("browser") or request.node.get_closest_marker("flushes"):
        request.getfixturevalue("audit_rows_flushable")


@pytest.fixture
def chromium():
    """Debian's Chromium driven by Playwright (`playwright install` cannot download browsers here)."""
    if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
        pytest.skip(f"{CHROMIUM} is not installed (the test always runs in CI)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()
