from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import SCENARIOS


class PlanRunForm(forms.Form):
    scenario = forms.ChoiceField(label=_("Skenario"), choices=[(k, v["label"]) for k, v in SCENARIOS.items()])
    name = forms.CharField(label=_("Nama"), max_length=160, required=False)
    radius_min = forms.FloatField(label=_("Radius kelompok (menit)"), initial=15, min_value=1, max_value=240)
    reserve_k = forms.IntegerField(label=_("Jumlah lokasi cadangan"), initial=10, min_value=0, max_value=200)
    cap_share = forms.FloatField(label=_("Bagian kekuatan yang boleh dikerahkan"), initial=round(2 / 3, 4),
                                 min_value=0.05, max_value=1)
