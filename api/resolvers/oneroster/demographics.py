"""OneRoster demographics: a student's birth date and sex, under the demographics scope; his
birth place only for a caller holding the identity permission in his school (as everywhere).
The record's sourcedId is the student's."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.field_permissions import uniform_answer
from api.auth.permissions import Permission
from api.auth.scopes import student_permissions
from api.resolvers.oneroster.population import Population
from api.resolvers.oneroster.reach import RosterReach, iso
from api.resolvers.oneroster.sourced_ids import student_key_of
from db.students import Sex

SEXES = {Sex.M: "male", Sex.F: "female"}
FRANCE = "100"


async def demographic_records(
    session: AsyncSession, reach: RosterReach, population: Population
) -> list[dict[str, Any]]:
    principal = reach.principal
    ids = sorted(population.students)
    identity = uniform_answer(principal, Permission.STUDENTS_IDENTITY_READ)
    if identity is None:
        answers = await student_permissions(
            session, principal, ids, [Permission.STUDENTS_IDENTITY_READ]
        )
        shown = {sid for sid, held in zip(ids, answers, strict=True) if held}
    else:
        shown = set(ids) if identity else set()
    records = []
    for student_id in ids:
        student = population.students[student_id]
        record: dict[str, Any] = {
            "sourcedId": student_key_of(reach.keys, student),
            "status": "active",
            "dateLastModified": iso(student.updated_at),
            "birthDate": student.birth_date.isoformat(),
            "sex": SEXES[student.sex],
        }
        if student_id in shown:
            if student.birth_city:
                record["cityOfBirth"] = student.birth_city
            if student.birth_country_code == FRANCE:
                record["countryOfBirthCode"] = "FR"
        records.append(record)
    return records
