"""Guardians of a student: read, link, update, unlink."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from api.auth.field_permissions import hide_unpermitted, restricted_to
from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import enrollment_clause, guardian_clause, student_clause, student_in_reach
from api.resolvers.addresses import (
    ADDRESS_COLUMNS,
    AddressCard,
    address_card,
    address_of_row,
    household_of_guardian,
    household_of_student,
    parse_address,
    write_address,
)
from api.resolvers.audit import attribute_to_student_school
from api.resolvers.fields import FieldParser
from core.errors import FieldError, NotFound, StaleVersion, ValidationFailed
from db.addresses import Address
from db.enrollments import Enrollment
from db.guardians import Civility, Guardian, GuardianLink, Relationship
from db.students import Student

PHONE_PATTERN = re.compile(r"^(\+\d{2,3} ?\d([ .]?\d{2}){4}|0\d([ .]?\d{2}){4})$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]{2,}$")
RESPONSIBILITY_RANKS = {"legal_1": 1, "legal_2": 2, "other": None}

GUARDIAN_FIELDS = (
    "civility",
    "family_name",
    "usage_name",
    "first_name",
    "phone_home",
    "phone_mobile",
    "phone_work",
    "email",
    "profession_code",
    "accepts_sms",
)
CONTACT_FIELDS = GUARDIAN_FIELDS[4:8]
# A PCS code of the professions' nomenclature (CODE_PROFESSION: "10", "21"... "99").
PROFESSION_PATTERN = re.compile(r"^[0-9A-Z]{1,3}$")
# Besides the fields: ``address`` (an address input, None clears it) and ``moves_out`` (see
# ``api.resolvers.addresses``).
ADDRESS_CHANGES = ("address", "moves_out")
LINK_FIELDS = (
    "responsibility",
    "relationship",
    "lives_with",
    "receives_mail",
    "pays_fees",
    "receives_aid",
    "contact_first",
)
# NIVEAU_RESPONSABILITE: a legal guardian is 1; another person is 2 (in charge of the
# student) unless the file said 3 (contact only), which an edit keeps.
LEGAL_LEVEL, IN_CHARGE_LEVEL = 1, 2


class GuardianView(NamedTuple):
    """A guardian as linked to one student, as stored (the portal's record page shows the
    fields the caller may read, see ``api.auth.field_permissions``)."""

    link: GuardianLink
    guardian: Guardian
    address: Address | None


class Responsibility(enum.Enum):
    LEGAL_1 = "legal_1"
    LEGAL_2 = "legal_2"
    OTHER = "other"


def responsibility_of(link: GuardianLink) -> str:
    return {1: "legal_1", 2: "legal_2"}.get(link.legal_rank or 0, "other")


CONTACTS = Permission.GUARDIAN_CONTACTS_READ


@dataclass(kw_only=True)
class GuardianCard:
    """A guardian as one caller sees him through one student: without the contacts when
    the caller may not read them in that student's school."""

    id: int
    version: int
    civility: Civility
    family_name: str
    usage_name: str | None
    first_name: str
    address: AddressCard | None = restricted_to(CONTACTS)
    phone_home: str | None = restricted_to(CONTACTS)
    phone_mobile: str | None = restricted_to(CONTACTS)
    phone_work: str | None = restricted_to(CONTACTS)
    email: str | None = restricted_to(CONTACTS)
    accepts_sms: bool | None = restricted_to(CONTACTS)


@dataclass(kw_only=True)
class GuardianLinkCard:
    id: int
    student_id: int
    responsibility: Responsibility
    relationship: Relationship
    lives_with: bool
    receives_mail: bool
    pays_fees: bool
    receives_aid: bool
    contact_first: bool
    guardian: GuardianCard


GUARDIAN_CARD_FIELDS = tuple(
    name for name in GuardianCard.__dataclass_fields__ if name != "address"
)
LINK_CARD_COLUMNS = (
    GuardianLink.id,
    GuardianLink.student_id,
    GuardianLink.legal_rank,
    GuardianLink.relationship,
    GuardianLink.lives_with,
    GuardianLink.receives_mail,
    GuardianLink.pays_fees,
    GuardianLink.receives_aid,
    GuardianLink.contact_first,
    *(getattr(Guardian, name) for name in GUARDIAN_CARD_FIELDS),
    *ADDRESS_COLUMNS,
)
RANKED = {1: Responsibility.LEGAL_1, 2: Responsibility.LEGAL_2}
# Built once: the columns of a statement are checked on each construction (a list is read
# on every request that shows guardians).
LINK_CARDS = (
    select(*LINK_CARD_COLUMNS)
    .join(Guardian, Guardian.id == GuardianLink.guardian_id)
    .outerjoin(Address, Address.id == Guardian.address_id)
)
LINK_ORDER = (GuardianLink.legal_rank.is_(None), GuardianLink.legal_rank, Guardian.family_name)


@requires(Permission.STUDENTS_READ)
async def guardian_card(
    session: AsyncSession, principal: Principal, guardian: Guardian
) -> GuardianCard:
    """The whole card, for the caller who has just written it (he could only with the right
    to read it)."""
    address = await session.get(Address, guardian.address_id) if guardian.address_id else None
    return GuardianCard(
        **{name: getattr(guardian, name) for name in GUARDIAN_CARD_FIELDS},
        address=address_card(address),
    )


LINK_END = 9
GUARDIAN_END = LINK_END + len(GUARDIAN_CARD_FIELDS)


def _link_card(row: Any) -> GuardianLinkCard:
    link_id, student_id, rank, relationship, lives_with, receives_mail, pays_fees = row[:7]
    receives_aid, contact_first = row[7:LINK_END]
    return GuardianLinkCard(
        id=link_id,
        student_id=student_id,
        responsibility=RANKED.get(rank, Responsibility.OTHER),
        relationship=relationship,
        lives_with=lives_with,
        receives_mail=receives_mail,
        pays_fees=pays_fees,
        receives_aid=receives_aid,
        contact_first=contact_first,
        guardian=GuardianCard(
            **dict(zip(GUARDIAN_CARD_FIELDS, row[LINK_END:GUARDIAN_END], strict=True)),
            address=address_of_row(row[GUARDIAN_END:]),
        ),
    )


def parse_guardian(data: dict[str, Any]) -> dict[str, Any]:
    p = FieldParser(data)
    values: dict[str, Any] = {
        "civility": p.choice("civility", "La civilité", Civility, required=True),
        "family_name": p.person_name("family_name", "Le nom", required=True),
        "usage_name": p.person_name("usage_name", "Le nom d'usage"),
        "first_name": p.person_name("first_name", "Le prénom", required=True),
        "phone_home": p.text(
            "phone_home",
            "Le téléphone du domicile",
            max_length=20,
            pattern=PHONE_PATTERN,
            pattern_hint=" (10 chiffres, ex. 01 23 45 67 89)",
        ),
        "phone_mobile": p.text(
            "phone_mobile",
            "Le téléphone portable",
            max_length=20,
            pattern=PHONE_PATTERN,
            pattern_hint=" (10 chiffres, ex. 06 12 34 56 78)",
        ),
        "phone_work": p.text(
            "phone_work",
            "Le téléphone professionnel",
            max_length=20,
            pattern=PHONE_PATTERN,
            pattern_hint=" (10 chiffres)",
        ),
        "email": p.text(
            "email",
            "L'adresse électronique",
            max_length=254,
            pattern=EMAIL_PATTERN,
            pattern_hint=" (ex. prenom.nom@exemple.fr)",
        ),
    }
    values["profession_code"] = p.text(
        "profession_code",
        "La profession",
        max_length=3,
        pattern=PROFESSION_PATTERN,
        pattern_hint=" (code de la nomenclature des professions)",
    )
    values["accepts_sms"] = p.boolean("accepts_sms", False)
    if values["email"]:
        values["email"] = values["email"].lower()
    if values["accepts_sms"] and not values["phone_mobile"]:
        p.fail(
            "accepts_sms",
            "INVALID",
            "Les SMS ne peuvent être acceptés sans téléphone portable : saisissez-le ou "
            "décochez l'accord pour les SMS.",
        )
    p.raise_if_errors()
    return values


def parse_guardian_and_address(
    data: dict[str, Any], address_given: bool
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The guardian's fields and his address (when given), with every error of both."""
    errors = []
    values: dict[str, Any] = {}
    address = None
    try:
        values = parse_guardian(data)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    if address_given:
        try:
            address = parse_address(data.get("address"))
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return values, address


async def _children_without_home_take(session: AsyncSession, guardian: Guardian) -> None:
    """The children living with the guardian who have no address yet take his."""
    if guardian.address_id is None:
        return
    children = await session.scalars(
        select(Student)
        .join(GuardianLink, GuardianLink.student_id == Student.id)
        .where(
            GuardianLink.guardian_id == guardian.id,
            GuardianLink.lives_with.is_(True),
            Student.address_id.is_(None),
        )
    )
    for child in children:
        child.address_id = guardian.address_id


def parse_link(data: dict[str, Any]) -> dict[str, Any]:
    p = FieldParser(data)
    responsibility = data.get("responsibility")
    responsibility = getattr(responsibility, "value", responsibility)
    if responsibility not in RESPONSIBILITY_RANKS:
        p.fail(
            "responsibility", "INVALID", "La responsabilité doit être légal 1, légal 2 ou autre."
        )
    values = {
        "legal_rank": RESPONSIBILITY_RANKS.get(str(responsibility)),
        "relationship": p.choice("relationship", "Le lien de parenté", Relationship, required=True),
        "lives_with": p.boolean("lives_with", True),
        "receives_mail": p.boolean("receives_mail", True),
        "pays_fees": p.boolean("pays_fees", False),
        "receives_aid": p.boolean("receives_aid", False),
        "contact_first": p.boolean("contact_first", False),
    }
    p.raise_if_errors()
    return values


@requires(Permission.STUDENTS_READ)
async def guardians_of(
    session: AsyncSession, principal: Principal, student_id: int
) -> list[GuardianView]:
    await student_in_reach(session, principal, student_id)
    rows = (
        await session.execute(
            select(GuardianLink, Guardian, Address)
            .join(Guardian, Guardian.id == GuardianLink.guardian_id)
            .outerjoin(Address, Address.id == Guardian.address_id)
            .where(GuardianLink.student_id == student_id)
            .order_by(
                GuardianLink.legal_rank.is_(None), GuardianLink.legal_rank, Guardian.family_name
            )
        )
    ).all()
    return [GuardianView(link, guardian, address) for link, guardian, address in rows]


async def _check_rank_free(
    session: AsyncSession, student_id: int, rank: int | None, link_id: int | None
) -> None:
    if rank is None:
        return
    holder = await session.scalar(
        select(GuardianLink.id).where(
            GuardianLink.student_id == student_id, GuardianLink.legal_rank == rank
        )
    )
    if holder is not None and holder != link_id:
        raise ValidationFailed.single(
            "responsibility", "TAKEN", f"L'élève a déjà un responsable légal {rank}."
        )


@requires(Permission.STUDENTS_WRITE)
async def link_guardian(
    session: AsyncSession,
    principal: Principal,
    student_id: int,
    link: dict[str, Any],
    guardian_id: int | None = None,
    new_guardian: dict[str, Any] | None = None,
) -> GuardianLink:
    """Links an existing guardian (a sibling's parent) or a new one to a student."""
    await student_in_reach(session, principal, student_id, Permission.STUDENTS_WRITE)
    await attribute_to_student_school(
        session, principal, Permission.STUDENTS_WRITE, student_id=student_id
    )
    if (guardian_id is None) == (new_guardian is None):
        raise ValidationFailed.single(
            "guardian_id",
            "REQUIRED",
            "Indiquez soit un responsable existant, soit un nouveau responsable.",
        )
    link_values = parse_link(link)
    if guardian_id is not None:
        guardian = await session.scalar(
            select(Guardian).where(
                Guardian.id == guardian_id, guardian_clause(principal, Guardian.id)
            )
        )
        if guardian is None:
            raise ValidationFailed.single("guardian_id", "NOT_FOUND", "Responsable inconnu.")
        already = await session.scalar(
            select(GuardianLink.id).where(
                GuardianLink.student_id == student_id, GuardianLink.guardian_id == guardian_id
            )
        )
        if already is not None:
            raise ValidationFailed.single(
                "guardian_id", "DUPLICATE", "Ce responsable est déjà rattaché à l'élève."
            )
    else:
        assert new_guardian is not None
        values, address = parse_guardian_and_address(new_guardian, "address" in new_guardian)
        guardian = Guardian(**values)
        session.add(guardian)
        await session.flush()
        if address is not None:
            household = (
                await household_of_student(session, student_id) if link_values["lives_with"] else []
            )
            await write_address(session, guardian, address, household=household)
    await _check_rank_free(session, student_id, link_values["legal_rank"], None)
    created = GuardianLink(
        student_id=student_id,
        guardian_id=guardian.id,
        responsibility_level=LEGAL_LEVEL if link_values["legal_rank"] else IN_CHARGE_LEVEL,
        **link_values,
    )
    session.add(created)
    await session.flush()
    await _children_without_home_take(session, guardian)
    await session.flush()
    return created


async def _writable_link(session: AsyncSession, principal: Principal, link_id: int) -> GuardianLink:
    link = await session.scalar(
        select(GuardianLink)
        .join(Student, Student.id == GuardianLink.student_id)
        .where(GuardianLink.id == link_id, student_clause(principal, Permission.STUDENTS_WRITE))
    )
    if link is None:
        raise NotFound("GuardianLink", link_id)
    await attribute_to_student_school(
        session, principal, Permission.STUDENTS_WRITE, student_id=link.student_id
    )
    return link


@requires(Permission.STUDENTS_WRITE)
async def update_guardian_link(
    session: AsyncSession, principal: Principal, link_id: int, changes: dict[str, Any]
) -> GuardianLink:
    link = await _writable_link(session, principal, link_id)
    merged = {
        "responsibility": responsibility_of(link),
        "relationship": link.relationship,
        "lives_with": link.lives_with,
        "receives_mail": link.receives_mail,
        "pays_fees": link.pays_fees,
        "receives_aid": link.receives_aid,
        "contact_first": link.contact_first,
    } | changes
    values = parse_link(merged)
    await _check_rank_free(session, link.student_id, values["legal_rank"], link.id)
    if values["legal_rank"]:
        values["responsibility_level"] = LEGAL_LEVEL
    elif link.legal_rank:
        values["responsibility_level"] = IN_CHARGE_LEVEL
    for field, value in values.items():
        if getattr(link, field) != value:
            setattr(link, field, value)
    await session.flush()
    return link


@requires(Permission.STUDENTS_WRITE)
async def unlink_guardian(session: AsyncSession, principal: Principal, link_id: int) -> int:
    """Removes the link (the guardian stays, possibly linked to siblings); returns the student id."""
    link = await _writable_link(session, principal, link_id)
    student_id = link.student_id
    await session.delete(link)
    await session.flush()
    return student_id


STALE_GUARDIAN = (
    "Le responsable a été modifié par quelqu'un d'autre pendant votre saisie : rechargez "
    "la fiche avant d'enregistrer."
)


@requires(Permission.STUDENTS_WRITE)
async def update_guardian(
    session: AsyncSession,
    principal: Principal,
    guardian_id: int,
    changes: dict[str, Any],
    expected_version: int | None = None,
) -> Guardian:
    guardian = await session.scalar(
        select(Guardian).where(
            Guardian.id == guardian_id,
            guardian_clause(principal, Guardian.id, Permission.STUDENTS_WRITE),
        )
    )
    if guardian is None:
        raise NotFound("Guardian", guardian_id)
    await attribute_to_student_school(
        session, principal, Permission.STUDENTS_WRITE, guardian_id=guardian_id
    )
    if expected_version is not None and expected_version != guardian.version:
        raise StaleVersion([FieldError("version", "STALE", STALE_GUARDIAN)])
    unknown = set(changes) - set(GUARDIAN_FIELDS) - set(ADDRESS_CHANGES)
    if unknown:
        raise ValidationFailed.single(sorted(unknown)[0], "UNKNOWN", "Ce champ n'existe pas.")
    moves_out = bool(changes.get("moves_out"))
    if moves_out and "address" not in changes:
        raise ValidationFailed.single(
            "moves_out", "INVALID", "Indiquez la nouvelle adresse de la personne qui déménage."
        )
    values, address = parse_guardian_and_address(
        {field: getattr(guardian, field) for field in GUARDIAN_FIELDS} | changes,
        "address" in changes,
    )
    for field, value in values.items():
        if getattr(guardian, field) != value:
            setattr(guardian, field, value)
    if "address" in changes:
        household = await household_of_guardian(session, guardian.id)
        await write_address(session, guardian, address, moves_out=moves_out, household=household)
        await _children_without_home_take(session, guardian)
    try:
        await session.flush()
    except StaleDataError:
        # Saved by someone else between the check above and this write.
        raise StaleVersion([FieldError("version", "STALE", STALE_GUARDIAN)]) from None
    return guardian


@requires(Permission.STUDENTS_READ)
async def guardian_cards_for_students(
    session: AsyncSession, principal: Principal, student_ids: list[int]
) -> list[list[GuardianLinkCard]]:
    """Each already-authorised student's guardians, legal ones first, with the contacts the
    caller may read through that student (one read for a whole list of students)."""
    rows = (
        await session.execute(
            LINK_CARDS.where(GuardianLink.student_id.in_(student_ids)).order_by(*LINK_ORDER)
        )
    ).all()
    links = [_link_card(row) for row in rows]
    await hide_unpermitted(
        session, principal, [link.guardian for link in links], _student_of(links)
    )
    by_student: dict[int, list[GuardianLinkCard]] = {sid: [] for sid in student_ids}
    for link in links:
        by_student[link.student_id].append(link)
    return [by_student[sid] for sid in student_ids]


def _student_of(links: list[GuardianLinkCard]) -> Callable[[GuardianCard], int]:
    # A guardian card belongs to one link (a sibling's parent has one card per child).
    students = {id(link.guardian): link.student_id for link in links}
    return lambda card: students[id(card)]


@requires(Permission.STUDENTS_READ)
async def guardian_link_card(
    session: AsyncSession, principal: Principal, link: GuardianLink
) -> GuardianLinkCard:
    """The card of a link the caller has just written."""
    [cards] = await guardian_cards_for_students(session, principal, [link.student_id])
    return next(card for card in cards if card.id == link.id)


MAX_FOUND = 20


@dataclass(frozen=True)
class GuardianMatch:
    """A guardian found to be linked to a new student (a sibling's parent): only what tells
    him apart from a namesake, his name and his town."""

    id: int
    civility: Civility
    family_name: str
    first_name: str
    city: str | None


@requires(Permission.STUDENTS_WRITE)
async def find_guardians(
    session: AsyncSession, principal: Principal, school_id: int, name: str
) -> list[GuardianMatch]:
    """The guardians of the school's students whose family (or usage) name starts with
    ``name`` (at least 2 letters), by name; at most ``MAX_FOUND``. The town is shown only to
    a caller who may read the guardians' contacts."""
    text = " ".join((name or "").split())[:100]
    if len(text) < 2:
        raise ValidationFailed.single(
            "name", "TOO_SHORT", "Saisissez au moins 2 lettres du nom du responsable."
        )
    pattern = text.upper().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    in_school = exists().where(
        GuardianLink.guardian_id == Guardian.id,
        exists().where(
            Enrollment.student_id == GuardianLink.student_id,
            Enrollment.school_id == school_id,
            enrollment_clause(principal, Permission.STUDENTS_WRITE),
        ),
    )
    rows = await session.execute(
        select(Guardian.id, Guardian.civility, Guardian.family_name, Guardian.first_name, Address)
        .outerjoin(Address, Address.id == Guardian.address_id)
        .where(
            in_school,
            or_(
                func.upper(Guardian.family_name).like(pattern, escape="\\"),
                func.upper(Guardian.usage_name).like(pattern, escape="\\"),
            ),
        )
        .order_by(Guardian.family_name, Guardian.first_name, Guardian.id)
        .limit(MAX_FOUND)
    )
    contacts = principal.has(Permission.GUARDIAN_CONTACTS_READ)
    return [
        GuardianMatch(
            id=guardian_id,
            civility=civility,
            family_name=family_name,
            first_name=first_name,
            city=(address.city or address.foreign_city) if contacts and address else None,
        )
        for guardian_id, civility, family_name, first_name, address in rows
    ]


MAX_NEW_STUDENT_GUARDIANS = 4


def _numbered(errors: list[FieldError], index: int) -> list[FieldError]:
    """The errors of the ``index``-th guardian of a new student, named ``guardians.N.field``
    and saying which guardian (the form numbers them from 1)."""
    return [
        FieldError(f"guardians.{index}.{e.field}", e.code, f"Responsable {index + 1} — {e.message}")
        for e in errors
    ]


def check_new_student_guardians(
    guardians: list[dict[str, Any]], student_address: dict[str, Any] | None
) -> list[FieldError]:
    """Every error of the guardians given with a new student, before anything is written.

    Each is a link's fields (``responsibility``, ``relationship``...) with either
    ``guardian_id`` (an existing guardian) or ``new_guardian`` (his fields, with ``address``
    or ``same_address``: the student's)."""
    errors: list[FieldError] = []
    if len(guardians) > MAX_NEW_STUDENT_GUARDIANS:
        return [
            FieldError(
                "guardians",
                "TOO_MANY",
                f"Un élève est inscrit avec {MAX_NEW_STUDENT_GUARDIANS} responsables au plus.",
            )
        ]
    ranks: set[int] = set()
    chosen: set[int] = set()
    for index, given in enumerate(guardians):
        own: list[FieldError] = []
        try:
            link = parse_link(given)
        except ValidationFailed as exc:
            own.extend(exc.errors)
            link = {"legal_rank": None}
        rank = link["legal_rank"]
        if rank is not None:
            if rank in ranks:
                own.append(
                    FieldError(
                        "responsibility", "TAKEN", f"Un autre responsable est déjà légal {rank}."
                    )
                )
            ranks.add(rank)
        guardian_id, new = given.get("guardian_id"), given.get("new_guardian")
        if (guardian_id is None) == (new is None):
            own.append(
                FieldError(
                    "guardian_id",
                    "REQUIRED",
                    "Choisissez un responsable existant ou saisissez un nouveau responsable.",
                )
            )
        elif guardian_id is not None:
            if guardian_id in chosen:
                own.append(
                    FieldError("guardian_id", "DUPLICATE", "Ce responsable est déjà indiqué.")
                )
            chosen.add(guardian_id)
        elif isinstance(new, dict):
            same = bool(new.get("same_address"))
            if same and student_address is None:
                own.append(
                    FieldError(
                        "same_address",
                        "REQUIRED",
                        "L'adresse de l'élève n'est pas renseignée : saisissez celle du "
                        "responsable.",
                    )
                )
            try:
                parse_guardian_and_address(new, not same and "address" in new)
            except ValidationFailed as exc:
                own.extend(exc.errors)
        errors.extend(_numbered(own, index))
    return errors


@requires(Permission.STUDENTS_WRITE)
async def link_new_student_guardians(
    session: AsyncSession,
    principal: Principal,
    student: Student,
    guardians: list[dict[str, Any]],
) -> None:
    """Links the guardians given with a new student (checked by
    ``check_new_student_guardians``); an error still names the guardian it is about."""
    for index, given in enumerate(guardians):
        link = {name: given[name] for name in LINK_FIELDS if name in given}
        new = given.get("new_guardian")
        same = new is not None and bool(new.get("same_address"))
        if new is not None:
            new = {
                k: v
                for k, v in new.items()
                if k != "same_address" and not (same and k == "address")
            }
        try:
            created = await link_guardian(
                session, principal, student.id, link, given.get("guardian_id"), new
            )
        except ValidationFailed as exc:
            raise ValidationFailed(_numbered(exc.errors, index)) from None
        if same:
            guardian = await session.get(Guardian, created.guardian_id)
            assert guardian is not None
            guardian.address_id = student.address_id
    await session.flush()


@requires(Permission.STUDENTS_WRITE)
async def guardian_homes(
    session: AsyncSession, principal: Principal, guardians: list[dict[str, Any]]
) -> list[int | None]:
    """The addresses of the existing guardians a new student will live with (the caller may
    write their children's records: checked again when each is linked)."""
    ids = [
        g["guardian_id"]
        for g in guardians
        if isinstance(g.get("guardian_id"), int) and g.get("lives_with", True) not in (False, "0")
    ]
    if not ids:
        return []
    return list(
        await session.scalars(
            select(Guardian.address_id).where(
                Guardian.id.in_(ids),
                guardian_clause(principal, Guardian.id, Permission.STUDENTS_WRITE),
            )
        )
    )


@dataclass(frozen=True)
class Housemates:
    """Who else lives at a guardian's address (the same row, see ``api.resolvers.addresses``):
    the names of those the caller reaches, and how many others (a sibling enrolled in a
    school out of his reach) without their names."""

    names: list[str]
    others: int


@requires(Permission.STUDENTS_WRITE)
async def address_sharers(
    session: AsyncSession, principal: Principal, guardian_id: int
) -> Housemates:
    """The people whose address changes too when this guardian's changes for the household:
    what the form asks the registrar to confirm before a whole family moves."""
    address_id = await session.scalar(
        select(Guardian.address_id).where(
            Guardian.id == guardian_id,
            guardian_clause(principal, Guardian.id, Permission.STUDENTS_WRITE),
        )
    )
    if address_id is None:
        return Housemates(names=[], others=0)
    guardians = (
        await session.execute(
            select(Guardian, guardian_clause(principal, Guardian.id))
            .where(Guardian.address_id == address_id, Guardian.id != guardian_id)
            .order_by(Guardian.family_name, Guardian.first_name, Guardian.id)
        )
    ).all()
    students = (
        await session.execute(
            select(Student, student_clause(principal))
            .where(Student.address_id == address_id)
            .order_by(Student.family_name, Student.first_name, Student.id)
        )
    ).all()
    names = [g.display_name for g, seen in guardians if seen]
    names += [f"{s.display_name} (élève)" for s, seen in students if seen]
    others = sum(1 for _, seen in (*guardians, *students) if not seen)
    return Housemates(names=names, others=others)
