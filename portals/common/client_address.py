"""The client's address, from ``X-Forwarded-For`` only when a trusted proxy sent the request.

Both apps throttle guesses per address. Anyone can write ``X-Forwarded-For``:
believing it from any peer (uvicorn believes it from loopback by default)
lets a caller choose a new address at each request. The apps are served
with uvicorn's proxy headers off, and this middleware alone decides, from
``SCONET_TRUSTED_PROXIES`` (empty by default: the header is ignored). Lives
in ``portals.common`` so that the families portal can use it too.
"""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Union

from starlette.types import ASGIApp, Receive, Scope, Send

Network = Union[IPv4Network, IPv6Network]  # noqa: UP007 (a runtime alias)


def _trusted(host: str, proxies: tuple[Network, ...]) -> bool:
    try:
        address = ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in proxies)


def forwarded_client(peer: str, forwarded_for: str, proxies: tuple[Network, ...]) -> str:
    """The address the request came from: the rightmost hop that is not a trusted proxy.

    Each proxy appends the address it received from, so only the hops our own
    proxies wrote can be believed, read from the right; what lies left of the
    first untrusted hop was written by the client.
    """
    if not _trusted(peer, proxies):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop
    return hops[0] if hops else peer


class TrustedProxies:
    """Sets the ASGI scope's client address from ``X-Forwarded-For`` sent by a trusted proxy."""

    def __init__(self, app: ASGIApp, *, proxies: tuple[Network, ...]) -> None:
        self.app = app
        self.proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if self.proxies and scope["type"] in ("http", "websocket") and client:
            headers = dict(scope["headers"])
            forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1")
            if forwarded:
                address = forwarded_client(client[0], forwarded, self.proxies)
                if address != client[0]:
                    scope = {**scope, "client": (address, 0)}
        await self.app(scope, receive, send)
