"""Check-in SMS: the parser on messy texts (pure), and end to end through the SMS-gateway webhook."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from sinergi.accounts.choices import Role
from sinergi.engine.operations import looks_like_checkin, parse_checkin_sms
from sinergi.operations import services
from sinergi.operations.models import CheckIn, CheckInSms, TpsStatus
from tests.operations.factories import TPS_A, TPS_B, build_ops_world


@pytest.mark.parametrize("text,tps,kind,note", [
    ("CEK 53.71.01.1001-003 BUKA", "53.71.01.1001-003", "opened", ""),
    ("cek 5371011001003 tutup", "53.71.01.1001-003", "closed", ""),
    ("Cek-in 53.71.01.1001 tps 3 hitung", "53.71.01.1001-003", "counted", ""),
    ("CEK#53.71.01.1001-003#MASALAH kotak suara rusak", "53.71.01.1001-003", "problem", "kotak suara rusak"),
    ("cek buka 53.71.01.1001-3", "53.71.01.1001-003", "opened", ""),
    ("CHECK IN 53 71 01 1001 003 srh", "53.71.01.1001-003", "handed_over", ""),
    ("  cek   53.07.02.2005-012   mulai  antrean panjang", "53.07.02.2005-012", "voting", "antrean panjang"),
    ("CEK 53.71.01.1001-003 MSLH listrik padam sejak pagi", "53.71.01.1001-003", "problem",
     "listrik padam sejak pagi"),
    ("cekin,53.71.01.1001/003,HTG", "53.71.01.1001-003", "counted", ""),
    ("ceK 53.71.01.1001-003 b", "53.71.01.1001-003", "opened", ""),
])
def test_parser_understands_messy_texts(text, tps, kind, note):
    p = parse_checkin_sms(text)
    assert p.ok and (p.tps_code, p.kind, p.note) == (tps, kind, note)


@pytest.mark.parametrize("text,problems", [
    ("CEK", ("kode TPS tidak terbaca", "jenis laporan tidak terbaca")),
    ("cek 53.71.01.1001-003", ("jenis laporan tidak terbaca",)),
    ("cek buka tps dekat pasar", ("kode TPS tidak terbaca",)),
    ("cek 53.71.01.1001-003 pulang", ("jenis laporan tidak terbaca",)),
])
def test_parser_says_what_is_missing(text, problems):
    p = parse_checkin_sms(text)
    assert p.is_checkin and not p.ok and p.problems == problems


def test_incident_reports_are_not_check_ins():
    for text in ("LAPOR 53.71.01.1001-003 POLITIKUANG amplop", "ada keributan di TPS", "", "cekcok warga di pasar"):
        assert not looks_like_checkin(text)
    assert looks_like_checkin("CEK 1") and looks_like_checkin("check-in x") and looks_like_checkin("Cekin")


def _voting_was_yesterday(election):
    """Move the election calendar so the voting day was yesterday (rolled back with the test): then the ballot
    box hand-over window (voting day 13:00 to two days later) holds the real time now, and "opened" does not."""
    from sinergi.elections.models import Stage

    delta = (timezone.localdate() - dt.timedelta(days=1)) - election.voting_date
    election.voting_date += delta
    election.save(update_fields=["voting_date"])
    for s in Stage.objects.filter(election=election):
        s.start_date += delta
        s.end_date += delta
        s.save(update_fields=["start_date", "end_date"])


def _post(client, **body):
    return client.post("/insiden/sms/webhook/", body, content_type="application/json",
                       HTTP_X_SINERGI_SMS_SECRET="rahasia-gateway")


def test_sms_check_in_end_to_end_through_the_webhook(db, client, settings, make_user):
    settings.SINERGI_SMS_WEBHOOK_SECRET = "rahasia-gateway"
    ow = build_ops_world()
    _voting_was_yesterday(ow.election)
    officer = make_user(unit=ow.polsek_a, role=Role.OPERATOR)
    services.officer_phone_set(actor=officer, user=officer, number="0812-3456-7890")

    r = _post(client, id="gw-1", **{"from": "+62 812 3456 7890"}, text=f"cek {TPS_A} serah")
    body = r.json()
    assert r.status_code == 200 and body["status"] == "accepted"
    assert body["reply"].startswith(f"Diterima: TPS {TPS_A} Kotak suara diserahkan")
    checkin = CheckIn.objects.get(pk=body["checkin"])
    assert checkin.channel == "sms" and checkin.officer == officer and checkin.key == "sms:gw-1"
    assert TpsStatus.objects.get(polling_station__code=TPS_A).handed_over_at is not None
    # the gateway retries: same answer, nothing new
    again = _post(client, id="gw-1", **{"from": "+6281234567890"}, text=f"cek {TPS_A} serah").json()
    assert again["reply"] == body["reply"] and CheckIn.objects.count() == 1

    # out of window ("opened" was yesterday morning), another Polres' TPS, unknown phone, unreadable: all stored
    out = _post(client, id="gw-2", **{"from": "081234567890"}, text=f"CEK {TPS_A} BUKA").json()
    assert out["status"] == "rejected" and "jendela waktu" in out["reply"]
    other = _post(client, id="gw-3", **{"from": "081234567890"}, text=f"CEK {TPS_B} SERAH").json()
    assert other["status"] == "rejected" and "di luar wilayah" in other["reply"]
    unknown = _post(client, id="gw-4", **{"from": "081299999999"}, text=f"CEK {TPS_A} SERAH").json()
    assert unknown["status"] == "unknown_sender" and "belum terdaftar" in unknown["reply"]
    messy = _post(client, id="gw-5", **{"from": "081234567890"}, text="cek tps saya sudah buka").json()
    assert messy["status"] == "unparsed" and "Format: CEK" in messy["reply"]
    assert CheckInSms.objects.count() == 5 and CheckIn.objects.count() == 1

    # an ordinary incident SMS still goes to the incident intake
    from sinergi.incidents.defaults import load

    load()
    inc = _post(client, id="gw-6", **{"from": "081234567890"}, text="LAPOR 99.71.01.1001-001 bentrok massa").json()
    assert "report" in inc and CheckInSms.objects.count() == 5


def test_sms_problem_becomes_incident_report(db, client, settings, make_user):
    from sinergi.incidents.defaults import load

    load()
    settings.SINERGI_SMS_WEBHOOK_SECRET = "rahasia-gateway"
    ow = build_ops_world()
    _voting_was_yesterday(ow.election)
    officer = make_user(unit=ow.polres_a, role=Role.OPERATOR)
    services.officer_phone_set(actor=officer, user=officer, number="081300000001")
    body = _post(client, id="gw-p", **{"from": "081300000001"},
                 text=f"CEK {TPS_A} MASALAH massa bentrok lempar batu").json()
    assert body["status"] == "accepted"
    checkin = CheckIn.objects.get(pk=body["checkin"])
    assert checkin.kind == "problem" and checkin.report is not None
    assert checkin.report.channel == "sms" and checkin.report.text == "massa bentrok lempar batu"
