"""One caller's work on the admin database: how a request (a portal page, a GraphQL
mutation) or a command runs domain functions, without handling a session itself.

``Work`` owns the caller's read session, opened for the request and closed with it:
``await work.read(fn, *args)`` calls ``fn(session, principal, *args)``. Reads of full records
are audited in that session (and a school's first use stores its defaults), so whoever runs
the request calls ``commit()`` once the answer is ready and before it is sent: nothing read
goes unrecorded. A change is one transaction of its own, whose audit entries name the caller::

    async with work.writing(school_id) as transaction:
        student = await transaction.run(update_student, student_id, changes)

It commits when the block ends normally and rolls everything back on any exception.

A session runs one statement at a time, while GraphQL resolves sibling fields concurrently:
every use of the read session (``read``, ``load``, ``commit``) waits for the one before it.

Before a principal exists (signing in, the second factor, enrolment at login) a caller is a
``Visitor``: ``await visitor.run(fn, *args)`` calls ``fn(session, *args)`` in a transaction of
its own. ``Work.of`` and ``Visitor.of`` build both from the application's services, so that no
page handles the sessionmaker.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Concatenate, ParamSpec, TypeAlias, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth.principal import Principal
from api.services import Services
from db.audit import set_actor

P = ParamSpec("P")
R = TypeVar("R")

# A domain function: ``fn(session, principal, *args, **kwargs)``. Callers name it by this
# alias, so that only the domain layer deals in sessions.
DomainFunction: TypeAlias = Callable[Concatenate[AsyncSession, Principal, P], Awaitable[R]]
# A batch loader's function: ``fn(session, *args, **kwargs)``, no principal (see ``load``).
LoadFunction: TypeAlias = Callable[Concatenate[AsyncSession, P], Awaitable[R]]


class Transaction:
    """The domain functions of one change, run in its transaction as the work's caller."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self._session = session
        self.principal = principal

    async def run(self, fn: DomainFunction[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        return await fn(self._session, self.principal, *args, **kwargs)


class Work:
    """The reads and changes of one caller; used as ``async with Work(...) as work``."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], principal: Principal
    ) -> None:
        self._sessionmaker = sessionmaker
        self.principal = principal
        self._session: AsyncSession | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def of(cls, services: Services, principal: Principal) -> Work:
        return cls(services.sessionmaker, principal)

    async def __aenter__(self) -> Work:
        return self

    async def __aexit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        # What was not committed (a refused or failed request) is rolled back.
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _reading(self) -> AsyncSession:
        if self._session is None:
            self._session = self._sessionmaker()
        return self._session

    async def read(self, fn: DomainFunction[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """``fn(session, principal, *args, **kwargs)`` in the read session."""
        async with self._lock:
            return await fn(self._reading(), self.principal, *args, **kwargs)

    async def load(self, fn: LoadFunction[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """``fn(session, *args, **kwargs)`` in the read session, for the batch loaders that
        take no principal: they complete rows a guarded read has already let the caller see."""
        async with self._lock:
            return await fn(self._reading(), *args, **kwargs)

    async def commit(self) -> None:
        """Writes what the reads recorded (audit of full records, first-use defaults).

        A failure is raised once the read session is rolled back: nothing it recorded is
        written, and the work may read again.
        """
        async with self._lock:
            session = self._session
            if session is None or not session.in_transaction():
                return
            try:
                await session.commit()
            except Exception:
                await session.rollback()
                raise

    @asynccontextmanager
    async def writing(self, school_id: int | None = None) -> AsyncIterator[Transaction]:
        """One transaction whose changes the audit trail records under the caller, acting in
        ``school_id`` (None: the académie); rolled back on any exception."""
        async with self._sessionmaker() as session, session.begin():
            set_actor(session.sync_session, self.principal.audit_actor(school_id))
            yield Transaction(session, self.principal)


class Visitor:
    """A caller without a principal yet: the steps of signing in act on an account that no
    principal stands for, so its functions take no principal."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    @classmethod
    def of(cls, services: Services) -> Visitor:
        return cls(services.sessionmaker)

    async def run(
        self,
        fn: Callable[Concatenate[AsyncSession, P], Awaitable[R]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> R:
        """``fn(session, *args, **kwargs)`` in a transaction of its own: committed when ``fn``
        returns, rolled back when it raises (a refusal to be remembered, such as a wrong guess,
        is therefore counted by a ``run`` of its own)."""
        async with self._sessionmaker() as session, session.begin():
            return await fn(session, *args, **kwargs)
