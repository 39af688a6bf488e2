"""Severity 1-4 suggested from the text with its reasons: deaths or injuries, weapons, arson, crowd size,
blocked roads or offices, officials involved, hours before voting. Rules, not a model: every level is
explained, and a report describing deaths, weapons or arson never lands below 3."""

from __future__ import annotations

import re

from .normalise import stem_word

__all__ = ["assess_severity"]

_DEATH = {"tewas", "meninggal", "terbunuh", "dibunuh", "pembunuhan", "menewaskan", "jenazah", "mayat",
          "nyawa", "wafat", "gugur"}
_DEATH_PHRASES = ("korban jiwa", "meninggal dunia", "hilang nyawa")
_THREAT = {"ancam", "mengancam", "diancam", "ancaman", "akan", "mau", "hendak"}
_WEAPON_STEMS = {"parang", "golok", "pisau", "badik", "celurit", "clurit", "tombak", "panah", "busur",
                 "pistol", "senapan", "bom", "molotov", "granat", "sumpit", "linggis", "kelewang", "sabit"}
_WEAPON_PHRASES = ("senjata tajam", "senjata api", "bom molotov", "anak panah")
_ARSON_STEMS = {"bakar"}
_INJURY_STEMS = {"luka", "cedera", "pingsan", "darah", "aniaya", "keroyok", "pukul", "tikam", "bacok",
                 "tusuk", "patah", "memar", "rawat"}
_INJURY_PHRASES = ("rumah sakit", "babak belur", "dilarikan ke puskesmas")
_BLOCK_STEMS = {"blokade", "blokir", "palang", "segel", "duduk", "sandera", "kepung", "hadang", "adang"}
_BLOCK_PHRASES = ("tutup jalan", "menutup jalan", "jalan ditutup", "jalan tertutup", "akses jalan")
_OFFICIALS = {"kpps", "pps", "ppk", "kpu", "bawaslu", "pengawas", "panwas", "penyelenggara", "petugas", "polisi",
              "aparat", "anggota"}
_CROWD_WORDS = {"ratusan": 300, "ribuan": 3000, "puluhan": 30, "belasan": 15}
_PEOPLE = {"orang", "massa", "warga", "pendukung", "simpatisan", "pemuda", "pelajar", "mahasiswa", "peserta"}
_VOTING_PHRASES = ("masa tenang", "jelang pencoblosan", "jelang pemungutan", "hari pencoblosan", "hari pemungutan",
                   "malam sebelum pencoblosan", "h 1", "serangan fajar", "menjelang pencoblosan",
                   "menjelang pemungutan")
_NUM = re.compile(r"^\d{1,6}$")


def assess_severity(words: list[str], base: int, *, hours_to_vote: float | None = None,
                    time_sensitive: bool = True) -> tuple[int, list[str]]:
    """Suggested severity and the reasons, from the cleaned words of a report and its category's base level.

    >>> assess_severity("dua warga tewas dibacok parang".split(), 3)
    (4, ['korban jiwa: tewas', 'senjata: parang', 'korban luka/kekerasan: dibacok'])
    >>> assess_severity("baliho paslon dicoret".split(), 1)
    (1, [])
    """
    text = " ".join(words)
    stems = [stem_word(w) for w in words]
    reasons: list[str] = []
    floor = base
    bump = 0
    death = next((w for i, w in enumerate(words) if w in _DEATH
                  and not any(p in _THREAT for p in words[max(0, i - 3):i])), None)
    death = death or next((p for p in _DEATH_PHRASES if p in text), None)
    if death is None:
        for i, w in enumerate(words):
            if w == "mati" and not {"lampu", "listrik"} & set(words[max(0, i - 2):i + 2]):
                death = w
    threat_kill = death is None and any(
        w in _DEATH or stem_word(w) == "bunuh" for i, w in enumerate(words)
        if any(p in _THREAT for p in words[max(0, i - 3):i]))
    if death:
        reasons.append(f"korban jiwa: {death}")
        floor = 4
    weapon = next((p for p in _WEAPON_PHRASES if p in text), None) or next(
        (w for w, s in zip(words, stems, strict=True) if s in _WEAPON_STEMS), None)
    if weapon:
        reasons.append(f"senjata: {weapon}")
        floor = max(floor, 3)
    arson = next((w for w, s in zip(words, stems, strict=True) if s in _ARSON_STEMS), None)
    if arson:
        reasons.append(f"pembakaran: {arson}")
        floor = max(floor, 3)
    injury = next((p for p in _INJURY_PHRASES if p in text), None) or next(
        (w for w, s in zip(words, stems, strict=True) if s in _INJURY_STEMS), None)
    if injury:
        reasons.append(f"korban luka/kekerasan: {injury}")
        floor = max(floor, 3)
    if threat_kill:
        reasons.append("ancaman pembunuhan")
        floor = max(floor, 3)
    crowd = 0
    for i, w in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if w in _CROWD_WORDS and (nxt in _PEOPLE or nxt == "orang"):
            crowd = max(crowd, _CROWD_WORDS[w])
        elif _NUM.match(w) and nxt in _PEOPLE:
            crowd = max(crowd, int(w))
    if crowd >= 100:
        reasons.append(f"massa besar (sekitar {crowd} orang)")
        floor = max(floor, 3)
    elif crowd >= 20:
        reasons.append(f"massa (sekitar {crowd} orang)")
        floor = max(floor, 2)
    block = next((p for p in _BLOCK_PHRASES if p in text), None) or next(
        (w for w, s in zip(words, stems, strict=True) if s in _BLOCK_STEMS), None)
    if block:
        reasons.append(f"jalan/kantor diblokir atau diduduki: {block}")
        floor = max(floor, 3)
    officials = [w for w in words if w in _OFFICIALS]
    if officials and (injury or weapon or threat_kill or block):
        reasons.append(f"penyelenggara/aparat terlibat: {officials[0]}")
        bump += 1 if floor >= 3 and not death else 0
    near_vote = next((p for p in _VOTING_PHRASES if f" {p} " in f" {text} "), None)
    if hours_to_vote is not None and 0 <= hours_to_vote <= 72:
        near_vote = near_vote or f"{int(hours_to_vote)} jam sebelum pemungutan suara"
    if near_vote and time_sensitive and floor >= 2:
        reasons.append(f"menjelang pemungutan suara: {near_vote}")
        bump += 1
    level = max(1, min(4, floor + min(bump, 1)))
    if level == 4 and not death and not (weapon and (injury or arson)) and crowd < 1000:
        level = 3  # 4 (kritis) is kept for deaths, or weapons used with injuries/arson, or very large crowds
    return level, reasons
