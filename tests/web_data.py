"""Small region/TPS data for the web-shell tests (used when the full NTT loader is not available, and by the
browser test, whose live_server flushes the database)."""

from __future__ import annotations

import json
from datetime import date

from sinergi.elections.models import Election, PollingStation, Stage
from tests.factories import region


def square(lng: float, lat: float, size: float) -> str:
    ring = [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def build_small_dataset() -> Election:
    """Province 53 with Kota Kupang (53.71) and Kab. Kupang (53.01), two kecamatan, three desa, seven TPS."""
    region("53", "Nusa Tenggara Timur", lat=-9.0, lng=122.0)
    region("53.71", "Kota Kupang", lat=-10.17, lng=123.6, geometry=square(123.55, -10.22, 0.1),
           geometry_web=square(123.55, -10.22, 0.1))
    region("53.01", "Kabupaten Kupang", lat=-9.9, lng=123.9, geometry=square(123.7, -10.1, 0.4),
           geometry_web=square(123.7, -10.1, 0.4))
    region("53.71.01", "Alak", lat=-10.17, lng=123.57, geometry=square(123.55, -10.2, 0.04),
           geometry_web=square(123.55, -10.2, 0.04))
    region("53.71.02", "Maulafa", lat=-10.2, lng=123.62, geometry=square(123.6, -10.22, 0.04),
           geometry_web=square(123.6, -10.22, 0.04))
    region("53.01.04", "Semau", lat=-10.2, lng=123.4)
    region("53.71.01.1001", "Alak", lat=-10.18, lng=123.56)
    region("53.71.01.1002", "Nunbaun Sabu", lat=-10.16, lng=123.57)
    region("53.71.02.1001", "Maulafa", lat=-10.2, lng=123.62)
    election, _ = Election.objects.get_or_create(
        code="pilkada-2024", defaults={"name": "Pilkada Serentak 2024", "voting_date": date(2024, 11, 27)})
    for i, (code, name, start, end) in enumerate([
        ("campaign", "Kampanye", date(2024, 9, 25), date(2024, 11, 23)),
        ("voting", "Pemungutan suara", date(2024, 11, 27), date(2024, 11, 27)),
    ]):
        Stage.objects.get_or_create(election=election, code=code, defaults={
            "name": name, "name_en": {"campaign": "Campaign", "voting": "Voting"}[code],
            "start_date": start, "end_date": end, "order": i})
    rows = [
        # village, number, voters, voters_est, lat, lng, location_est
        ("53.71.01.1001", 1, 300, False, -10.181, 123.561, False),
        ("53.71.01.1001", 2, 250, True, -10.182, 123.562, True),
        ("53.71.01.1002", 1, 410, True, -10.161, 123.571, True),
        ("53.71.01.1002", 2, 120, False, -10.162, 123.572, False),
        ("53.71.01.1002", 3, 333, True, -10.163, 123.573, True),
        ("53.71.02.1001", 1, 500, True, -10.201, 123.621, True),
        ("53.71.02.1001", 2, 480, True, None, None, True),
    ]
    for village, number, voters, vest, lat, lng, lest in rows:
        parts = village.split(".")
        PollingStation.objects.get_or_create(
            election=election, village_id=village, number=number,
            defaults={"district_code": ".".join(parts[:3]), "regency_code": ".".join(parts[:2]),
                      "code": PollingStation.make_code(village, number), "voters": voters,
                      "voters_estimated": vest, "lat": lat, "lng": lng, "location_estimated": lest,
                      "location_source": "estimated_desa" if lest else "kpu",
                      "access_mode": "road", "source": "test"})
    return election
