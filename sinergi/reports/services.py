"""Writers of the situation-report app. Every change is audited.

``report_request`` queues a report (a run record and a background task, after commit); ``report_generate``
(the task) builds the snapshot, renders the PDF and XLSX, stores them with their SHA-256 and finishes the report,
then ``deliveries_send`` sends it to subscribers. A finished report is archived: never changed or deleted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import urllib.error

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sinergi.core import clock, outbound
from sinergi.core.models import AuditEvent
from sinergi.core.services import RunRecorder, audit_checkpoint_create, audit_log, taskrun_create

from . import content as content_mod
from . import documents, permissions, selectors
from .choices import CONTENT_TYPES, Channel, DeliveryStatus, FileFormat, Language, ReportKind, ReportStatus
from .models import Delivery, ReportFile, SituationReport, Subscription

log = logging.getLogger(__name__)

TASK_KIND = "sitrep.generate"
PERIOD = dt.timedelta(hours=24)
#: waits before the 2nd, 3rd and 4th webhook attempt; after the 4th failure the delivery is marked failed
RETRY_BACKOFF = (dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=15))
MAX_ATTEMPTS = len(RETRY_BACKOFF) + 1
WEBHOOK_TIMEOUT_S = 10


class TamperedFileError(Exception):
    """The stored bytes of a report file no longer match the hash recorded when it was archived."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_json(data) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder).encode()


def sign(secret: str, body: bytes) -> str:
    """HMAC-SHA256 of the body, hex; sent as ``X-Sinergi-Signature: sha256=<hex>``."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# --- requesting and generating --------------------------------------------------------------------------------

def report_request(*, actor, election, scope_unit, kind: str = ReportKind.ON_DEMAND,
                   period_end: dt.datetime | None = None, enqueue: bool = True) -> tuple[SituationReport, bool]:
    """Queue a report for the 24 hours ending at `period_end` (default: now). Returns (report, created).

    On demand: needs sitrep.generate over the scope unit; every request is a new version. Automatic (actor None):
    at most one per election, scope unit and day — a second request returns the existing report."""
    if kind == ReportKind.ON_DEMAND and not permissions.can_generate_for(actor, scope_unit):
        raise PermissionDenied("not allowed: sitrep.generate")
    if not permissions.is_scope_unit(scope_unit):
        raise ValidationError({"scope_unit": _("Laporan situasi dibuat untuk Polda atau Polres.")})
    region_code = permissions.unit_region_code(scope_unit)
    if not region_code:
        raise ValidationError({"scope_unit": _("Satuan ini belum memiliki wilayah hukum.")})
    now = clock.now()
    end = period_end or now
    report_date = timezone.localtime(end, timezone.get_default_timezone()).date()
    user = actor if getattr(actor, "is_authenticated", False) else None
    for _attempt in range(5):
        try:
            with transaction.atomic():
                if kind == ReportKind.AUTOMATIC:
                    existing = SituationReport.objects.filter(election=election, scope_unit=scope_unit,
                                                              report_date=report_date, kind=kind).first()
                    if existing is not None:
                        return existing, False
                version = (SituationReport.objects.filter(election=election, scope_unit=scope_unit,
                                                          report_date=report_date)
                           .aggregate(v=Max("version"))["v"] or 0) + 1
                report = SituationReport.objects.create(
                    election=election, scope_unit=scope_unit, region_code=region_code, report_date=report_date,
                    version=version, kind=kind, period_start=end - PERIOD, period_end=end, requested_at=now,
                    generated_by=user)
                run = taskrun_create(kind=TASK_KIND, actor=actor, parameters={
                    "report": report.pk, "scope_unit": scope_unit.code, "kind": kind,
                    "period_end": end.isoformat()})
                SituationReport.objects.filter(pk=report.pk).update(task_run=run)
                report.task_run = run
                audit_log(actor=actor, action="sitrep.request", obj=report, data={
                    "scope_unit": scope_unit.code, "kind": kind, "version": version,
                    "period_start": report.period_start, "period_end": end})
        except IntegrityError:
            continue  # another process took this version (or today's automatic report): look again
        if enqueue:
            from .tasks import generate_report_task

            transaction.on_commit(lambda pk=report.pk: generate_report_task.enqueue(pk))
        return report, True
    raise RuntimeError("could not allocate a report version")


def _store_file(report: SituationReport, fmt: str, language: str, data: bytes) -> ReportFile:
    f = ReportFile.objects.create(report=report, format=fmt, language=language, data=data, sha256=sha256_hex(data),
                                  size=len(data), created_at=clock.now())
    audit_log(actor=None, action="sitrep.file_stored", obj=f, data={
        "report": report.pk, "format": fmt, "language": language, "sha256": f.sha256, "size": f.size})
    return f


def _render(report: SituationReport, fmt: str, language: str) -> bytes:
    if fmt == FileFormat.PDF:
        return documents.render_pdf(report, language=language)
    return documents.render_xlsx(report, language=language)


def report_generate(*, report_id: int) -> SituationReport:
    """Build, render, store and finish a queued report, then deliver it. Running it twice does nothing more."""
    claimed = SituationReport.objects.filter(pk=report_id, status=ReportStatus.QUEUED).update(
        status=ReportStatus.GENERATING)
    report = SituationReport.objects.select_related("election", "scope_unit", "task_run").get(pk=report_id)
    if not claimed:
        return report
    run = report.task_run or taskrun_create(kind=TASK_KIND, parameters={"report": report.pk})
    try:
        with RunRecorder(run) as rec:
            from sinergi.core.progress import progress

            progress(run, 0, None, _("Menghimpun isi laporan"))
            data = content_mod.build(election=report.election, scope_unit=report.scope_unit,
                                     region_code=report.region_code, start=report.period_start,
                                     end=report.period_end)
            # A signed checkpoint of the audit chain travels with every report (truncation check offline).
            data["audit_checkpoint"] = audit_checkpoint_create(purpose=f"sitrep {report.pk}")
            report.content = json.loads(canonical_json(data))
            report.content_sha256 = sha256_hex(canonical_json(report.content))
            rec.log(f"content built: {report.content['incidents']['total']} incidents in the period")
            languages = [Language.ID]
            if Subscription.objects.filter(active=True, language=Language.EN).exists():
                languages.append(Language.EN)
            jobs = [(fmt, lang) for lang in languages for fmt in FileFormat.values]
            rendered = {}
            for i, (fmt, lang) in enumerate(jobs):  # PDF rendering is the slow part: one step per document
                progress(run, i, len(jobs) + 1, _("Membuat dokumen %(fmt)s (%(lang)s)") % {
                    "fmt": str(fmt).upper(), "lang": str(lang).upper()})
                rendered[(fmt, lang)] = _render(report, fmt, lang)
            progress(run, len(jobs), len(jobs) + 1, _("Menyimpan laporan"))
            with transaction.atomic():
                files = [_store_file(report, fmt, lang, body) for (fmt, lang), body in rendered.items()]
                report.previous = (SituationReport.objects.filter(
                    election=report.election, scope_unit=report.scope_unit, status=ReportStatus.DONE,
                    period_end__lte=report.period_end).exclude(pk=report.pk)
                    .order_by("-period_end", "-version", "-id").first())
                report.status = ReportStatus.DONE
                report.generated_at = clock.now()
                report.save()
                audit_log(actor=report.generated_by, action="sitrep.generated", obj=report, data={
                    "content_sha256": report.content_sha256,
                    "files": {f"{f.language}.{f.format}": f.sha256 for f in files}})
            run.result = {"report": report.pk, "incidents": report.content["incidents"]["total"],
                          "files": len(files), "content_sha256": report.content_sha256}
            rec.log(f"stored {len(files)} files")
    except Exception as exc:
        log.exception("situation report %s failed", report_id)
        report = SituationReport.objects.get(pk=report_id)
        report.status = ReportStatus.FAILED
        report.error = str(exc)[:2000]
        report.save()
        audit_log(actor=None, action="sitrep.failed", obj=report, data={"error": report.error[:300]})
        return report
    deliveries_send(report=report)
    return report


def report_file_ensure(*, report: SituationReport, fmt: str, language: str) -> ReportFile:
    """The stored file in this format and language; renders and archives it (once) when missing, e.g. an
    English copy for a subscriber who joined after the report was made."""
    existing = selectors.report_file(report=report, fmt=fmt, language=language)
    if existing is not None:
        return existing
    if report.status != ReportStatus.DONE:
        raise ValidationError(_("Laporan belum selesai disusun."))
    body = _render(report, fmt, language)
    try:
        with transaction.atomic():
            return _store_file(report, fmt, language, body)
    except IntegrityError:
        return ReportFile.objects.get(report=report, format=fmt, language=language)


def report_file_verified(*, actor, report: SituationReport, fmt: str, language: str = "id") -> ReportFile:
    """The file, after checking its bytes against the SHA-256 recorded on the file row and in the audit chain
    when it was archived. A mismatch is audited and raised."""
    f = report_file_ensure(report=report, fmt=fmt, language=language)
    actual = sha256_hex(bytes(f.data))
    recorded = (AuditEvent.objects.filter(action="sitrep.file_stored", object_type=ReportFile._meta.label_lower,
                                          object_id=str(f.pk)).values_list("data", flat=True).first() or {})
    if actual != f.sha256 or recorded.get("sha256") != actual:
        audit_log(actor=actor, action="sitrep.tamper_detected", obj=f, data={
            "report": report.pk, "expected": recorded.get("sha256"), "row": f.sha256, "actual": actual})
        raise TamperedFileError(f"{f}: stored bytes do not match the archived hash")
    return f


# --- deliveries -----------------------------------------------------------------------------------------------

def _recipients(report: SituationReport) -> list[Subscription]:
    out = []
    for sub in Subscription.objects.filter(active=True, user__is_active=True).select_related(
            "user", "user__unit", "user__unit__agency"):
        if sub.scope_unit_id and sub.scope_unit_id != report.scope_unit_id:
            continue
        if permissions.can_subscribe(sub.user) and permissions.can_read(sub.user, report):
            out.append(sub)
    return out


def deliveries_send(*, report: SituationReport, now: dt.datetime | None = None) -> list[Delivery]:
    """One delivery per active subscription whose owner may read the report; the first attempt right away."""
    if report.status != ReportStatus.DONE:
        return []
    now = now or clock.now()
    out = []
    for sub in _recipients(report):
        try:
            with transaction.atomic():
                delivery, created = Delivery.objects.get_or_create(
                    report=report, subscription=sub, defaults={"channel": sub.channel, "created_at": now})
        except IntegrityError:
            continue
        if created:
            out.append(delivery_attempt(delivery=delivery, now=now))
    return out


def deliveries_retry_due(*, now: dt.datetime) -> int:
    """Retry webhook deliveries whose next attempt is due (called by the periodic tick)."""
    n = 0
    for delivery in Delivery.objects.filter(status=DeliveryStatus.RETRYING, next_attempt_at__lte=now).select_related(
            "report", "subscription", "subscription__user"):
        delivery_attempt(delivery=delivery, now=now)
        n += 1
    return n


def _subject(report: SituationReport, language: str) -> str:
    with translation.override(language):
        local = timezone.localtime(report.period_end, timezone.get_default_timezone())
        return _("[Sinergi] Laporan Situasi Harian %(unit)s, %(date)s") % {
            "unit": report.scope_unit.name, "date": local.strftime("%d-%m-%Y %H:%M")}


def _summary(report: SituationReport) -> dict:
    c = report.content or {}
    return {"incidents": c.get("incidents", {}).get("total", 0),
            "incidents_open": c.get("incidents", {}).get("open_now", 0),
            "notable": len(c.get("incidents", {}).get("notable", [])),
            "alerts_open": c.get("alerts", {}).get("total", 0),
            "actions_overdue": c.get("actions", {}).get("total", 0)}


def webhook_payload(delivery: Delivery) -> bytes:
    report, sub = delivery.report, delivery.subscription
    base = getattr(settings, "SINERGI_BASE_URL", "").rstrip("/")
    files = []
    for fmt in sub.formats or [FileFormat.PDF]:
        f = report_file_ensure(report=report, fmt=fmt, language=sub.language)
        url = reverse("api:v1:situation-report-download", kwargs={"pk": report.pk, "fmt": fmt})
        files.append({"format": fmt, "language": f.language, "sha256": f.sha256, "size": f.size,
                      "url": f"{base}{url}?lang={f.language}"})
    return canonical_json({
        "event": "sitrep.published", "delivery": delivery.pk, "language": sub.language,
        "report": {"id": report.pk, "scope_unit": report.scope_unit.code, "region_code": report.region_code,
                   "election": report.election.code, "kind": report.kind, "version": report.version,
                   "period_start": report.period_start, "period_end": report.period_end,
                   "content_sha256": report.content_sha256, "files": files},
        "summary": _summary(report), "sent_at": clock.now(),
    })


def _send_email(delivery: Delivery) -> None:
    report, sub = delivery.report, delivery.subscription
    address = sub.email or sub.user.email
    if not address:
        raise ValueError("no e-mail address")
    s = _summary(report)
    with translation.override(sub.language):
        body = "\n".join([
            _subject(report, sub.language).removeprefix("[Sinergi] "),
            "",
            _("Insiden dalam periode: %(n)s") % {"n": s["incidents"]},
            _("Insiden menonjol: %(n)s") % {"n": s["notable"]},
            _("Peringatan terbuka: %(n)s") % {"n": s["alerts_open"]},
            _("Tindak lanjut lewat jatuh tempo: %(n)s") % {"n": s["actions_overdue"]},
            "",
            _("Hash isi (SHA-256): %(h)s") % {"h": report.content_sha256},
        ])
    msg = EmailMessage(subject=_subject(report, sub.language), body=body,
                       from_email=getattr(settings, "DEFAULT_FROM_EMAIL", None), to=[address])
    for fmt in sub.formats:
        f = report_file_ensure(report=report, fmt=fmt, language=sub.language)
        name = f"laporan-situasi-{report.scope_unit.code}-{report.report_date}-v{report.version}.{sub.language}.{fmt}"
        msg.attach(name, bytes(f.data), CONTENT_TYPES[fmt])
    msg.send(fail_silently=False)


def _send_webhook(delivery: Delivery) -> None:
    sub = delivery.subscription
    if not sub.secret:
        raise ValueError("subscription has no signing secret")
    body = webhook_payload(delivery)
    # The one outbound client: internal addresses refused, no redirects, bounded answer, generic errors.
    outbound.post(sub.webhook_url, data=body, timeout=WEBHOOK_TIMEOUT_S, headers={
        "Content-Type": "application/json", "X-Sinergi-Event": "sitrep.published",
        "X-Sinergi-Delivery": str(delivery.pk), "X-Sinergi-Signature": "sha256=" + sign(sub.secret, body)})


def delivery_attempt(*, delivery: Delivery, now: dt.datetime | None = None) -> Delivery:
    """Send once. In-app deliveries are the notification itself; e-mail and webhook failures are retried
    (RETRY_BACKOFF) and counted; after MAX_ATTEMPTS the delivery is marked failed."""
    now = now or clock.now()
    error = ""
    try:
        if delivery.channel == Channel.EMAIL:
            _send_email(delivery)
        elif delivery.channel == Channel.WEBHOOK:
            _send_webhook(delivery)
    except outbound.OutboundError as exc:
        error = str(exc)[:500]  # generic text: never which port or socket error (the detail is logged)
    except urllib.error.HTTPError as exc:
        error = f"HTTP {exc.code} {exc.reason}"[:500]
    except (urllib.error.URLError, OSError, ValueError, ValidationError) as exc:
        error = str(getattr(exc, "reason", exc) or exc)[:500]
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.error = error
    if not error:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.DELIVERED, now, None
    elif delivery.attempts < MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.RETRYING
        delivery.next_attempt_at = now + RETRY_BACKOFF[delivery.attempts - 1]
    else:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
    with transaction.atomic():
        delivery.save(update_fields=["attempts", "last_attempt_at", "error", "status", "delivered_at",
                                     "next_attempt_at"])
        audit_log(actor=None, action="sitrep.delivery", obj=delivery, data={
            "report": delivery.report_id, "subscription": delivery.subscription_id, "channel": delivery.channel,
            "status": delivery.status, "attempt": delivery.attempts, "error": error})
    return delivery


def delivery_mark_read(*, actor, delivery: Delivery) -> Delivery:
    if delivery.subscription.user_id != getattr(actor, "pk", None):
        raise PermissionDenied("not your notification")
    if delivery.read_at is None:
        delivery.read_at = clock.now()
        with transaction.atomic():
            delivery.save(update_fields=["read_at"])
            audit_log(actor=actor, action="sitrep.delivery.read", obj=delivery)
    return delivery


# --- subscriptions --------------------------------------------------------------------------------------------

@transaction.atomic
def subscription_create(*, actor, channel: str = Channel.IN_APP, want_pdf: bool = True, want_xlsx: bool = False,
                        language: str = Language.ID, email: str = "", webhook_url: str = "", scope_unit=None,
                        user=None) -> Subscription:
    """Subscribe `user` (default: the actor; only admins subscribe someone else). A webhook subscription gets
    its own signing secret, shown to its owner."""
    if not permissions.can_subscribe(actor):
        raise PermissionDenied("not allowed: sitrep.subscribe")
    user = user or actor
    if user.pk != actor.pk and not permissions.is_global(actor):
        raise PermissionDenied("only admins manage other users' subscriptions")
    if user.pk != actor.pk and not permissions.can_subscribe(user):
        raise ValidationError({"user": _("Pengguna ini tidak boleh berlangganan laporan situasi.")})
    errors = {}
    if channel not in Channel.values:
        errors["channel"] = _("Kanal tidak dikenal.")
    if language not in Language.values:
        errors["language"] = _("Bahasa tidak dikenal.")
    if channel in (Channel.EMAIL, Channel.WEBHOOK) and not (want_pdf or want_xlsx):
        errors["want_pdf"] = _("Pilih paling sedikit satu format.")
    if channel == Channel.EMAIL and not (email or user.email):
        errors["email"] = _("Isi alamat surel (akun ini belum punya alamat surel).")
    if channel == Channel.WEBHOOK and not webhook_url.startswith(("http://", "https://")):
        errors["webhook_url"] = _("URL webhook harus diawali http:// atau https://.")
    elif channel == Channel.WEBHOOK:
        try:
            outbound.check_url(webhook_url)  # internal addresses refused at save, not only at delivery
        except outbound.OutboundError as exc:
            errors["webhook_url"] = str(exc)
    if scope_unit is not None and not (permissions.is_scope_unit(scope_unit) and permissions.covers(
            permissions.reach_codes(user), permissions.unit_region_code(scope_unit))):
        errors["scope_unit"] = _("Laporan satuan ini tidak boleh Anda baca.")
    if errors:
        raise ValidationError(errors)
    sub = Subscription.objects.create(
        user=user, channel=channel, want_pdf=want_pdf, want_xlsx=want_xlsx, language=language, email=email,
        webhook_url=webhook_url if channel == Channel.WEBHOOK else "", scope_unit=scope_unit,
        secret=secrets.token_hex(32) if channel == Channel.WEBHOOK else "")
    audit_log(actor=actor, action="sitrep.subscription.create", obj=sub, data={
        "user": user.username, "channel": channel, "formats": sub.formats, "language": language,
        "scope_unit": scope_unit.code if scope_unit else None, "webhook_url": sub.webhook_url})
    return sub


@transaction.atomic
def subscription_set_active(*, actor, subscription: Subscription, active: bool) -> Subscription:
    if not permissions.can_manage_subscription(actor, subscription):
        raise PermissionDenied("not your subscription")
    if subscription.active != active:
        subscription.active = active
        subscription.save(update_fields=["active"])
        audit_log(actor=actor, action="sitrep.subscription.activate" if active else "sitrep.subscription.deactivate",
                  obj=subscription)
    return subscription
