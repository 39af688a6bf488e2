"""`sinergi load-dataset [--force] [--province CODE | --national] [--json]`.

Without options: the NTT Pilkada 2024 default dataset. ``--province CODE`` sets up another province
(docs/provinces.md); ``--national`` all 38 under Mabes Polri.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from sinergi.elections.dataset import load_default_dataset


class Command(BaseCommand):
    help = "Load the default dataset (regions, NTT geometry, Pilkada 2024, estimated TPS, units) once."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="reload even if already loaded (in place)")
        parser.add_argument("--json", action="store_true", help="machine-readable summary")
        parser.add_argument("--province", help="Kemendagri code of another province to set up (e.g. 52)")
        parser.add_argument("--national", action="store_true", help="all 38 provinces, Polda under Mabes Polri")

    def handle(self, *args, **opts):
        if opts["province"] or opts["national"]:
            return self._other(opts)
        summary = load_default_dataset(actor=None, force=opts["force"])
        if not summary["skipped"]:
            from sinergi.core.db import statistics

            statistics.refresh()  # the planner's statistics for the tables just filled (SQLite)
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

    def _other(self, opts):
        from sinergi.elections.dataset import dataset_load_national, dataset_load_province

        if opts["province"] and opts["national"]:
            raise CommandError("--province and --national exclude each other")
        try:
            if opts["national"]:
                summary = dataset_load_national(actor=None)
            else:
                summary = dataset_load_province(province_code=opts["province"].strip(), actor=None)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if opts["json"]:
            self.stdout.write(json.dumps(summary, sort_keys=True))
            return
        if opts["national"]:
            self.stdout.write("\n".join([
                f"Provinsi / Polda : {summary['provinces']} / {summary['polda']} di bawah Mabes Polri",
                f"Pemilihan        : {summary['elections']:>9,}",
                f"Kontestasi       : {summary['contests']:>9,}",
                f"Satuan/units     : {summary['units']:>9,}",
                f"TPS              : {summary['tps']:>9,}",
                f"Waktu / seconds  : {summary['seconds']:>9.1f}",
            ]))
            return
        if "election" not in summary:  # 53: the default dataset
            self.stdout.write("Provinsi 53: dataset bawaan NTT / the NTT default dataset.")
            return
        lines = [
            f"Provinsi         : {summary['province']}",
            f"Pemilihan        : {summary['election']}  ({summary['stages']} tahapan)",
            f"Kontestasi       : {summary['contests']:>9,}  (perkiraan: dibuat otomatis)",
            f"Satuan/units     : {summary['units']:>9,}",
            f"Batas wilayah    : {summary['boundaries']:>9,}  (batas hanya dikirim untuk NTT)",
            f"TPS              : {summary['tps']:>9,}",
            f"Kekuatan (perk.) : {summary['strengths']:>9,}",
            f"Titik turunan    : {summary['centroids_derived']:>9,}",
            f"Waktu / seconds  : {summary['seconds']:>9.1f}",
        ]
        if not summary["tps"]:
            lines.append(f"Langkah berikut / next: sinergi import-tps FILE --election {summary['election']}, "
                         f"lalu / then: sinergi load-dataset --province {summary['province']}")
        self.stdout.write("\n".join(lines))
