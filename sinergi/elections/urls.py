from . import views, views_import

app_name = "elections"

urlpatterns = views.urlpatterns + views_import.urlpatterns
