"""Bahasa Indonesia first: the browser's Accept-Language does not override it; the language switch does."""

from django.conf import settings


class IndonesianFirstMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """A request that fails because the database is away (restarting, unreachable) answers 503 with Retry-After,
    not 500: clients and load balancers retry (the intake's idempotency keys make a retry safe)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.http import JsonResponse

        from .resilience import is_transient

        if not is_transient(exception):
            return None
        import logging

        logging.getLogger("sinergi.loop").warning("request %s answered 503: database unavailable: %s",
                                                  request.path, exception)
        response = JsonResponse({"detail": "basis data sementara tidak tersedia; coba lagi"}, status=503)
        response["Retry-After"] = "2"
        return response
