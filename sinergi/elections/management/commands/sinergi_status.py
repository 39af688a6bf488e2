import json

from django.core.management.base import BaseCommand

from sinergi.elections.selectors import dataset_status


class Command(BaseCommand):
    help = "Counts of regions, TPS, voters, units and users (--json for scripts)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args, **opts):
        status = dataset_status()
        if opts["json"]:
            self.stdout.write(json.dumps(status, sort_keys=True))
            return
        r = status["regions"]
        lines = [
            f"Provinsi        : {r['provinces']:>9,}",
            f"Kabupaten/Kota  : {r['regencies']:>9,}",
            f"Kecamatan       : {r['districts']:>9,}",
            f"Desa/Kelurahan  : {r['villages']:>9,}",
            f"Pulau           : {r['islands']:>9,}",
            f"TPS             : {status['tps']:>9,}  (perkiraan/estimated: {status['estimated_tps']:,})",
            f"Pemilih (DPT)   : {status['voters']:>9,}",
            f"Satuan/units    : {status['units']:>9,}",
            f"Pengguna/users  : {status['users']:>9,}",
        ]
        self.stdout.write("\n".join(lines))
