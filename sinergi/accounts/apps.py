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
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from . import tokens
        from .models import Agency, ApiToken, Unit

        # a cached token carries its user, unit and agency (sinergi.accounts.tokens): any change to them is seen at once
        for model in (ApiToken, get_user_model(), Unit, Agency, Unit.jurisdiction.through):
            post_save.connect(tokens.forget, sender=model, dispatch_uid=f"api-tokens-{model.__name__}-save")
            post_delete.connect(tokens.forget, sender=model, dispatch_uid=f"api-tokens-{model.__name__}-delete")
        m2m_changed.connect(tokens.forget, sender=Unit.jurisdiction.through, dispatch_uid="api-tokens-jurisdiction")
