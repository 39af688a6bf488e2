"""Reads of exercises. Every signed-in user who may take part sees the list (title, window, speed, status);
the debrief is read by those who manage exercises."""

from __future__ import annotations

from django.db.models import QuerySet

from sinergi.core.permissions import has_perm

from .models import Exercise, ExerciseStatus


def exercise_list(*, user) -> QuerySet[Exercise]:
    if not has_perm(user, "exercise.join") and not has_perm(user, "exercise.manage"):
        return Exercise.objects.none()
    return Exercise.objects.select_related("election", "started_by")


def running_exercises() -> QuerySet[Exercise]:
    return Exercise.objects.filter(status=ExerciseStatus.RUNNING).select_related("election")
