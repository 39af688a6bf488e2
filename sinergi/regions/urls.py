from . import views

app_name = "regions"

urlpatterns = views.urlpatterns
