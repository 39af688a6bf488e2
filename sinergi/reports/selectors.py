"""Scoped reads of situation reports, their files, subscriptions and deliveries (rule in permissions.py)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from sinergi.accounts.choices import AgencyKind, UnitLevel
from sinergi.accounts.models import Unit
from sinergi.accounts.selectors import is_global

from . import permissions
from .choices import Channel
from .models import Delivery, ReportFile, SituationReport, Subscription


def report_list(*, user) -> QuerySet[SituationReport]:
    """Reports whose territory the user's reach covers (newest first); nothing without sitrep.view."""
    if not permissions.can_view(user):
        return SituationReport.objects.none()
    qs = (SituationReport.objects.select_related("election", "scope_unit", "generated_by", "previous")
          .defer("content")
          .prefetch_related(Prefetch("files", queryset=ReportFile.objects.defer("data").order_by("language",
                                                                                               "format"))))
    return qs.filter(permissions.reach_q(permissions.reach_codes(user)), permissions.unit_q(user))


def report_get(*, user, pk: int) -> SituationReport | None:
    """One readable report with its content, or None (a report the user may not read does not exist for them)."""
    if not permissions.can_view(user):
        return None
    return (SituationReport.objects.select_related("election", "scope_unit", "generated_by", "previous")
            .filter(permissions.reach_q(permissions.reach_codes(user)), permissions.unit_q(user), pk=pk).first())


def report_files(*, report: SituationReport) -> list[ReportFile]:
    """File metadata of a report (without the bytes)."""
    return list(ReportFile.objects.filter(report=report).defer("data").order_by("language", "format"))


def report_file(*, report: SituationReport, fmt: str, language: str = "id") -> ReportFile | None:
    return ReportFile.objects.filter(report=report, format=fmt, language=language).first()


def scope_unit_choices(*, user) -> list[Unit]:
    """Polda and Polres units the user may generate a report for."""
    reach = permissions.reach_codes(user)
    units = (Unit.objects.filter(agency__code=AgencyKind.POLRI, level__in=[UnitLevel.PROVINCE, UnitLevel.REGENCY])
             .select_related("agency").prefetch_related("jurisdiction").order_by("path"))
    out = []
    for u in units:
        code = permissions.unit_region_code(u)
        if code and permissions.covers(reach, code) and permissions.can_generate_for(user, u):
            out.append(u)
    return out


def default_scope_unit(*, user) -> Unit | None:
    """The widest unit the user may generate for: Polda for province staff, their Polres otherwise."""
    choices = scope_unit_choices(user=user)
    return min(choices, key=lambda u: len(permissions.unit_region_code(u)), default=None)


def subscription_list(*, user) -> QuerySet[Subscription]:
    """A user manages their own subscriptions; admins see everyone's."""
    if not permissions.can_subscribe(user):
        return Subscription.objects.none()
    qs = Subscription.objects.select_related("user", "scope_unit")
    return qs if is_global(user) else qs.filter(user=user)


def inbox(*, user) -> QuerySet[Delivery]:
    """In-app deliveries to the user (the notification list on the archive page)."""
    if not permissions.can_view(user):
        return Delivery.objects.none()
    return (Delivery.objects.filter(subscription__user=user, channel=Channel.IN_APP)
            .select_related("report", "report__scope_unit").order_by("-created_at", "-id"))


def deliveries_of(*, user, report: SituationReport) -> QuerySet[Delivery]:
    qs = Delivery.objects.filter(report=report).select_related("subscription", "subscription__user")
    return qs if is_global(user) else qs.filter(subscription__user=user)
