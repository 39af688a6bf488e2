"""API v1 of election-day operations; sinergi/api/router.py calls register(router)."""


def register(router) -> None:
    pass
