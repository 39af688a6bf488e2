"""`sinergi plan run [--scenario NAME] [--json]`: compute a deployment plan and print its figures."""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand, CommandError

from sinergi.deployment.choices import SCENARIOS


class Command(BaseCommand):
    help = "Rencana pengamanan: `plan run [--scenario NAME] [--json]`"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["run"])
        parser.add_argument("--scenario", default="dasar", help=f"one of: {', '.join(SCENARIOS)}")
        parser.add_argument("--name", default="")
        parser.add_argument("--reserve-k", type=int, default=None)
        parser.add_argument("--radius-min", type=float, default=None)
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--election", default=None,
                            help="election code (default: pilkada-2024; another province: pilkada-2024-<CODE>)")

    def handle(self, *args, **opts):
        from sinergi.deployment.services import plan_run_sync
        from sinergi.elections.selectors import default_election

        if opts["scenario"] not in SCENARIOS:
            raise CommandError(f"unknown scenario {opts['scenario']!r}; known: {', '.join(SCENARIOS)}")
        if opts["election"]:
            from sinergi.elections.models import Election

            election = Election.objects.filter(code=opts["election"]).first()
            if election is None:
                raise CommandError(f"unknown election {opts['election']!r}")
        else:
            election = default_election()
        if election is None:
            raise CommandError("no election loaded (run `sinergi load-dataset`)")
        overrides = {}
        if opts["reserve_k"] is not None:
            overrides["reserve_k"] = opts["reserve_k"]
        if opts["radius_min"] is not None:
            overrides["radius_min"] = opts["radius_min"]
        t0 = time.perf_counter()
        plan = plan_run_sync(actor=None, election=election, scenario=opts["scenario"], name=opts["name"],
                             parameters=overrides)
        wall = time.perf_counter() - t0
        m = plan.metrics
        if opts["json"]:
            out = {"plan": plan.pk, "scenario": plan.scenario, "input_hash": plan.input_hash,
                   "wall_time_s": round(wall, 3),
                   **{k: v for k, v in m.items() if k not in ("patterns",)}}
            self.stdout.write(json.dumps(out, ensure_ascii=False, indent=2))
            return
        w = self.stdout.write
        w(f"Rencana #{plan.pk} ({plan.name}), skenario {plan.scenario}, hash masukan {plan.input_hash[:12]}")
        if m.get("tier_source") == "placeholder":
            w("PERHATIAN: tingkat kerawanan sementara (belum ada penilaian)")
        w(f"TPS: {m['tps']} ({', '.join(f'{k} {v}' for k, v in m['tier_counts'].items())})")
        w(f"Personel dibutuhkan: {m['officers_required']}  dapat dikerahkan (Polres): {m['officers_deployable']}  "
          f"metode manual: {m['officers_manual']}")
        w(f"Kelompok pengamanan: {m['groups']}  batas bawah sum(ceil(n/B)): {m['groups_lower_bound']} "
          f"(selisih {m['groups_gap_vs_lower_bound']:.1%})  batas terbukti dengan radius: {m['groups_bound']} "
          f"(selisih {m['groups_gap']:.1%}); sel terbukti optimal {m.get('groups_cells_proven_optimal', '–')}/"
          f"{m.get('groups_cells', '–')}")
        w(f"BKO: {m['reinforcements']} personel, {m['reinforcement_person_minutes']:.0f} personel-menit; "
          f"kekurangan: {m['shortfall']}")
        for key, label in (("median", "p-median (rata-rata)"), ("center", "p-center (terburuk)")):
            if f"reserve_{key}_objective_h" in m:
                w(f"Cadangan {label}: {m[f'reserve_{key}_objective_h']:.2f} jam, batas "
                  f"{m[f'reserve_{key}_bound_h']:.2f} jam, selisih {m[f'reserve_{key}_gap']:.1%} "
                  f"[{m[f'reserve_{key}_bound_method']}]")
        w(f"Waktu: {m['time_total_s']:.2f} s (mesin {m['time_engine_s']:.2f} s), total {wall:.2f} s")
