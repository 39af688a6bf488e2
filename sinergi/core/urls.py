from django.urls import path

from . import field, views

urlpatterns = [
    path("tentang/", views.about, name="about"),
    path("sw.js", field.service_worker, name="service_worker"),  # root scope: every field page (issue 16)
    path("manifest.webmanifest", field.manifest, name="webmanifest"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics_view, name="metrics"),
    path("tugas/", views.tasks, name="tasks"),
    path("tugas/proses/<int:pk>/progres/", views.run_progress, name="run_progress"),
    path("tugas/<uuid:task_id>/", views.task_detail, name="task_detail"),
    path("tugas/<uuid:task_id>/<str:action>/", views.task_action, name="task_action"),
]
