"""`sinergi up`: prepare the embedded deployment and serve it (web server, task worker, report processor, tick),
supervised: a child that dies is restarted without stopping the others."""

from __future__ import annotations

import io
import os
import secrets
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from sinergi.accounts.choices import Role
from sinergi.accounts.models import Unit, User
from sinergi.accounts.services import user_create
from sinergi.core.supervisor import Supervisor


class Command(BaseCommand):
    help = "Create/migrate the database, load the NTT default dataset once, create an admin, then serve."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("SINERGI_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("SINERGI_PORT", "8000")))
        parser.add_argument("--no-worker", action="store_true", help="do not start the task worker")
        parser.add_argument("--no-serve", action="store_true", help="prepare everything, then exit")

    def handle(self, *args, **opts):
        self.stdout.write(f"Sinergi: data folder {settings.DATA_DIR}")
        self.stdout.write(f"Database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")
        from sinergi.core.progress import steps
        from sinergi.core.terminal import terminal_progress

        with terminal_progress():  # a bar on a terminal, plain lines otherwise (stderr); stopped before serving
            at = steps(None, ["Basis data / database", "Dataset NTT", "Kerawanan / risk", "Logistik / logistics",
                              "Admin"], label="up")
            at(0)
            call_command("migrate", interactive=False, verbosity=0)
            from sinergi.elections.dataset import load_default_dataset

            at(1)
            t0 = time.perf_counter()
            summary = load_default_dataset(actor=None)
            if summary.get("skipped"):
                self.stdout.write("Dataset NTT Pilkada 2024 already loaded.")
            else:
                self.stdout.write(f"Loaded the NTT default dataset in {time.perf_counter() - t0:.1f} s.")
            # Vulnerability mapping: catalog, default model, labelled demo observations, first assessment.
            at(2)
            call_command("risk_setup", "--demo", verbosity=0)
            # Election-day logistics: the default KPU distribution/recap movements with estimated times (idempotent).
            at(3)
            call_command("logistics_plan_default", verbosity=0, stdout=io.StringIO())
            # The query planner's statistics (SQLite has none until ANALYZE: lookups by TPS code walked the election)
            from sinergi.core.db import statistics

            statistics.refresh()
            # Web Push: a VAPID key pair in the data folder (0600) when none is configured (idempotent)
            call_command("messaging_vapid_keys", verbosity=0, stdout=io.StringIO())
            self._collect_static()
            at(4)
            credentials = self._ensure_admin()
            at(5)
        url = f"http://{opts['host']}:{opts['port']}/"
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Sinergi siap / ready: {url}"))
        self.stdout.write(f"  Masuk / log in: {url}accounts/login/")
        self.stdout.write(f"  {credentials}")
        self.stdout.write("  (Estimated data is marked 'perkiraan' in the app.)")
        if settings.SINERGI_OTP_REQUIRED_ROLES:
            self.stdout.write("  Admins and commanders enrol an authenticator app (TOTP) at their first sign-in.")
        if opts["no_serve"]:
            return
        self._serve(opts)

    def _collect_static(self) -> None:
        """Hashed, pre-compressed static files (cached a year; sinergi/core/staticfiles.py); collected again only
        when the app's static files changed since the last start (collecting takes ~20 s)."""
        import hashlib

        from django.contrib.staticfiles import finders

        h = hashlib.sha256()
        for finder in finders.get_finders():
            for path, storage in finder.list(["CVS", ".*", "*~"]):
                st = storage.stat(path) if hasattr(storage, "stat") else os.stat(storage.path(path))
                h.update(f"{path}:{st.st_size}:{st.st_mtime_ns}\n".encode())
        stamp = settings.STATIC_ROOT / ".collected"
        if stamp.exists() and stamp.read_text() == h.hexdigest():
            return
        call_command("collectstatic", interactive=False, verbosity=0)
        stamp.write_text(h.hexdigest())

    def _ensure_admin(self) -> str:
        cred_file = settings.DATA_DIR / "admin_credentials.txt"
        if User.objects.filter(is_superuser=True).exists():
            if cred_file.exists():
                return cred_file.read_text().strip()
            return "Admin account exists (password as set earlier)."
        password = secrets.token_urlsafe(12)
        with transaction.atomic():
            polda = Unit.objects.filter(agency__code="POLRI", level="province").order_by("path").first()
            user_create(actor=None, username="admin", password=password, unit=polda, role=Role.ADMIN,
                        is_superuser=True, first_name="Administrator")
        text = f"username: admin   password: {password}   (saved in {cred_file})"
        cred_file.write_text(text + "\n")
        cred_file.chmod(0o600)
        return text

    def _serve(self, opts) -> None:
        """Web server processes (one per core, sinergi_serve.web_processes), task worker, report processor
        (reports are processed there in batches, not in the request) and tick under the supervisor (sinergi/core/supervisor.py):
        a child that dies is restarted with back-off while the others keep running; Ctrl+C / SIGTERM stops all."""
        from sinergi.core.management.commands.sinergi_serve import (
            build_children,
            child_env,
            listen_sockets,
            mark_dead,
            prepare_metrics_dir,
            web_processes,
        )

        metrics_dir = prepare_metrics_dir()
        socks = listen_sockets(opts["host"], opts["port"], web_processes())
        children = build_children(socks=socks, task_workers=0 if opts["no_worker"] else 1,
                                  processor=not opts["no_worker"], scheduler=not opts["no_worker"],
                                  env=child_env(metrics_dir))
        try:
            Supervisor(children, on_exit=mark_dead(metrics_dir)).run()
        finally:
            for sock in socks:
                sock.close()
