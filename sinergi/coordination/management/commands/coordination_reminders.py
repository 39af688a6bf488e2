"""Send action-item reminders (due soon / overdue) as in-app notifications; idempotent, run from cron."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from sinergi.coordination.tasks import run_reminders


class Command(BaseCommand):
    help = "Kirim pengingat tindak lanjut (menjelang dan lewat jatuh tempo). Aman dijalankan berulang."

    def add_arguments(self, parser):
        parser.add_argument("--days-before", type=int, default=3, help="hari sebelum jatuh tempo (bawaan 3)")
        parser.add_argument("--now", help="waktu acuan ISO 8601 (untuk uji dan pengulangan), bawaan: sekarang")

    def handle(self, *args, days_before: int, now: str | None, **options):
        when = None
        if now:
            try:
                when = datetime.fromisoformat(now)
            except ValueError as exc:
                raise CommandError(f"--now: {exc}") from exc
            if timezone.is_naive(when):
                when = timezone.make_aware(when)
        result = run_reminders(now=when, days_before=days_before)
        self.stdout.write(
            f"pengingat: menjelang={result['sent']['due_soon']} lewat={result['sent']['overdue']} "
            f"sudah-dikirim={result['already_sent']}"
        )
