"""Addresses of a SIECLE file: one row per ADRESSE_ID, shared by everyone who gives it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.resolvers.exchanges.siecle.plan import (
    Entity,
    ImportPlan,
    Ref,
    chunks,
    plan_row,
    problem,
)
from db.addresses import Address
from db.enrollments import Enrollment
from db.guardians import Guardian, GuardianLink
from db.students import Student
from exchanges.records import AddressRecord

TEXT_LIMITS = {
    "line1": 120,
    "line2": 120,
    "line3": 120,
    "line4": 120,
    "postal_code": 10,
    "commune_code": 5,
    "city": 80,
    "foreign_city": 80,
    "country_code": 3,
}
ELEMENTS = {
    "line1": "LIGNE1_ADRESSE",
    "line2": "LIGNE2_ADRESSE",
    "line3": "LIGNE3_ADRESSE",
    "line4": "LIGNE4_ADRESSE",
    "postal_code": "CODE_POSTAL",
    "commune_code": "CODE_COMMUNE_INSEE",
    "city": "LIBELLE_POSTAL",
    "foreign_city": "COMMUNE_ETRANGERE",
    "country_code": "CODE_PAYS",
}


async def existing_addresses(
    session: AsyncSession, school_id: int, siecle_ids: list[str]
) -> dict[str, Address]:
    """The addresses of the school's students and of their guardians among ``siecle_ids``:
    another school's address of the same id is not this school's to change."""
    of_students = (
        select(Student.address_id)
        .join(Enrollment, Enrollment.student_id == Student.id)
        .where(Enrollment.school_id == school_id, Student.address_id.is_not(None))
    )
    of_guardians = (
        select(Guardian.address_id)
        .join(GuardianLink, GuardianLink.guardian_id == Guardian.id)
        .join(Enrollment, Enrollment.student_id == GuardianLink.student_id)
        .where(Enrollment.school_id == school_id, Guardian.address_id.is_not(None))
    )
    found: dict[str, Address] = {}
    for part in chunks(sorted(set(siecle_ids))):
        for address in await session.scalars(
            select(Address).where(
                Address.siecle_id.in_(list(part)),
                or_(Address.id.in_(of_students), Address.id.in_(of_guardians)),
            )
        ):
            assert address.siecle_id is not None
            found[address.siecle_id] = address
    return found


def address_values(record: AddressRecord) -> dict[str, Any]:
    """The address's columns, blanks as None."""
    values: dict[str, Any] = {"siecle_id": record.siecle_id}
    for name in TEXT_LIMITS:
        value = getattr(record, name)
        values[name] = value.strip() or None if isinstance(value, str) else value
    values["country_code"] = values["country_code"] or "100"
    return values


class AddressPlanner:
    """Plans each address the first time a student or a guardian refers to it."""

    def __init__(
        self, plan: ImportPlan, records: dict[str, AddressRecord], existing: dict[str, Address]
    ) -> None:
        self.plan = plan
        self.records = records
        self.existing = existing
        self.planned: dict[str, int | Ref | None] = {}

    def ref(
        self, siecle_id: str | None, element: str, owner_id: str, line: int
    ) -> int | Ref | None:
        """The address for ``siecle_id`` (planned on first use): the id of an existing row, a
        ``Ref`` to a new one, None when the file does not give it (reported) or it is
        refused."""
        if siecle_id is None:
            return None
        if siecle_id in self.planned:
            return self.planned[siecle_id]
        record = self.records.get(siecle_id)
        current = self.existing.get(siecle_id)
        if record is None:
            if current is not None:
                # Named by a row, not given in this file: the address as it is.
                self.planned[siecle_id] = current.id
                return current.id
            self.plan.reported.append(
                problem(
                    element,
                    owner_id,
                    "ADRESSE_ID",
                    f"L'adresse {siecle_id} n'est pas dans le fichier : la fiche est prise sans "
                    "adresse.",
                    line,
                )
            )
            self.planned[siecle_id] = None
            return None
        values = address_values(record)
        too_long = [
            name
            for name, limit in TEXT_LIMITS.items()
            if isinstance(values[name], str) and len(values[name]) > limit
        ]
        if too_long:
            self.plan.refused.append(
                problem(
                    "ADRESSE",
                    siecle_id,
                    ELEMENTS[too_long[0]],
                    f"{ELEMENTS[too_long[0]]} dépasse {TEXT_LIMITS[too_long[0]]} caractères.",
                    record.line,
                )
            )
            self.planned[siecle_id] = None
            return None
        label = " ".join(
            str(v) for v in (values["line1"], values["postal_code"], values["city"]) if v
        )
        plan_row(self.plan, Entity.ADDRESS, siecle_id, label or siecle_id, current, values)
        self.planned[siecle_id] = (
            current.id if current is not None else Ref(Entity.ADDRESS, siecle_id)
        )
        return self.planned[siecle_id]
