"""Transfers: finding a student of another school of the académie, and taking his file."""

from __future__ import annotations

import datetime

import strawberry

from api.resolvers import transfers as resolvers
from api.schema.context import Info, read
from api.schema.domain import from_domain
from api.schema.enrollments import EnrollmentPayload, Regime
from api.schema.payloads import mutate


@strawberry.type(
    description="A student of another school of the académie, as much as identifies him: "
    "no INE, guardians, address nor schooling beyond his current school and MEF."
)
@from_domain
class TransferCandidate(resolvers.TransferCandidate):
    pass


@strawberry.input(description="Where and how the student is enrolled in the receiving school.")
class TakeStudentFileInput:
    mef_id: int
    regime: Regime  # type: ignore[valid-type]
    entry_date: datetime.date
    school_year_id: int | None = strawberry.field(
        default=None,
        description="The receiving school's current year (default) or its year in preparation.",
    )
    division_id: int | None = None


@strawberry.type
class Query:
    @strawberry.field(
        description="Students of the académie's other schools (current or last year) with "
        "this INE, or this family name, first name and birth date (exact, accents and case "
        "aside): a few at most, for the receiving school `schoolId`; every search is audited."
    )
    async def transfer_candidates(
        self,
        info: Info,
        school_id: int,
        ine: str | None = None,
        family_name: str | None = None,
        first_name: str | None = None,
        birth_date: datetime.date | None = None,
    ) -> list[TransferCandidate]:
        found = await read(
            info,
            resolvers.transfer_candidates,
            school_id,
            {
                "ine": ine,
                "family_name": family_name,
                "first_name": first_name,
                "birth_date": birth_date,
            },
        )
        return found


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Enrols a student of another school of the académie in `schoolId` and "
        "closes his enrolment there the day before his entry (change of school)."
    )
    async def take_student_file(
        self, info: Info, school_id: int, student_id: int, input: TakeStudentFileInput
    ) -> EnrollmentPayload:
        enrollment, errors = await mutate(
            info, "studentId", resolvers.take_student_file, school_id, student_id, vars(input)
        )
        return EnrollmentPayload(enrollment=enrollment, errors=errors)  # type: ignore[arg-type]
