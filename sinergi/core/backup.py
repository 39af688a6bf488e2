"""Backup and restore of a whole Sinergi installation (docs/backup-restore.md, ADR 0045).

One archive (``sinergi-backup-<UTC time>.tar.gz``, created 0600) holds:

* ``db/sinergi.sqlite3`` — SQLite: an online copy through SQLite's backup API (consistent while the server,
  the worker and the tick keep writing), or ``db/sinergi.pgdump`` — PostgreSQL: ``pg_dump --format=custom``
  taken on an exported snapshot, so the counts and the audit checkpoint below describe exactly the dump;
* ``media/...`` — every uploaded file under MEDIA_ROOT (TPS and observation imports, meeting files, evidence).
  Archived situation reports are rows of the database (``reports_reportfile``) and travel with it;
* ``manifest.json`` — format version, database vendor, time, the **audit chain checkpoint** (event count, last
  sequence number and hash at the instant of the snapshot), the row count of every table, the applied
  migrations and the SHA-256 and size of every other file of the archive.

The key of a keyed audit chain (if configured) is NOT in the archive: operators keep it separately.

A restore first checks every file of the archive against the manifest (and refuses on any difference), refuses
a non-empty target unless ``force``, restores, then verifies: ``audit_verify`` through its management command (so
it keeps working whatever the chain's algorithm), the checkpoint against the restored chain, and every table's
row count against the manifest. Differences are reported and make the restore "not verified" (exit 1).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.db import connections

from .services import audit_log

FORMAT = "sinergi-backup/1"
MANIFEST = "manifest.json"
SQLITE_MEMBER = "db/sinergi.sqlite3"
PG_MEMBER = "db/sinergi.pgdump"
AUDIT_KEY_NOTE = (
    "Kunci rantai audit (bila dipakai) TIDAK ada di cadangan ini: simpan terpisah dan pasang kembali sebelum "
    "`sinergi audit verify`. / The audit chain key (if configured) is NOT in this backup: keep it separately."
)


class BackupError(Exception):
    """A backup or restore that was refused or could not run; the message says why."""


@dataclass
class RestoreResult:
    archive: str
    verified: bool
    audit_ok: bool
    audit_checked: int
    problems: list[str] = field(default_factory=list)
    counts_checked: int = 0
    media_files: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"archive": self.archive, "verified": self.verified, "audit_ok": self.audit_ok,
                "audit_checked": self.audit_checked, "counts_checked": self.counts_checked,
                "media_files": self.media_files, "problems": self.problems}


# --- helpers ---------------------------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _db_settings(alias: str = "default") -> dict[str, Any]:
    return settings.DATABASES[alias]


def _vendor(alias: str = "default") -> str:
    return connections[alias].vendor


def _pg_env(alias: str = "default") -> dict[str, str]:
    """libpq environment for pg_dump/pg_restore from the Django settings (the password never on a command line)."""
    db = _db_settings(alias)
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD"),
                     ("NAME", "PGDATABASE")):
        if db.get(key):
            env[var] = str(db[key])
    return env


def _pg_connect(alias: str = "default"):
    import psycopg

    params = connections[alias].get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    params.pop("server_side_binding", None)
    return psycopg.connect(**params)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_checkpoint(db: sqlite3.Connection) -> dict[str, Any]:
    tables = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return _checkpoint(lambda sql: db.execute(sql).fetchall(), tables)


def _pg_tables(run) -> list[str]:
    return [r[0] for r in run("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1")]


def _checkpoint(run, tables: list[str]) -> dict[str, Any]:
    """Row count of every table, the audit chain head and the applied migrations, read through ``run(sql)``."""
    counts = {t: int(run(f"SELECT COUNT(*) FROM {_quote(t)}")[0][0]) for t in tables}
    audit: dict[str, Any] = {"events": counts.get("core_auditevent", 0), "last_seq": None, "last_hash": None}
    if "core_auditevent" in counts and counts["core_auditevent"]:
        seq, digest = run("SELECT seq, hash FROM core_auditevent ORDER BY seq DESC LIMIT 1")[0]
        audit.update(last_seq=int(seq), last_hash=str(digest))
    migrations = []
    if "django_migrations" in counts:
        migrations = [f"{a}.{n}" for a, n in run("SELECT app, name FROM django_migrations ORDER BY app, name")]
    return {"counts": counts, "audit": audit, "migrations": migrations}


def _media_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


# --- backup ----------------------------------------------------------------------------------------------------


def backup_create(*, output_dir: Path | str, actor=None, alias: str = "default") -> dict[str, Any]:
    """Write one backup archive into ``output_dir`` (created 0700 if missing); return its manifest and path.

    The ``backup.create`` audit event is written first, so the archive's own chain contains it.
    """
    output = Path(output_dir).resolve()
    output.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"sinergi-backup-{stamp}.tar.gz"
    n = 1
    while (output / name).exists():  # two backups within one second
        n += 1
        name = f"sinergi-backup-{stamp}-{n}.tar.gz"
    target = output / name
    vendor = _vendor(alias)
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"database {vendor!r} is not supported (SQLite or PostgreSQL)")
    audit_log(actor=actor, action="backup.create", object_type="backup", object_id=name,
              data={"vendor": vendor, "output_dir": str(output)})

    staging = Path(tempfile.mkdtemp(prefix=".sinergi-backup-", dir=output))  # 0700, same file system
    try:
        (staging / "db").mkdir()
        if vendor == "sqlite":
            db_member = SQLITE_MEMBER
            checkpoint = _backup_sqlite(staging / db_member, alias)
        else:
            db_member = PG_MEMBER
            checkpoint = _backup_postgresql(staging / db_member, alias)
        media_root = Path(settings.MEDIA_ROOT)
        members: list[tuple[str, Path]] = [(db_member, staging / db_member)]
        members += [(f"media/{p.relative_to(media_root).as_posix()}", p) for p in _media_files(media_root)]
        files = {arc: {"sha256": sha256_file(path), "size": path.stat().st_size} for arc, path in members}
        manifest = {
            "format": FORMAT,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "vendor": vendor,
            "database": db_member,
            "audit_checkpoint": checkpoint["audit"],
            "audit_key_included": False,
            "audit_key_note": AUDIT_KEY_NOTE,
            "counts": checkpoint["counts"],
            "migrations": checkpoint["migrations"],
            "media_files": len(members) - 1,
            "files": files,
        }
        _write_archive(target, manifest, members)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {"archive": str(target), "sha256": sha256_file(target), "manifest": manifest}


def _backup_sqlite(dest: Path, alias: str) -> dict[str, Any]:
    source = sqlite3.connect(str(_db_settings(alias)["NAME"]), timeout=30)
    copy = sqlite3.connect(str(dest))
    try:
        source.backup(copy)  # one step: a consistent snapshot even while others write (WAL)
        copy.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
        return _sqlite_checkpoint(copy)
    finally:
        copy.close()
        source.close()
        os.chmod(dest, 0o600)


def _backup_postgresql(dest: Path, alias: str) -> dict[str, Any]:
    """pg_dump on a snapshot exported by a REPEATABLE READ transaction that also reads the checkpoint."""
    with _pg_connect(alias) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]

        def run(sql: str) -> list[tuple]:
            return conn.execute(sql).fetchall()

        checkpoint = _checkpoint(run, _pg_tables(run))
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        proc = subprocess.run(
            ["pg_dump", "--format=custom", f"--snapshot={snapshot}", "--no-owner", "--no-privileges",
             f"--file={dest}"],
            env=_pg_env(alias), capture_output=True, text=True, check=False,
        )
        conn.execute("COMMIT")
    if proc.returncode != 0:
        raise BackupError(f"pg_dump failed: {proc.stderr.strip()}")
    return checkpoint


def _write_archive(target: Path, manifest: dict[str, Any], members: list[tuple[str, Path]]) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz", compresslevel=1) as tar:
        data = json.dumps(manifest, indent=2, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode = len(data), 0o600
        info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
        tar.addfile(info, io.BytesIO(data))
        for arcname, path in members:
            info = tar.gettarinfo(str(path), arcname)
            info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
            with open(path, "rb") as fh:
                tar.addfile(info, fh)


# --- restore ---------------------------------------------------------------------------------------------------


def _safe_extract(tar: tarfile.TarFile, into: Path) -> None:
    """Regular files only, inside ``into``: refuses absolute paths, "..", links and devices.

    (``extractall(filter="data")`` does this from Python 3.11.4; Debian 12 ships 3.11.2.)
    """
    for member in tar.getmembers():
        parts = PurePosixPath(member.name).parts
        if member.isdir():
            continue
        if not member.isfile() or not parts or parts[0] == "/" or ".." in parts:
            raise BackupError(f"unsafe archive member {member.name!r}")
        target = into.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        source = tar.extractfile(member)
        if source is None:
            raise BackupError(f"unreadable archive member {member.name!r}")
        with source, open(target, "wb") as out:
            shutil.copyfileobj(source, out)


def read_verified_archive(archive: Path, into: Path) -> dict[str, Any]:
    """Extract ``archive`` into ``into`` and check every file against the manifest; raise BackupError if not."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            _safe_extract(tar, into)
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{archive}: not a readable backup archive ({exc})") from exc
    manifest_path = into / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"{archive}: no {MANIFEST}")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive}: unknown format {manifest.get('format')!r}")
    found = {p.relative_to(into).as_posix() for p in into.rglob("*") if p.is_file()} - {MANIFEST}
    listed = set(manifest["files"])
    problems = [f"{name}: in the archive but not in the manifest" for name in sorted(found - listed)]
    problems += [f"{name}: listed in the manifest but missing" for name in sorted(listed - found)]
    for name in sorted(found & listed):
        if sha256_file(into / name) != manifest["files"][name]["sha256"]:
            problems.append(f"{name}: SHA-256 differs from the manifest")
    if problems:
        raise BackupError("archive does not match its manifest, nothing restored:\n" + "\n".join(problems))
    return manifest


def _target_has_data(alias: str) -> bool:
    conn = connections[alias]
    if conn.vendor == "sqlite" and not Path(str(_db_settings(alias)["NAME"])).exists():
        return False
    tables = set(conn.introspection.table_names())
    if "core_auditevent" not in tables:
        return False
    with conn.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM core_auditevent")
        return bool(cursor.fetchone()[0])


def backup_restore(*, archive: Path | str, force: bool = False, actor=None, alias: str = "default") -> RestoreResult:
    """Restore ``archive`` into the configured database and MEDIA_ROOT, then verify it (see the module doc).

    Stop the web server, the workers and the tick first. Raises BackupError when the archive is refused;
    returns a result with ``verified`` False (and the problems) when the restored data differ from the manifest.
    """
    archive = Path(archive).resolve()
    vendor = _vendor(alias)
    with tempfile.TemporaryDirectory(prefix=".sinergi-restore-") as tmp:
        work = Path(tmp)
        manifest = read_verified_archive(archive, work)
        if manifest["vendor"] != vendor:
            raise BackupError(f"backup of a {manifest['vendor']} database; the configured database is {vendor}")
        if _target_has_data(alias) and not force:
            raise BackupError("the configured database already holds data; restore with --force to replace it")
        connections[alias].close()
        if vendor == "sqlite":
            _restore_sqlite(work / SQLITE_MEMBER, alias)
        else:
            _restore_postgresql(work / PG_MEMBER, alias)
        media = _restore_media(work / "media", Path(settings.MEDIA_ROOT))
    result = verify_restored(manifest, archive=str(archive), alias=alias)
    result.media_files = media
    audit_log(actor=actor, action="backup.restore", object_type="backup", object_id=archive.name,
              data={"created_at": manifest["created_at"], "verified": result.verified,
                    "problems": result.problems[:20], "audit_checkpoint": manifest["audit_checkpoint"]})
    return result


def _restore_sqlite(source_file: Path, alias: str) -> None:
    target = Path(str(_db_settings(alias)["NAME"]))
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(str(source_file))
    dest = sqlite3.connect(str(target), timeout=30)
    try:
        source.backup(dest)  # replaces every page of the target, WAL included
        dest.execute("PRAGMA journal_mode=WAL")
    finally:
        dest.close()
        source.close()


def _restore_postgresql(dump: Path, alias: str) -> None:
    # --clean --if-exists: the dumped objects replace same-named ones (an empty or freshly migrated database
    # works too); one transaction, so a failure leaves the database as it was.
    cmd = ["pg_restore", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
           "--clean", "--if-exists", f"--dbname={_db_settings(alias)['NAME']}"]
    proc = subprocess.run([*cmd, str(dump)], env=_pg_env(alias), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BackupError(f"pg_restore failed (nothing changed: single transaction): {proc.stderr.strip()}")


def _restore_media(source: Path, media_root: Path) -> int:
    """Copy the archived uploads into MEDIA_ROOT (existing files of the same name are replaced)."""
    if not source.is_dir():
        return 0
    count = 0
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        dest = media_root / path.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
        count += 1
    return count


def verify_restored(manifest: dict[str, Any], *, archive: str = "", alias: str = "default") -> RestoreResult:
    """Compare the configured database with a manifest: the audit chain (command) and every table's count."""
    from django.core.management import call_command
    from django.core.management.base import CommandError

    out, err = io.StringIO(), io.StringIO()
    failure = ""
    try:
        call_command("audit_verify", "--json", stdout=out, stderr=err)
    except CommandError as exc:
        failure = str(exc)  # a broken chain (the JSON says why), or a chain that cannot be checked (e.g. no key)
    try:
        report = json.loads(out.getvalue().strip().splitlines()[-1])
    except (IndexError, ValueError):
        report = {"ok": False, "checked": 0,
                  "problems": [f"audit verify gave no result: {failure or err.getvalue().strip() or 'no output'}"]}
    problems = [f"audit: {p}" for p in report.get("problems", [])]
    conn = connections[alias]
    with conn.cursor() as cursor:
        def run(sql: str) -> list[tuple]:
            cursor.execute(sql)
            return cursor.fetchall()

        tables = [t for t in manifest["counts"] if t in set(conn.introspection.table_names())]
        now = _checkpoint(run, tables)
    missing = sorted(set(manifest["counts"]) - set(tables))
    problems += [f"table {t}: missing after restore" for t in missing]
    for table in tables:
        if now["counts"][table] != manifest["counts"][table]:
            problems.append(f"table {table}: {now['counts'][table]} rows, the manifest says "
                            f"{manifest['counts'][table]}")
    cp = manifest["audit_checkpoint"]
    if report.get("checked") != cp["events"]:
        problems.append(f"audit: {report.get('checked')} events verified, the checkpoint says {cp['events']}")
    if (now["audit"]["last_seq"], now["audit"]["last_hash"]) != (cp["last_seq"], cp["last_hash"]):
        problems.append(f"audit: last event #{now['audit']['last_seq']} {now['audit']['last_hash']}, the "
                        f"checkpoint says #{cp['last_seq']} {cp['last_hash']}")
    return RestoreResult(archive=archive, verified=not problems, audit_ok=bool(report.get("ok")),
                         audit_checked=int(report.get("checked", 0)), problems=problems,
                         counts_checked=len(tables))
