"""`sinergi risk SUBCOMMAND`: vulnerability mapping from the command line.

    sinergi risk setup [--demo]        catalog + default model (and demo observations) for the default election
    sinergi risk demo [--force]        (re)generate the demo observations (labelled demo data)
    sinergi risk recompute [--json]    recompute and store all assessments; prints tier counts and run time
    sinergi risk import FILE [--valid-only] [--user NAME] [--json]   bulk observations (CSV/XLSX)
    sinergi risk status [--json]       published model and its last tier counts
"""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from sinergi.core import uploads
from sinergi.risk import importers, services

LABELS = {"kurang_rawan": "kurang rawan", "rawan": "rawan", "sangat_rawan": "sangat rawan",
          "tidak_dinilai": "belum dinilai"}


class Command(BaseCommand):
    help = "Pemetaan kerawanan: setup, demo, recompute, import, status."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="sub", required=True)
        p = sub.add_parser("setup")
        p.add_argument("--demo", action="store_true")
        p.add_argument("--json", action="store_true")
        p = sub.add_parser("demo")
        p.add_argument("--force", action="store_true")
        p.add_argument("--seed", type=int, default=None)
        p.add_argument("--json", action="store_true")
        p = sub.add_parser("recompute")
        p.add_argument("--json", action="store_true")
        p.add_argument("--election", default="")
        p = sub.add_parser("import")
        p.add_argument("file")
        p.add_argument("--valid-only", action="store_true")
        p.add_argument("--user", default="")
        p.add_argument("--json", action="store_true")
        p = sub.add_parser("status")
        p.add_argument("--json", action="store_true")

    def _out(self, data, as_json, lines):
        if as_json:
            self.stdout.write(json.dumps(data, ensure_ascii=False, default=str))
        else:
            for line in lines:
                self.stdout.write(line)

    def handle(self, *args, **o):
        return getattr(self, "do_" + o["sub"])(o)

    def do_setup(self, o):
        data = services.risk_seed_defaults(actor=None)
        if o["demo"]:
            data["demo"] = services.risk_demo_observations(actor=None)
            data["recompute"] = self._recompute(None)
        self._out(data, o["json"], [f"Katalog: {data['catalog']['total']} indikator; model {data['model']}"])

    def do_demo(self, o):
        data = services.risk_demo_observations(actor=None, force=o["force"], seed=o["seed"])
        lines = [f"Data demo: {data}"]
        self._out(data, o["json"], lines)

    def _recompute(self, election_code):
        from sinergi.elections.models import Election

        election = Election.objects.filter(code=election_code).first() if election_code else None
        try:
            run = services.risk_recompute(actor=None, election=election, system=True)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        if run.status != "succeeded":
            raise CommandError(f"Hitung ulang gagal (run #{run.pk}): {run.log}")
        r = run.result
        return {"run": run.pk, "status": run.status, "model_version": r.get("version"), "tps": r.get("tps"),
                "tiers": r.get("tiers"), "low_coverage": r.get("low_coverage"), "demo": r.get("demo"),
                "seconds": r.get("seconds", {}).get("total"), "duration_s": run.duration_s,
                "timing": r.get("seconds")}

    def do_recompute(self, o):
        data = self._recompute(o["election"])
        tiers = data["tiers"] or {}
        lines = [f"Model kerawanan v{data['model_version']}: {data['tps']:,} TPS"
                 + (" (data demo)" if data["demo"] else "")]
        lines += [f"  {LABELS[k]:>14}: {v:,}" for k, v in tiers.items()]
        lines.append(f"Waktu: {data['seconds']:.2f} s (run #{data['run']})")
        self._out(data, o["json"], lines)

    def do_import(self, o):
        path = Path(o["file"])
        if not path.is_file():
            raise CommandError(f"Berkas tidak ditemukan: {path}")
        actor = None
        if o["user"]:
            actor = get_user_model().objects.filter(username=o["user"]).first()
            if actor is None:
                raise CommandError(f"Pengguna '{o['user']}' tidak ada.")
        try:
            run = importers.observation_import_start(actor=actor, file_bytes=uploads.read_path(path), filename=path.name,
                                                     valid_only=o["valid_only"], enqueue=False,
                                                     system=actor is None)
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError(str(exc)) from exc
        result = importers.observation_import_execute(run)
        lines = [f"Impor pengamatan #{run.pk}: {result.get('rows_total')} baris, valid {result.get('rows_valid')}, "
                 f"ditolak {result.get('rows_rejected')}; dibuat {result.get('created')}, diubah "
                 f"{result.get('updated')}, tetap {result.get('unchanged')}"]
        lines += [f"  baris {e['row']} [{e['field']}]: {e['message']}" for e in result.get("errors", [])[:200]]
        self._out({"run": run.pk, "result": result}, o["json"], lines)
        if not result.get("imported"):
            raise CommandError("Tidak ada pengamatan yang diimpor.", returncode=2)

    def do_status(self, o):
        model = services.published_model(services.default_election())
        data = {"model": None} if model is None else {
            "model": model.pk, "version": model.version, "name": model.name,
            "published_at": model.published_at, "last_computed_at": model.last_computed_at,
            "tiers": (model.summary or {}).get("tiers")}
        self._out(data, o["json"], [json.dumps(data, default=str, ensure_ascii=False)])
