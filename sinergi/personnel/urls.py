from django.urls import path

from . import views

app_name = "personnel"

urlpatterns = [
    path("", views.roster, name="roster"),
    path("impor/", views.roster_import, name="import"),
    path("<int:pk>/nomor/", views.phone_reveal, name="phone_reveal"),
    path("penugasan/", views.assignments, name="assignments"),
    path("sprin/", views.warrants, name="warrants"),
    path("sprin/<int:pk>/pdf/", views.warrant_pdf, name="warrant_pdf"),
    path("status/", views.status_page, name="status"),
    path("status/lapor/", views.status_api, name="status_api"),
    path("status/polres/", views.status_counts, name="status_counts"),
    path("status/peta/", views.status_map, name="status_map"),
    path("kirim/", views.my_dispatches, name="my_dispatches"),
    path("kirim/insiden/<int:incident_pk>/", views.dispatch, name="dispatch"),
]
