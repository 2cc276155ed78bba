"""End to end: a school's grades software pushes marks over the API (OAuth client
credentials); the replication carries them to the télé-services database; a parent reads
them on the families portal once, and only once, their publication date is reached."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from replication.run import replicate
from tests.api.test_grades_clients import CREATE, MARKS, ask, client_token
from tests.portals.conftest import make_client
from tests.portals.familles.family_steps import TODAY, give_code, open_account
from tsdb.models import TsStudent


async def test_marks_pushed_by_a_client_reach_the_family_once_published(
    app, world, sessionmaker, ts_sessionmaker, families
):
    lina = world.students["lina"]
    code = await give_code(
        world, sessionmaker, world.school_a, lina, world.guardians["mother"], "principal_a"
    )
    async with make_client(app) as api:
        token = await client_token(api, world, sessionmaker, ["grades:write"])
        for title, published in (("Dictée", "2026-11-20"), ("Exposé", "2026-11-27")):
            created = await ask(
                api,
                token,
                CREATE,
                {
                    "in": {
                        "title": title,
                        "subjectId": world.subject,
                        "day": "2026-11-16",
                        "scale": "20",
                        "coefficient": "1",
                        "publishedOn": published,
                        "divisionId": world.division_a1,
                    }
                },
            )
            assessment = created["data"]["createAssessment"]["assessment"]
            entered = await ask(
                api,
                token,
                MARKS,
                {
                    "a": assessment["id"],
                    "m": [{"studentId": lina, "status": "GRADED", "value": "15.5"}],
                },
            )
            assert entered["data"]["enterMarks"]["errors"] == []
    # TODAY is the 25th of November.
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    await open_account(families, code, "2015-03-14", "claire", "un mot de passe long")
    async with ts_sessionmaker() as ts:
        child = await ts.scalar(select(TsStudent.id).where(TsStudent.student_id == lina))
    page = await families.get(f"/enfants/{child}")
    assert page.status_code == 200
    # The dictation's publication date has come, not the talk's.
    assert "Dictée" in page.text and "15,5 / 20" in page.text
    assert "Exposé" not in page.text
    await replicate(sessionmaker, ts_sessionmaker, today=date(2026, 11, 28))
    later = await families.get(f"/enfants/{child}")
    assert "Dictée" in later.text and "Exposé" in later.text
