"""Settings are declared once (config/settings/base.py) and a wrong value stops start-up with the setting's name."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_settings_pass_the_checks():
    call_command("check")


@pytest.mark.parametrize(("name", "value"), [
    ("SINERGI_INCIDENT_PROCESSING", "later"),
    ("SINERGI_SITREP_TIME", "6 pagi"),
    ("SINERGI_UPLOAD_MAX_ROWS", 0),
    ("SINERGI_OTP_REQUIRED_ROLES", ["komandan"]),
    ("SINERGI_TRUSTED_PROXIES", ["proxy.local"]),
])
def test_a_wrong_value_stops_start_up_naming_the_setting(name, value):
    with override_settings(**{name: value}), pytest.raises(SystemCheckError, match=name):
        call_command("check")


def test_a_value_that_does_not_cast_names_the_variable(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "SINERGI_UPLOAD_MAX_ROWS": "banyak",
           "SINERGI_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    out = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode != 0
    assert "SINERGI_UPLOAD_MAX_ROWS='banyak'" in out.stderr


def test_code_reads_settings_directly_not_with_a_default():
    """Every setting is declared in config/settings/base.py, so no code reads one with getattr and a default."""
    offenders = []
    for path in (ROOT / "sinergi").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"getattr\(settings,\s*[^,)]+,", line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}")
    assert offenders == []
