"""How the families portal runs the families' domain functions, without handling a session
itself: each request's work is one or more transactions of the télé-services database::

    async with families.transaction() as transaction:
        member = await transaction.run(session_of, cookie)

A transaction commits when its block ends normally and rolls everything back on any
exception. A refused guess is counted in a transaction of its own, so that the refusal does
not undo the count (see the portal's ``_guess``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

P = ParamSpec("P")
R = TypeVar("R")


class Transaction:
    """The families' domain functions run in one transaction of the télé-services database."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def run(
        self,
        fn: Callable[Concatenate[AsyncSession, P], Awaitable[R]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> R:
        """``fn(session, *args, **kwargs)`` in this transaction."""
        return await fn(self._session, *args, **kwargs)


class Work:
    """The télé-services database as the families portal uses it: one per process."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self._sessionmaker() as session, session.begin():
            yield Transaction(session)
