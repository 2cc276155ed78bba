"""A student as one caller may see him: the identity fields the caller may not read are null.

Lists are read straight from the columns into these plain objects (no ORM instance per row:
a page of 500 students is read often), and the decision about the restricted fields is
taken once for the whole list (``api.auth.field_permissions``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.field_permissions import hide_unpermitted, restricted_to
from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.resolvers.addresses import (
    ADDRESS_COLUMNS,
    AddressCard,
    address_card,
    address_of_row,
    addresses_with_ids,
)
from db.addresses import Address
from db.students import Sex, Student

IDENTITY = Permission.STUDENTS_IDENTITY_READ
# The student's home is his guardians' (one household): shown to those who may read theirs.
CONTACTS = Permission.GUARDIAN_CONTACTS_READ


@dataclass(kw_only=True)
class StudentCard:
    id: int
    version: int
    family_name: str
    usage_name: str | None
    first_name: str
    first_name_2: str | None
    first_name_3: str | None
    sex: Sex
    birth_date: date
    # The name sort key, for pagination cursors.
    search_name: str
    ine: str | None = restricted_to(IDENTITY)
    birth_commune_code: str | None = restricted_to(IDENTITY)
    birth_city: str | None = restricted_to(IDENTITY)
    birth_country_code: str | None = restricted_to(IDENTITY)
    address: AddressCard | None = restricted_to(CONTACTS)


CARD_FIELDS = tuple(name for name in StudentCard.__dataclass_fields__ if name != "address")
CARD_COLUMNS = tuple(getattr(Student, name) for name in CARD_FIELDS)
# Built once: the columns of a statement are checked on each construction.
STUDENT_CARDS = select(*CARD_COLUMNS, *ADDRESS_COLUMNS).outerjoin(
    Address, Address.id == Student.address_id
)


def card_of_row(row: Any) -> StudentCard:
    """From a row of ``STUDENT_CARDS``, in that order."""
    end = len(CARD_FIELDS)
    return StudentCard(
        **dict(zip(CARD_FIELDS, row[:end], strict=True)), address=address_of_row(row[end:])
    )


@requires(Permission.STUDENTS_READ)
async def student_cards(
    session: AsyncSession, principal: Principal, students: Sequence[Student]
) -> list[StudentCard]:
    """Cards of students already read in reach, masked for the caller."""
    addresses = await addresses_with_ids(session, (s.address_id for s in students))
    cards = [
        StudentCard(
            **{name: getattr(s, name) for name in CARD_FIELDS},
            address=address_card(addresses.get(s.address_id)) if s.address_id else None,
        )
        for s in students
    ]
    await hide_unpermitted(session, principal, cards, lambda card: card.id)
    return cards
