from django.urls import path

from . import views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("lapor/", views.report_new, name="report_new"),
    path("lapor-publik/", views.report_public, name="report_public"),
    path("situasi/", views.situation_room, name="situation"),
    path("situasi/feed/", views.situation_feed, name="situation_feed"),
    path("notifikasi/", views.notifications, name="notifications"),
    path("ekspor/<str:fmt>/", views.export, name="export"),
    path("sms/webhook/", views.sms_webhook, name="sms_webhook"),
    path("laporan/<int:pk>/pelapor/", views.reporter_reveal, name="reporter"),
    path("<int:pk>/", views.incident_detail, name="detail"),
    path("<int:pk>/aksi/", views.incident_action, name="action"),
    path("<int:pk>/cap.xml", views.cap_alert, name="cap"),
]
