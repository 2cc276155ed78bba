"""A staff member signs in: the password step, before any principal exists (the second
factor's steps are in ``api.resolvers.second_factor``). Run by a ``Visitor``
(``api.resolvers.work``), one transaction per step."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.identities import authenticate_unless_blocked, login_stage, record_as_self
from api.auth.sessions import OpenSession, close_session, open_session
from api.settings import Settings


async def sign_in(
    session: AsyncSession,
    settings: Settings,
    login: str,
    password: str,
    address: str | None,
    previous_token: str | None,
) -> OpenSession | None:
    """A new session at the stage the account goes to next (second factor, enrolment, or
    signed in), replacing the browser's previous one; None for a wrong login or password,
    which the caller counts with ``count_wrong_password`` in a transaction of its own.
    ``Throttled`` (nothing checked) while the account or the address must wait."""
    user = await authenticate_unless_blocked(session, login, password, address)
    if user is None:
        return None
    # authenticate() may upgrade the password hash: that change is audited too.
    record_as_self(session, user, address)
    await close_session(session, previous_token)
    return await open_session(session, settings, user.id, address, await login_stage(session, user))
