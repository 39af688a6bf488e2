from django.conf import settings


def sinergi(request):
    return {"SINERGI_VERSION": "0.1.0", "LANGUAGES": settings.LANGUAGES}
