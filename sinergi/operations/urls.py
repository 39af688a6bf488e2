from django.urls import path

from . import views, views_tps

app_name = "operations"

urlpatterns = [
    path("", views.dashboard, name="index"),
    path("data/", views.dashboard_data, name="dashboard_data"),
    path("peta/", views.map_points, name="map_points"),
    path("lapor/", views.checkin_page, name="checkin"),
    path("lapor/nomor/", views.phone_set, name="phone_set"),
    path("tahapan/", views.stage_page, name="stages"),
    path("peringatan/<int:pk>/diketahui/", views.alert_ack, name="alert_ack"),
    path("tps/<int:pk>/", views_tps.tps_page, name="tps"),
    path("peringatan/", views.alert_list, name="alert_list"),
    path("peringatan/massal/", views.alert_bulk, name="alert_bulk"),
]
