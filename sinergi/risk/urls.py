from django.urls import path

from . import views

app_name = "risk"

urlpatterns = [
    path("", views.risk_map, name="map"),
    path("peta/tps.json", views.tps_points_json, name="tps_json"),
    path("peta/wilayah.json", views.regions_json, name="regions_json"),
    path("tps/<int:pk>/", views.tps_card, name="tps_card"),
    path("peringkat/", views.ranking, name="ranking"),
    path("ekspor/<str:what>.<str:fmt>", views.export, name="export"),
    path("model/", views.model_list, name="models"),
    path("model/<int:pk>/", views.model_detail, name="model_detail"),
    path("hitung-ulang/", views.recompute, name="recompute"),
    path("pengamatan/", views.observations, name="observations"),
    path("pengamatan/impor/", views.observation_import, name="observation_import"),
    path("pengamatan/impor/<int:pk>/", views.import_run, name="import_run"),
    path("indikator/", views.indicators, name="indicators"),
]
