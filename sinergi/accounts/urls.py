from django.contrib.auth import views as auth_views
from django.urls import path

from . import otp, views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="accounts/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("otp/", otp.otp_view, name="otp"),
    path("satuan/", views.units, name="units"),
    path("satuan/<int:pk>/", views.unit_detail, name="unit_detail"),
]
