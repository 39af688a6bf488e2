"""The check-in cache across processes (issue 15, item 16): a unit's revoked jurisdiction takes effect at once in
another process that has the grant cached, not after the cache's TTL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from sinergi.accounts.choices import Role
from tests import factories
from tests.operations.factories import build_ops_world

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
from django.conf import settings
settings.DATABASES["default"]["NAME"] = os.environ["CHILD_DB_NAME"]
import django
django.setup()
from sinergi.accounts.models import User
from sinergi.operations.scope import checkin_grant
print("ready", flush=True)
for line in sys.stdin:
    uid, district = line.split()
    user = User.objects.select_related("unit", "unit__agency").get(pk=int(uid))
    ok, scope = checkin_grant(user)
    print(ok and scope.covers(district), flush=True)
"""


@pytest.fixture
def audit_flushable_here(django_db_setup, django_db_blocker):
    """On SQLite the flush after a transactional test DELETEs audit rows, which the append-only trigger refuses:
    drop it for this test and put it back right after the flush (set up before transactional_db, so torn down
    after it). PostgreSQL flushes with TRUNCATE."""
    import importlib

    if connection.vendor != "sqlite":
        yield
        return
    triggers = importlib.import_module("sinergi.core.migrations.0002_audit_append_only_triggers")
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_delete;")
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(triggers.SQLITE[1])


def test_revoked_jurisdiction_is_seen_at_once_by_another_process(audit_flushable_here, transactional_db,
                                                                  make_user):
    ow = build_ops_world()
    officer = make_user(unit=ow.kodim_a, role=Role.OPERATOR)
    env = dict(os.environ, PYTHONPATH=str(ROOT), CHILD_DB_NAME=str(connection.settings_dict["NAME"]),
               SINERGI_CACHE_DIR=settings.CACHES["default"]["LOCATION"])
    child = subprocess.Popen([sys.executable, "-c", CHILD], env=env, cwd=str(ROOT), stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready", child.stderr.read()[-2000:]

        def ask() -> str:
            child.stdin.write(f"{officer.pk} 99.71.01\n")
            child.stdin.flush()
            return child.stdout.readline().strip()

        assert ask() == "True"  # cached in the child now
        assert ask() == "True"
        # revoked here (another process): the Kodim no longer covers Kota Uji
        ow.kodim_a.jurisdiction.set([factories.region("99.72")])
        assert ask() == "False"
    finally:
        child.stdin.close()
        child.terminate()
        child.wait(timeout=10)
