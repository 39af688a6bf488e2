"""Reads of vulnerability mapping. Tiers, scores, rankings and the map are visible to everyone signed in;
observations (with their evidence) only within the reader's jurisdiction (admins: everywhere)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from sinergi.elections.models import Election, PollingStation

from .choices import ModelStatus
from .models import Assessment, Indicator, Observation, RegionAssessment, RiskModel
from .permissions import can, jurisdiction_codes
from .services import default_election, published_model


def tps_tier_map(*, election: Election) -> dict[int, str]:
    """PollingStation id -> "kurang_rawan" | "rawan" | "sangat_rawan" | "khusus" from the latest assessments of
    the election's published model. Special-location TPS are "khusus"; TPS not scored are left out."""
    model = published_model(election)
    if model is None:
        return {}
    out = dict(Assessment.objects.filter(model=model).exclude(tier="").values_list("polling_station_id", "tier"))
    for pk in PollingStation.objects.filter(election=election, special_location=True).values_list("id", flat=True):
        out[pk] = "khusus"
    return out


def indicator_list(*, user, scope: str = "") -> QuerySet[Indicator]:
    if not can(user, "risk.view"):
        return Indicator.objects.none()
    qs = Indicator.objects.all()
    return qs.filter(scope=scope) if scope else qs


def model_list(*, user, election: Election | None = None) -> QuerySet[RiskModel]:
    if not can(user, "risk.view"):
        return RiskModel.objects.none()
    qs = RiskModel.objects.select_related("election", "published_by", "created_by")
    if election is not None:
        qs = qs.filter(election=election)
    if not can(user, "risk.model.edit"):
        qs = qs.exclude(status=ModelStatus.DRAFT)
    return qs


def model_get(*, user, pk: int) -> RiskModel | None:
    return model_list(user=user).filter(pk=pk).first()


def current_model(*, user, election: Election | None = None) -> RiskModel | None:
    if not can(user, "risk.view"):
        return None
    return published_model(election or default_election())


def _jurisdiction_q(codes: list[str], field: str) -> Q:
    q = Q(pk__in=[])
    for c in codes:
        q |= Q(**{field: c}) | Q(**{f"{field}__startswith": c + "."})
    return q


def observation_list(*, user, election: Election | None = None) -> QuerySet[Observation]:
    """Observations in the user's jurisdiction (evidence is need-to-know)."""
    if not can(user, "risk.view"):
        return Observation.objects.none()
    qs = Observation.objects.select_related("indicator", "polling_station", "region", "unit", "reported_by")
    if election is not None:
        qs = qs.filter(election=election)
    codes = jurisdiction_codes(user)
    if codes is None:
        return qs
    if not codes:
        return qs.filter(unit_id=user.unit_id) if user.unit_id else qs.none()
    return qs.filter(_jurisdiction_q(codes, "polling_station__village__code") | _jurisdiction_q(codes, "region__code")
                     | Q(unit_id=user.unit_id))


def assessment_list(*, user, model: RiskModel | None = None) -> QuerySet[Assessment]:
    model = model or current_model(user=user)
    if model is None or not can(user, "risk.view"):
        return Assessment.objects.none()
    return Assessment.objects.filter(model=model).select_related("polling_station", "polling_station__village")


def region_assessment_list(*, user, model: RiskModel | None = None, level: str = "",
                           parent: str = "") -> QuerySet[RegionAssessment]:
    model = model or current_model(user=user)
    if model is None or not can(user, "risk.view"):
        return RegionAssessment.objects.none()
    qs = RegionAssessment.objects.filter(model=model).select_related("region")
    if level:
        qs = qs.filter(level=level)
    if parent:
        qs = qs.filter(region__parent_id=parent)
    return qs


def tps_card(*, user, pk: int) -> dict | None:
    """Everything the TPS risk card shows: the TPS, its assessment, reasons in words, latest observations."""
    from sinergi.elections.selectors import polling_station_get

    tps = polling_station_get(user=user, pk=pk)
    if tps is None or not can(user, "risk.view"):
        return None
    model = published_model(tps.election)
    assessment = Assessment.objects.filter(model=model, polling_station=tps).first() if model else None
    indicators = {i.code: i for i in Indicator.objects.all()}
    reasons = []
    if assessment is not None:
        for code, points in assessment.top:
            ind = indicators.get(code)
            reasons.append({"code": code, "points": points, "text": (ind.reason_text or ind.name) if ind else code,
                            "name": ind.name if ind else code})
    latest: dict[str, Observation] = {}
    obs_visible = observation_list(user=user).filter(polling_station=tps)
    for o in obs_visible.order_by("observed_on", "id"):
        latest[o.indicator.code] = o
    history = list(obs_visible.order_by("-observed_on", "-id")[:50])
    return {"tps": tps, "model": model, "assessment": assessment, "reasons": reasons,
            "latest": [latest[c] for c in indicators if c in latest], "history": history,
            "indicators_total": sum(1 for i in indicators.values() if i.scope == "tps" and i.is_active)}


def explain(card: dict) -> str:
    """The tier in plain words: "Rawan karena: ada riwayat kekerasan; ..." (English: the indicators' English
    names where the catalog has them)."""
    from django.utils.translation import get_language
    from django.utils.translation import gettext as _

    a = card.get("assessment")
    if a is None:
        return _("Belum dinilai: model kerawanan belum dihitung untuk TPS ini.")
    if not a.tier:
        return _("Belum dinilai: belum ada indikator yang teramati untuk TPS ini "
                 "(data kosong tidak dihitung sebagai nol).")
    label = {"kurang_rawan": _("Kurang rawan"), "rawan": _("Rawan"), "sangat_rawan": _("Sangat rawan")}[a.tier]
    english = (get_language() or "id").startswith("en")
    names = indicator_names() if english else {}
    reasons = [names.get(r["code"], r["text"]) if english else r["text"] for r in card["reasons"]]
    if reasons:
        text = _("%(tier)s karena: %(reasons)s.") % {"tier": label, "reasons": "; ".join(reasons)}
    else:
        text = _("%(tier)s: tidak ada indikator kerawanan yang terjadi.") % {"tier": label}
    if a.incident_points:
        text += " " + _("Insiden terbaru di sekitar TPS menambah %(p)s poin.") % {"p": f"{a.incident_points:.1f}"}
    if a.low_coverage:
        text += " " + _("Perhatian: data baru mencakup %(p)s%% bobot indikator.") % {"p": f"{a.coverage * 100:.0f}"}
    return text


def tier_points(*, user, model: RiskModel | None = None) -> list[list]:
    """Compact map points: [tps id, lat, lng, tier code 0/1/2 (-1 not scored), score]."""
    model = model or current_model(user=user)
    if model is None:
        return []
    code = {"kurang_rawan": 0, "rawan": 1, "sangat_rawan": 2}
    rows = (Assessment.objects.filter(model=model, polling_station__lat__isnull=False)
            .order_by("polling_station_id")
            .values_list("polling_station_id", "polling_station__lat", "polling_station__lng", "tier", "score"))
    return [[pk, round(lat, 5), round(lng, 5), code.get(t, -1), s] for pk, lat, lng, t, s in rows]


def preview_counts(model: RiskModel) -> dict[str, int]:
    """Tier counts a (draft) model would give now, without storing anything."""
    from .compute import score_tps

    return score_tps(model).counts


def indicator_names() -> dict[str, str]:
    """Indicator code -> its name in the current language (English where the catalog has one)."""
    from django.utils.translation import get_language

    english = (get_language() or "id").startswith("en")
    return {code: (name_en if english and name_en else name)
            for code, name, name_en in Indicator.objects.values_list("code", "name", "name_en")}
