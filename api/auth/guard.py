"""``@requires``: the permission a domain function needs, declared on the function."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.permissions import Permission
from api.auth.principal import Principal

P = ParamSpec("P")
R = TypeVar("R")


def requires(
    permission: Permission,
) -> Callable[
    [Callable[Concatenate[AsyncSession, Principal, P], Awaitable[R]]],
    Callable[Concatenate[AsyncSession, Principal, P], Awaitable[R]],
]:
    def decorate(
        fn: Callable[Concatenate[AsyncSession, Principal, P], Awaitable[R]],
    ) -> Callable[Concatenate[AsyncSession, Principal, P], Awaitable[R]]:
        @functools.wraps(fn)
        async def guarded(
            session: AsyncSession, principal: Principal, *args: P.args, **kwargs: P.kwargs
        ) -> R:
            principal.require(permission)
            return await fn(session, principal, *args, **kwargs)

        guarded.__permission__ = permission  # type: ignore[attr-defined]
        return guarded

    return decorate


def permission_of(fn: Callable[..., Any]) -> Permission | None:
    return getattr(fn, "__permission__", None)
