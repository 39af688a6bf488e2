from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("sinergi.api.urls")),
    path("accounts/", include("sinergi.accounts.urls")),
    path("wilayah/", include("sinergi.regions.urls")),
    path("pemilihan/", include("sinergi.elections.urls")),
    path("kerawanan/", include("sinergi.risk.urls")),
    path("pengamanan/", include("sinergi.deployment.urls")),
    path("insiden/", include("sinergi.incidents.urls")),
    path("koordinasi/", include("sinergi.coordination.urls")),
    path("operasi/", include("sinergi.operations.urls")),
    path("logistik/", include("sinergi.logistics.urls")),
    path("laporan-situasi/", include("sinergi.reports.urls")),
    path("latihan/", include("sinergi.exercises.urls")),
    path("personel/", include("sinergi.personnel.urls")),
    path("pesan/", include("sinergi.messaging.urls")),
    path("", include("sinergi.core.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
