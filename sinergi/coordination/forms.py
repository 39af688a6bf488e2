"""Forms of the coordination pages. They only collect input; services validate and write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sinergi.accounts.models import Agency, Unit, User
from sinergi.accounts.pickers import UnitChoiceField, UnitMultipleChoiceField, UserMultipleChoiceField

from .choices import ActionStatus, Marking, NoteKind


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def format_value(self, value):
        return value.strftime("%Y-%m-%dT%H:%M") if hasattr(value, "strftime") else value


class DateInput(forms.DateInput):
    input_type = "date"


def _units():
    return Unit.objects.select_related("agency").order_by("agency__code", "path")


class MarkingFields(forms.Form):
    marking = forms.ChoiceField(label=_("Penandaan (TLP)"), choices=Marking.choices, initial=Marking.AMBER)
    summary_marking = forms.ChoiceField(label=_("Penandaan ringkasan"), required=False,
                                        choices=[("", "—"), *Marking.choices])
    summary = forms.CharField(label=_("Ringkasan tersamar"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    share_units = UnitMultipleChoiceField(label=_("Bagikan ke satuan"), required=False)
    share_agencies = forms.ModelMultipleChoiceField(label=_("Bagikan ke instansi"), required=False,
                                                    queryset=Agency.objects.none())
    share_users = UserMultipleChoiceField(label=_("Penerima perorangan (TLP:RED)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["share_units"].queryset = _units()
        self.fields["share_agencies"].queryset = Agency.objects.exclude(code="PUBLIC")
        self.fields["share_users"].queryset = (User.objects.filter(is_active=True, unit__isnull=False)
                                               .select_related("unit").order_by("first_name", "last_name", "username"))


class MeetingForm(MarkingFields):
    title = forms.CharField(label=_("Judul rapat"), max_length=200)
    starts_at = forms.DateTimeField(label=_("Mulai (WITA)"), widget=DateTimeInput(),
                                    input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    ends_at = forms.DateTimeField(label=_("Selesai (WITA)"), required=False, widget=DateTimeInput(),
                                  input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    place = forms.CharField(label=_("Tempat"), required=False, max_length=200)
    online_url = forms.URLField(label=_("Tautan daring"), required=False, assume_scheme="https")
    series = forms.CharField(label=_("Seri rapat"), required=False, max_length=80)
    agenda = forms.CharField(label=_("Agenda (satu per baris)"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    field_order = ["title", "starts_at", "ends_at", "place", "online_url", "series", "agenda", "marking",
                   "share_units", "share_agencies", "share_users", "summary_marking", "summary"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["share_units"].label = _("Satuan yang diundang")
        self.fields["share_agencies"].label = _("Instansi yang diundang")


class MeetingEditForm(forms.Form):
    """Change the time, place or link of a meeting; invitees get an updated invitation (higher SEQUENCE)."""

    title = forms.CharField(label=_("Judul rapat"), max_length=200)
    starts_at = forms.DateTimeField(label=_("Mulai (WITA)"), widget=DateTimeInput(),
                                    input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    ends_at = forms.DateTimeField(label=_("Selesai (WITA)"), widget=DateTimeInput(),
                                  input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    place = forms.CharField(label=_("Tempat"), required=False, max_length=200)
    online_url = forms.URLField(label=_("Tautan daring"), required=False, assume_scheme="https")
    series = forms.CharField(label=_("Seri rapat"), required=False, max_length=80)


class AgendaItemForm(forms.Form):
    title = forms.CharField(label=_("Agenda"), max_length=300)
    description = forms.CharField(label=_("Uraian"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AttendanceForm(forms.Form):
    name = forms.CharField(label=_("Nama"), max_length=160)
    position = forms.CharField(label=_("Jabatan"), required=False, max_length=160)
    unit = UnitChoiceField(label=_("Satuan"), required=False)
    present = forms.BooleanField(label=_("Hadir"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _units()


class MinutesForm(forms.Form):
    minutes = forms.CharField(label=_("Notulen"), widget=forms.Textarea(attrs={"rows": 8}))


class DecisionForm(forms.Form):
    text = forms.CharField(label=_("Keputusan"), widget=forms.Textarea(attrs={"rows": 2}))


class AttachmentForm(forms.Form):
    title = forms.CharField(label=_("Judul lampiran"), required=False, max_length=200)
    file = forms.FileField(label=_("Berkas"))


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Alasan pembatalan"), max_length=300)


class ActionItemForm(forms.Form):
    title = forms.CharField(label=_("Tindak lanjut"), max_length=300)
    description = forms.CharField(label=_("Uraian"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    decision = forms.ModelChoiceField(label=_("Keputusan"), required=False, queryset=None)
    owner_unit = UnitChoiceField(label=_("Penanggung jawab"))
    supporting_units = UnitMultipleChoiceField(label=_("Satuan pendukung"), required=False)
    due_date = forms.DateField(label=_("Batas waktu"), widget=DateInput())
    marking = forms.ChoiceField(label=_("Penandaan (TLP)"),
                                choices=[(m, label) for m, label in Marking.choices if m != Marking.RED])

    def __init__(self, *args, meeting=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("owner_unit", "supporting_units"):
            self.fields[name].queryset = _units()
        if meeting is not None:
            self.fields["decision"].queryset = meeting.decisions.all()
            self.fields["marking"].initial = meeting.marking if meeting.marking != Marking.RED else Marking.AMBER
        else:
            del self.fields["decision"]


class ActionUpdateForm(forms.Form):
    text = forms.CharField(label=_("Perkembangan"), widget=forms.Textarea(attrs={"rows": 3}))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("(tetap)")), *ActionStatus.choices])
    evidence = forms.FileField(label=_("Bukti (berkas)"), required=False)
    evidence_url = forms.URLField(label=_("Bukti (tautan)"), required=False, assume_scheme="https")
    due_date = forms.DateField(label=_("Batas waktu baru"), required=False, widget=DateInput())


class NoteForm(MarkingFields):
    kind = forms.ChoiceField(label=_("Jenis"), choices=NoteKind.choices)
    title = forms.CharField(label=_("Judul"), max_length=200,
                            help_text=_("Judul ikut terlihat bersama ringkasan: jangan memuat rincian terbatas."))
    body = forms.CharField(label=_("Isi"), widget=forms.Textarea(attrs={"rows": 8}))
    regions = forms.CharField(label=_("Kode wilayah (pisahkan dengan koma)"), required=False)
    election_year = forms.IntegerField(label=_("Tahun pemilihan (praktik baik)"), required=False, min_value=1999,
                                       max_value=2100)
    incident_ids = forms.CharField(label=_("Nomor insiden terkait (koma)"), required=False)

    field_order = ["kind", "title", "body", "regions", "election_year", "incident_ids", "marking", "share_units",
                   "share_agencies", "share_users", "summary_marking", "summary"]

    def clean_regions(self):
        from sinergi.regions.models import Region

        codes = [c.strip() for c in self.cleaned_data["regions"].split(",") if c.strip()]
        regions = list(Region.objects.filter(code__in=codes))
        missing = set(codes) - {r.code for r in regions}
        if missing:
            raise forms.ValidationError(_("Kode wilayah tidak dikenal: %(codes)s") % {"codes": ", ".join(sorted(missing))})
        return regions

    def clean_incident_ids(self):
        raw = [c.strip() for c in self.cleaned_data["incident_ids"].split(",") if c.strip()]
        if not all(c.isdigit() for c in raw):
            raise forms.ValidationError(_("Nomor insiden berupa angka."))
        return [int(c) for c in raw]


class MarkingChangeForm(MarkingFields):
    reason = forms.CharField(label=_("Alasan perubahan"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
