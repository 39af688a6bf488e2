"""Words for the codes of vulnerability mapping: tiers and indicator names, so no raw code reaches a page."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from sinergi.risk.choices import RegionTier, TpsTier
from sinergi.risk.selectors import indicator_names

register = template.Library()
_TIERS = {**dict(TpsTier.choices), **dict(RegionTier.choices)}


@register.filter
def tier_label(code: str | None) -> str:
    """'sangat_rawan' -> 'sangat rawan'; empty -> 'belum dinilai'."""
    if not code:
        return _("belum dinilai")
    return str(_TIERS.get(code, code.replace("_", " ")))


@register.filter
def reason_names(top) -> str:
    """[['riwayat_kekerasan', 12.5], ...] -> 'Riwayat kekerasan, ...' (indicator names, not codes)."""
    names = indicator_names()
    return ", ".join(names.get(c[0], str(c[0]).replace("_", " ")) for c in (top or []))
