"""The unit of work every caller runs domain functions through (``api.resolvers.work``): reads
are recorded only once the request commits them, a change is one audited transaction; a
caller without a principal yet (signing in) runs each step as a transaction of its own."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.auth.identities import count_wrong_password
from api.auth.permissions import Permission
from api.auth.principal import PermissionDenied
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


async def _recording_what_cannot_be_written(session, _principal, *_args):
    """A read whose record the commit refuses (a NOT NULL column left empty)."""
    session.add(FailureCounter(key_hash="unwritable"))
    return []


async def _refused(_session, _principal, *_args):
    raise PermissionDenied(Permission.STRUCTURES_READ)


async def test_a_commit_that_fails_is_rolled_back_and_raised(world, sessionmaker):
    principal = await world.principal(sessionmaker, "registrar_a")
    noah = world.students["noah"]
    async with Work(sessionmaker, principal) as work:
        await work.read(get_student, noah)
        await work.read(_recording_what_cannot_be_written)
        with pytest.raises(IntegrityError):
            await work.commit()
        # Rolled back, not left failed: the work reads again.
        assert (await work.read(get_student, noah)).id == noah
    assert await _entries(sessionmaker, "read") == []


async def test_graphql_fails_rather_than_answer_reads_it_could_not_record(gql, monkeypatch):
    from api.schema import schools

    monkeypatch.setattr(schools.resolvers, "visible_schools", _recording_what_cannot_be_written)
    response = await gql.raw("principal_a", "{ schools { uai } }")
    assert response.status_code == 500
    assert "data" not in response.json()


async def test_field_errors_and_a_failed_commit_answer_no_data(gql, monkeypatch):
    """Without the commit's failure the answer would hold ``schools`` (an empty list) beside
    the refused ``school``: what was read but not recorded is not answered."""
    from api.schema import schools

    monkeypatch.setattr(schools.resolvers, "visible_schools", _recording_what_cannot_be_written)
    monkeypatch.setattr(schools.resolvers, "school_by_uai", _refused)
    response = await gql.raw("principal_a", '{ schools { uai } school(uai: "0000000A") { uai } }')
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
