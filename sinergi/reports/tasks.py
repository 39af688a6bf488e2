"""Background task of the situation report (django-tasks; the database backend in `sinergi up`)."""

from __future__ import annotations

from django_tasks import task


@task()
def generate_report_task(report_id: int) -> dict:
    """Generate a queued report and deliver it; its run record holds status, log and duration."""
    from .services import report_generate

    report = report_generate(report_id=report_id)
    return {"report": report.pk, "status": report.status}
