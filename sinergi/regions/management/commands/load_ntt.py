"""`sinergi load-dataset [--force] [--json]`: load the NTT Pilkada 2024 default dataset."""

import json

from django.core.management.base import BaseCommand

from sinergi.regions.loaders import load_default_dataset


class Command(BaseCommand):
    help = "Load the default dataset (regions, NTT geometry, Pilkada 2024, estimated TPS, units) once."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="reload even if already loaded (in place)")
        parser.add_argument("--json", action="store_true", help="machine-readable summary")

    def handle(self, *args, **opts):
        summary = load_default_dataset(actor=None, force=opts["force"])
        if opts["json"]:
            self.stdout.write(json.dumps(summary, sort_keys=True))
            return
        if summary["skipped"]:
            self.stdout.write("Dataset NTT Pilkada 2024 sudah dimuat / already loaded (use --force to reload).")
            return
        r = summary["regions"]
        lines = [
            f"Provinsi        : {r['provinces']:>9,}",
            f"Kabupaten/Kota  : {r['regencies']:>9,}",
            f"Kecamatan       : {r['districts']:>9,}",
            f"Desa/Kelurahan  : {r['villages']:>9,}",
            f"Pulau           : {summary['islands']:>9,}",
            f"Batas NTT       : {summary['ntt_geometries']:>9,}",
            f"Tahapan         : {summary['stages']:>9,}",
            f"Kontestasi      : {summary['contests']:>9,}  ({summary['candidate_pairs']} pasangan calon)",
            f"TPS (perkiraan) : {summary['tps']:>9,}",
            f"Pemilih (DPT)   : {summary['voters']:>9,}",
            f"Satuan/units    : {summary['units']:>9,}",
            f"Kekuatan        : {summary['strengths']:>9,}",
            f"Waktu / seconds : {summary['seconds']:>9.1f}",
        ]
        self.stdout.write("\n".join(lines))
