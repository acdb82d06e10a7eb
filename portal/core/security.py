"""Response headers, cross-site request refusal and the client address."""

from __future__ import annotations

import ipaddress
import re

from litestar.connection import ASGIConnection

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}

# RFC 3986 host[:port]: a reg-name (which covers IPv4) or a bracketed IPv6 address, then digits.
_HOST = re.compile(
    r"(?P<name>(?:[a-z0-9\-._~!$&'()*+,;=]|%[0-9a-f]{2})+|\[(?P<ipv6>[0-9a-f:.]+)\])(?::[0-9]{1,5})?",
    re.ASCII | re.IGNORECASE,
)

# The vendored <model-viewer> styles its shadow DOM with one inline <style> block: that block,
# and nothing else inline, is allowed by its hash (static/vendor/README.md).
MODEL_VIEWER_STYLE = "'sha256-PXtZZkJMMyc18o/DN1ZEFOJ2qEGq95IQbVaJFMOXOb0='"

# 'wasm-unsafe-eval' lets <model-viewer> compile its bundled WebAssembly (the mesh decoder) and
# nothing more: eval() and inline scripts stay refused.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
    f"style-src 'self' {MODEL_VIEWER_STYLE}; img-src 'self' data: blob:; "
    "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def safe_next(url: str | None) -> str:
    """Only a path on this site, never an absolute or scheme-relative address; "" for anything else."""
    if url and url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return ""


def security_headers(https: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    ]
    if https:
        headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    return headers


def security_headers_hook(https: bool):
    """A before-send hook: unlike middleware it also sees responses for unknown paths."""
    headers = security_headers(https)

    async def add_headers(message, scope) -> None:
        if message["type"] == "http.response.start":
            present = {name.lower() for name, _ in message.get("headers", [])}
            extra = [(k, v) for k, v in headers if k not in present]
            message["headers"] = [*message.get("headers", []), *extra]

    return add_headers


async def personal_pages_not_stored(message, scope) -> None:
    """A before-send hook: a page shown to a logged-in person is kept by no cache, not even the
    browser's back button after logout."""
    if message["type"] != "http.response.start" or scope.get("user") is None:
        return
    headers = message.get("headers", [])
    names = {name.lower(): value for name, value in headers}
    if names.get(b"content-type", b"").startswith(b"text/html") and b"cache-control" not in names:
        message["headers"] = [*headers, (b"cache-control", b"no-store")]


class SecurityMiddleware:
    """Refuses unknown host names and unsafe cross-site requests."""

    def __init__(self, app, allowed_hosts: list[str]) -> None:
        self.app = app
        self.allowed_hosts = {host.lower() for host in allowed_hosts}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self._host_allowed(scope):
            await _refuse(send, 400, b"This host name is not served here.")
            return
        if scope["method"] not in SAFE_METHODS and _is_cross_site(scope):
            await _refuse(send, 403, b"Cross-site requests are not accepted.")
            return
        await self.app(scope, receive, send)


    def _host_allowed(self, scope) -> bool:
        """The whole Host header must be a name with an optional port, and the name one of ours
        (links in mail may be built from it); X-Forwarded-Host is ignored."""
        for name, value in scope["headers"]:
            if name == b"host":
                host = host_name(value.decode("latin-1"))
                return host is not None and ("*" in self.allowed_hosts or host in self.allowed_hosts)
        return False


def host_name(header: str) -> str | None:
    """The name of a Host header (lower case, an IPv6 address without brackets), or None when the
    header is not `name[:port]`: `127.0.0.1:8601@evil.example` has a name but is not a host."""
    match = _HOST.fullmatch(header)
    if match is None:
        return None
    if match["ipv6"] is not None:
        try:
            ipaddress.IPv6Address(match["ipv6"])
        except ValueError:
            return None
        return match["ipv6"].lower()
    return match["name"].lower()


def _is_cross_site(scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"sec-fetch-site":
            return value.strip().lower() == b"cross-site"
    return False


async def _refuse(send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _is_trusted(peer: str, trusted_proxies: list[str]) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(proxy, strict=False) for proxy in trusted_proxies)


def client_address(connection: ASGIConnection, trusted_proxies: list[str]) -> str:
    """The peer's address, or the last X-Forwarded-For hop when the peer is a trusted proxy."""
    peer = connection.client.host if connection.client else "unknown"
    if _is_trusted(peer, trusted_proxies):
        forwarded = connection.headers.get("x-forwarded-for", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return peer
