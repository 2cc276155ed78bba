"""Teachers and their services (teaching assignments): who teaches which subject to which
division or group of a school. The services decide what a teacher reaches (roll calls,
marks: see ``api.auth.scopes``); STS-WEB sends them (``api.resolvers.structures_import``) and
the principal adjusts them by hand, creating a teacher's account when needed (it has no
password until its holder answers an invitation).

Kept beside ``api.resolvers.structures`` rather than in it: teachers are staff accounts, and
the structures module already holds the divisions and groups themselves.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import get_in_reach
from api.resolvers.fields import FieldParser
from api.resolvers.nomenclatures import profile_year_id
from api.resolvers.schools import check_year_writable
from core.errors import FieldError, NotFound, ValidationFailed
from db.accounts import Role, RoleGrant, StaffUser
from db.audit import set_actor
from db.nomenclatures import SchoolSubject, Subject
from db.schools import School, SchoolYear
from db.structures import Division, Group, TeachingAssignment

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LOGIN_MAX_LENGTH = 60
# A name part of the login: what is left of a name once accents and punctuation are gone.
_NOT_LOGIN = re.compile(r"[^a-z0-9]+")


# Not frozen: the GraphQL type derives from it (see api.schema.domain).
@dataclass
class TeachingView:
    """A service with what it names: its teacher, its division or group, its subject."""

    assignment: TeachingAssignment
    teacher: StaffUser
    division: Division | None
    group: Group | None
    subject: Subject | None

    @property
    def structure_code(self) -> str:
        structure = self.division or self.group
        assert structure is not None
        return structure.code


def _login_part(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_LOGIN.sub("-", ascii_text.lower()).strip("-")


def login_base(first_name: str, family_name: str) -> str:
    """``prenom.nom`` without accents, as the login of a new teacher starts."""
    parts = [p for p in (_login_part(first_name), _login_part(family_name)) if p]
    base = ".".join(parts) or "enseignant"
    if len(base) < 3:
        base = f"{base}.ens"
    # Room for a number that makes it unique.
    return base[: LOGIN_MAX_LENGTH - 4].rstrip(".-")


async def unique_login(session: AsyncSession, base: str, reserved: Iterable[str] = ()) -> str:
    """``base``, or ``base2``, ``base3``... : the first one no account holds (nor ``reserved``,
    the logins a plan has already promised to other new accounts)."""
    taken = set(
        await session.scalars(
            select(StaffUser.login).where(
                or_(StaffUser.login == base, StaffUser.login.like(f"{base}%"))
            )
        )
    ) | set(reserved)
    if base not in taken:
        return base
    number = 2
    while f"{base}{number}" in taken:
        number += 1
    return f"{base}{number}"


def display_name(first_name: str, family_name: str) -> str:
    return " ".join(f"{first_name} {family_name}".split())


async def _school(
    session: AsyncSession, principal: Principal, permission: Permission, school_id: Any
) -> School:
    try:
        key = int(school_id)
    except (TypeError, ValueError):
        raise ValidationFailed.single(
            "school_id", "REQUIRED", "Choisissez l'établissement."
        ) from None
    return await get_in_reach(session, principal, permission, School, key, School.id)


def _teachers_query(school_id: int) -> Any:
    return select(StaffUser).where(
        StaffUser.id.in_(
            select(RoleGrant.user_id).where(
                RoleGrant.school_id == school_id, RoleGrant.role == Role.TEACHER
            )
        )
    )


@requires(Permission.STRUCTURES_WRITE)
async def list_teachers(
    session: AsyncSession, principal: Principal, school_id: int
) -> list[StaffUser]:
    """The school's teachers (a teacher role there), active or not, by name."""
    school = await _school(session, principal, Permission.STRUCTURES_WRITE, school_id)
    return list(
        await session.scalars(
            _teachers_query(school.id).order_by(StaffUser.display_name, StaffUser.id)
        )
    )


@requires(Permission.STRUCTURES_WRITE)
async def list_teaching_assignments(
    session: AsyncSession, principal: Principal, school_id: int, school_year_id: int
) -> list[TeachingView]:
    """The services of a school's divisions and groups of a year, by teacher then class."""
    school = await _school(session, principal, Permission.STRUCTURES_WRITE, school_id)
    rows = await session.execute(
        select(TeachingAssignment, StaffUser, Division, Group, Subject)
        .select_from(TeachingAssignment)
        .join(StaffUser, StaffUser.id == TeachingAssignment.user_id)
        .outerjoin(Division, Division.id == TeachingAssignment.division_id)
        .outerjoin(Group, Group.id == TeachingAssignment.group_id)
        .outerjoin(Subject, Subject.id == TeachingAssignment.subject_id)
        .where(
            TeachingAssignment.school_id == school.id,
            or_(Division.school_year_id == school_year_id, Group.school_year_id == school_year_id),
        )
    )
    views = [TeachingView(a, t, d, g, s) for a, t, d, g, s in rows]
    views.sort(
        key=lambda v: (
            v.teacher.display_name,
            v.teacher.id,
            v.division is None,
            v.structure_code,
            v.subject.code if v.subject else "",
        )
    )
    return views


def _optional_id(p: FieldParser, field: str, label: str) -> int | None:
    raw = p.data.get(field)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        p.fail(field, "INVALID", f"{label} est invalide.")
        return None


@requires(Permission.STRUCTURES_WRITE)
async def assign_teaching(
    session: AsyncSession, principal: Principal, data: dict[str, Any]
) -> TeachingView:
    """Adds a service: ``teacher_id``, ``division_id`` or ``group_id`` (one of the two) and
    ``subject_id`` (optional: a professeur principal's hour has none), in ``school_id``."""
    school = await _school(session, principal, Permission.STRUCTURES_WRITE, data.get("school_id"))
    p = FieldParser(data)
    teacher_id = _optional_id(p, "teacher_id", "L'enseignant")
    division_id = _optional_id(p, "division_id", "La division")
    group_id = _optional_id(p, "group_id", "Le groupe")
    subject_id = _optional_id(p, "subject_id", "La matière")
    if teacher_id is None and not p.errors:
        p.fail("teacher_id", "REQUIRED", "Choisissez l'enseignant.")
    if division_id is None and group_id is None:
        p.fail("division_id", "REQUIRED", "Choisissez une division ou un groupe.")
    elif division_id is not None and group_id is not None:
        p.fail("group_id", "INVALID", "Choisissez une division ou un groupe, pas les deux.")
    p.raise_if_errors()
    errors: list[FieldError] = []
    teacher = await session.scalar(
        _teachers_query(school.id).where(
            StaffUser.id == teacher_id, StaffUser.academy_id == principal.academy_id
        )
    )
    if teacher is None:
        errors.append(
            FieldError("teacher_id", "NOT_FOUND", "Cet enseignant n'est pas de l'établissement.")
        )
    structure: Division | Group | None
    if division_id is not None:
        structure = await session.scalar(
            select(Division).where(Division.id == division_id, Division.school_id == school.id)
        )
        if structure is None:
            errors.append(
                FieldError(
                    "division_id", "NOT_FOUND", "Cette division n'est pas de l'établissement."
                )
            )
    else:
        structure = await session.scalar(
            select(Group).where(Group.id == group_id, Group.school_id == school.id)
        )
        if structure is None:
            errors.append(
                FieldError("group_id", "NOT_FOUND", "Ce groupe n'est pas de l'établissement.")
            )
    if structure is not None:
        year = await session.get(SchoolYear, structure.school_year_id)
        assert year is not None
        try:
            await check_year_writable(
                session, school.id, year, "division_id" if division_id is not None else "group_id"
            )
        except ValidationFailed as closed:
            errors += closed.errors
    if subject_id is not None:
        # The subject is profiled for the structure's year (else the current one's).
        profiled = await session.scalar(
            select(SchoolSubject.subject_id).where(
                SchoolSubject.school_id == school.id,
                SchoolSubject.school_year_id
                == profile_year_id(
                    school.id, structure.school_year_id if structure is not None else None
                ),
                SchoolSubject.subject_id == subject_id,
            )
        )
        if profiled is None:
            errors.append(
                FieldError(
                    "subject_id",
                    "NOT_PROFILED",
                    "Cette matière n'est pas proposée par l'établissement.",
                )
            )
    if errors:
        raise ValidationFailed(errors)
    assert teacher is not None
    same = await session.scalar(
        select(TeachingAssignment.id).where(
            TeachingAssignment.user_id == teacher.id,
            TeachingAssignment.division_id == division_id
            if division_id is not None
            else TeachingAssignment.division_id.is_(None),
            TeachingAssignment.group_id == group_id
            if group_id is not None
            else TeachingAssignment.group_id.is_(None),
            TeachingAssignment.subject_id == subject_id
            if subject_id is not None
            else TeachingAssignment.subject_id.is_(None),
        )
    )
    if same is not None:
        raise ValidationFailed.single(
            "teacher_id", "DUPLICATE", "Cet enseignant assure déjà ce service."
        )
    set_actor(session.sync_session, principal.audit_actor(school.id))
    assignment = TeachingAssignment(
        school_id=school.id,
        user_id=teacher.id,
        division_id=division_id,
        group_id=group_id,
        subject_id=subject_id,
    )
    session.add(assignment)
    await session.flush()
    return await _view(session, assignment)


async def _view(session: AsyncSession, assignment: TeachingAssignment) -> TeachingView:
    teacher = await session.get(StaffUser, assignment.user_id)
    assert teacher is not None
    return TeachingView(
        assignment,
        teacher,
        await session.get(Division, assignment.division_id) if assignment.division_id else None,
        await session.get(Group, assignment.group_id) if assignment.group_id else None,
        await session.get(Subject, assignment.subject_id) if assignment.subject_id else None,
    )


@requires(Permission.STRUCTURES_WRITE)
async def unassign_teaching(
    session: AsyncSession, principal: Principal, assignment_id: int
) -> TeachingView:
    """Removes a service; returns it as it was."""
    assignment = await get_in_reach(
        session,
        principal,
        Permission.STRUCTURES_WRITE,
        TeachingAssignment,
        assignment_id,
        TeachingAssignment.school_id,
    )
    view = await _view(session, assignment)
    structure = view.division or view.group
    year = await session.get(SchoolYear, structure.school_year_id) if structure else None
    if year is not None:
        await check_year_writable(session, assignment.school_id, year, "assignment_id")
    set_actor(session.sync_session, principal.audit_actor(assignment.school_id))
    await session.delete(assignment)
    await session.flush()
    return view


@requires(Permission.ACCOUNTS_MANAGE)
async def create_teacher(
    session: AsyncSession, principal: Principal, data: dict[str, Any]
) -> StaffUser:
    """A teacher's account in the principal's school, with no password: its holder chooses
    one from an invitation. The login is ``prenom.nom``, numbered when already taken."""
    raw_school = data.get("school_id")
    try:
        school_id = int(raw_school) if raw_school not in (None, "") else None
    except (TypeError, ValueError):
        school_id = None
    # A school's staff is its principal's to create (the académie creates principals).
    if school_id is None or school_id not in principal.school_ids(Permission.ACCOUNTS_MANAGE):
        raise NotFound("School", raw_school)
    school = await _school(session, principal, Permission.ACCOUNTS_MANAGE, school_id)
    p = FieldParser(data)
    family_name = p.person_name("family_name", "Le nom", required=True)
    first_name = p.person_name("first_name", "Le prénom", required=True)
    email = p.text("email", "L'adresse électronique", required=True, max_length=254)
    if email is not None and not EMAIL_PATTERN.match(email):
        p.fail("email", "INVALID", "L'adresse électronique n'est pas valide (nom@domaine.fr).")
    if family_name and first_name and len(display_name(first_name, family_name)) > 120:
        p.fail(
            "family_name", "TOO_LONG", "Le nom et le prénom ne doivent pas dépasser 120 caractères."
        )
    p.raise_if_errors()
    assert family_name is not None and first_name is not None and email is not None
    set_actor(session.sync_session, principal.audit_actor(school.id))
    user = StaffUser(
        academy_id=principal.academy_id,
        login=await unique_login(session, login_base(first_name, family_name)),
        display_name=display_name(first_name, family_name),
        email=email,
        password_hash=None,
    )
    session.add(user)
    await session.flush()
    session.add(RoleGrant(user_id=user.id, school_id=school.id, role=Role.TEACHER))
    await session.flush()
    return user
