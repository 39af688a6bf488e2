from django.conf import settings
from django.utils import timezone

from . import clock


def sinergi(request):
    exercise = clock.current_exercise()
    return {"SINERGI_VERSION": "0.1.0", "LANGUAGES": settings.LANGUAGES, "LATIHAN": exercise,
            "LATIHAN_NOW": timezone.localtime(clock.now()) if exercise else None}
