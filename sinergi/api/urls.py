from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated

from .router import router
from .views import TokenObtainView

app_name = "api"

v1_patterns = [
    path("auth/token/", TokenObtainView.as_view(), name="auth-token"),
    # The schema and its browser are for signed-in users too (closed network, need-to-know).
    path("schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="schema"),
    # Swagger UI from our own static files (vendor/swagger-ui); its start script is a separate request (CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:v1:schema", permission_classes=[IsAuthenticated]),
         name="docs"),
    *router.urls,
]

urlpatterns = [
    path("v1/", include((v1_patterns, "v1"), namespace="v1")),
]
