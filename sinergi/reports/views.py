"""Pages of the situation report: archive, detail (HTML preview), downloads (hash re-checked), generate now,
my subscriptions. Reads through selectors, writes through services, permission checks on every view."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sinergi.accounts.models import Unit
from sinergi.elections.selectors import default_election

from . import documents, forms, permissions, selectors, services
from .choices import CONTENT_TYPES, Language, ReportStatus


def _require_view(user) -> None:
    if not permissions.can_view(user):
        raise PermissionDenied


def _language(request) -> str:
    lang = request.GET.get("lang") or (get_language() or "id")[:2]
    return lang if lang in Language.values else Language.ID


@login_required
@require_GET
def archive(request):
    _require_view(request.user)
    page = Paginator(selectors.report_list(user=request.user), 50).get_page(request.GET.get("page"))
    units = selectors.scope_unit_choices(user=request.user) if permissions.can_generate(request.user) else []
    default = selectors.default_scope_unit(user=request.user) if units else None
    form = forms.GenerateForm(units=units, initial={"scope_unit": default.pk if default else None})
    inbox = selectors.inbox(user=request.user).filter(read_at__isnull=True)[:10]
    return render(request, "sitrep/archive.html", {"page": page, "form": form if units else None, "inbox": inbox})


@login_required
@require_POST
def generate(request):
    if not permissions.can_generate(request.user):
        raise PermissionDenied
    units = selectors.scope_unit_choices(user=request.user)
    form = forms.GenerateForm(request.POST, units=units)
    election = default_election()
    if not form.is_valid() or election is None:
        messages.error(request, _("Pilih cakupan laporan."))
        return redirect("reports:archive")
    unit = Unit.objects.select_related("agency").get(pk=form.cleaned_data["scope_unit"])
    try:
        report, _created = services.report_request(actor=request.user, election=election, scope_unit=unit)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("reports:archive")
    messages.success(request, _("Laporan situasi sedang disusun."))
    return redirect("reports:detail", pk=report.pk)


@login_required
@require_GET
def detail(request, pk: int):
    _require_view(request.user)
    report = selectors.report_get(user=request.user, pk=pk)
    if report is None:
        raise Http404
    for d in selectors.inbox(user=request.user).filter(report=report, read_at__isnull=True):
        services.delivery_mark_read(actor=request.user, delivery=d)
    language = _language(request)
    body = documents.render_html(report, language=language) if report.status == ReportStatus.DONE else ""
    return render(request, "sitrep/detail.html", {
        "report": report, "body": body, "files": selectors.report_files(report=report),
        "deliveries": selectors.deliveries_of(user=request.user, report=report)[:100],
        "pending": report.status in (ReportStatus.QUEUED, ReportStatus.GENERATING)})


@login_required
@require_GET
def download(request, pk: int, fmt: str):
    _require_view(request.user)
    report = selectors.report_get(user=request.user, pk=pk)
    if report is None or fmt not in CONTENT_TYPES or report.status != ReportStatus.DONE:
        raise Http404
    language = _language(request)
    try:
        f = services.report_file_verified(actor=request.user, report=report, fmt=fmt, language=language)
    except services.TamperedFileError:
        return render(request, "sitrep/tampered.html", {"report": report, "fmt": fmt}, status=409)
    resp = HttpResponse(bytes(f.data), content_type=CONTENT_TYPES[fmt])
    name = f"laporan-situasi-{report.scope_unit.code}-{report.report_date}-v{report.version}.{language}.{fmt}"
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    resp["X-Content-SHA256"] = f.sha256
    return resp


@login_required
@require_http_methods(["GET", "POST"])
def subscriptions(request):
    if not permissions.can_subscribe(request.user):
        raise PermissionDenied
    units = selectors.scope_unit_choices(user=request.user)
    form = forms.SubscriptionForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        unit_pk = data.pop("scope_unit")
        data["scope_unit"] = Unit.objects.select_related("agency").get(pk=unit_pk) if unit_pk else None
        try:
            sub = services.subscription_create(actor=request.user, **data)
        except ValidationError as exc:
            for name, errs in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errs)
        else:
            messages.success(request, _("Langganan tersimpan."))
            if sub.secret:
                messages.info(request, _("Rahasia penandatangan webhook: %(s)s") % {"s": sub.secret})
            return redirect("reports:subscriptions")
    subs = selectors.subscription_list(user=request.user)
    return render(request, "sitrep/subscriptions.html", {"form": form, "subscriptions": subs})


@login_required
@require_POST
def subscription_toggle(request, pk: int):
    sub = selectors.subscription_list(user=request.user).filter(pk=pk).first()
    if sub is None:
        raise Http404
    services.subscription_set_active(actor=request.user, subscription=sub, active=not sub.active)
    return redirect("reports:subscriptions")

