"""Import KPU's TPS list (CSV or XLSX) synchronously, with a run record and audit events.

    python manage.py import_tps daftar_tps.xlsx [--election pilkada-2024] [--valid-only] [--user NAME] [--json]

Exits non-zero when nothing was imported because rows were rejected (all-or-nothing) or the file is unreadable.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from sinergi.core import uploads
from sinergi.elections import services


class Command(BaseCommand):
    help = "Impor daftar TPS KPU (CSV/XLSX). Import KPU's TPS list; all-or-nothing unless --valid-only."

    def add_arguments(self, parser):
        parser.add_argument("file", help="berkas .csv (UTF-8) atau .xlsx")
        parser.add_argument("--election", default=services.DEFAULT_ELECTION_CODE,
                            help="kode pemilihan (default: %(default)s)")
        parser.add_argument("--valid-only", action="store_true",
                            help="impor baris yang valid saja; baris bermasalah dilaporkan dan dilewati")
        parser.add_argument("--user", default="",
                            help="nama pengguna pelaku (diperiksa izin tps.import); tanpa ini: system")
        parser.add_argument("--json", action="store_true", help="cetak hasil sebagai JSON")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"Berkas tidak ditemukan: {path}")
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"Pengguna '{options['user']}' tidak ada.")
        try:
            run = services.tps_import_start(
                actor=actor, file_bytes=uploads.read_path(path), filename=path.name, valid_only=options["valid_only"],
                election_code=options["election"], enqueue=False, system=actor is None,
            )
        except PermissionDenied as exc:
            raise CommandError(f"Tidak diizinkan: {exc}") from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        result = services.tps_import_execute(run)
        run.refresh_from_db()
        if options["json"]:
            self.stdout.write(json.dumps({"run": run.pk, "status": run.status, "duration_s": run.duration_s,
                                          "result": result}, ensure_ascii=False, indent=2))
        else:
            self._summary(run, result)
        if not result.get("imported"):
            raise CommandError(
                f"Tidak ada TPS yang diimpor: {result.get('rows_rejected', 0)} baris ditolak, "
                f"{result.get('errors_total', 0)} kesalahan (run #{run.pk}).",
                returncode=2,
            )

    def _summary(self, run, result):
        out = self.stdout
        out.write(f"Impor TPS #{run.pk} ({run.input_name}) — status {run.status}, {run.duration_s} s")
        out.write(f"  pemilihan {result.get('election')}, mode "
                  f"{'baris valid saja' if result.get('valid_only') else 'semua-atau-tidak-sama-sekali'}")
        out.write(f"  baris data {result.get('rows_total', 0)}: valid {result.get('rows_valid', 0)}, "
                  f"ditolak {result.get('rows_rejected', 0)}")
        if result.get("imported"):
            out.write(self.style.SUCCESS(
                f"  dibuat {result['created']}, diubah {result['updated']}, tidak berubah {result['unchanged']}"
                + (f"; {result['not_in_file']} TPS di desa yang sama tidak ada di berkas" if result.get("not_in_file")
                   else "")))
        if result.get("ignored_columns"):
            out.write(f"  kolom diabaikan: {', '.join(result['ignored_columns'])}")
        errors = result.get("errors") or []
        for error in errors[:200]:
            row = error["row"] if error["row"] is not None else "-"
            out.write(self.style.ERROR(f"  baris {row} [{error['field']}]: {error['message']}"))
        if result.get("errors_total", 0) > 200:
            out.write(f"  ... dan {result['errors_total'] - 200} kesalahan lain (lihat --json atau halaman run)")
