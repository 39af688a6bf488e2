from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "sinergi.accounts"
    label = "accounts"
    verbose_name = _("Instansi dan pengguna")

    def ready(self):
        from .otp_secrets import install

        install()
