"""Configuration safety and the operator CLI."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import UP_SERVER_ON_SQLITE_ONLY, up_copy

ROOT = Path(__file__).resolve().parents[2]


def _run(args, env_extra, **kw):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")}
    env.update(env_extra)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, **kw)


def test_production_refuses_to_start_without_secret_and_database(tmp_path):
    code = "import django; django.setup()"
    r = _run(["-c", code], {"DJANGO_SETTINGS_MODULE": "config.settings.prod"})
    assert r.returncode != 0
    assert "SECRET_KEY" in r.stderr and "DATABASE_URL" in r.stderr


def test_production_starts_when_configured(tmp_path):
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    r = _run(["-c", code], {"DJANGO_SETTINGS_MODULE": "config.settings.prod", "SECRET_KEY": "k" * 50,
                            "DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite3"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"


def test_embedded_default_creates_and_keeps_its_secret(tmp_path):
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.dev", "SINERGI_DATA_DIR": str(tmp_path)}
    first = _run(["-c", code], env).stdout.strip()
    second = _run(["-c", code], env).stdout.strip()
    assert len(first) >= 50 and first == second
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.django_db
def test_status_json_has_the_documented_keys(capsys, ntt_dataset):
    call_command("sinergi_status", "--json")
    status = json.loads(capsys.readouterr().out)
    assert set(status) >= {"regions", "tps", "voters", "units", "users", "estimated_tps"}
    assert status["tps"] == 9877
    assert status["voters"] == 3988372
    assert status["estimated_tps"] == 9877
    assert status["regions"]["regencies"] == 514


def test_cli_help_and_unknown_command():
    r = _run(["-m", "sinergi.cli", "--help"], {})
    assert r.returncode == 0 and "sinergi up" in r.stdout
    r = _run(["-m", "sinergi.cli", "frobnicate"], {"SINERGI_DATA_DIR": "/tmp/sinergi-cli-test"})
    assert r.returncode == 2


@pytest.mark.slow
@UP_SERVER_ON_SQLITE_ONLY
def test_sinergi_up_prepares_a_fresh_embedded_deployment(tmp_path, up_prepared):
    """`sinergi up --no-serve` on an empty data folder (the session's `up_prepared`, which the tests that start a
    server copy; it fails there when the command fails): migrates, loads NTT, creates the admin, prints login."""
    assert "http://127.0.0.1:8000/accounts/login/" in up_prepared.stdout
    assert "username: admin" in up_prepared.stdout
    assert (up_prepared.path / "sinergi.sqlite3").exists()
    env = {"SINERGI_DATA_DIR": str(up_copy(up_prepared, tmp_path / "data"))}  # the template stays as prepared
    r2 = _run(["-m", "sinergi.cli", "status", "--json"], env)
    status = json.loads(r2.stdout)
    assert status["tps"] == 9877 and status["users"] == 1
    # Second start: nothing reloaded, same credentials shown.
    r3 = _run(["-m", "sinergi.cli", "up", "--no-serve"], env, timeout=600)
    assert "already loaded" in r3.stdout
    r4 = _run(["-m", "sinergi.cli", "audit", "verify"], env)
    assert r4.returncode == 0 and "chain intact" in r4.stdout


@pytest.mark.parametrize("args", [["status"], ["load-dataset"], ["audit", "verify"], ["import-tps", "x.csv"]])
def test_commands_on_an_unprepared_database_say_what_to_run_without_a_traceback(tmp_path, args):
    r = _run(["-m", "sinergi.cli", *args], {"SINERGI_DATA_DIR": str(tmp_path)}, timeout=120)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr + r.stdout
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "sinergi up --no-serve" in lines[0]


def test_commands_on_an_unreachable_database_say_so_in_one_line(tmp_path):
    r = _run(["-m", "sinergi.cli", "status"], {"SINERGI_DATA_DIR": str(tmp_path),
                                               "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none"}, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "DATABASE_URL" in lines[0]
