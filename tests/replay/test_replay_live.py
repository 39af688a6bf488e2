"""`sinergi replay` end to end: a slice of the NTT election day sent over HTTP to a running server.

The server is Django's WSGI server in a thread that shares the test's database connection, so it sees the
session's NTT dataset and everything rolls back afterwards (pytest-django's `live_server` would flush the tables
the later tests need). Requests are real HTTP with token authentication; the replay reads back what was stored,
and the command dashboard's coverage selector and API show the replayed counts.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections import Counter
from wsgiref.simple_server import WSGIRequestHandler

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import WSGIServer
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connections

from sinergi.incidents.models import Report
from sinergi.operations.models import CheckIn
from sinergi.operations.selectors import coverage_by_polres
from sinergi.replay import cli, local, scenario
from sinergi.replay.driver import ROUTES


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(ntt_dataset):
    conn = connections["default"]
    conn.inc_thread_sharing()
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    httpd = WSGIServer(("127.0.0.1", 0), _Quiet, allow_reuse_address=False)
    httpd.set_app(WSGIHandler())

    def serve():
        connections["default"] = conn
        httpd.serve_forever(poll_interval=0.05)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        conn.dec_thread_sharing()


@pytest.fixture
def tokens_file(ntt_dataset, tmp_path):
    path = tmp_path / "tokens.json"
    assert cli.main(["--setup", "--tokens-file", str(path)]) == 0
    return path


def replay(capsys, url, tokens_file, *extra):
    capsys.readouterr()
    code = cli.main(["--url", url, "--tokens-file", str(tokens_file), "--limit-tps", "20", "--speed", "0",
                     "--concurrency", "1", "--json", *extra])
    return code, json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def get(url, token):
    req = urllib.request.Request(url, headers={"Authorization": f"Token {token}", "Accept": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def test_setup_makes_one_demo_operator_per_polres_with_a_token(tokens_file):
    tokens = local.read_tokens(tokens_file)
    assert len(tokens) == 23 and "default" in tokens and "POLRES-53.71" in tokens
    assert oct(tokens_file.stat().st_mode & 0o777) == "0o600"
    again = tokens_file.parent / "again.json"
    assert cli.main(["--setup", "--tokens-file", str(again)]) == 0
    # Idempotent accounts; keys are stored only as hashes, so a second setup issues fresh keys for the same
    # accounts and the earlier keys keep working.
    from sinergi.accounts.tokens import lookup

    fresh = local.read_tokens(again)
    assert fresh.keys() == tokens.keys()
    assert all(lookup(tokens[k]).user_id == lookup(fresh[k]).user_id for k in tokens)


def test_replay_stores_exactly_the_accepted_and_a_rerun_stores_nothing(server, tokens_file, capsys):
    from sinergi.accounts.models import User
    from sinergi.elections.selectors import default_election

    code, first = replay(capsys, server, tokens_file)
    assert code == 0, first
    assert first["tps"] == 20 and first["events"] > 90
    assert first["rejected"] == 0 and first["failed"] == 0, first["rejected_reasons"]
    assert first["accepted"] == first["events"] and first["duplicate"] == 0
    n_checkins = sum(v for k, v in first["scenario"]["by_kind"].items() if k != "incident")
    assert CheckIn.objects.filter(key__startswith="rp1:").count() == n_checkins
    assert Report.objects.filter(idempotency_key__startswith="rp1:inc:").count() == first["scenario"]["by_kind"].get(
        "incident", 0)
    assert first["verify"]["method"] == "db" and first["lost"] == 0
    assert first["verify"]["channels"]["checkin"] == {"answered": n_checkins, "stored": n_checkins, "lost": 0}
    assert first["latency_ms"]["n"] == first["requests"] and first["latency_ms"]["p99"] > 0

    # What the command sees: the coverage per Polres counts exactly the replayed check-ins.
    election = default_election()
    stations = local.load_stations(election, limit=20)
    events = scenario.generate(stations, scenario.Config(voting_date=election.voting_date, seed=1),
                               scenario.load_labelled_texts())
    expected = Counter((e.unit, e.kind) for e in events if e.channel == "checkin")
    admin = User.objects.get(username="replay-polda")
    rows = {r["unit_code"]: r for r in coverage_by_polres(admin, election=election)}
    assert len(rows) == 22
    for unit in {s.unit for s in stations}:
        for kind in ("opened", "closed", "handed_over"):
            assert rows[unit][kind] == expected[(unit, kind)], (unit, kind)
    assert sum(r["opened"] for r in rows.values()) == sum(1 for e in events if e.kind == "opened")
    api = get(f"{server}/api/v1/checkins/coverage/", local.read_tokens(tokens_file)["default"])
    assert sum(r["opened"] for r in api["results"]) == sum(1 for e in events if e.kind == "opened")

    # Same seed again: every key is answered duplicate and nothing new is stored.
    before = (CheckIn.objects.count(), Report.objects.count())
    code, second = replay(capsys, server, tokens_file, "--verify", "api")
    assert code == 0
    assert second["accepted"] == 0 and second["duplicate"] == second["events"] == first["events"]
    assert (CheckIn.objects.count(), Report.objects.count()) == before
    assert second["verify"]["method"] == "api" and second["lost"] == 0


def test_batch_replay_of_the_busy_morning(server, tokens_file, capsys):
    code, rep = replay(capsys, server, tokens_file, "--batch", "--seed", "9", "--from", "06:30", "--to", "08:30")
    assert code == 0, rep
    kinds = rep["scenario"]["by_kind"]
    assert set(kinds) <= {"opened", "voting", "problem", "incident"} and kinds["opened"] >= 18
    assert rep["accepted"] == rep["events"] and rep["lost"] == 0
    assert rep["requests"] < rep["events"]          # batched: one request per Polres and channel
    assert CheckIn.objects.filter(key__startswith="rp9:").count() == kinds["opened"] + kinds["voting"] + kinds.get(
        "problem", 0)


def test_rejections_are_reported_with_their_reason(server, tokens_file, capsys, tmp_path):
    # A Polres officer's token for every event: TPS of the other Polres are refused, and the report says why.
    tokens = local.read_tokens(tokens_file)
    only = tmp_path / "one.json"
    only.write_text(json.dumps({"default": tokens["POLRES-53.71"]}))
    code, rep = replay(capsys, server, only, "--only", "checkin", "--from", "06:00", "--to", "09:00",
                       "--seed", "11")
    assert code == 0 and rep["rejected"] > 0 and rep["accepted"] + rep["rejected"] == rep["events"]
    assert any("luar wilayah" in reason for reason in rep["rejected_reasons"])
    assert CheckIn.objects.filter(key__startswith="rp11:").count() == rep["accepted"]
    assert set(ROUTES) >= {"checkin", "incident"}


def test_ballot_box_hand_overs_reach_the_chain_of_custody(server, tokens_file, capsys):
    from sinergi.logistics.models import CustodyEvent
    from sinergi.logistics.services import plan_default

    plan_default(actor=None)
    code, rep = replay(capsys, server, tokens_file, "--from", "15:00", "--to", "24:00", "--only",
                       "checkin,logistics", "--seed", "5")
    assert code == 0, rep
    kinds = rep["scenario"]["by_kind"]
    assert kinds["logistics"] == kinds["handed_over"] > 0
    assert rep["by_channel"]["logistics"] == {"accepted": kinds["logistics"]}
    stored = CustodyEvent.objects.filter(key__startswith="rp5:ho:").select_related("movement", "polling_station")
    assert stored.count() == kinds["logistics"] and rep["verify"]["channels"]["logistics"]["lost"] == 0
    for ev in stored:
        assert ev.movement.key == f"recap:pps:{ev.polling_station.village_id}"


@pytest.fixture
def lossy_proxy(server):
    """A TCP proxy in front of the server that drops every third answer: the request reached the server (and was
    stored) but the client never hears back, as on a flaky mobile network."""
    import socket
    from urllib.parse import urlsplit

    upstream = urlsplit(server)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()
    counter = {"n": 0, "dropped": 0}

    def read_request(conn):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return b""
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length:
            body += conn.recv(65536)
        return head + b"\r\n\r\n" + body

    def handle(client):
        with client:
            request = read_request(client)
            if not request:
                return
            with socket.create_connection((upstream.hostname, upstream.port)) as up:
                up.sendall(request)
                answer = b""
                while chunk := up.recv(65536):
                    answer += chunk
            counter["n"] += 1
            if counter["n"] % 3 == 0:
                counter["dropped"] += 1
                return                                # closed without an answer
            client.sendall(answer)

    def serve():
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            handle(client)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", counter
    stop.set()
    thread.join(5)
    listener.close()


def test_lost_answers_are_retried_with_the_same_key_and_stored_once(lossy_proxy, tokens_file, capsys):
    url, counter = lossy_proxy
    capsys.readouterr()
    code = cli.main(["--url", url, "--tokens-file", str(tokens_file), "--limit-tps", "4", "--speed", "0",
                     "--concurrency", "1", "--only", "checkin", "--seed", "21", "--verify", "db", "--json"])
    rep = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0, rep
    assert counter["dropped"] > 0 and rep["retries"] == counter["dropped"]
    assert rep["failed"] == 0 and rep["accepted"] + rep["duplicate"] == rep["events"]
    # The dropped answers were for stored check-ins: the retry is answered "duplicate", nothing is stored twice.
    assert rep["duplicate"] == counter["dropped"]
    assert CheckIn.objects.filter(key__startswith="rp21:").count() == rep["events"] and rep["lost"] == 0
