"""Postal addresses of students and guardians, shared by the people of one household.

One row of ``addresses`` is the home of everyone who lives there: the guardians of a family
and the children who live with them (SIECLE gives it so: one ADRESSE_ID for them all). The
rule when one person's address is written:

- changing it changes the household's row, for everyone who shares it (the family moved);
- ``moves_out`` gives that person a row of his own instead, the others keep theirs (a parent
  who leaves the household);
- clearing it only detaches that person;
- a row nobody lives at any more is deleted.

Addresses are personal data: cards show them only to callers who may read the guardians'
contacts in the student's school (``restricted_to`` on the cards that carry them).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.resolvers.fields import FieldParser
from core.errors import ValidationFailed
from db.addresses import Address
from db.guardians import Guardian, GuardianLink
from db.students import Student

FRANCE = "100"
FRENCH_POSTAL_CODE = re.compile(r"^\d{5}$")
COMMUNE_PATTERN = re.compile(r"^(\d{5}|2[AB]\d{3})$")
COUNTRY_PATTERN = re.compile(r"^\d{3}$")
LINES = ("line1", "line2", "line3", "line4")


@dataclass(kw_only=True)
class AddressFields:
    """A postal address as SIECLE gives it. In France, the INSEE commune and its postal name
    (``city``); abroad, the city as written (``foreign_city``) and the INSEE country code."""

    line1: str | None = None
    line2: str | None = None
    line3: str | None = None
    line4: str | None = None
    postal_code: str | None = None
    commune_code: str | None = None
    city: str | None = None
    foreign_city: str | None = None
    country_code: str | None = None


@dataclass(kw_only=True)
class AddressCard(AddressFields):
    """An address as stored: the people who share one have the same ``id``."""

    id: int
    country_code: str = FRANCE


WRITABLE_FIELDS = tuple(AddressFields.__dataclass_fields__)
ADDRESS_FIELDS = ("id", *WRITABLE_FIELDS)
# Labelled: a list query that also reads a student's or guardian's own ``id`` stays unambiguous.
ADDRESS_COLUMNS = tuple(getattr(Address, name).label(f"address_{name}") for name in ADDRESS_FIELDS)


def address_of_row(values: Iterable[Any]) -> AddressCard | None:
    """From the values of ``ADDRESS_COLUMNS`` (an outer join: all null without address)."""
    card = dict(zip(ADDRESS_FIELDS, values, strict=True))
    return AddressCard(**card) if card["id"] is not None else None


def address_card(address: Address | None) -> AddressCard | None:
    if address is None:
        return None
    return AddressCard(**{name: getattr(address, name) for name in ADDRESS_FIELDS})


async def addresses_with_ids(
    session: AsyncSession, ids: Iterable[int | None]
) -> dict[int, Address]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    found = await session.scalars(select(Address).where(Address.id.in_(wanted)))
    return {address.id: address for address in found}


def postal_lines(address: AddressCard | Address | None) -> list[str] | None:
    """The lines under the recipient's name on an envelope, or None without a usable address
    (no street line, or no postal code and city in France, no city abroad)."""
    if address is None:
        return None
    lines = [line for line in (getattr(address, name) for name in LINES) if line]
    if address.country_code == FRANCE:
        if not (lines and address.postal_code and address.city):
            return None
        return [*lines, f"{address.postal_code} {address.city.upper()}"]
    city = address.foreign_city or address.city
    if not (lines and city):
        return None
    town = f"{address.postal_code} {city}" if address.postal_code else city
    return [*lines, town.upper(), f"PAYS {address.country_code}"]


def one_line(address: AddressCard | Address | None) -> str | None:
    """The address on one line (lists of codes to hand out)."""
    lines = postal_lines(address)
    return ", ".join(lines) if lines else None


def parse_address(
    data: Mapping[str, Any] | AddressFields | None, prefix: str = "address"
) -> dict[str, Any] | None:
    """Clean values of an address input, or None when every field is empty; errors name the
    field as ``address.postal_code``."""
    if data is None:
        return None
    if isinstance(data, AddressFields):
        data = {name: getattr(data, name) for name in WRITABLE_FIELDS}
    p = FieldParser({f"{prefix}.{k}": v for k, v in data.items()})
    values: dict[str, Any] = {
        "line1": p.text(f"{prefix}.line1", "L'adresse", max_length=120),
        "line2": p.text(f"{prefix}.line2", "Le complément d'adresse", max_length=120),
        "line3": p.text(f"{prefix}.line3", "La ligne 3 de l'adresse", max_length=120),
        "line4": p.text(f"{prefix}.line4", "La ligne 4 de l'adresse", max_length=120),
        "postal_code": p.text(f"{prefix}.postal_code", "Le code postal", max_length=10),
        "commune_code": p.text(
            f"{prefix}.commune_code",
            "La commune (code INSEE)",
            max_length=5,
            pattern=COMMUNE_PATTERN,
            pattern_hint=" (5 caractères, ex. 93048)",
        ),
        "city": p.text(f"{prefix}.city", "La commune", max_length=80),
        "foreign_city": p.text(f"{prefix}.foreign_city", "La ville à l'étranger", max_length=80),
        "country_code": p.text(
            f"{prefix}.country_code",
            "Le pays",
            max_length=3,
            pattern=COUNTRY_PATTERN,
            pattern_hint=" (code INSEE à 3 chiffres, 100 pour la France)",
        )
        or FRANCE,
    }
    p.raise_if_errors()
    if not any(values[name] for name in WRITABLE_FIELDS if name != "country_code"):
        return None
    if values["country_code"] == FRANCE:
        if values["postal_code"] and not FRENCH_POSTAL_CODE.match(values["postal_code"]):
            p.fail(f"{prefix}.postal_code", "INVALID", "Le code postal doit compter 5 chiffres.")
        if values["foreign_city"]:
            p.fail(
                f"{prefix}.foreign_city",
                "INVALID",
                "La ville à l'étranger ne s'indique que pour une adresse hors de France.",
            )
        for field in ("line1", "postal_code", "city"):
            if not values[field]:
                p.fail(
                    f"{prefix}.{field}",
                    "REQUIRED",
                    "Une adresse en France comporte une ligne d'adresse, le code postal et la commune.",
                )
    else:
        if values["commune_code"]:
            p.fail(
                f"{prefix}.commune_code",
                "INVALID",
                "Le code INSEE de commune ne s'indique que pour une adresse en France.",
            )
        # Abroad the city is the one written (COMMUNE_ETRANGERE), wherever it was given.
        values["foreign_city"] = values["foreign_city"] or values["city"]
        values["city"] = None
        for field in ("line1", "foreign_city"):
            if not values[field]:
                p.fail(
                    f"{prefix}.{field}",
                    "REQUIRED",
                    "Une adresse à l'étranger comporte une ligne d'adresse et la ville.",
                )
    p.raise_if_errors()
    return values


def written_alike(values: dict[str, Any] | Address) -> tuple[str, ...]:
    """An address as a key that ignores case, accents, commas and spaces: two people of one
    household typed in twice are at the same address."""

    def plain(text: str | None) -> str:
        decomposed = unicodedata.normalize("NFKD", text or "")
        bare = "".join(c for c in decomposed if not unicodedata.combining(c))
        return " ".join(bare.replace(",", " ").split()).upper()

    read = values.get if isinstance(values, dict) else lambda name: getattr(values, name)
    return tuple(plain(read(name)) for name in WRITABLE_FIELDS)


async def household_of_student(session: AsyncSession, student_id: int) -> list[int | None]:
    """The addresses of a student and of the guardians he lives with."""
    guardians = await session.scalars(
        select(Guardian.address_id)
        .join(GuardianLink, GuardianLink.guardian_id == Guardian.id)
        .where(GuardianLink.student_id == student_id, GuardianLink.lives_with.is_(True))
    )
    own = await session.scalar(select(Student.address_id).where(Student.id == student_id))
    return [own, *guardians]


async def household_of_guardian(session: AsyncSession, guardian_id: int) -> list[int | None]:
    """The addresses of the children a guardian lives with, and of their guardians who live
    with them."""
    children = (
        select(GuardianLink.student_id)
        .where(GuardianLink.guardian_id == guardian_id, GuardianLink.lives_with.is_(True))
        .scalar_subquery()
    )
    students = await session.scalars(select(Student.address_id).where(Student.id.in_(children)))
    guardians = await session.scalars(
        select(Guardian.address_id)
        .join(GuardianLink, GuardianLink.guardian_id == Guardian.id)
        .where(
            GuardianLink.student_id.in_(children),
            GuardianLink.lives_with.is_(True),
            Guardian.id != guardian_id,
        )
    )
    return [*students, *guardians]


async def _drop_if_unused(session: AsyncSession, address_id: int | None) -> None:
    if address_id is None:
        return
    await session.flush()
    used = await session.scalar(
        select(
            or_(
                exists().where(Guardian.address_id == address_id),
                exists().where(Student.address_id == address_id),
            )
        )
    )
    if not used:
        address = await session.get(Address, address_id)
        if address is not None:
            await session.delete(address)
            await session.flush()


async def write_address(
    session: AsyncSession,
    holder: Guardian | Student,
    values: dict[str, Any] | None,
    *,
    moves_out: bool = False,
    household: Iterable[int | None] = (),
) -> None:
    """Writes ``holder``'s address by the household rule of this module's docstring.

    ``values`` are ``parse_address``'s (None clears). ``household`` are the address ids of the
    people the holder lives with: a new address written alike to one of them is shared rather
    than copied (a second parent typed in with the address already known)."""
    current = await session.get(Address, holder.address_id) if holder.address_id else None
    if values is None:
        if moves_out:
            raise ValidationFailed.single(
                "moves_out", "INVALID", "Indiquez la nouvelle adresse de la personne qui déménage."
            )
        holder.address_id = None
        await _drop_if_unused(session, current.id if current else None)
        return
    if current is not None and (not moves_out or written_alike(current) == written_alike(values)):
        # The household moved, or the same address was retyped (only its spelling changes).
        _set(current, values)
        return
    known = await addresses_with_ids(session, household)
    same = next((a for a in known.values() if written_alike(a) == written_alike(values)), None)
    if same is None:
        same = Address(**values)
        session.add(same)
        await session.flush()
    holder.address_id = same.id
    await _drop_if_unused(session, current.id if current else None)


def _set(address: Address, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if getattr(address, name) != value:
            setattr(address, name, value)
