from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "sinergi.accounts"
    label = "accounts"
    verbose_name = _("Instansi dan pengguna")

    def ready(self):
        from .otp_secrets import install

        install()

        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from . import tokens
        from .models import ApiToken

        for model in (ApiToken, get_user_model()):
            post_save.connect(tokens.forget, sender=model, dispatch_uid=f"api-tokens-{model.__name__}-save")
            post_delete.connect(tokens.forget, sender=model, dispatch_uid=f"api-tokens-{model.__name__}-delete")
