"""The restore drill (docs/backup-restore.md), run as an operator would with the `sinergi` command.

On the database the suite runs on: SQLite (a data folder of its own) or PostgreSQL (a database of its own,
``<DATABASE_URL name>_backup_drill``, dropped afterwards). Back up while a writer keeps appending audit events,
wipe, restore, verify; then a tampered archive is refused, a manifest whose counts differ is flagged, and a
non-empty database is replaced only with --force.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import tarfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]

SEED = """
from sinergi.core.services import audit_log, taskrun_create
for i in range(20):
    audit_log(actor=None, action="drill.seed", object_type="drill", object_id=i, data={"i": i})
taskrun_create(kind="drill.run", parameters={"n": 20})
from django.contrib.auth import get_user_model
get_user_model().objects.create_user("drill", password="Drill-Rahasia-123")
"""
WRITER = """
import sys, time
from pathlib import Path
from sinergi.core.services import audit_log
stop = Path({stop!r})
i = 0
end = time.monotonic() + 240
while not stop.exists() and time.monotonic() < end:
    audit_log(actor=None, action="drill.live", object_type="drill", object_id=i)
    i += 1
    if i == 1:
        print("started", flush=True)
audit_log(actor=None, action="drill.live", object_type="drill", object_id="after-backup")  # surely after it
print(i + 1)
"""


def _pg_drill_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return None
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_backup_drill"))


def _pg_admin(url: str, sql: str) -> None:
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture
def drill(tmp_path):
    """A `sinergi` runner bound to a fresh data folder and database, and a wipe() that empties both."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY")}
    env.update(SINERGI_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="config.settings.dev",
               PYTHONPATH=str(ROOT))
    pg_url = _pg_drill_url()
    db_name = urlsplit(pg_url).path.lstrip("/") if pg_url else ""
    if pg_url:
        env["DATABASE_URL"] = pg_url
        _pg_admin(pg_url, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        _pg_admin(pg_url, f'CREATE DATABASE "{db_name}"')

    def sinergi(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        r = subprocess.run([sys.executable, "-m", "sinergi.cli", *args], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=300)
        if check:
            assert r.returncode == 0, f"sinergi {' '.join(args)}: {r.stdout}\n{r.stderr}"
        return r

    def popen(code: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "sinergi.cli", "manage", "shell", "-c", code], cwd=ROOT,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wipe() -> None:
        if pg_url:
            _pg_admin(pg_url, f'DROP DATABASE "{db_name}" WITH (FORCE)')
            _pg_admin(pg_url, f'CREATE DATABASE "{db_name}"')
        else:
            for p in data_dir.glob("sinergi.sqlite3*"):
                p.unlink()
        for p in sorted((data_dir / "media").rglob("*"), reverse=True):
            p.unlink() if p.is_file() else p.rmdir()

    yield type("Drill", (), {"sinergi": staticmethod(sinergi), "popen": staticmethod(popen),
                             "wipe": staticmethod(wipe), "data_dir": data_dir, "vendor": "postgresql" if pg_url
                             else "sqlite"})
    if pg_url:
        _pg_admin(pg_url, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def _status(drill) -> dict:
    return json.loads(drill.sinergi("status", "--json").stdout)


def _rewrite(archive: Path, target: Path, change) -> None:
    """Copy ``archive`` to ``target`` with ``change(name, bytes) -> bytes`` applied to each member."""
    with tarfile.open(archive) as src, tarfile.open(target, "w:gz") as dst:
        for member in src.getmembers():
            data = change(member.name, src.extractfile(member).read())
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))


def test_restore_drill_backup_wipe_restore_verify(drill, tmp_path):
    drill.sinergi("manage", "migrate", "-v0")
    drill.sinergi("manage", "shell", "-c", SEED)
    upload = drill.data_dir / "media" / "imports" / "daftar_tps.csv"
    upload.parent.mkdir(parents=True)
    upload.write_text("kode_tps,pemilih\n53.71.01.1001-001,250\n", encoding="utf-8")
    before = _status(drill)

    # Online: a writer keeps appending audit events while the backup runs (and once more after it).
    stop = tmp_path / "stop-writer"
    writer = drill.popen(WRITER.format(stop=str(stop)))
    try:
        line = writer.stdout.readline()
        while line and line.strip() != "started":  # `manage shell` prints its auto-imports first
            line = writer.stdout.readline()
        assert line.strip() == "started", writer.stderr.read()
        backup = json.loads(drill.sinergi("backup", "--output", str(tmp_path / "out"), "--json").stdout)
    finally:
        stop.touch()
        assert writer.wait(timeout=120) == 0, writer.stderr.read()
    archive = Path(backup["archive"])
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert backup["vendor"] == drill.vendor and backup["media_files"] == 1
    assert backup["audit_key_included"] is False
    checkpoint = backup["audit_checkpoint"]
    assert checkpoint["events"] > 22  # 20 seeded + run + backup.create + live events of the writer
    live_events = json.loads(drill.sinergi("audit", "verify", "--json").stdout)["checked"]
    assert live_events > checkpoint["events"], "the writer went on after the snapshot"

    drill.wipe()
    assert not upload.exists()
    restored = drill.sinergi("restore", str(archive), "--json")
    result = json.loads(restored.stdout)
    assert result["verified"] is True and result["audit_ok"] is True, result
    assert result["audit_checked"] == checkpoint["events"] and result["media_files"] == 1
    assert upload.read_text(encoding="utf-8").startswith("kode_tps")
    after = _status(drill)
    assert after["users"] == before["users"] == 1
    # The restore itself is audited, on top of the checkpoint.
    verify = json.loads(drill.sinergi("audit", "verify", "--json").stdout)
    assert verify == {"ok": True, "checked": checkpoint["events"] + 1, "problems": []}

    # A non-empty database is replaced only on request.
    refused = drill.sinergi("restore", str(archive), check=False)
    assert refused.returncode != 0 and "--force" in refused.stderr
    forced = json.loads(drill.sinergi("restore", str(archive), "--force", "--json").stdout)
    assert forced["verified"] is True

    # A tampered file: refused before anything is touched.
    tampered = tmp_path / "tampered.tar.gz"
    _rewrite(archive, tampered, lambda name, data: data + b"x" if name.startswith("media/") else data)
    r = drill.sinergi("restore", str(tampered), "--force", check=False)
    assert r.returncode != 0 and "media/imports/daftar_tps.csv: SHA-256 differs" in r.stderr

    # Counts that do not match the manifest are flagged (restore not verified).
    def lie(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["counts"]["core_taskrun"] += 1
        return json.dumps(manifest).encode()

    lying = tmp_path / "counts.tar.gz"
    _rewrite(archive, lying, lie)
    r = drill.sinergi("restore", str(lying), "--force", check=False)
    assert r.returncode != 0 and "NOT verified" in r.stderr and "core_taskrun: 1 rows, the manifest says 2" in r.stderr


def test_archive_with_a_path_outside_the_folder_is_refused(tmp_path):
    from sinergi.core.backup import BackupError, read_verified_archive

    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        for name, data in (("manifest.json", b"{}"), ("../outside.txt", b"x")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    (tmp_path / "into").mkdir()
    with pytest.raises(BackupError, match="unsafe archive member '../outside.txt'"):
        read_verified_archive(evil, tmp_path / "into")
    assert not (tmp_path / "outside.txt").exists()
