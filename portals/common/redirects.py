"""Redirects of both portals, and the check that keeps them on the portal's own site."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.responses import RedirectResponse


def redirect(url: str) -> RedirectResponse:
    # 303: after a POST the browser follows with a GET.
    return RedirectResponse(url, status_code=303)


def local_path(target: str | None, default: str = "/") -> str:
    """``target`` when it is a path on this site, else ``default`` (no open redirect)."""
    if not target or len(target) > 2000:
        return default
    if any(ord(c) < 0x20 or c == "\\" for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target
