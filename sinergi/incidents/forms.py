"""Report forms: staff (signed in) and public (anonymous allowed). Both are small and phone-friendly."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from .location import tps_lookup
from .models import MAX_TEXT, Category
from .services import ReportInput


class _ReportForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, max_length=100)
    text = forms.CharField(label=_("Apa yang terjadi?"), max_length=MAX_TEXT,
                           widget=forms.Textarea(attrs={"rows": 4}))
    tps_code = forms.RegexField(label=_("Kode TPS (jika tahu)"), regex=r"^\d{2}\.\d{2}\.\d{2}\.\d{4}-\d{3}$",
                                required=False, widget=forms.TextInput(attrs={"placeholder": "53.71.01.1001-001",
                                                                                "inputmode": "decimal"}))
    place = forms.CharField(label=_("Desa/kelurahan atau kecamatan"), max_length=255, required=False)
    lat = forms.FloatField(label=_("Lintang"), required=False, min_value=-90, max_value=90,
                           widget=forms.NumberInput(attrs={"step": "any"}))
    lng = forms.FloatField(label=_("Bujur"), required=False, min_value=-180, max_value=180,
                           widget=forms.NumberInput(attrs={"step": "any"}))
    category = forms.ModelChoiceField(label=_("Kategori (boleh dikosongkan)"), required=False,
                                      queryset=Category.objects.filter(active=True), to_field_name="code")
    occurred_at = forms.DateTimeField(label=_("Waktu kejadian"), required=False,
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("key", uuid.uuid4().hex)

    def clean(self):
        data = super().clean()
        if (data.get("lat") is None) != (data.get("lng") is None):
            self.add_error("lat", _("Lintang dan bujur harus diisi bersama."))
        if data.get("tps_code") and tps_lookup(data["tps_code"]) is None:
            self.add_error("tps_code", _("Kode TPS tidak dikenal."))
        return data

    def to_input(self, channel: str) -> ReportInput:
        d = self.cleaned_data
        cat = d.get("category")
        return ReportInput(key=f"{channel}:{d['key']}", text=d["text"], channel=channel,
                           occurred_at=d.get("occurred_at"), lat=d.get("lat"), lng=d.get("lng"),
                           tps_code=d.get("tps_code") or "", place_text=d.get("place") or "",
                           category_hint=cat.code if cat else "", severity_hint=d.get("severity") or None,
                           reporter_name=d.get("reporter_name") or "", reporter_contact=d.get("reporter_contact") or "",
                           anonymous=bool(d.get("anonymous")))


class StaffReportForm(_ReportForm):
    severity = forms.TypedChoiceField(label=_("Tingkat keparahan"), required=False, coerce=int, empty_value=None,
                                      choices=[("", "—"), (1, "1"), (2, "2"), (3, "3"), (4, "4")])


class PublicReportForm(_ReportForm):
    reporter_name = forms.CharField(label=_("Nama (boleh dikosongkan)"), max_length=120, required=False)
    reporter_contact = forms.CharField(label=_("Nomor HP/surel (boleh dikosongkan)"), max_length=120,
                                       required=False)
    anonymous = forms.BooleanField(label=_("Kirim tanpa nama"), required=False)
    website = forms.CharField(required=False, widget=forms.TextInput(attrs={"tabindex": "-1",
                                                                          "autocomplete": "off"}))

    def clean(self):
        data = super().clean()
        if data.get("website"):  # honeypot filled in by bots
            raise forms.ValidationError(_("Laporan ditolak."))
        if data.get("anonymous"):
            data["reporter_name"] = ""
            data["reporter_contact"] = ""
        return data
