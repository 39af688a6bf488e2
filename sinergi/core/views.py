from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render

from .selectors import dashboard_counts


@login_required
def dashboard(request):
    return render(request, "core/dashboard.html", {"counts": dashboard_counts(user=request.user)})


def about(request):
    return render(request, "core/about.html")


def healthz(request):
    return JsonResponse({"ok": True})
