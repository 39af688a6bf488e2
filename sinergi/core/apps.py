from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "sinergi.core"
    label = "core"
    verbose_name = _("Inti")

    def ready(self):
        from django.contrib import admin

        from . import checks  # noqa: F401  (registers the settings check)
        from .admin_audit import install

        # django.contrib.admin (listed first) has already imported every admin module: wrap them all.
        install(admin.site)
