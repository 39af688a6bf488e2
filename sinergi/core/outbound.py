"""The one outbound HTTP client (report webhooks, incident notifications, anything to come).

Why: a webhook URL is typed by a user; without checks the server would POST to its own loopback, the
private network or the cloud metadata service (SSRF), and a detailed error would map which ports are open.

What it does:
- resolves the host once and refuses every address that is not a public unicast address: loopback, private,
  shared (CGNAT), link-local (incl. the metadata address 169.254.169.254), unique-local (incl. fd00:ec2::254),
  multicast, reserved and unspecified, IPv4 and IPv6, also IPv4-mapped / 6to4 / NAT64 forms; decimal, hex
  and octal spellings of an address are resolved first and so checked like any other;
- connects to the very address it checked (the Host header and TLS name stay the URL's host): a second
  DNS answer cannot move the connection elsewhere (no DNS rebinding);
- never follows redirects (a 3xx is a failed delivery), applies a timeout and reads at most
  `SINERGI_OUTBOUND_MAX_RESPONSE_BYTES` of the answer;
- raises `OutboundError` whose `str()` is a generic text safe to show users; the detail goes to the log only.

An operator allow-lists internal destinations in `SINERGI_OUTBOUND_ALLOW` (CIDRs such as 10.20.0.0/16, or
host names, which then may resolve to any address).
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 5.0
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

#: generic texts — what users see; never ports or socket errors
MSG_REFUSED = _("Alamat tujuan tidak diizinkan.")
MSG_INVALID = _("URL tujuan tidak valid; gunakan http:// atau https:// dengan nama host.")
MSG_UNREACHABLE = _("Tujuan tidak dapat dihubungi.")
MSG_REDIRECT = _("Tujuan mengalihkan ke alamat lain; pengalihan tidak diikuti.")
MSG_TOO_LARGE = _("Jawaban tujuan terlalu besar.")


class OutboundError(Exception):
    """A refused or failed outbound request; str() is the generic user-facing text."""

    def __init__(self, message, *, detail: str = "", status: int | None = None):
        message = str(message)
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.status = status


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    headers: dict[str, str]


def _allow_entries() -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    hosts: set[str] = set()
    nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for raw in settings.SINERGI_OUTBOUND_ALLOW or []:
        item = str(raw).strip()
        if not item:
            continue
        try:
            nets.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            hosts.add(item.lower().rstrip("."))
    return hosts, nets


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def address_refused(address: str) -> bool:
    """True for every address that is not a public unicast address (see the module docstring)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is a.b.c.d
            return address_refused(str(ip.ipv4_mapped))
        inner = _embedded_v4(ip)
        if inner is not None and address_refused(str(inner)):
            return True
    return (not ip.is_global) or ip.is_multicast or ip.is_unspecified or ip.is_reserved or ip.is_loopback \
        or ip.is_link_local or ip.is_private


def _allowed(host: str, address: str) -> bool:
    hosts, nets = _allow_entries()
    if host.lower().rstrip(".") in hosts:
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return any(ip.version == n.version and ip in n for n in nets)


def _split(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundError(MSG_INVALID, detail=str(exc)) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise OutboundError(MSG_INVALID, detail=f"scheme/host/userinfo of {url!r}")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def resolve(host: str, port: int) -> str:
    """The first address of `host` that may be contacted; OutboundError when none may (or none resolves).

    Every address the name resolves to must pass: a name that resolves to a public and a private address is
    refused as a whole, so the answer order of a resolver cannot pick the private one."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise OutboundError(MSG_UNREACHABLE, detail=f"resolve {host}: {exc}") from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise OutboundError(MSG_UNREACHABLE, detail=f"resolve {host}: no address")
    for address in addresses:
        if address_refused(address) and not _allowed(host, address):
            raise OutboundError(MSG_REFUSED, detail=f"{host} -> {address} refused")
    return addresses[0]


def check_url(url: str) -> None:
    """Validation when a URL is saved: the URL is well formed and its host resolves to allowed addresses only.

    A name that does not resolve now is refused too (the operator allow-lists it if it resolves only later)."""
    scheme, host, port, _path = _split(url)
    resolve(host, port)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, *, data: bytes, headers: dict[str, str] | None = None,
         timeout: float = DEFAULT_TIMEOUT_S, max_bytes: int | None = None) -> Response:
    """POST `data` to `url` through the checks above; a 2xx answer is returned, anything else raises."""
    scheme, host, port, path = _split(url)
    address = resolve(host, port)
    limit = max_bytes if max_bytes is not None else int(
        settings.SINERGI_OUTBOUND_MAX_RESPONSE_BYTES)
    cls = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    conn = cls(host, port, address, timeout)
    try:
        conn.request("POST", path, body=data, headers=dict(headers or {}))
        resp = conn.getresponse()
        body = resp.read(limit + 1)
        status = resp.status
        reply_headers = {k.lower(): v for k, v in resp.getheaders()}
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        log.warning("outbound POST to %s failed: %s", host, exc)
        raise OutboundError(MSG_UNREACHABLE, detail=str(exc)) from None
    finally:
        conn.close()
    if len(body) > limit:
        raise OutboundError(MSG_TOO_LARGE, detail=f"> {limit} bytes", status=status)
    if 300 <= status < 400:
        raise OutboundError(MSG_REDIRECT, detail=f"HTTP {status}", status=status)
    if not 200 <= status < 300:
        raise OutboundError(f"HTTP {status}", detail=f"HTTP {status}", status=status)
    return Response(status=status, body=body, headers=reply_headers)
