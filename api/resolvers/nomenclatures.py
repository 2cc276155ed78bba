"""MEFs, subjects and the coded lists (régimes, exit motives, kinship...): the national
nomenclatures as data, the list in force for a year, the categories the product reads from
each code, and the subset of MEFs and subjects a school has profiled, with the MEF that
follows each one there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import school_clause
from api.resolvers.schools import check_year_writable, current_year_of
from core.errors import NotFound, ValidationFailed
from db.audit import set_actor
from db.enrollments import Enrollment, ExitReason, Regime
from db.guardians import Relationship
from db.nomenclatures import (
    Mef,
    MefSubject,
    NomenclatureEntry,
    NomenclatureList,
    SchoolMef,
    SchoolSubject,
    Subject,
)
from db.schools import School, SchoolYear, current_year_id_of
from db.structures import Division, DivisionMef, Group, TeachingAssignment


def profile_year_id(school_id: int, school_year_id: int | None) -> Any:
    """The year whose profile is read: the one asked for, else (SQL) the school's current."""
    return school_year_id if school_year_id is not None else current_year_id_of(school_id)


async def _check_school(session: AsyncSession, principal: Principal, school_id: int) -> None:
    visible = await session.scalar(
        select(School.id).where(
            School.id == school_id,
            school_clause(principal, Permission.NOMENCLATURES_READ, School.id),
        )
    )
    if visible is None:
        raise NotFound("School", school_id)


@requires(Permission.NOMENCLATURES_READ)
async def list_mefs(
    session: AsyncSession,
    principal: Principal,
    school_id: int | None = None,
    school_year_id: int | None = None,
) -> list[Mef]:
    """The national MEFs, or those the school has profiled for a year (its current one by
    default)."""
    query = select(Mef).order_by(Mef.code)
    if school_id is not None:
        await _check_school(session, principal, school_id)
        query = query.join(SchoolMef, SchoolMef.mef_id == Mef.id).where(
            SchoolMef.school_id == school_id,
            SchoolMef.school_year_id == profile_year_id(school_id, school_year_id),
        )
    return list(await session.scalars(query))


@requires(Permission.NOMENCLATURES_READ)
async def list_subjects(
    session: AsyncSession,
    principal: Principal,
    school_id: int | None = None,
    school_year_id: int | None = None,
) -> list[Subject]:
    query = select(Subject).order_by(Subject.code)
    if school_id is not None:
        await _check_school(session, principal, school_id)
        query = query.join(SchoolSubject, SchoolSubject.subject_id == Subject.id).where(
            SchoolSubject.school_id == school_id,
            SchoolSubject.school_year_id == profile_year_id(school_id, school_year_id),
        )
    return list(await session.scalars(query))


@requires(Permission.NOMENCLATURES_READ)
async def option_subjects(
    session: AsyncSession, principal: Principal, school_id: int, school_year_id: int | None = None
) -> list[Subject]:
    """The subjects a student of the school may elect in a year: those the school teaches and
    those of the programmes of its MEFs."""
    await _check_school(session, principal, school_id)
    year_id = profile_year_id(school_id, school_year_id)
    taught = select(SchoolSubject.subject_id).where(
        SchoolSubject.school_id == school_id, SchoolSubject.school_year_id == year_id
    )
    in_programmes = (
        select(MefSubject.subject_id)
        .join(SchoolMef, SchoolMef.mef_id == MefSubject.mef_id)
        .where(SchoolMef.school_id == school_id, SchoolMef.school_year_id == year_id)
    )
    return list(
        await session.scalars(
            select(Subject)
            .where(or_(Subject.id.in_(taught), Subject.id.in_(in_programmes)))
            .order_by(Subject.short_label, Subject.code)
        )
    )


async def mefs_with_ids(session: AsyncSession, mef_ids: list[int]) -> list[Mef]:
    """The MEFs among ``mef_ids``, unguarded: for the batch loaders that complete rows a
    guarded read has already let the caller see (an enrolment's MEF)."""
    return list(await session.scalars(select(Mef).where(Mef.id.in_(mef_ids))))


async def subjects_with_ids(session: AsyncSession, subject_ids: list[int]) -> list[Subject]:
    """The subjects among ``subject_ids``, unguarded (see ``mefs_with_ids``)."""
    return list(await session.scalars(select(Subject).where(Subject.id.in_(subject_ids))))


# What the product does with the codes of the coded lists: the categories its logic uses
# (``Regime``, ``ExitReason``, ``Relationship``) are read from each code, so that a list
# imported for a year keeps working in forms, checks and statistics.

_EXIT_REASONS: dict[str, ExitReason] = {
    "14": ExitReason.ABROAD,
    "20": ExitReason.ORIENTATION,
    "24": ExitReason.APPRENTICESHIP,
    "25": ExitReason.ABROAD,
    "26": ExitReason.ABROAD,
    "27": ExitReason.HOME_SCHOOLING,
    "39": ExitReason.END_OF_CYCLE,
    "42": ExitReason.ABROAD,
}

# Codes of older nomenclatures the current one no longer has.
_FORMER_RELATIONSHIPS: dict[str, Relationship] = {"30": Relationship.OTHER_FAMILY_MEMBER}


def regime_kind(code: str) -> Regime | None:
    """The régime's kind from its SIECLE code: 0 and 1 externes; 2, 6 and 2x (so many days,
    or by ticket) demi-pensionnaires; 3, 4, 5 and 3x (interne so many days, demi-interne,
    week-end) internes. None for a code of no known kind."""
    if code in ("0", "1"):
        return Regime.EXTERNE
    if code in ("2", "6") or (len(code) == 2 and code[0] == "2" and code[1].isdigit()):
        return Regime.DEMI_PENSIONNAIRE
    if code in ("3", "4", "5") or (len(code) == 2 and code[0] == "3" and code[1].isdigit()):
        return Regime.INTERNE
    return None


def exit_reason_of(code: str) -> ExitReason:
    """The exit motive's reason: 1x continues in another school, 2x other studies, 3x
    working life; a few codes have their own; any other is ``OTHER``."""
    if code in _EXIT_REASONS:
        return _EXIT_REASONS[code]
    if len(code) == 2 and code.isdigit():
        tens = code[0]
        if tens == "1":
            return ExitReason.CHANGE_OF_SCHOOL
        if tens == "2":
            return ExitReason.ORIENTATION
        if tens == "3" and code != "34":
            return ExitReason.WORK
    return ExitReason.OTHER


def relationship_of(code: str) -> Relationship:
    """The kinship the product records (``GuardianLink.relationship``) for a CODE_PARENTE."""
    if code in _FORMER_RELATIONSHIPS:
        return _FORMER_RELATIONSHIPS[code]
    try:
        return Relationship(code)
    except ValueError:
        return Relationship.OTHER


def entry_category(list_name: str, code: str, national: bool | None = None) -> str | None:
    """The ``NomenclatureEntry.category`` of a code: the régime's kind, the exit motive's
    ``ExitReason``, the kinship's ``Relationship`` name, "national" for a national
    scholarship; None for the other lists (and a régime of no known kind)."""
    if list_name == NomenclatureList.REGIME:
        kind = regime_kind(code)
        return kind.value if kind is not None else None
    if list_name == NomenclatureList.EXIT_MOTIVE:
        return exit_reason_of(code).value
    if list_name == NomenclatureList.KINSHIP:
        return relationship_of(code).name.lower()
    if list_name == NomenclatureList.SCHOLARSHIP_TYPE:
        return "national" if national else None
    return None


_ENTRIES_CACHE = "sconet.nomenclature_entries"


async def entries(session: AsyncSession, list_name: str, year: int) -> list[NomenclatureEntry]:
    """The codes of a list in force in the school year starting in ``year``: those of the
    latest year at or before it that has the list (empty when none has), in the list's order.

    Unguarded: forms and checks read it after their own guard. Kept for the session (a
    request), which an import of nomenclatures clears."""
    cache: dict[tuple[str, int], list[NomenclatureEntry]] = session.info.setdefault(
        _ENTRIES_CACHE, {}
    )
    key = (str(list_name), year)
    if key not in cache:
        in_force = await session.scalar(
            select(func.max(NomenclatureEntry.year)).where(
                NomenclatureEntry.list == str(list_name), NomenclatureEntry.year <= year
            )
        )
        cache[key] = (
            []
            if in_force is None
            else list(
                await session.scalars(
                    select(NomenclatureEntry)
                    .where(
                        NomenclatureEntry.list == str(list_name),
                        NomenclatureEntry.year == in_force,
                    )
                    .order_by(
                        NomenclatureEntry.sort_order.is_(None),
                        NomenclatureEntry.sort_order,
                        NomenclatureEntry.code,
                    )
                )
            )
        )
    return cache[key]


@requires(Permission.NOMENCLATURES_READ)
async def list_entries(
    session: AsyncSession, principal: Principal, list_name: str, year: int
) -> list[NomenclatureEntry]:
    """The codes of a coded list in force in a school year (see ``entries``)."""
    try:
        known = NomenclatureList(list_name)
    except ValueError:
        raise ValidationFailed.single("list", "UNKNOWN", "Liste de codes inconnue.") from None
    return await entries(session, known, year)


def forget_entries(session: AsyncSession) -> None:
    """Drop the lists ``entries`` kept for the session (after they were written)."""
    session.info.pop(_ENTRIES_CACHE, None)


# The school's profile: the MEFs and subjects it uses, and the MEF that follows each one.


@dataclass
class ProfiledMef:
    """A MEF the school uses and the one its students go on to next year: the school's own
    choice (``school_next``) or else the national one."""

    mef: Mef
    next_mef: Mef | None
    school_next: bool


@dataclass
class NomenclatureProfile:
    school_id: int
    school_year: SchoolYear
    mefs: list[ProfiledMef]
    subjects: list[Subject]


def _profiling(principal: Principal, school_id: int) -> None:
    if school_id not in principal.school_ids(Permission.NOMENCLATURES_PROFILE):
        raise NotFound("School", school_id)


async def _profile_year(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    school_year_id: int | None,
    *,
    writing: bool = False,
) -> SchoolYear:
    """The year of the profile read or changed: the one asked for (of the caller's
    académie), else the school's current one; a change refuses a year that is over."""
    _profiling(principal, school_id)
    year = (
        await current_year_of(session, school_id)
        if school_year_id is None
        else await session.get(SchoolYear, school_year_id)
    )
    if year is None or year.academy_id != principal.academy_id:
        raise ValidationFailed.single(
            "school_year_id", "NOT_FOUND", "Année scolaire inconnue de l'académie."
        )
    if writing:
        await check_year_writable(session, school_id, year)
        set_actor(session.sync_session, principal.audit_actor(school_id))
    return year


@requires(Permission.NOMENCLATURES_PROFILE)
async def school_nomenclature_profile(
    session: AsyncSession, principal: Principal, school_id: int, school_year_id: int | None = None
) -> NomenclatureProfile:
    """The MEFs (with the MEF that follows each one) and subjects the school has profiled for
    a year (its current one by default)."""
    year = await _profile_year(session, principal, school_id, school_year_id)
    national = aliased(Mef)
    own = aliased(Mef)
    rows = await session.execute(
        select(Mef, own, national)
        .join(SchoolMef, SchoolMef.mef_id == Mef.id)
        .outerjoin(own, own.id == SchoolMef.next_mef_id)
        .outerjoin(national, national.id == Mef.next_mef_id)
        .where(SchoolMef.school_id == school_id, SchoolMef.school_year_id == year.id)
        .order_by(Mef.code)
    )
    mefs = [
        ProfiledMef(mef=mef, next_mef=chosen or default, school_next=chosen is not None)
        for mef, chosen, default in rows
    ]
    subjects = list(
        await session.scalars(
            select(Subject)
            .join(SchoolSubject, SchoolSubject.subject_id == Subject.id)
            .where(SchoolSubject.school_id == school_id, SchoolSubject.school_year_id == year.id)
            .order_by(Subject.code)
        )
    )
    return NomenclatureProfile(school_id=school_id, school_year=year, mefs=mefs, subjects=subjects)


async def _mef(session: AsyncSession, field: str, mef_id: int | None) -> Mef:
    mef = await session.get(Mef, mef_id) if mef_id is not None else None
    if mef is None:
        raise ValidationFailed.single(
            field,
            "REQUIRED" if mef_id is None else "NOT_FOUND",
            "Choisissez un MEF." if mef_id is None else "MEF inconnu de la nomenclature.",
        )
    return mef


async def _subject(session: AsyncSession, subject_id: int | None) -> Subject:
    subject = await session.get(Subject, subject_id) if subject_id is not None else None
    if subject is None:
        raise ValidationFailed.single(
            "subject_id",
            "REQUIRED" if subject_id is None else "NOT_FOUND",
            "Choisissez une matière."
            if subject_id is None
            else "Matière inconnue de la nomenclature.",
        )
    return subject


@requires(Permission.NOMENCLATURES_PROFILE)
async def add_school_mef(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    mef_id: int | None,
    school_year_id: int | None = None,
) -> Mef:
    """The school starts using a MEF of the national list."""
    year = await _profile_year(session, principal, school_id, school_year_id, writing=True)
    mef = await _mef(session, "mef_id", mef_id)
    if await session.get(SchoolMef, (school_id, year.id, mef.id)) is not None:
        raise ValidationFailed.single(
            "mef_id",
            "ALREADY_PROFILED",
            f"Le MEF {mef.short_label} est déjà proposé par l'établissement.",
        )
    session.add(SchoolMef(school_id=school_id, school_year_id=year.id, mef_id=mef.id))
    await session.flush()
    return mef


@requires(Permission.NOMENCLATURES_PROFILE)
async def remove_school_mef(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    mef_id: int,
    school_year_id: int | None = None,
) -> Mef:
    """The school stops using a MEF: refused while a student of an open year or a division
    has it, or while it follows another MEF of the school."""
    year = await _profile_year(session, principal, school_id, school_year_id, writing=True)
    mef = await _mef(session, "mef_id", mef_id)
    profiled = await session.get(SchoolMef, (school_id, year.id, mef.id))
    if profiled is None:
        raise ValidationFailed.single(
            "mef_id", "NOT_PROFILED", f"Le MEF {mef.short_label} n'est pas proposé."
        )
    enrolled = await session.scalar(
        select(Enrollment.id)
        .where(
            Enrollment.school_id == school_id,
            Enrollment.school_year_id == year.id,
            Enrollment.mef_id == mef.id,
        )
        .limit(1)
    )
    in_division = await session.scalar(
        select(Division.code)
        .join(DivisionMef, DivisionMef.division_id == Division.id)
        .where(
            Division.school_id == school_id,
            Division.school_year_id == year.id,
            DivisionMef.mef_id == mef.id,
        )
        .limit(1)
    )
    follows = await session.scalar(
        select(Mef.short_label)
        .join(SchoolMef, SchoolMef.mef_id == Mef.id)
        .where(
            SchoolMef.school_id == school_id,
            SchoolMef.school_year_id == year.id,
            SchoolMef.next_mef_id == mef.id,
        )
        .limit(1)
    )
    if enrolled is not None or in_division is not None:
        where = (
            "des élèves y sont inscrits"
            if enrolled is not None
            else (f"la division {in_division} le prépare")
        )
        raise ValidationFailed.single(
            "mef_id",
            "IN_USE",
            f"Le MEF {mef.short_label} ne peut être retiré : {where} en {year.label}.",
        )
    if follows is not None:
        raise ValidationFailed.single(
            "mef_id",
            "IN_USE",
            f"Le MEF {mef.short_label} suit le MEF {follows} dans l'établissement : "
            "changez d'abord le MEF suivant de celui-ci.",
        )
    await session.delete(profiled)
    await session.flush()
    return mef


@requires(Permission.NOMENCLATURES_PROFILE)
async def set_school_next_mef(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    mef_id: int,
    next_mef_id: int | None,
    school_year_id: int | None = None,
) -> ProfiledMef:
    """The MEF the school's students of ``mef_id`` go on to next year; None: the national
    one. Any MEF of the national list may follow (a collège's 3e goes on in a lycée)."""
    year = await _profile_year(session, principal, school_id, school_year_id, writing=True)
    mef = await _mef(session, "mef_id", mef_id)
    profiled = await session.get(SchoolMef, (school_id, year.id, mef.id))
    if profiled is None:
        raise ValidationFailed.single(
            "mef_id", "NOT_PROFILED", f"Le MEF {mef.short_label} n'est pas proposé."
        )
    following = None
    if next_mef_id is not None:
        following = await session.get(Mef, next_mef_id)
        if following is None:
            raise ValidationFailed.single(
                "next_mef_id", "NOT_FOUND", "MEF suivant inconnu de la nomenclature."
            )
        if following.id == mef.id:
            raise ValidationFailed.single(
                "next_mef_id",
                "SAME_MEF",
                f"Le MEF suivant doit différer du MEF {mef.short_label} "
                "(un redoublement se décide élève par élève).",
            )
    profiled.next_mef_id = following.id if following is not None else None
    await session.flush()
    if following is None and mef.next_mef_id is not None:
        following = await session.get(Mef, mef.next_mef_id)
    return ProfiledMef(mef=mef, next_mef=following, school_next=profiled.next_mef_id is not None)


@requires(Permission.NOMENCLATURES_PROFILE)
async def add_school_subject(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    subject_id: int | None,
    school_year_id: int | None = None,
) -> Subject:
    """The school starts teaching a subject of the national list."""
    year = await _profile_year(session, principal, school_id, school_year_id, writing=True)
    subject = await _subject(session, subject_id)
    if await session.get(SchoolSubject, (school_id, year.id, subject.id)) is not None:
        raise ValidationFailed.single(
            "subject_id",
            "ALREADY_PROFILED",
            f"La matière {subject.long_label} est déjà proposée par l'établissement.",
        )
    session.add(SchoolSubject(school_id=school_id, school_year_id=year.id, subject_id=subject.id))
    await session.flush()
    return subject


@requires(Permission.NOMENCLATURES_PROFILE)
async def remove_school_subject(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    subject_id: int,
    school_year_id: int | None = None,
) -> Subject:
    """The school stops teaching a subject: refused while a group or a teaching of an open
    year has it."""
    year = await _profile_year(session, principal, school_id, school_year_id, writing=True)
    subject = await _subject(session, subject_id)
    profiled = await session.get(SchoolSubject, (school_id, year.id, subject.id))
    if profiled is None:
        raise ValidationFailed.single(
            "subject_id", "NOT_PROFILED", f"La matière {subject.long_label} n'est pas proposée."
        )
    group = await session.scalar(
        select(Group.code)
        .where(
            Group.school_id == school_id,
            Group.school_year_id == year.id,
            Group.subject_id == subject.id,
        )
        .limit(1)
    )
    taught = await session.scalar(
        select(TeachingAssignment.id)
        .where(
            TeachingAssignment.school_id == school_id,
            TeachingAssignment.subject_id == subject.id,
            or_(
                TeachingAssignment.division_id.in_(
                    select(Division.id).where(Division.school_year_id == year.id)
                ),
                TeachingAssignment.group_id.in_(
                    select(Group.id).where(Group.school_year_id == year.id)
                ),
            ),
        )
        .limit(1)
    )
    if group is not None or taught is not None:
        where = f"le groupe {group} l'enseigne" if group is not None else "un service l'enseigne"
        raise ValidationFailed.single(
            "subject_id",
            "IN_USE",
            f"La matière {subject.long_label} ne peut être retirée : {where}.",
        )
    await session.delete(profiled)
    await session.flush()
    return subject
