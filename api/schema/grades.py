"""Grades in GraphQL: a teacher's assessments and marks, and period averages."""

from __future__ import annotations

import datetime
from decimal import Decimal

import strawberry

from api.resolvers import grades
from api.schema.context import Info, read
from api.schema.domain import from_domain
from api.schema.payloads import FieldError, mutate
from db import grades as models

MarkStatus = strawberry.enum(models.MarkStatus, name="MarkStatus")


@strawberry.type
class Assessment:
    id: int
    version: int
    title: str
    subject_id: int
    division_id: int | None
    group_id: int | None
    day: datetime.date
    scale: Decimal
    coefficient: Decimal
    published_on: datetime.date
    teacher_id: int | None


@strawberry.type
class GradingPeriod:
    id: int
    label: str
    first_day: datetime.date
    last_day: datetime.date


@strawberry.type
class Mark:
    student_id: int
    status: MarkStatus  # type: ignore[valid-type]
    value: Decimal | None


@strawberry.type
class AssessmentMarks:
    assessment: Assessment
    marks: list[Mark]


@strawberry.input
@from_domain
class AssessmentInput(grades.AssessmentInput):
    published_on: datetime.date = strawberry.field(description="Families see the marks from then.")
    teacher_id: int | None = strawberry.field(
        default=None,
        description="A staff member teaching the class; by default the staff member creating "
        "the assessment, no one for a grades software.",
    )


@strawberry.input
@from_domain
class MarkInput(grades.MarkInput):
    value: Decimal | None = None


@strawberry.type
class SubjectAverage:
    subject_id: int
    average: Decimal


@strawberry.type
@from_domain
class StudentAverages(grades.StudentAverages):
    by_subject: strawberry.Private[dict[int, Decimal]]

    @strawberry.field
    def subjects(self) -> list[SubjectAverage]:
        return [SubjectAverage(subject_id=s, average=a) for s, a in self.by_subject.items()]


@strawberry.type
class AssessmentPayload:
    assessment: Assessment | None
    errors: list[FieldError]


@strawberry.type
class MarksPayload:
    marks: list[Mark] | None
    errors: list[FieldError]


@strawberry.type
class Query:
    @strawberry.field(description="An assessment and its marks.")
    async def assessment(self, info: Info, id: int) -> AssessmentMarks:
        found, marks = await read(info, grades.assessment_marks, id)
        return AssessmentMarks(assessment=found, marks=marks)

    @strawberry.field(description="The assessments of a division or group, latest first.")
    async def assessments(
        self, info: Info, division_id: int | None = None, group_id: int | None = None
    ) -> list[Assessment]:
        return await read(info, grades.class_assessments, division_id, group_id)

    @strawberry.field(description="A school's grading periods of a year (trimesters by default).")
    async def grading_periods(
        self, info: Info, school_id: int, school_year_id: int
    ) -> list[GradingPeriod]:
        return await read(info, grades.school_grading_periods, school_id, school_year_id)

    @strawberry.field(description="Averages out of 20 over a grading period, per subject.")
    async def period_averages(
        self,
        info: Info,
        period_id: int,
        division_id: int | None = None,
        group_id: int | None = None,
    ) -> list[StudentAverages]:
        return await read(info, grades.period_averages, period_id, division_id, group_id)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="An assessment of a division or group the caller grades.")
    async def create_assessment(self, info: Info, input: AssessmentInput) -> AssessmentPayload:
        found, errors = await mutate(info, "divisionId", grades.create_assessment, input)
        return AssessmentPayload(assessment=found, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(description="Record or change marks (students not listed keep theirs).")
    async def enter_marks(
        self, info: Info, assessment_id: int, marks: list[MarkInput]
    ) -> MarksPayload:
        saved, errors = await mutate(
            info,
            "assessmentId",
            grades.enter_marks,
            assessment_id,
            marks,
        )
        return MarksPayload(marks=saved, errors=errors)  # type: ignore[arg-type]
