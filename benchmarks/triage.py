"""`sinergi bench triage`: triage quality and speed on the shipped development set
(sinergi/data/incidents/triage_dev). Category and severity on the held-out split (templates the model never
trained on); place, out-of-area, routing and duplicates on every report (they are not trained). Configuration:
the shipped model (or the newest retrained one), the national gazetteer from the shipped files, home NTT."""

from __future__ import annotations

import json
import os
import time


def run(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()
    from sinergi.incidents import triage

    t0 = time.perf_counter()
    tr = triage.triager(with_db=False)
    build = time.perf_counter() - t0
    test = triage.evaluate(tr, split="test")
    every = triage.evaluate(tr, split="all")
    cold = every["ms_per_report"]  # first pass stems every new word (Sastrawi, then cached)
    every = triage.evaluate(tr, split="all")
    print(f"configuration: model {tr.model.version} ({triage.model_path().name}), gazetteer {len(tr.gazetteer)} "
          f"regions built in {build:.1f} s, home province {tr.gazetteer.home}")
    for name, r in (("held-out (test split)", test), ("all reports", every)):
        print(f"{name}: " + json.dumps({k: v for k, v in r.items() if k != "confusions"}, ensure_ascii=False))
    print(f"time per report: first pass {cold} ms (new words stemmed), warm {every['ms_per_report']} ms")
    print("held-out confusions (id, label, suggested):", test["confusions"])
    print(f"reports describing deaths/weapons/arson: {every['serious_reports']}, suggested below 3: "
          f"{every['serious_below_3']}")
    print(f"triage: category top-1 {test['category_top1']} %, severity ±1 {test['severity_within_one']} %, "
          f"kabupaten {every['kabupaten']} %, "
          f"out-of-area recall {every['out_of_area_recall']} %, non-election {test['non_election_recognised']} %, "
          f"routing {every['routing']} %, duplicate pairs {every['duplicate_found']}/{every['duplicate_pairs']}, "
          f"{every['ms_per_report']} ms/report")
    return 0
