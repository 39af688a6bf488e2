"""Runs a request inside the running exercise when the user entered it (session flag, from the exercise page) or
an API client sends `X-Sinergi-Latihan: <id>`; checked against the user's rights on every request. Inside, the
exercise clock is the clock and the exercise's database is the database (sinergi.core.sandbox.enter)."""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.translation import gettext as _

from sinergi.core import sandbox
from sinergi.core.live import EXERCISE_SESSION_KEY
from sinergi.core.permissions import has_perm

from .models import Exercise, ExerciseStatus

SESSION_KEY = EXERCISE_SESSION_KEY
HEADER = "HTTP_X_SINERGI_LATIHAN"
#: pages that always run on the real database: the exercise pages themselves, sign-in, language, admin
OUTSIDE = ("/latihan/", "/accounts/", "/i18n/", "/admin/", "/static/", "/media/")


def _token_user(request):
    """The user of an API token (the header path: DRF authenticates later, inside the exercise)."""
    from sinergi.accounts import tokens

    auth = request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(auth) != 2 or auth[0].lower() != "token":
        return None, None
    token = tokens.lookup(auth[1])
    if token is None or not token.user.is_active:
        return None, None
    return token.user, token


class ExerciseMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        header = request.META.get(HEADER, "").strip()
        flagged = None
        if not header and not request.path.startswith(OUTSIDE) and hasattr(request, "session"):
            flagged = request.session.get(SESSION_KEY)
        if not header and not flagged:
            return self.get_response(request)

        user, token = request.user, None
        if header and not user.is_authenticated:
            user, token = _token_user(request)
        wanted = header or str(flagged)
        ex = Exercise.objects.filter(pk=int(wanted)).first() if wanted.isdigit() and len(wanted) < 12 else None
        if ex is None or ex.status != ExerciseStatus.RUNNING:
            if flagged:  # the exercise ended: leave it quietly
                request.session.pop(SESSION_KEY, None)
                return self.get_response(request)
            return JsonResponse({"detail": _("Latihan %(id)s tidak sedang berjalan.") % {"id": wanted[:20]}},
                                status=409)
        if user is None or not has_perm(user, "exercise.join"):
            if flagged:
                request.session.pop(SESSION_KEY, None)
                return self.get_response(request)
            return JsonResponse({"detail": _("Anda tidak berhak ikut latihan ini.")}, status=403)
        from .services import sync_identity

        request.exercise = ex
        with sandbox.enter(ex.clock()):
            sync_identity(user, token)
            response = self.get_response(request)
        if getattr(response, "streaming", False):  # exports stream after the view returns: still in the exercise
            response.streaming_content = _in_exercise(response.streaming_content, ex)
        return response


def _in_exercise(content, ex):
    with sandbox.enter(ex.clock()):
        yield from content
