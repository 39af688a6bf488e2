"""The phone-friendly field form: a leg departure/arrival or a hand-over, idempotent by a hidden key."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Direction, NodeKind, SealCheck

ACTIONS = [
    ("departure", _("Berangkat (ruas)")),
    ("arrival", _("Tiba (ruas)")),
    ("handover_origin", _("Serah terima di asal")),
    ("handover_destination", _("Serah terima di tujuan")),
    ("handover_tps", _("Serah terima di TPS")),
]


class FieldEventForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, max_length=80)
    action = forms.ChoiceField(label=_("Kejadian"), choices=ACTIONS)
    leg = forms.TypedChoiceField(label=_("Ruas"), coerce=int, required=False)
    at = forms.DateTimeField(label=_("Waktu (WITA, kosong = sekarang)"), required=False,
                             widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                             input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    from_name = forms.CharField(label=_("Yang menyerahkan (nama)"), max_length=120, required=False)
    from_agency = forms.CharField(label=_("Yang menyerahkan (instansi)"), max_length=120, required=False)
    to_name = forms.CharField(label=_("Yang menerima (nama)"), max_length=120, required=False)
    to_agency = forms.CharField(label=_("Yang menerima (instansi)"), max_length=120, required=False)
    seals = forms.CharField(label=_("Nomor segel yang terlihat (pisahkan dengan koma)"), required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))
    seal_check = forms.ChoiceField(label=_("Pemeriksaan segel"), required=False,
                                   choices=[("", _("hitung dari nomor segel"))] + list(SealCheck.choices))
    tps = forms.ChoiceField(label=_("TPS"), required=False)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Catatan"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, movement, tps_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leg"].choices = [(leg.order, f"{leg.order}. {leg}") for leg in movement.legs.all()]
        self.fields["tps"].choices = [("", "—"), *tps_choices]
        if not self.is_bound:
            self.initial.setdefault("key", f"web-{uuid.uuid4()}")

    def clean(self):
        data = super().clean()
        act = data.get("action", "")
        if act.startswith("handover"):
            if not data.get("from_name"):
                self.add_error("from_name", _("Wajib untuk serah terima."))
            if not data.get("to_name"):
                self.add_error("to_name", _("Wajib untuk serah terima."))
            if act == "handover_tps" and not data.get("tps"):
                self.add_error("tps", _("Pilih TPS."))
        elif act in ("departure", "arrival") and not data.get("leg"):
            self.add_error("leg", _("Pilih ruas."))
        return data

    def seal_list(self) -> list[str]:
        raw = self.cleaned_data.get("seals") or ""
        return [s.strip() for s in raw.replace("\n", ",").split(",") if s.strip()]


class MovementForm(forms.Form):
    """A movement entered by KPU or Polri (besides the default plan): nodes by code, times from the travel model."""

    direction = forms.ChoiceField(label=_("Arah"), choices=Direction.choices)
    origin_kind = forms.ChoiceField(label=_("Jenis asal"), choices=NodeKind.choices)
    origin_code = forms.CharField(label=_("Kode asal (wilayah Kemendagri atau kode TPS)"), max_length=24)
    dest_kind = forms.ChoiceField(label=_("Jenis tujuan"), choices=NodeKind.choices)
    dest_code = forms.CharField(label=_("Kode tujuan (wilayah Kemendagri atau kode TPS)"), max_length=24)
    planned_departure = forms.DateTimeField(label=_("Rencana berangkat (WITA)"),
                                            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                            input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    escort_unit = forms.CharField(label=_("Kode satuan pengawal"), max_length=60, required=False)
    surat_suara = forms.IntegerField(label=_("Surat suara"), min_value=0, required=False)
    kotak_suara = forms.IntegerField(label=_("Kotak suara"), min_value=0, required=False)
    formulir_c_hasil = forms.IntegerField(label=_("Formulir hasil (C-Hasil)"), min_value=0, required=False)
    seals = forms.CharField(label=_("Nomor segel (pisahkan dengan koma)"), required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))
    note = forms.CharField(label=_("Catatan"), max_length=255, required=False)

    def cargo(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("surat_suara", "kotak_suara", "formulir_c_hasil")
                if self.cleaned_data.get(k)}

    def seal_list(self) -> list[str]:
        raw = self.cleaned_data.get("seals") or ""
        return [s.strip() for s in raw.replace("\n", ",").split(",") if s.strip()]
