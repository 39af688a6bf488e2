"""Triage engine on concrete Indonesian reports (no database): place over the national gazetteer, category,
severity with reasons, bodies, duplicates, bad input."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from sinergi.engine.incidents.sms import parse_sms
from sinergi.engine.incidents.triage import LinearModel, Triager, assess_severity, clean, fingerprint
from sinergi.engine.incidents.triage.data import gazetteer_from_files
from sinergi.engine.incidents.triage.gazetteer import Gazetteer
from sinergi.incidents import triage as adapter


@pytest.fixture(scope="module")
def tr() -> Triager:
    g = Gazetteer(gazetteer_from_files(adapter.AREA_DIR), home="53")
    model = LinearModel.from_dict(json.loads(adapter.SHIPPED_MODEL.read_text(encoding="utf-8")))
    return Triager(g, model, adapter.category_facts(), adapter.route_rules(),
                   voting_day=dt.datetime(2024, 11, 27, 7))


def test_abbreviations_and_cue_words_resolve_kabupaten_and_desa(tr):
    assert tr.gazetteer.resolve("baliho dirusak di TTS").code == "53.02"
    assert tr.gazetteer.resolve("amplop dibagi di Mabar tadi pagi").code == "53.15"
    r = tr.gazetteer.resolve("bentrok di Desa Oesao Kec. Kupang Timur Kab. Kupang")
    assert (r.code, r.level) == ("53.01.06.2015", "village") and r.confidence > 0.9
    assert "kecamatan kupang timur" in r.matched
    assert tr.gazetteer.resolve("warga Kec. Kota Komba ribut").code == "53.19.06"


def test_spelling_tolerance_refines_but_never_overrides_exact(tr):
    r = tr.gazetteer.resolve("banjir di Ds. Usao kec kupang timur")
    assert r.code.startswith("53.01.06.") and r.method == "fuzzy" and r.level == "village"
    exact = tr.gazetteer.resolve("Kab. Alor, desa Kalabahi Kota")
    assert exact.code.startswith("53.05")


def test_desa_name_shared_by_provinces_is_ambiguous_and_honest(tr):
    r = tr.gazetteer.resolve("ada serangan fajar di desa Sukamaju")
    assert r.code is None and r.ambiguous and r.confidence < 0.4
    assert r.out_of_area  # no Sukamaju in NTT: every candidate is outside


def test_out_of_area_flagged_and_never_placed_inside(tr):
    for text in ("Timses bagi amplop di Kab. Bekasi", "demo ricuh di Kota Surabaya", "Kota Makassar, Sulawesi Selatan"):
        res = tr.triage(text)
        assert res.out_of_area and res.place.code and not res.place.code.startswith("53")


def test_category_jargon_and_non_election_crime(tr):
    assert tr.triage("timses bagi2 amplop serangan fajar di Soe").category == "money_politics"
    crime = tr.triage("motor warga dicuri maling di pasar Kefamenanu, pelaku kabur")
    assert crime.category == "crime_general" and not crime.election_related and crime.route == ("POLRI",)
    asn = tr.triage("Camat dan guru ASN di Ende ikut kampanye paslon")
    assert asn.category == "neutrality" and "BKN_KASN" in asn.route


def test_severity_never_below_3_for_deaths_weapons_arson():
    assert assess_severity(clean("dua warga tewas dibacok parang").split(), 3)[0] == 4
    level, reasons = assess_severity(clean("posko paslon dibakar OTK").split(), 1)
    assert level >= 3 and any("pembakaran" in r for r in reasons)
    assert assess_severity(clean("massa bawa sajam").split(), 1)[0] >= 3
    # a death in the voter list is not a death on the ground
    assert assess_severity(clean("baliho paslon dicoret").split(), 1) == (1, [])


def test_duplicates_without_a_place(tr):
    t = dt.datetime(2024, 11, 27, 9)
    a = tr.triage("Massa pendukung paslon bentrok saling lempar batu, 3 orang luka", at=t, key="a")
    item = tr.dup_item("a", t, clean("Massa pendukung paslon bentrok saling lempar batu, 3 orang luka"),
                       tuple(c for c, _ in a.top3), None)
    b = tr.triage("bentrokan pendukung paslon lempar2an batu tiga orang terluka", at=t + dt.timedelta(hours=2),
                  earlier=[item], key="b")
    assert b.duplicate_of == "a"
    c = tr.triage("surat suara kurang di TPS", at=t, earlier=[item], key="c")
    assert c.duplicate_of is None
    assert fingerprint("") == ""


@pytest.mark.parametrize("text", ["", "   ", "x" * 100_000, "🙏🙏🔥🔥", "1234567890 42", "The quick brown fox",
                                  "这是一个测试", "lapor " * 20000])
def test_bad_input_gives_low_confidence_never_an_error(tr, text):
    res = tr.triage(text)
    assert 1 <= res.severity <= 4 and res.category_confidence < 0.5
    assert res.place.code is None or res.place.confidence < 1


def test_sms_parser_reads_the_whole_message():
    aliases = {"politik uang": "money_politics", "amplop": "money_politics"}
    p = parse_sms("selamat pagi pak mau lapor tadi malam di kampung kami ada yang bagi amplop ke warga", aliases)
    assert p.category_code == "money_politics"
