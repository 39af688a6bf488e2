from django.urls import path

from . import views

app_name = "coordination"

urlpatterns = [
    path("", views.meeting_list, name="meeting_list"),
    path("rapat/baru/", views.meeting_create, name="meeting_create"),
    path("rapat/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("rapat/<int:pk>/ubah/", views.meeting_edit, name="meeting_edit"),
    path("rapat/<int:pk>/tambah/<slug:part>/", views.meeting_part_add, name="meeting_part_add"),
    path("rapat/<int:pk>/lampiran/<int:attachment_pk>/", views.attachment_download, name="attachment_download"),
    path("rapat/<int:pk>/undangan.ics", views.meeting_ics, name="meeting_ics"),
    path("rapat/<int:pk>/paket.pdf", views.meeting_pack_pdf, name="meeting_pack_pdf"),
    path("rapat/<int:pk>/notulen.pdf", views.meeting_minutes_pdf, name="meeting_minutes_pdf"),
    path("rapat/<int:pk>/tindak-lanjut/baru/", views.action_create, name="action_create"),
    path("kalender.ics", views.calendar_feed, name="calendar_feed"),
    path("kalender/<str:token>.ics", views.calendar_feed_token, name="calendar_feed_token"),
    path("tindak-lanjut/baru/", views.action_create, name="action_create_standalone"),
    path("tindak-lanjut/<int:pk>/", views.action_detail, name="action_detail"),
    path("instansi/", views.agency_obligations, name="agency"),
    path("instansi/<str:code>/", views.agency_obligations, name="agency_code"),
    path("catatan/", views.note_list, name="note_list"),
    path("catatan/ekspor.csv", views.note_export_csv, name="note_export"),
    path("catatan/baru/", views.note_create, name="note_create"),
    path("catatan/<int:pk>/", views.note_detail, name="note_detail"),
    path("penandaan/<str:kind>/<int:pk>/", views.marking_change, name="marking_change"),
    path("notifikasi/", views.notification_list, name="notifications"),
]
