"""Template helpers of the web shell."""

from django import template

from sinergi.core.permissions import has_perm

register = template.Library()


@register.filter(name="can")
def can(user, action: str) -> bool:
    """`{% if user|can:"tps.import" %}`: the permission matrix, for showing links. Views still check."""
    return has_perm(user, action)


@register.filter(name="duration")
def duration(minutes) -> str:
    """Minutes as hours and minutes a planner reads at a glance: 135 -> "2 j 15 m" ("2 h 15 min" in English);
    empty for no value. Rounded to the minute; from 48 hours on as days and hours ("3 hari 4 j")."""
    from django.utils.translation import pgettext

    if minutes is None or minutes == "":
        return ""
    try:
        total = int(round(float(minutes)))
    except (TypeError, ValueError):
        return ""
    sign, total = ("-" if total < 0 else ""), abs(total)
    days, rest = divmod(total, 24 * 60) if total >= 48 * 60 else (0, total)
    hours, mins = divmod(rest, 60)
    d, h, m = pgettext("durasi", "hari"), pgettext("durasi", "j"), pgettext("durasi", "m")
    if days:
        return f"{sign}{days} {d} {hours} {h}"
    if hours:
        return f"{sign}{hours} {h} {mins} {m}" if mins else f"{sign}{hours} {h}"
    return f"{sign}{mins} {m}"


@register.filter(name="percent")
def percent(share, digits: int = 0) -> str:
    """A share 0..1 as a percentage in the page's number format: 0.123 -> "12 %" (or "12,3 %" with digits=1)."""
    from django.utils.formats import number_format

    if share is None or share == "":
        return ""
    try:
        value = float(share) * 100
    except (TypeError, ValueError):
        return ""
    return f"{number_format(value, int(digits), use_l10n=True)} %"


@register.filter(name="stage_name")
def stage_name(stage) -> str:
    """An election stage's name in the page's language (its English name on English pages where recorded)."""
    from django.utils.translation import get_language

    if stage is None:
        return ""
    english = getattr(stage, "name_en", "")
    return english if english and (get_language() or "id").startswith("en") else stage.name
