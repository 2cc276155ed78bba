"""The portals' cookies: HttpOnly (no script reads them), SameSite=Lax (not sent with another
site's POST) and Secure whenever the deployment is served over HTTPS (the
``SCONET_COOKIE_SECURE`` setting, passed by the caller as ``secure``).

Lax rather than Strict: a link followed from a webmail (another site) must reach the
portal with its cookies; Lax still keeps them off cross-site POSTs.
"""

from __future__ import annotations

from starlette.responses import Response


def set_cookie(
    response: Response,
    key: str,
    value: str,
    *,
    secure: bool,
    path: str = "/",
    max_age: int | None = None,
) -> None:
    """Sets ``key``: a session cookie unless ``max_age`` (seconds) is given."""
    response.set_cookie(
        key, value, max_age=max_age, path=path, secure=secure, httponly=True, samesite="lax"
    )


def delete_cookie(response: Response, key: str, *, secure: bool, path: str = "/") -> None:
    """Tells the browser to forget ``key`` (with the flags it was set with)."""
    response.delete_cookie(key, path=path, secure=secure, httponly=True, samesite="lax")
