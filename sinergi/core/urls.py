from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("tentang/", views.about, name="about"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics_view, name="metrics"),
    path("tugas/", views.tasks, name="tasks"),
    path("tugas/proses/<int:pk>/progres/", views.run_progress, name="run_progress"),
    path("tugas/<uuid:task_id>/", views.task_detail, name="task_detail"),
    path("tugas/<uuid:task_id>/<str:action>/", views.task_action, name="task_action"),
]
