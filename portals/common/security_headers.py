"""The security headers of every HTTP response of both portals and the API, set in one place.

A pure ASGI middleware (no response buffering): it adds the headers when the
response starts, leaving any a handler set on purpose. Lives in
``portals.common`` so that the families portal, which may not import the admin
side, can use it too.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No inline script or style anywhere: everything comes from this origin. The
# DSFR's CSS embeds a few icons as data: URIs, hence img-src data:.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# Every response, static files included.
ASSET_HEADERS = (
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
)
# Documents and API answers. Not static files: an SVG image served with this policy would
# have its own <style> blocked (the DSFR favicon has one).
DOCUMENT_HEADERS = (
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-frame-options", "DENY"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    ("cross-origin-opener-policy", "same-origin"),
    # Pages and API answers hold personal data: never kept in any cache.
    ("cache-control", "no-store"),
)
HSTS = "max-age=63072000; includeSubDomains"
STATIC_PREFIX = "/static/"


class SecurityHeaders:
    """Adds the headers to every response; HSTS when the deployment is served over HTTPS
    (``https_only``, the same switch as the Secure cookie flag)."""

    def __init__(self, app: ASGIApp, *, https_only: bool) -> None:
        self.app = app
        self.https_only = https_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith(STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in ASSET_HEADERS if static else ASSET_HEADERS + DOCUMENT_HEADERS:
                    headers.setdefault(name, value)
                if self.https_only:
                    headers.setdefault("strict-transport-security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)
