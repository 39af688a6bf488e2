from django.urls import path

from . import views

app_name = "logistics"

urlpatterns = [
    path("", views.movement_list, name="list"),
    path("peta/", views.escort_map, name="map"),
    path("baru/", views.movement_new, name="new"),
    path("<int:pk>/", views.movement_detail, name="detail"),
    path("<int:pk>/catat/", views.field_event, name="record"),
]
