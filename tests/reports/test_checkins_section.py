"""The daily report's check-in section counts the period's check-ins (issue 12: no silent guards).

The count used to sit in `except TypeError: period = {}`, so a change of the operations selector's signature would
have left the period empty in every report without an error."""

from __future__ import annotations

from sinergi.accounts.choices import Role
from sinergi.reports import content
from tests.operations.factories import build_ops_world, wita
from tests.operations.test_operations import submit


def test_the_period_counts_the_check_ins_received_in_it(db, make_user):
    ow = build_ops_world()
    officer = make_user(unit=ow.polsek_a, role=Role.OPERATOR)
    submit(officer, key="k-open", kind="opened", at=wita(27, 7, 5))
    reader = make_user(unit=ow.polda, role=Role.ANALYST)
    section = content.checkins_section(reader, ow.election, ow.polda, wita(27, 0), wita(28, 0))
    assert section["available"] is True
    assert section["period"].get("opened") == 1
    before = content.checkins_section(reader, ow.election, ow.polda, wita(26, 0), wita(27, 0))
    assert before["period"].get("opened", 0) == 0
