"""Build dev.jsonl (the triage development set) from templates.yaml and the national gazetteer.

    python sinergi/data/incidents/triage_dev/build.py      # deterministic (seed 2024)

Each template is used twice: once at a place inside NTT, once (70 %) outside NTT or (30 %) inside again; the
place phrase takes one of the forms people write (Desa X, Kec. Y, Kab. Z / desa X kec Y / Kab. Z / TTS / a
bare kabupaten or city name ...). A template's `dup` is emitted 1-5 hours after the first telling at the same
place. Templates with index % 4 == 3 in each category form the held-out test split (their texts never reach
training)."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import random
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
AREA = HERE.parent.parent / "idn-area"
ABBREV = {"53.02": ["TTS", "Kab. TTS"], "53.03": ["TTU"], "53.15": ["Mabar"], "53.18": ["SBD", "Kab. SBD"],
          "53.19": ["Matim"], "53.06": ["Flotim"]}
NOPLACE = ["kampung kami", "lokasi kami", "sini", "desa kami"]


def _csv(name: str) -> list[dict]:
    opener = gzip.open if name.endswith(".gz") else open
    with opener(AREA / name, "rt", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _short(name: str) -> str:
    for p in ("Kabupaten Administrasi ", "Kota Administrasi ", "Kabupaten ", "Kota "):
        if name.startswith(p):
            return name[len(p):]
    return name


def main() -> None:
    rng = random.Random(2024)
    provinces = {r["code"]: r["name"] for r in _csv("provinces.csv")}
    regencies = {r["code"]: r["name"] for r in _csv("regencies.csv")}
    districts = {r["code"]: r["name"] for r in _csv("districts.csv")}
    villages = [r for r in _csv("villages.csv.gz")]
    ntt_v = [v for v in villages if v["code"].startswith("53.")]
    out_v = [v for v in villages if not v["code"].startswith("53.")]
    out_regs = [c for c in regencies if not c.startswith("53")]

    def phrase(inside: bool) -> tuple[str, dict]:
        v = rng.choice(ntt_v if inside else out_v)
        d, r = v["district_code"], v["district_code"][:5]
        rname = regencies[r]
        kind = "Kota" if rname.startswith("Kota") else "Kab."
        form = rng.choice(["full", "desa_kec", "kab", "kab", "kec_kab", "bare", "abbrev"])
        if not inside and form in ("abbrev",):
            form = "kab"
        if not inside and rng.random() < 0.4:  # a regency chosen directly, so cities appear too
            r = rng.choice(out_regs)
            rname = regencies[r]
            kind = "Kota" if rname.startswith("Kota") else "Kab."
            form = rng.choice(["kab", "kab_prov", "bare"])
        gold: dict = {"regency": r, "names_regency": True, "out_of_area": not inside}
        if form == "full":
            text = f"Desa {v['name']}, Kec. {districts[d]}, {kind} {_short(rname)}"
            gold |= {"code": v["code"], "level": "village"}
        elif form == "desa_kec":
            text = f"desa {v['name']} kec {districts[d]}"
            gold |= {"code": v["code"], "level": "village", "names_regency": False}
        elif form == "kec_kab":
            text = f"Kec. {districts[d]} {kind} {_short(rname)}"
            gold |= {"code": d, "level": "district"}
        elif form == "abbrev" and r in ABBREV:
            text = rng.choice(ABBREV[r])
            gold |= {"code": r, "level": "regency"}
        elif form == "kab_prov":
            text = f"{kind} {_short(rname)}, {provinces[r[:2]]}"
            gold |= {"code": r, "level": "regency"}
        elif form == "bare":
            text = _short(rname) if kind == "Kab." else rname
            gold |= {"code": r, "level": "regency"}
        else:
            text = f"{rng.choice([kind, 'Kabupaten'] if kind == 'Kab.' else [kind])} {_short(rname)}"
            gold |= {"code": r, "level": "regency"}
        return text, gold

    templates = yaml.safe_load((HERE / "templates.yaml").read_text(encoding="utf-8"))
    rows: list[dict] = []
    start = dt.datetime(2024, 9, 25, 6, 0)
    for cat, items in templates.items():
        for ti, t in enumerate(items):
            split = "test" if ti % 4 == 3 else "train"
            for inst in range(2):
                inside = inst == 0 or rng.random() < 0.3
                if rng.random() < 0.08:
                    ptext, gold = rng.choice(NOPLACE), {"code": None, "level": None, "regency": None,
                                                         "names_regency": False, "out_of_area": False}
                else:
                    ptext, gold = phrase(inside)
                when = start + dt.timedelta(minutes=rng.randrange(0, 66 * 24 * 60))
                base = {"category": cat, "severity": t["s"], "election_related": cat not in ("crime_general", "other"),
                        "place": gold, "split": split, "template": f"{cat}:{ti}"}
                rows.append({"text": t["t"].replace("{P}", ptext), "date": when, **base, "dup_of_text": None})
                if t.get("dup") and inst == 0:
                    later = when + dt.timedelta(minutes=rng.randrange(60, 300))
                    rows.append({"text": t["dup"].replace("{P}", ptext), "date": later, **base,
                                 "dup_of_text": t["t"].replace("{P}", ptext)})
    rows.sort(key=lambda r: r["date"])
    ids: dict[str, str] = {}
    with open(HERE / "dev.jsonl", "w", encoding="utf-8") as f:
        for n, r in enumerate(rows, 1):
            rid = f"d{n:03d}"
            ids.setdefault(r["text"], rid)
            out = {"id": rid, "text": r["text"], "date": r["date"].isoformat(timespec="minutes"),
                   "category": r["category"], "severity": r["severity"], "election_related": r["election_related"],
                   "place": r["place"], "duplicate_of": ids.get(r["dup_of_text"]) if r["dup_of_text"] else None,
                   "split": r["split"], "template": r["template"]}
            f.write(json.dumps(out, ensure_ascii=False) + "\n")
    print(f"{len(rows)} reports written to {HERE / 'dev.jsonl'}")


if __name__ == "__main__":
    main()
