"""Template helpers of the web shell."""

from django import template

from sinergi.accounts.permissions import has_perm

register = template.Library()


@register.filter(name="can")
def can(user, action: str) -> bool:
    """`{% if user|can:"tps.import" %}`: the permission matrix, for showing links. Views still check."""
    return has_perm(user, action)
