"""Forms of vulnerability mapping: one observation, an observation upload, a draft model's parameters."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from sinergi.core import clock

from .models import Indicator, RiskModel
from .services import MODEL_FIELDS


class ObservationForm(forms.Form):
    tps_code = forms.CharField(label=_("Kode TPS (atau kosongkan dan isi kode wilayah)"), required=False,
                               help_text="53.01.04.2003-001")
    region_code = forms.CharField(label=_("Kode wilayah (untuk indikator IKP)"), required=False)
    indicator = forms.ModelChoiceField(label=_("Indikator"), queryset=Indicator.objects.filter(is_active=True))
    value = forms.CharField(label=_("Nilai (ya/tidak, jumlah, proporsi 0–1 atau indeks 0–100)"))
    observed_on = forms.DateField(label=_("Tanggal pengamatan"), initial=clock.localdate,
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    evidence_text = forms.CharField(label=_("Bukti/keterangan"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    evidence_file = forms.FileField(label=_("Berkas bukti"), required=False)
    key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)  # outbox idempotency key

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("key", uuid.uuid4().hex)


class ObservationImportForm(forms.Form):
    file = forms.FileField(label=_("Berkas pengamatan (.csv UTF-8 atau .xlsx)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}))
    valid_only = forms.BooleanField(label=_("Impor baris yang valid saja"), required=False)


class ModelForm(forms.ModelForm):
    class Meta:
        model = RiskModel
        fields = list(MODEL_FIELDS)
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}
