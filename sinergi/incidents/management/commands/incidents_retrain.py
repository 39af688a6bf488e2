"""Retrain the category model from the shipped examples plus staff corrections; writes a versioned model
(SINERGI_DATA_DIR/triage/model-<version>.json, used from then on) and its evaluation report on the held-out
split of the development set (…/report-<version>.json)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from sinergi.core.clock import now


class Command(BaseCommand):
    help = "Retrain the triage category model from stored staff corrections and the shipped labelled set."

    def add_arguments(self, parser):
        parser.add_argument("--no-corrections", action="store_true")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, **opts):
        from sinergi.engine.incidents.triage import Triager, train_model
        from sinergi.incidents import triage

        examples = triage.training_examples(corrections=not opts["no_corrections"])
        version = now().strftime("%Y%m%d%H%M%S")
        model = train_model(examples, version=version, seed=opts["seed"])
        base = triage.triager(with_db=False)
        report = triage.evaluate(Triager(base.gazetteer, model, base.categories, base.rules,
                                         voting_day=base.voting_day))
        d = triage.model_dir()
        d.mkdir(parents=True, exist_ok=True)
        (d / f"model-{version}.json").write_text(json.dumps({**model.to_dict(), "meta": {
            **model.meta, "evaluation": {k: v for k, v in report.items() if k != "confusions"}}},
            ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        (d / f"report-{version}.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        self.stdout.write(f"model {version}: {len(examples)} examples; held-out category top-1 "
                          f"{report['category_top1']} %, severity ±1 {report['severity_within_one']} % -> {d}")
