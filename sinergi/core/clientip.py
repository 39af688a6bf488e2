"""Who is the client: proxy headers are believed only from the reverse proxies listed in settings.

Why: X-Forwarded-For is a header anyone can send. Believed from anyone, it lets a caller pick the address that
login lockout (django-axes) and the public report form's rate limit count against, and X-Forwarded-Proto lets
a plain-HTTP caller pass as HTTPS.

`SINERGI_TRUSTED_PROXIES` (CIDRs, empty by default) lists the proxies. When the direct peer (REMOTE_ADDR) is
not one of them, `strip_untrusted` removes X-Forwarded-For/-Proto/-Host/-Port, X-Real-IP and Forwarded from
the request (first middleware, and the intake fast lane in sinergi/incidents/wsgi.py), so nothing downstream —
Django's SECURE_PROXY_SSL_HEADER included — can read them. `client_ip` walks X-Forwarded-For from the right,
skipping trusted proxies; the first other address is the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import MutableMapping
from functools import lru_cache

from django.conf import settings

PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                 "HTTP_X_FORWARDED_PORT", "HTTP_X_REAL_IP", "HTTP_FORWARDED")


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(e.strip(), strict=False) for e in entries if e.strip())


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = (value or "").strip()
    if value.startswith("[") and "]" in value:
        value = value[1:value.index("]")]
    try:
        return ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return None


def is_trusted_proxy(address: str) -> bool:
    ip = _ip(address)
    if ip is None:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    nets = _networks(tuple(settings.SINERGI_TRUSTED_PROXIES or []))
    return any(ip.version == n.version and ip in n for n in nets)


PROXIED_MARK = "sinergi.proxy_headers_dropped"


def strip_untrusted(meta: MutableMapping) -> None:
    """Remove proxy headers from a WSGI environ / request.META unless the direct peer is a trusted proxy."""
    if is_trusted_proxy(meta.get("REMOTE_ADDR", "")):
        return
    dropped = [name for name in PROXY_HEADERS if meta.pop(name, None) is not None]
    if dropped:
        # Remembered (not believed): a request that came through some proxy is not "from this machine" even if
        # the proxy runs here (sinergi/core/metrics.py refuses it without the token).
        meta[PROXIED_MARK] = True


def client_ip(meta) -> str:
    """The client's address: REMOTE_ADDR, or what trusted proxies say in X-Forwarded-For / X-Real-IP."""
    peer = meta.get("REMOTE_ADDR", "") or ""
    if not is_trusted_proxy(peer):
        return peer
    forwarded = [h.strip() for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(forwarded):
        ip = _ip(hop)
        if ip is None:
            return peer  # a garbled chain: count against the proxy rather than guess
        if not is_trusted_proxy(str(ip)):
            return str(ip)
    real = _ip(meta.get("HTTP_X_REAL_IP", ""))
    if real is not None and not forwarded:
        return str(real)
    return peer


def axes_client_ip(request) -> str:
    """AXES_CLIENT_IP_CALLABLE: lockout counts per client as resolved above."""
    return client_ip(request.META)


class TrustedProxyMiddleware:
    """First in MIDDLEWARE: drop proxy headers sent by anyone but a trusted proxy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        strip_untrusted(request.META)
        return self.get_response(request)
