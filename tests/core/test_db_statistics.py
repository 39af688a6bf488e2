"""The planner's statistics on the embedded database (sinergi.core.db.statistics) and the queries compiled once
(sinergi.core.prepared) that the check-in path runs on every request."""

from __future__ import annotations

import pytest
from django.db import connection

from sinergi.core import prepared
from sinergi.core.db import statistics
from sinergi.elections.models import PollingStation
from tests.operations.factories import TPS_A
from tests.operations.test_operations import ow  # noqa: F401 - the ops world fixture

pytestmark = pytest.mark.django_db


def _plan(sql: str, params: list) -> str:
    with connection.cursor() as cur:
        cur.execute("EXPLAIN QUERY PLAN " + sql, params)
        return " ".join(str(r[-1]) for r in cur.fetchall())


def test_statistics_make_the_tps_lookup_use_the_code_index(ow):  # noqa: F811
    if connection.vendor != "sqlite":
        assert statistics.refresh() == ""  # PostgreSQL keeps its own (autovacuum)
        return
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS sqlite_stat1")
    sql, params = (PollingStation.objects.filter(election=ow.election, code=TPS_A).values_list("id")
                   .query.sql_with_params())
    assert statistics.refresh() == "analyze"
    assert "code" in _plan(sql, list(params))
    assert statistics.refresh() == "optimize"  # statistics there: only what changed much is analysed again


def test_prepared_rows_equal_the_orm_and_refuse_an_ambiguous_argument(ow):  # noqa: F811
    def build(election, code):
        return PollingStation.objects.filter(election_id=election, code=code).values_list("id", "code")

    tps = PollingStation.objects.get(code=TPS_A)
    for _ in range(2):  # compiled on the first call, reused on the second
        assert prepared.rows("test_tps", build, election=ow.election.pk, code=TPS_A) == [(tps.pk, TPS_A)]
    assert prepared.rows("test_tps", build, election=ow.election.pk, code="99.99.99.9999-999") == []
    with pytest.raises(ValueError, match="appears 2 times"):
        prepared.rows("test_twice", lambda a: PollingStation.objects.filter(id=a, election_id=a), a=3)
    with pytest.raises(TypeError):
        prepared.rows("test_tps", build, election=None, code=TPS_A)
