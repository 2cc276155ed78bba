"""Assessments, marks and period averages: validation, teachers' reach, weighted averages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from api.auth.principal import PermissionDenied
from api.resolvers.grades import (
    AssessmentInput,
    MarkInput,
    assessment_marks,
    create_assessment,
    enter_marks,
    grading_periods,
    marks_grid,
    period_averages,
    weighted_average,
)
from core.errors import NotFound, ValidationFailed
from db.audit import set_actor
from db.grades import MarkStatus
from db.nomenclatures import Subject
from tests.world import build_world

GRADED, ABSENT, EXEMPT = MarkStatus.GRADED, MarkStatus.ABSENT, MarkStatus.EXEMPT


@pytest.fixture
async def world(sessionmaker):
    return await build_world(sessionmaker)


async def _run(sessionmaker, fn, *args, **kwargs):
    async with sessionmaker() as session, session.begin():
        return await fn(session, *args, **kwargs)


def _test(world, **changes):
    values = dict(
        title="Contrôle 1",
        subject_id=world.subject,
        day=date(2026, 11, 16),
        scale=Decimal(20),
        coefficient=Decimal(1),
        published_on=date(2026, 11, 20),
        division_id=world.division_a1,
    )
    return AssessmentInput(**(values | changes))


def test_weighted_average_is_out_of_twenty():
    # 15/20 coefficient 2 and 5/10 coefficient 1: (15*2 + 10*1) / 3 = 13.33
    marks = [(Decimal(15), Decimal(20), Decimal(2)), (Decimal(5), Decimal(10), Decimal(1))]
    assert weighted_average(marks) == Decimal("13.33")
    assert weighted_average([]) is None


async def test_a_teacher_grades_his_class_and_averages_follow(world, sessionmaker):
    teacher = await world.principal(sessionmaker, "teacher_a")  # teaches 6A
    lina, eloise = world.students["lina"], world.students["eloise"]
    first = await _run(sessionmaker, create_assessment, teacher, _test(world))
    await _run(
        sessionmaker,
        enter_marks,
        teacher,
        first.id,
        [MarkInput(lina, GRADED, Decimal("15")), MarkInput(eloise, ABSENT)],
    )
    second = await _run(
        sessionmaker,
        create_assessment,
        teacher,
        _test(
            world,
            title="DM",
            scale=Decimal(10),
            coefficient=Decimal(2),
            day=date(2026, 11, 23),
            published_on=date(2026, 11, 27),
        ),
    )
    await _run(
        sessionmaker,
        enter_marks,
        teacher,
        second.id,
        [MarkInput(lina, GRADED, Decimal("4.5")), MarkInput(eloise, GRADED, Decimal("10"))],
    )
    # Changing a mark keeps one mark per student.
    await _run(
        sessionmaker, enter_marks, teacher, first.id, [MarkInput(lina, GRADED, Decimal("16"))]
    )
    _assessment, marks = await _run(sessionmaker, assessment_marks, teacher, first.id)
    assert sorted((m.student_id, m.status, m.value) for m in marks) == sorted(
        [(lina, GRADED, Decimal("16.00")), (eloise, ABSENT, None)]
    )
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, teacher.audit_actor(world.school_a))
        periods = await grading_periods(session, world.school_a, world.year_id)
    assert [p.label for p in periods] == ["Trimestre 1", "Trimestre 2", "Trimestre 3"]
    assert (periods[0].first_day, periods[0].last_day) == (date(2026, 9, 1), date(2026, 11, 30))
    averages = await _run(
        sessionmaker, period_averages, teacher, periods[0].id, division_id=world.division_a1
    )
    by_student = {a.student_id: a for a in averages}
    # Lina: 16/20 x1 and 4.5/10 (9/20) x2 -> (16 + 18) / 3 = 11.33; Éloïse: absent, then 20/20.
    assert by_student[lina].by_subject == {world.subject: Decimal("11.33")}
    assert by_student[eloise].overall == Decimal("20.00")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": " "}, "title"),
        ({"scale": Decimal(0)}, "scale"),
        ({"coefficient": Decimal(25)}, "coefficient"),
        ({"published_on": date(2026, 11, 1)}, "publishedOn"),
        ({"subject_id": 999999}, "subjectId"),
        ({"group_id": 1}, "divisionId"),
    ],
)
async def test_bad_assessments_name_the_field(world, sessionmaker, changes, field):
    principal = await world.principal(sessionmaker, "principal_a")
    with pytest.raises(ValidationFailed) as refused:
        await _run(sessionmaker, create_assessment, principal, _test(world, **changes))
    assert refused.value.errors[0].field == field


async def test_marks_are_checked(world, sessionmaker):
    principal = await world.principal(sessionmaker, "principal_a")
    test = await _run(sessionmaker, create_assessment, principal, _test(world))
    cases = [
        (MarkInput(world.students["lina"], GRADED, Decimal(21)), "OUT_OF_RANGE"),
        (MarkInput(world.students["lina"], GRADED, None), "REQUIRED"),
        (MarkInput(world.students["lina"], EXEMPT, Decimal(3)), "VALUE_WITHOUT_MARK"),
        (MarkInput(world.students["noah"], GRADED, Decimal(3)), "NOT_IN_CLASS"),
    ]
    for mark, code in cases:
        with pytest.raises(ValidationFailed) as refused:
            await _run(sessionmaker, enter_marks, principal, test.id, [mark])
        assert refused.value.errors[0].code == code


async def test_teachers_reach_only_the_classes_taught(world, sessionmaker):
    teacher = await world.principal(sessionmaker, "teacher_a")
    with pytest.raises(NotFound):
        await _run(
            sessionmaker, create_assessment, teacher, _test(world, division_id=world.division_a2)
        )
    principal = await world.principal(sessionmaker, "principal_a")
    other = await _run(
        sessionmaker, create_assessment, principal, _test(world, division_id=world.division_a2)
    )
    with pytest.raises(NotFound):
        await _run(sessionmaker, assessment_marks, teacher, other.id)
    principal_b = await world.principal(sessionmaker, "principal_b")
    with pytest.raises(NotFound):
        await _run(sessionmaker, assessment_marks, principal_b, other.id)
    cpe = await world.principal(sessionmaker, "cpe_a")
    with pytest.raises(PermissionDenied):
        await _run(sessionmaker, create_assessment, cpe, _test(world))


async def test_a_teacher_enters_the_marks_of_his_own_assessments_only(world, sessionmaker):
    teacher = await world.principal(sessionmaker, "teacher_a")  # teaches 6A
    principal = await world.principal(sessionmaker, "principal_a")
    colleagues = await _run(sessionmaker, create_assessment, principal, _test(world))
    mark = MarkInput(world.students["lina"], GRADED, Decimal(12))
    assert (await _run(sessionmaker, marks_grid, teacher, colleagues.id)).markable is False
    with pytest.raises(ValidationFailed) as refused:
        await _run(sessionmaker, enter_marks, teacher, colleagues.id, [mark])
    assert [(e.field, e.code) for e in refused.value.errors] == [("assessmentId", "NOT_YOURS")]
    assert (await _run(sessionmaker, assessment_marks, teacher, colleagues.id))[1] == []
    # The principal grades any class, and may name the class's teacher, who then enters them.
    await _run(sessionmaker, enter_marks, principal, colleagues.id, [mark])
    his = await _run(
        sessionmaker,
        create_assessment,
        principal,
        _test(world, teacher_id=world.users["teacher_a"]),
    )
    assert (await _run(sessionmaker, marks_grid, teacher, his.id)).markable is True
    [saved] = await _run(sessionmaker, enter_marks, teacher, his.id, [mark])
    assert saved.value == Decimal(12)


async def test_a_teacher_grades_the_subjects_he_teaches_the_class(world, sessionmaker):
    async with sessionmaker() as session, session.begin():
        maths = Subject(
            code="061300", management_code="MATHS", short_label="MATHS", long_label="MATHEMATIQUES"
        )
        session.add(maths)
    teacher = await world.principal(sessionmaker, "teacher_a")  # Spanish in 6A
    with pytest.raises(ValidationFailed) as refused:
        await _run(sessionmaker, create_assessment, teacher, _test(world, subject_id=maths.id))
    assert [(e.field, e.code) for e in refused.value.errors] == [("subjectId", "NOT_TAUGHT")]
    principal = await world.principal(sessionmaker, "principal_a")
    await _run(sessionmaker, create_assessment, principal, _test(world, subject_id=maths.id))


async def test_grades_over_graphql(gql, world, sessionmaker):
    created = await gql(
        "teacher_a",
        """mutation($d: Int!, $s: Int!) { createAssessment(input: {title: "Dictée", subjectId: $s,
          day: "2026-11-16", scale: "10", coefficient: "2", publishedOn: "2026-11-20", divisionId: $d})
          { assessment { id scale } errors { field code } } }""",
        {"d": world.division_a1, "s": world.subject},
    )
    assessment = created["data"]["createAssessment"]["assessment"]
    marked = await gql(
        "teacher_a",
        """mutation($a: Int!, $st: Int!) { enterMarks(assessmentId: $a, marks: [
          {studentId: $st, status: GRADED, value: "12"}]) { marks { value } errors { field code message } } }""",
        {"a": assessment["id"], "st": world.students["lina"]},
    )
    [error] = marked["data"]["enterMarks"]["errors"]
    assert error["field"] == "marks[0].value" and error["code"] == "OUT_OF_RANGE"
    fine = await gql(
        "teacher_a",
        """mutation($a: Int!, $st: Int!) { enterMarks(assessmentId: $a, marks: [
          {studentId: $st, status: GRADED, value: "7.5"}]) { marks { value } errors { code } } }""",
        {"a": assessment["id"], "st": world.students["lina"]},
    )
    assert fine["data"]["enterMarks"]["marks"] == [{"value": "7.50"}]
    teacher = await world.principal(sessionmaker, "teacher_a")
    async with sessionmaker() as session, session.begin():
        # The school's periods are created on first use.
        set_actor(session.sync_session, teacher.audit_actor(world.school_a))
        [first, *_later] = await grading_periods(session, world.school_a, world.year_id)
    averages = await gql(
        "teacher_a",
        """query($p: Int!, $d: Int!) { periodAverages(periodId: $p, divisionId: $d)
          { studentName subjects { subjectId average } overall } }""",
        {"p": first.id, "d": world.division_a1},
    )
    lina = next(
        row for row in averages["data"]["periodAverages"] if row["studentName"].endswith("Lina")
    )
    # 7.5/10 is 15/20.
    assert lina["subjects"] == [{"subjectId": world.subject, "average": "15.00"}]
