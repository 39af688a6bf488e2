"""Choosers that scale to hundreds of units and users: units grouped by agency and labelled with their place in
the tree ("Polda NTT › Polres Kupang › Polsek Amarasi"), users by name and unit; the page filters them as the user
types (static/js/picker.js, on every <select data-picker>)."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Unit, User

SEP = " › "


def unit_labels(units: Iterable[Unit]) -> dict[int, str]:
    """Breadcrumb label of each unit: its ancestors' names from the agency's top unit down (one query)."""
    units = list(units)
    ids = {int(p) for u in units for p in u.path.strip("/").split("/") if p}
    names = dict(Unit.objects.filter(pk__in=ids).values_list("pk", "name"))
    out = {}
    for u in units:
        chain = [names.get(int(p), "") for p in u.path.strip("/").split("/") if p] or [u.name]
        out[u.pk] = SEP.join(n for n in chain if n)
    return out


def unit_groups(units: Iterable[Unit]) -> list[tuple[str, list[tuple[str, str]]]]:
    """[(agency name, [(unit code, breadcrumb label), ...]), ...] in tree order, for a grouped <select>."""
    units = sorted(units, key=lambda u: (u.agency.code, u.path))
    labels = unit_labels(units)
    groups: dict[str, list[tuple[str, str]]] = {}
    for u in units:
        groups.setdefault(u.agency.name, []).append((u.code, labels[u.pk]))
    return list(groups.items())


def user_label(user: User) -> str:
    """'Budi Santoso, AKP — Polres Kupang' (the username only when no name is recorded; the rank when known)."""
    return user.display_label


class _GroupedUnits(forms.ModelChoiceField):
    def _grouped(self):
        units = list(self.queryset.select_related("agency"))
        labels = unit_labels(units)
        groups: dict[str, list] = {}
        for u in sorted(units, key=lambda u: (u.agency.code, u.path)):
            groups.setdefault(u.agency.name, []).append((u.pk, labels[u.pk]))
        head = [] if isinstance(self, forms.ModelMultipleChoiceField) or self.required else [("", self.empty_label)]
        return head + list(groups.items())

    choices = property(_grouped, forms.ChoiceField.choices.fset)


class UnitChoiceField(_GroupedUnits):
    """One unit, grouped by agency with tree labels, searchable on the page."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", Unit.objects.none())
        kwargs.setdefault("widget", forms.Select(attrs={"data-picker": "unit"}))
        super().__init__(*args, **kwargs)


class UnitMultipleChoiceField(_GroupedUnits, forms.ModelMultipleChoiceField):
    """Several units, grouped by agency with tree labels, searchable on the page."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", Unit.objects.none())
        kwargs.setdefault("widget", forms.SelectMultiple(attrs={"data-picker": "unit", "size": 8}))
        super().__init__(*args, **kwargs)


class UserMultipleChoiceField(forms.ModelMultipleChoiceField):
    """People by name and unit (not by username), searchable on the page."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", User.objects.none())
        kwargs.setdefault("widget", forms.SelectMultiple(attrs={"data-picker": "user", "size": 6}))
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: User) -> str:
        return user_label(obj)


PICKER_HINT = _("Ketik untuk mencari")
