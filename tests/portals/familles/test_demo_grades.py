"""A family of the demo académie reads its child's marks: once the principal opens the
télé-services and gives the parent a code, the replication carries the marks the demo's
teachers published (``api.demo.grades``), and only those, to the families portal."""

from __future__ import annotations

import re

from sqlalchemy import case, func, select

from api.auth.identities import load_principal
from api.resolvers.teleservices.codes import code_history, regenerate_code
from api.resolvers.teleservices.services import set_service
from core import clock
from db.accounts import StaffUser
from db.grades import Assessment, Mark
from db.guardians import GuardianLink
from db.students import Student
from db.teleservices import Teleservice
from replication.run import replicate
from tests.conftest import TEST_SECRET_KEY
from tests.portals.familles.family_steps import open_account
from tsdb.models import TsStudent


async def test_a_demo_parent_sees_the_published_marks_only(
    demo, sessionmaker, ts_sessionmaker, families
) -> None:
    today = clock.today()
    published = Assessment.published_on <= today
    async with sessionmaker() as session:
        # A child of the demo's first division with marks both published and not yet.
        counts = (
            select(
                Mark.student_id,
                func.sum(case((published, 1), else_=0)).label("shown"),
                func.count().label("all"),
            )
            .join(Assessment, Assessment.id == Mark.assessment_id)
            .where(Assessment.division_id == demo["division"])
            .group_by(Mark.student_id)
            .subquery()
        )
        row = (
            await session.execute(
                select(counts.c.student_id, counts.c.shown, counts.c.all)
                .where(counts.c.shown > 0, counts.c.shown < counts.c.all)
                .order_by(counts.c.student_id)
                .limit(1)
            )
        ).first()
        assert row is not None
        child = await session.get(Student, row.student_id)
        guardian_id = await session.scalar(
            select(GuardianLink.guardian_id).where(
                GuardianLink.student_id == row.student_id, GuardianLink.legal_rank == 1
            )
        )
        head = await load_principal(
            session,
            await session.scalar(select(StaffUser.id).where(StaffUser.login == "demo.principal")),
        )
    assert child is not None and guardian_id is not None and head is not None
    async with sessionmaker() as session, session.begin():
        for service in Teleservice:
            await set_service(session, head, demo["school"], service, True)
        await regenerate_code(session, head, demo["school"], child.id, guardian_id, TEST_SECRET_KEY)
        [code, *_] = await code_history(
            session, head, demo["school"], child.id, guardian_id, TEST_SECRET_KEY
        )
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=today)
    await open_account(
        families,
        str(code.code),
        child.birth_date.isoformat(),
        "parent.notes",
        "un mot de passe long",
    )
    async with ts_sessionmaker() as ts:
        replicated = await ts.scalar(select(TsStudent.id).where(TsStudent.student_id == child.id))
    page = await families.get(f"/enfants/{replicated}")
    assert page.status_code == 200
    table = re.search(r'<table id="notes">.*?</table>', page.text, re.S)
    assert table is not None
    assert table.group(0).count("<tr>") - 1 == row.shown
