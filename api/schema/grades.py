"""Grades in GraphQL: a teacher's assessments and marks, and period averages."""

from __future__ import annotations

import datetime
from decimal import Decimal

import strawberry

from api.resolvers import grades
from api.schema.context import Info, read
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
class AssessmentInput:
    title: str
    subject_id: int
    day: datetime.date
    scale: Decimal
    coefficient: Decimal
    published_on: datetime.date = strawberry.field(description="Families see the marks from then.")
    division_id: int | None = None
    group_id: int | None = None


@strawberry.input
class MarkInput:
    student_id: int
    status: MarkStatus  # type: ignore[valid-type]
    value: Decimal | None = None


@strawberry.type
class SubjectAverage:
    subject_id: int
    average: Decimal


@strawberry.type
class StudentAverages:
    student_id: int
    student_name: str
    subjects: list[SubjectAverage]
    overall: Decimal | None


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

    @strawberry.field(description="Averages out of 20 over a grading period, per subject.")
    async def period_averages(
        self,
        info: Info,
        period_id: int,
        division_id: int | None = None,
        group_id: int | None = None,
    ) -> list[StudentAverages]:
        rows = await read(info, grades.period_averages, period_id, division_id, group_id)
        return [
            StudentAverages(
                student_id=row.student_id,
                student_name=row.student_name,
                subjects=[
                    SubjectAverage(subject_id=s, average=a) for s, a in row.by_subject.items()
                ],
                overall=row.overall,
            )
            for row in rows
        ]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="An assessment of a division or group the caller grades.")
    async def create_assessment(self, info: Info, input: AssessmentInput) -> AssessmentPayload:
        found, errors = await mutate(
            info, "divisionId", grades.create_assessment, grades.AssessmentInput(**vars(input))
        )
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
            [grades.MarkInput(m.student_id, m.status, m.value) for m in marks],
        )
        return MarksPayload(marks=saved, errors=errors)  # type: ignore[arg-type]
