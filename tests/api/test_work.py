"""The unit of work every caller runs domain functions through (``api.resolvers.work``): reads
are recorded only once the request commits them, a change is one audited transaction; a
caller without a principal yet (signing in) runs each step as a transaction of its own."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.auth.identities import count_wrong_password
from api.auth.throttling import Key
from api.resolvers.students import get_student, update_student
from api.resolvers.work import Visitor, Work
from db.audit import AuditEntry
from db.students import Student
from db.throttles import FailureCounter


async def _entries(sessionmaker, action: str) -> list[AuditEntry]:
    async with sessionmaker() as session:
        return list(
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == action, AuditEntry.entity == "students")
                .order_by(AuditEntry.id)
            )
        )


async def test_a_read_is_recorded_when_the_work_commits_and_only_then(world, sessionmaker):
    principal = await world.principal(sessionmaker, "registrar_a")
    noah = world.students["noah"]
    async with Work(sessionmaker, principal) as work:
        assert (await work.read(get_student, noah)).id == noah
    # Refused or failed requests end without commit: nothing read is written.
    assert await _entries(sessionmaker, "read") == []
    async with Work(sessionmaker, principal) as work:
        await work.read(get_student, noah)
        await work.commit()
    assert [(e.entity_id, e.actor_id) for e in await _entries(sessionmaker, "read")] == [
        (noah, principal.id)
    ]


async def test_a_change_is_audited_under_the_caller_and_undone_by_an_error(world, sessionmaker):
    principal = await world.principal(sessionmaker, "registrar_a")
    noah = world.students["noah"]
    work = Work(sessionmaker, principal)
    with pytest.raises(RuntimeError):
        async with work.writing(world.school_a) as transaction:
            await transaction.run(update_student, noah, {"first_name": "Noam"})
            raise RuntimeError("the page failed after the change")
    async with sessionmaker() as session:
        assert (await session.get(Student, noah)).first_name != "Noam"
    async with work.writing(world.school_a) as transaction:
        await transaction.run(update_student, noah, {"first_name": "Noam"})
    async with sessionmaker() as session:
        assert (await session.get(Student, noah)).first_name == "Noam"
    [change] = await _entries(sessionmaker, "update")
    assert (change.actor_id, change.actor_label, change.after) == (
        principal.id,
        principal.label,
        {"first_name": "Noam"},
    )


async def _password_failures(sessionmaker, login: str) -> int:
    async with sessionmaker() as session:
        counted = await session.scalar(
            select(FailureCounter.failures).where(
                FailureCounter.key_hash == Key("login", login).hash
            )
        )
    return counted or 0


async def test_a_visitor_runs_each_step_in_a_transaction_of_its_own(world, sessionmaker):
    """Before a principal exists: committed when the step returns, undone when it raises (so
    a refusal to remember is counted by a step of its own)."""
    visitor = Visitor(sessionmaker)

    async def counted_then_failed(session, login: str) -> None:
        await count_wrong_password(session, login, None)
        raise RuntimeError("the step failed after counting")

    with pytest.raises(RuntimeError):
        await visitor.run(counted_then_failed, "jdupont")
    assert await _password_failures(sessionmaker, "jdupont") == 0
    await visitor.run(count_wrong_password, "jdupont", None)
    await visitor.run(count_wrong_password, "jdupont", None)
    assert await _password_failures(sessionmaker, "jdupont") == 2
