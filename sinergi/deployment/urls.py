from django.urls import path

from . import views

app_name = "deployment"

urlpatterns = [
    path("", views.plan_index, name="index"),
    path("banding/", views.plan_compare, name="compare"),
    path("pola/", views.patterns, name="patterns"),
    path("<int:pk>/", views.plan_detail, name="detail"),
    path("<int:pk>/tabel/", views.plan_table, name="table"),
    path("<int:pk>/cetak/", views.plan_print, name="print"),
    path("<int:pk>/xlsx/", views.plan_xlsx, name="xlsx"),
    path("<int:pk>/peta.json", views.plan_map_json, name="map_json"),
    path("<int:pk>/kelompok.geojson", views.plan_groups_geojson, name="groups_geojson"),
    path("<int:pk>/sahkan/", views.plan_approve, name="approve"),
    path("renpam/", views.approvals, name="approvals"),
    path("renpam/<int:pk>/pdf/", views.approval_pdf, name="approval_pdf"),
]
