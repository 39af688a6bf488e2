"""The incident engine without a database: SMS parsing, classifier, dedup, deadlines, place names."""

from __future__ import annotations

import datetime as dt

import pytest

from sinergi.engine.incidents import (
    Candidate,
    DeadlineSpec,
    Place,
    add_working_days,
    best_match,
    due_at,
    evaluate,
    match_place,
    normalize,
    parse_sms,
    spelling_key,
    split,
    text_similarity,
    train,
)
from sinergi.incidents import defaults

ALIASES = {}
for c in defaults.taxonomy():
    for a in [*c["sms"], c["name"], c["code"].replace("_", " ")]:
        ALIASES.setdefault(normalize(a), c["code"])


@pytest.mark.parametrize("text, tps, category, desc_word", [
    ("LAPOR 53.71.01.1001-003 POLITIKUANG ada pembagian amplop", "53.71.01.1001-003", "money_politics", "amplop"),
    ("lapor 53.71.01.1001-3 pu ada bagi2 duit", "53.71.01.1001-003", "money_politics", "uang"),
    ("Lapor#5301042003-001#bentrok#massa lempar batu", "53.01.04.2003-001", "violence_clash", "batu"),
    ("LPR 53.01.04.2003 TPS 001 logistik surat suara kurang", "53.01.04.2003-001", "logistics", "kurang"),
    ("  lapor   53.01.04.2003/002   DEMO  massa di kantor kpu ", "53.01.04.2003-002", "protest", "kpu"),
])
def test_sms_parser_reads_messy_messages_with_tps_code(text, tps, category, desc_word):
    p = parse_sms(text, ALIASES)
    assert p.ok and p.tps_code == tps and p.category_code == category
    assert desc_word in p.description


def test_sms_parser_reads_desa_name_and_tps_number():
    p = parse_sms("lapor tps 3 desa oesao politik uang ada serangan fajar", ALIASES)
    assert p.tps_number == 3 and p.place_text == "desa oesao" and p.category_code == "money_politics"
    assert "serangan fajar" in p.description


def test_sms_parser_category_first_then_place():
    p = parse_sms("LAPOR bencana banjir di TPS", ALIASES)
    assert p.category_code == "natural_hazard"


@pytest.mark.parametrize("text", ["", "halo pak selamat pagi", "LAPOR", "123"])
def test_sms_parser_unreadable_is_reported_not_raised(text):
    p = parse_sms(text, ALIASES)
    assert not p.ok and p.problems


def test_sms_parser_without_keyword_still_understood():
    p = parse_sms("53.71.01.1001-003 rusuh di tps", ALIASES)
    assert p.tps_code and p.category_code == "violence_clash" and "kata kunci LAPOR tidak ada" in p.problems


def test_classifier_held_out_accuracy_beats_chance_by_far():
    examples = list(defaults.training_examples())
    train_set, test_set = split(examples, 0.25, seed=7)
    kw = [(" ".join([c["name"], *c["sms"]]), c["code"]) for c in defaults.taxonomy()]
    ev = evaluate(train(train_set + kw), test_set)
    assert ev.n_test >= 40
    assert ev.accuracy >= 0.45  # 13 classes: chance is ~0.08


def test_classifier_suggests_obvious_categories():
    m = train(list(defaults.training_examples()))
    assert m.suggest("tim sukses bagi amplop uang ke warga").label == "money_politics"
    assert m.suggest("banjir merendam tps").label == "natural_hazard"
    assert m.suggest("massa bentrok saling lempar batu").label == "violence_clash"


def test_dedup_groups_same_event_nearby_and_not_far_or_late():
    t = dt.datetime(2024, 11, 27, 9, tzinfo=dt.UTC)
    known = [Candidate(1, t, "violence_clash", "bentrok massa di depan TPS 3 Oesao", -10.17, 123.60),
             Candidate(2, t, "violence_clash", "bentrok massa di depan TPS", -8.5, 121.0),
             Candidate(3, t - dt.timedelta(days=2), "violence_clash", "bentrok massa di depan TPS", -10.17, 123.60)]
    new = Candidate(0, t + dt.timedelta(minutes=30), "violence_clash", "massa bentrok depan tps oesao",
                    -10.175, 123.605)
    m = best_match(new, known)
    assert m is not None and m.key == 1 and m.distance_km < 1
    other_cat = Candidate(0, t, "money_politics", "bentrok massa di depan TPS 3 Oesao", -10.17, 123.60)
    assert best_match(other_cat, known) is None


def test_dedup_same_tps_without_coordinates():
    t = dt.datetime(2024, 11, 27, 9, tzinfo=dt.UTC)
    known = [Candidate(7, t, "logistics", "surat suara kurang", place="53.01.04.2003-001")]
    assert best_match(Candidate(0, t, "logistics", "surat suara tidak cukup", place="53.01.04.2003-001"),
                      known).key == 7
    assert best_match(Candidate(0, t, "logistics", "surat suara tidak cukup", place="53.02.01.2001-001"),
                      known) is None


def test_text_similarity_bounds():
    assert text_similarity("", "abc") == 0.0
    assert text_similarity("bentrok massa", "bentrok massa") == 1.0


def test_deadlines_calendar_working_hours_and_holidays():
    start = dt.datetime(2024, 11, 22, 10)  # Friday
    assert due_at(DeadlineSpec("w", 7, "days"), start) == dt.datetime(2024, 11, 29, 10)
    assert due_at(DeadlineSpec("b", 3, "days", 2), start) == dt.datetime(2024, 11, 25, 10)
    assert due_at(DeadlineSpec("b", 3, "days", 2), start, extended=True) == dt.datetime(2024, 11, 27, 10)
    assert due_at(DeadlineSpec("f", 24, "hours"), start) == dt.datetime(2024, 11, 23, 10)
    # 14 working days from Fri 22 Nov: skips weekends and the voting-day holiday (27 Nov) and Christmas
    holidays = {dt.date(2024, 11, 27), dt.date(2024, 12, 25), dt.date(2024, 12, 26)}
    assert due_at(DeadlineSpec("i", 14, "working_days"), start, holidays=holidays) == dt.datetime(2024, 12, 13, 10)
    assert add_working_days(start, 14) == dt.datetime(2024, 12, 12, 10)
    with pytest.raises(ValueError):
        due_at(DeadlineSpec("x", 1, "weeks"), start)


def test_place_names_with_spelling_variants():
    places = [Place("53.01.04.2003", "Oesao", "village"), Place("53.01.07.2001", "Camplong I", "village"),
              Place("53.04.01.1001", "Atambua", "village")]
    assert spelling_key("Oesao") == spelling_key("usao")
    assert match_place("Usao", places).place.code == "53.01.04.2003"
    assert match_place("desa Tjamplong I", places).place.code == "53.01.07.2001"
    assert match_place("Atambwa", places).place.code == "53.04.01.1001"
    assert match_place("Surabaya", places) is None
