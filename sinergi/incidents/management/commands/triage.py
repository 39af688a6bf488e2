"""`sinergi triage --jsonl FILE`: triage without storing, one JSON line out per input line
{"id", "text", "date"}; duplicate_of names an earlier id of the same file."""

from __future__ import annotations

import datetime as dt
import json
import sys

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Triage reports from a JSON-lines file without storing them (batch review, evaluation)."

    def add_arguments(self, parser):
        parser.add_argument("--jsonl", required=True, help="file of {id, text, date} lines ('-' = stdin)")

    def handle(self, *args, **opts):
        from sinergi.engine.incidents.triage import clean
        from sinergi.incidents.triage import triager

        path = opts["jsonl"]
        try:
            lines = sys.stdin.read().splitlines() if path == "-" else open(path, encoding="utf-8").read().splitlines()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        t = triager(with_db=False)
        earlier = []
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if not isinstance(item, dict):
                    raise ValueError("not an object")
            except ValueError as exc:
                self.stderr.write(f"line {n}: not a JSON object ({exc})")
                continue
            rid = item.get("id", n)
            text = item.get("text") if isinstance(item.get("text"), str) else ""
            at = None
            if isinstance(item.get("date"), str):
                try:
                    at = dt.datetime.fromisoformat(item["date"].replace("Z", "+00:00"))
                    at = at.replace(tzinfo=None) if at.tzinfo else at
                except ValueError:
                    at = None
            res = t.triage(text, at=at, earlier=earlier[-500:], key=str(rid))
            earlier.append(t.dup_item(str(rid), at or dt.datetime.min, clean(text),
                                      tuple(c for c, _ in res.top3), res.place.code))
            p = res.place
            dup = res.duplicate_of
            out = {"id": rid, "category": res.category, "top3": [[c, round(s, 3)] for c, s in res.top3],
                   "election_related": res.election_related, "severity": res.severity,
                   "severity_reasons": list(res.severity_reasons),
                   "place": {"code": p.code, "level": p.level, "name": p.name} if p.code else None,
                   "out_of_area": res.out_of_area, "route": list(res.route),
                   "duplicate_of": None if dup is None else _typed(dup, item.get("id"))}
            self.stdout.write(json.dumps(out, ensure_ascii=False))


def _typed(dup: str, sample):
    """The duplicate's id in the type the file used (ints stay ints)."""
    if isinstance(sample, int) and dup.lstrip("-").isdigit():
        return int(dup)
    return dup
