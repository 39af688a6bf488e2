from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import SCENARIOS


class PlanRunForm(forms.Form):
    scenario = forms.ChoiceField(label=_("Skenario"), choices=[(k, v["label"]) for k, v in SCENARIOS.items()])
    name = forms.CharField(label=_("Nama"), max_length=160, required=False)
    radius_min = forms.FloatField(label=_("Radius kelompok (menit)"), initial=15, min_value=1, max_value=240)
    reserve_k = forms.IntegerField(label=_("Jumlah lokasi cadangan"), initial=10, min_value=0, max_value=200)
    # Entered as a percentage (a planner says "dua pertiga", 67 %), stored as a share for the engine.
    cap_percent = forms.FloatField(label=_("Bagian kekuatan yang boleh dikerahkan (%)"), initial=67,
                                   min_value=5, max_value=100)


class PatternForm(forms.Form):
    """A Polres' own A-B-C pattern for one tier: A officers guard B TPS with C Linmas."""

    unit = forms.ChoiceField(label=_("Polres"))
    tier = forms.ChoiceField(label=_("Tingkat kerawanan"))
    officers = forms.IntegerField(label=_("Personel (A)"), min_value=1, max_value=50)
    tps = forms.IntegerField(label=_("TPS (B)"), min_value=1, max_value=50)
    linmas = forms.IntegerField(label=_("Linmas (C)"), min_value=0, max_value=200)
    pairs = forms.BooleanField(label=_("Minimal berpasangan"), required=False, initial=True)
    source = forms.CharField(label=_("Dasar/sumber"), max_length=255, required=False)

    def __init__(self, *args, units=(), tiers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, u.name) for u in units]
        self.fields["tier"].choices = list(tiers)


class PlanApproveForm(forms.Form):
    """Approve a plan as the Renpam of an operation phase (commander, second factor)."""

    phase = forms.ChoiceField(label=_("Tahap operasi"))
    rank = forms.CharField(label=_("Pangkat/jabatan pengesah"), max_length=120, required=False)
    note = forms.CharField(label=_("Catatan"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        from .choices import OperationPhase

        super().__init__(*args, **kwargs)
        self.fields["phase"].choices = OperationPhase.choices
        self.fields["phase"].initial = OperationPhase.PEMUNGUTAN
