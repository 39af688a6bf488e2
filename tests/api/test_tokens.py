"""API tokens are hashed at rest, expire, record their last use, and are not listed by the admin."""

from __future__ import annotations

import datetime as dt
import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from sinergi.accounts.models import ApiToken
from sinergi.api.services import token_issue, token_revoke
from tests.factories import api_token

pytestmark = pytest.mark.django_db


def _me(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/me/").status_code


def test_key_is_stored_only_as_its_hash(make_user):
    user = make_user(role="operator")
    key = api_token(user)
    assert _me(key) == 200
    row = ApiToken.objects.get(user=user)
    stored = [str(v) for v in ApiToken.objects.filter(user=user).values_list(
        "prefix", "digest", "created_at", "expires_at", "last_used_at").get()]
    assert all(key not in v for v in stored)
    assert row.prefix == key[:8] and len(row.digest) == 64 and row.digest != key


def test_token_endpoint_answers_key_and_expiry(make_user, password, settings):
    settings.SINERGI_API_TOKEN_DAYS = 7
    make_user(role="operator", username="kunci")
    body = APIClient().post("/api/v1/auth/token/", {"username": "kunci", "password": password},
                            format="json").json()
    assert _me(body["token"]) == 200
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert dt.timedelta(days=6, hours=23) < expires - timezone.now() <= dt.timedelta(days=7)


def test_expired_token_is_refused(make_user):
    user = make_user(role="operator")
    key = api_token(user)
    ApiToken.objects.filter(user=user).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert _me(key) == 401


def test_last_use_is_recorded_without_a_write_per_request(make_user, django_assert_num_queries):
    user = make_user(role="operator")
    key = api_token(user)
    assert ApiToken.objects.get(user=user).last_used_at is None
    assert _me(key) == 200
    first = ApiToken.objects.get(user=user).last_used_at
    assert first is not None and timezone.now() - first < dt.timedelta(minutes=1)
    assert _me(key) == 200
    assert ApiToken.objects.get(user=user).last_used_at == first  # within the touch interval: no new write


def test_revoked_tokens_are_refused(make_user):
    user = make_user(role="operator")
    keys = [api_token(user), api_token(user)]
    assert all(_me(k) == 200 for k in keys)
    assert token_revoke(user=user)
    assert all(_me(k) == 401 for k in keys)


def test_issue_returns_the_raw_key_once(make_user):
    user = make_user(role="operator")
    token = token_issue(user=user)
    assert len(token.key) == 40 and ApiToken.objects.get(pk=token.pk).key == ""


def test_plaintext_tokens_of_the_old_table_are_hashed_and_wiped(make_user):
    """The migration keeps keys issued before hashing working, then empties the plaintext table."""
    user = make_user(role="operator")
    old_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp, user_id bigint)")
        cur.execute("INSERT INTO authtoken_token (key, created, user_id) VALUES (%s, %s, %s)",
                    [old_key, timezone.now(), user.pk])
    migration = importlib.import_module("sinergi.accounts.migrations.0002_api_token_hashed")
    migration.hash_old_tokens(apps, SimpleNamespace(connection=connection))
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM authtoken_token")
        assert cur.fetchone()[0] == 0
        cur.execute("DROP TABLE authtoken_token")
    assert _me(old_key) == 200


def test_admin_does_not_list_api_tokens(make_user, client):
    admin = make_user(role="admin", is_staff=True, is_superuser=True)
    api_token(admin)
    client.force_login(admin)
    index = client.get("/admin/").content.decode()
    assert "authtoken" not in index and "apitoken" not in index and "Token" not in index
    assert client.get("/admin/authtoken/tokenproxy/").status_code == 404
    assert client.get("/admin/accounts/apitoken/").status_code == 404


def test_intake_token_cache_sees_revocation_and_deactivation_at_once(make_user, django_assert_num_queries):
    from sinergi.accounts.tokens import users_for_keys

    user = make_user(role="operator")
    key = api_token(user)
    assert users_for_keys([key])[key].pk == user.pk
    with django_assert_num_queries(0):  # looked up a moment ago: from the cache
        assert users_for_keys([key])[key].pk == user.pk
    assert token_revoke(user=user)
    assert users_for_keys([key]) == {}
    other = make_user(role="operator")
    key2 = api_token(other)
    assert users_for_keys([key2])[key2].is_active
    other.is_active = False
    other.save()
    assert not users_for_keys([key2])[key2].is_active  # read again after the save: the intake refuses it


def test_api_requests_read_the_token_once_and_see_a_changed_unit_at_once(make_user):
    """Every API request authenticates through the per-process token cache (no token query on a repeat within a
    few seconds); a change to the user's unit (here: its name) drops the cached token at once."""
    from django.test.utils import CaptureQueriesContext

    from tests import factories

    user = make_user(role="operator", unit=factories.unit())
    key = api_token(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me/").status_code == 200
    with CaptureQueriesContext(connection) as q:
        assert client.get("/api/v1/me/").status_code == 200
    assert not [x for x in q.captured_queries if "accounts_apitoken" in x["sql"]]
    unit = user.unit
    unit.name = "Satuan berganti nama"
    unit.save()
    with CaptureQueriesContext(connection) as q:
        assert client.get("/api/v1/me/").status_code == 200
    assert [x for x in q.captured_queries if "accounts_apitoken" in x["sql"]]  # read again after the change
