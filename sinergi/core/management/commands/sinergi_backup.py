"""`sinergi backup [--output DIR] [--json]`: one archive of the database, uploads and audit checkpoint."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sinergi.core.backup import AUDIT_KEY_NOTE, BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database (SQLite online backup / pg_dump), MEDIA_ROOT and the audit chain checkpoint."

    def add_arguments(self, parser):
        parser.add_argument("--output", default=None,
                            help="folder for the archive (default: SINERGI_DATA_DIR/backups)")
        parser.add_argument("--json", action="store_true", help="machine-readable summary")

    def handle(self, *args, **opts):
        output = Path(opts["output"]) if opts["output"] else Path(settings.DATA_DIR) / "backups"
        try:
            result = backup_create(output_dir=output)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = result["manifest"]
        if opts["json"]:
            self.stdout.write(json.dumps({
                "archive": result["archive"], "sha256": result["sha256"], "vendor": manifest["vendor"],
                "audit_checkpoint": manifest["audit_checkpoint"], "tables": len(manifest["counts"]),
                "rows": sum(manifest["counts"].values()), "media_files": manifest["media_files"],
                "audit_key_included": False,
            }, sort_keys=True))
            return
        cp = manifest["audit_checkpoint"]
        self.stdout.write("\n".join([
            f"Cadangan / backup : {result['archive']}",
            f"SHA-256           : {result['sha256']}",
            f"Basis data        : {manifest['vendor']}, {len(manifest['counts'])} tabel, "
            f"{sum(manifest['counts'].values()):,} baris",
            f"Berkas unggahan   : {manifest['media_files']:,}",
            f"Titik audit       : {cp['events']:,} peristiwa, terakhir #{cp['last_seq']} {cp['last_hash']}",
            AUDIT_KEY_NOTE,
        ]))
