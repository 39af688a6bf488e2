"""API v1 of this app; sinergi/api/router.py calls register(router)."""


def register(router) -> None:
    pass
