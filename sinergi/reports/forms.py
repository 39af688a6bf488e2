from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import Channel, Language


class GenerateForm(forms.Form):
    scope_unit = forms.TypedChoiceField(label=_("Cakupan"), coerce=int)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope_unit"].choices = [(u.pk, u.name) for u in units]


class SubscriptionForm(forms.Form):
    channel = forms.ChoiceField(label=_("Kanal"), choices=Channel.choices, initial=Channel.IN_APP)
    want_pdf = forms.BooleanField(label=_("PDF"), required=False, initial=True)
    want_xlsx = forms.BooleanField(label=_("XLSX"), required=False)
    language = forms.ChoiceField(label=_("Bahasa"), choices=Language.choices, initial=Language.ID)
    email = forms.EmailField(label=_("Alamat surel"), required=False,
                             help_text=_("Kosong: alamat surel akun Anda"))
    webhook_url = forms.URLField(label=_("URL webhook"), required=False, assume_scheme="https")
    scope_unit = forms.TypedChoiceField(label=_("Hanya laporan satuan"), coerce=int, required=False,
                                        empty_value=None)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope_unit"].choices = [("", _("Semua laporan yang boleh saya baca"))] + [
            (u.pk, u.name) for u in units]
