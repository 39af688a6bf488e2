"""Background work asked for by path: a service names the django-tasks task it wants queued by its dotted path
(the same path the task queue stores and the worker imports), so `services` never imports `tasks`.

Each app's `tasks.py` is a thin adapter that calls the app's services; if services imported tasks back, the two
would form an import cycle (docs/adr/0007-registries-for-upward-calls.md). tests/test_architecture.py checks that
every path named in the code resolves to a task.
"""

from __future__ import annotations

import functools

from django.utils.module_loading import import_string
from django_tasks.base import Task


@functools.cache
def task_at(path: str) -> Task:
    """The task defined at `path` ("sinergi.<app>.tasks.<name>"); ImportError / TypeError on a wrong path."""
    obj = import_string(path)
    if not isinstance(obj, Task):
        raise TypeError(f"{path} is not a django-tasks task")
    return obj
