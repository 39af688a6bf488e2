"""The field forms driven in Chromium, offline then online (issue 16): shared by the browser test
(tests/core/test_field_app.py) and `sinergi bench field` (benchmarks/field.py). No Django import here: the server
runs in its own process (sinergi.core.upserver); SETUP and ORACLE run in its environment through `srv.setup()`.

Each form: open it online once (the service worker keeps it), go offline, open it again (from the worker), type,
check the draft survives a reload, submit, see it waiting in the outbox; back online the outbox sends it and the
server holds exactly one record under its key.
"""

from __future__ import annotations

import json
import time

PASSWORD = "Field-Lapangan-2024!"
USER = "field-officer"

SETUP = r"""
import datetime as dt, json
from django.utils import timezone
from sinergi.accounts.models import Unit
from sinergi.accounts.services import user_create
from sinergi.elections.models import PollingStation, Stage
from sinergi.logistics import services as lg
from sinergi.personnel.models import Officer
from sinergi.elections.selectors import default_election
from sinergi.risk.models import Indicator
unit = Unit.objects.get(code="POLRES-53.71")
u = user_create(actor=None, username=%(user)r, password=%(password)r, unit=unit, role="operator")
Officer.objects.create(kind="polri", identifier="FIELD-0001", name="Petugas Lapangan", rank="Bripda", unit=unit,
                       user=u)
election = default_election()
# the voting day was yesterday: today is in the ballot-box hand-over window (the check-in page has a button)
delta = (timezone.localdate() - dt.timedelta(days=1)) - election.voting_date
election.voting_date += delta
election.save(update_fields=["voting_date"])
for s in Stage.objects.filter(election=election):
    s.start_date += delta
    s.end_date += delta
    s.save(update_fields=["start_date", "end_date"])
m = lg.movement_create(actor=None, election=election, key="field-escort", direction="distribution",
                       origin=lg.node_from_code(election, "warehouse", "53.71", "origin"),
                       dest=lg.node_from_code(election, "ppk", "53.71.01", "dest"),
                       planned_departure=timezone.now() + dt.timedelta(hours=1), escort_unit=unit)
tps = PollingStation.objects.filter(election=election, code__startswith="53.71.").order_by("code").first()
ind = (Indicator.objects.filter(scope="tps", is_active=True, value_type="count").order_by("code").first()
       or Indicator.objects.filter(scope="tps", is_active=True).order_by("code").first())
value = {"yes_no": "ya"}.get(ind.value_type, "1")
print(json.dumps({"movement": m.pk, "tps": tps.code, "indicator": str(ind.pk), "value": value}))
"""

ORACLE = r"""
import json
from sinergi.incidents.models import Report
from sinergi.logistics.models import LegEvent
from sinergi.operations.models import CheckIn
from sinergi.personnel.models import StatusReport
from sinergi.risk.models import Observation
keys = %(keys)r
def count(form, key):
    if form == "checkin":
        return CheckIn.objects.filter(key=key).count()
    if form == "status":
        return StatusReport.objects.filter(key=key).count()
    if form == "staff_report":
        return Report.objects.filter(idempotency_key="staff:" + key).count()
    if form == "public_report":
        return Report.objects.filter(idempotency_key="public:" + key).count()
    if form == "escort":
        return LegEvent.objects.filter(key=key).count()
    if form == "observation":
        return Observation.objects.filter(idempotency_key=key).count()
print(json.dumps({f"{form}|{key}": count(form, key) for form, key in keys}))
"""


def forms(info: dict) -> list[dict]:
    """The field forms: name, path, and what a user types/does there (Playwright actions on the page)."""
    return [
        {"name": "checkin", "path": f"/operasi/lapor/?tps={info['tps']}"},
        {"name": "status", "path": "/personel/status/"},
        {"name": "staff_report", "path": "/insiden/lapor/"},
        {"name": "public_report", "path": "/insiden/lapor-publik/"},
        {"name": "escort", "path": f"/logistik/{info['movement']}/catat/"},
        {"name": "observation", "path": "/kerawanan/pengamatan/"},
    ]


def type_into(page, form: str, info: dict, n: int = 1) -> str | None:
    """Type a submission on the open page (returns the text typed, to check the draft), without submitting."""
    text = f"Uji lapangan {form} nomor {n}: massa berkumpul di depan TPS"
    if form == "checkin":
        return None  # one button per step
    if form == "status":
        return None
    if form in ("staff_report", "public_report"):
        page.fill("#id_text", text)
        return text
    if form == "escort":
        page.select_option("#id_action", "departure")
        page.select_option("#id_leg", index=0)
        page.fill("#id_note", text)
        return text
    if form == "observation":
        page.fill("#id_tps_code", info["tps"])
        page.select_option("#id_indicator", info["indicator"])
        page.fill("#id_value", info["value"])
        page.fill("#id_evidence_text", text)
        return text
    raise ValueError(form)


DRAFT_FIELD = {"staff_report": "#id_text", "public_report": "#id_text", "escort": "#id_note",
               "observation": "#id_evidence_text"}


def submit(page, form: str) -> None:
    if form == "checkin":
        page.click(".tps button[data-kind=handed_over]")
    elif form == "status":
        page.click("form.status-form button[data-status]")
    elif form in ("staff_report", "public_report"):
        page.click("form[data-outbox] button[type=submit]")
    elif form == "escort":
        page.click("form[data-outbox] button[type=submit]")
    elif form == "observation":
        # the observation page is laid out for desktops: on a 390 px screen its table overlaps the button, so the
        # form is submitted as the Enter key would (same validation, same submit event)
        page.eval_on_selector("form[data-outbox]", "f => f.requestSubmit()")


def outbox_keys(page, status: str | None = None) -> list[str]:
    sel = "[data-testid=queue] p[data-key]" + (f"[data-status={status}]" if status else "")
    return page.eval_on_selector_all(sel, "els => els.map(e => e.getAttribute('data-key'))")


def login(page, url: str, next_path: str, user: str = USER, password: str = PASSWORD) -> None:
    page.goto(f"{url}/accounts/login/?next={next_path}")
    page.fill("#id_username", user)
    page.fill("#id_password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state("load")


def wait_until(page, expression: str, *, timeout: float = 30.0, interval: float = 0.2):
    """Poll a page expression (page.wait_for_function evaluates a string, which the CSP forbids)."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(f"(() => {{ try {{ return ({expression}); }} catch (e) {{ return false; }} }})()")
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"not true after {timeout} s: {expression}")
        page.wait_for_timeout(interval * 1000)


def wait_kept(page, path: str, timeout: float = 30.0) -> None:
    """Until the service worker is active (it serves the next navigations) and holds a copy of `path`."""
    wait_until(page, "navigator.serviceWorker.getRegistration().then(r => !!(r && r.active))", timeout=timeout)
    wait_until(page, f"caches.match({json.dumps(path)}).then(r => !!r)", timeout=timeout)
