"""`sinergi restore FILE [--force] [--json]`: restore a backup archive, then verify it (exit 1 if not verified)."""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from sinergi.core.backup import AUDIT_KEY_NOTE, BackupError, backup_restore


class Command(BaseCommand):
    help = ("Restore a `sinergi backup` archive into the configured database and MEDIA_ROOT (stop the server, "
            "workers and tick first); checks the manifest hashes before, the audit chain and counts after.")

    def add_arguments(self, parser):
        parser.add_argument("archive", help="sinergi-backup-*.tar.gz")
        parser.add_argument("--force", action="store_true", help="replace a database that already holds data")
        parser.add_argument("--json", action="store_true", help="machine-readable result")

    def handle(self, *args, **opts):
        try:
            result = backup_restore(archive=opts["archive"], force=opts["force"])
        except BackupError as exc:
            raise CommandError(f"restore refused: {exc}") from exc
        if opts["json"]:
            self.stdout.write(json.dumps(result.as_dict(), sort_keys=True))
        else:
            self.stdout.write("\n".join([
                f"Dipulihkan / restored : {result.archive}",
                f"Rantai audit          : {'utuh / intact' if result.audit_ok else 'RUSAK / BROKEN'} "
                f"({result.audit_checked:,} peristiwa)",
                f"Jumlah baris dicek    : {result.counts_checked} tabel",
                f"Berkas unggahan       : {result.media_files:,}",
                f"Hasil / result        : {'TERVERIFIKASI / verified' if result.verified else 'TIDAK COCOK / MISMATCH'}",
                *result.problems,
                AUDIT_KEY_NOTE,
            ]))
        if not result.verified:
            self.stderr.write("restore NOT verified: " + "; ".join(result.problems[:5]))
            sys.exit(1)  # the command ran and found a problem (README: exit 1)
