from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.archive, name="archive"),
    path("buat/", views.generate, name="generate"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/unduh/<str:fmt>/", views.download, name="download"),
    path("langganan/", views.subscriptions, name="subscriptions"),
    path("langganan/<int:pk>/aktif/", views.subscription_toggle, name="subscription_toggle"),
]
