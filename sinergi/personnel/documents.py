"""The Surat Perintah (Sprin) PDF with its attachment (lampiran): WeasyPrint from an HTML template."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone


def warrant_html(warrant, rows: list[dict]) -> str:
    return render_to_string("personnel/warrant_pdf.html", {
        "w": warrant, "rows": rows, "demo": any(r["demo"] for r in rows),
        "signed_local": timezone.localtime(warrant.signed_at) if warrant.signed_at else None,
        "approval": warrant.run.approval})


def warrant_pdf(warrant, rows: list[dict]) -> bytes:
    html = warrant_html(warrant, rows)
    try:
        import weasyprint
    except (ImportError, OSError):
        return html.encode()
    return weasyprint.HTML(string=html).write_pdf()
