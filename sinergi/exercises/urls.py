from django.urls import path

from . import views

app_name = "exercises"
urlpatterns = [
    path("", views.index, name="index"),
    path("mulai/", views.start, name="start"),
    path("keluar/", views.leave, name="leave"),
    path("<int:pk>/masuk/", views.enter, name="enter"),
    path("<int:pk>/berhenti/", views.stop, name="stop"),
    path("<int:pk>/hapus/", views.purge, name="purge"),
    path("<int:pk>/evaluasi/", views.debrief, name="debrief"),
    path("<int:pk>/evaluasi.pdf", views.debrief_pdf, name="debrief_pdf"),
]
