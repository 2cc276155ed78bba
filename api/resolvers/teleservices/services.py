"""Which télé-services a school offers, and how its grades are published to families.

Closing a service keeps its settings. Grades are published continuously (a mark is visible
from its assessment's publication date) or at deadlines set per (MEF, division) pair;
switching from deadlines to continuous deletes the deadlines, and says so first: the
caller must confirm (seed 003, 4.2.2).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import get_in_reach
from core.errors import ValidationFailed
from db.audit import set_actor
from db.nomenclatures import Mef
from db.schools import School, current_year_id_of
from db.structures import Division, DivisionMef
from db.teleservices import (
    GradesPublication,
    GradesSettings,
    PublicationDeadline,
    SchoolTeleservice,
    Teleservice,
)


async def _school(session: AsyncSession, principal: Principal, school_id: int) -> School:
    school = await get_in_reach(
        session, principal, Permission.TELESERVICES_MANAGE, School, school_id, School.id
    )
    set_actor(session.sync_session, principal.audit_actor(school.id))
    return school


async def open_services(session: AsyncSession, school_id: int) -> set[Teleservice]:
    return set(
        await session.scalars(
            select(SchoolTeleservice.service).where(
                SchoolTeleservice.school_id == school_id, SchoolTeleservice.is_open.is_(True)
            )
        )
    )


@requires(Permission.TELESERVICES_MANAGE)
async def school_services(
    session: AsyncSession, principal: Principal, school_id: int
) -> dict[Teleservice, bool]:
    """Every télé-service and whether the school has it open."""
    school = await _school(session, principal, school_id)
    opened = await open_services(session, school.id)
    return {service: service in opened for service in Teleservice}


@requires(Permission.TELESERVICES_MANAGE)
async def set_service(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    service: Teleservice,
    is_open: bool,
) -> dict[Teleservice, bool]:
    school = await _school(session, principal, school_id)
    row = await session.get(SchoolTeleservice, (school.id, Teleservice(service)))
    if row is None:
        row = SchoolTeleservice(school_id=school.id, service=Teleservice(service))
        session.add(row)
    row.is_open = is_open
    await session.flush()
    opened = await open_services(session, school.id)
    return {s: s in opened for s in Teleservice}


@dataclass
class PairDeadlines:
    """A (MEF, division) pair of the school's current year, with its publication dates."""

    mef_id: int
    mef_label: str
    division_id: int
    division_code: str
    days: list[date]


@dataclass
class GradesPublicationView:
    service_open: bool
    publication: GradesPublication
    pairs: list[PairDeadlines]


async def _pairs(session: AsyncSession, school: School) -> list[tuple[int, str, int, str]]:
    """(MEF id, MEF label, division id, division code) of the current year, by MEF then division."""
    rows = await session.execute(
        select(Mef.id, Mef.short_label, Division.id, Division.code)
        .join(DivisionMef, DivisionMef.mef_id == Mef.id)
        .join(Division, Division.id == DivisionMef.division_id)
        .where(
            Division.school_id == school.id,
            Division.school_year_id == current_year_id_of(school.id),
        )
        .order_by(Mef.short_label, Division.code)
    )
    return [(mef_id, label, division_id, code) for mef_id, label, division_id, code in rows]


async def _settings(session: AsyncSession, school_id: int) -> GradesSettings:
    settings = await session.get(GradesSettings, school_id)
    if settings is None:
        settings = GradesSettings(school_id=school_id, publication=GradesPublication.CONTINUOUS)
        session.add(settings)
        await session.flush()
    return settings


@requires(Permission.TELESERVICES_MANAGE)
async def grades_publication(
    session: AsyncSession, principal: Principal, school_id: int
) -> GradesPublicationView:
    school = await _school(session, principal, school_id)
    settings = await session.get(GradesSettings, school.id)
    deadlines: dict[tuple[int, int], list[date]] = {}
    for mef_id, division_id, day in await session.execute(
        select(PublicationDeadline.mef_id, PublicationDeadline.division_id, PublicationDeadline.day)
        .where(PublicationDeadline.school_id == school.id)
        .order_by(PublicationDeadline.day)
    ):
        deadlines.setdefault((mef_id, division_id), []).append(day)
    return GradesPublicationView(
        service_open=Teleservice.GRADES in await open_services(session, school.id),
        publication=settings.publication if settings else GradesPublication.CONTINUOUS,
        pairs=[
            PairDeadlines(
                mef_id, label, division_id, code, deadlines.get((mef_id, division_id), [])
            )
            for mef_id, label, division_id, code in await _pairs(session, school)
        ],
    )


async def _grades_open(session: AsyncSession, school_id: int) -> None:
    if Teleservice.GRADES not in await open_services(session, school_id):
        raise ValidationFailed.single(
            "service",
            "SERVICE_CLOSED",
            "Ouvrez d'abord le télé-service des notes pour choisir sa publication.",
        )


@requires(Permission.TELESERVICES_MANAGE)
async def set_grades_publication(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    publication: GradesPublication,
    confirm_deleting_deadlines: bool = False,
) -> GradesSettings:
    """Choose continuous or deadline publication. Going to continuous with deadlines set needs
    ``confirm_deleting_deadlines``: the deadlines are then deleted."""
    school = await _school(session, principal, school_id)
    await _grades_open(session, school.id)
    settings = await _settings(session, school.id)
    publication = GradesPublication(publication)
    if publication is GradesPublication.CONTINUOUS:
        count = await session.scalar(
            select(func.count())
            .select_from(PublicationDeadline)
            .where(PublicationDeadline.school_id == school.id)
        )
        if count and not confirm_deleting_deadlines:
            raise ValidationFailed.single(
                "confirmDeletingDeadlines",
                "CONFIRMATION_REQUIRED",
                f"Les {count} dates d'échéance vont être supprimées. Voulez-vous continuer ?",
            )
        for deadline in await session.scalars(
            select(PublicationDeadline).where(PublicationDeadline.school_id == school.id)
        ):
            await session.delete(deadline)
    settings.publication = publication
    await session.flush()
    return settings


async def _check_pairs(
    session: AsyncSession, school: School, pairs: Iterable[tuple[int, int]]
) -> list[tuple[int, int]]:
    known = {(mef_id, division_id) for mef_id, _l, division_id, _c in await _pairs(session, school)}
    wanted = list(dict.fromkeys(pairs))
    if not wanted:
        raise ValidationFailed.single(
            "pairs", "REQUIRED", "Sélectionnez au moins un couple MEF / division."
        )
    if any(pair not in known for pair in wanted):
        raise ValidationFailed.single(
            "pairs", "UNKNOWN_PAIR", "Un couple MEF / division n'existe pas dans l'établissement."
        )
    return wanted


@requires(Permission.TELESERVICES_MANAGE)
async def add_deadline(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    day: date,
    pairs: Iterable[tuple[int, int]],
) -> int:
    """A publication date for each (MEF, division) pair given; returns how many were added."""
    school = await _school(session, principal, school_id)
    await _grades_open(session, school.id)
    settings = await _settings(session, school.id)
    if settings.publication is not GradesPublication.DEADLINES:
        raise ValidationFailed.single(
            "publication",
            "NOT_AT_DEADLINES",
            "Choisissez la publication à échéance avant d'ajouter des dates.",
        )
    added = 0
    for mef_id, division_id in await _check_pairs(session, school, pairs):
        exists = await session.scalar(
            select(PublicationDeadline.id).where(
                PublicationDeadline.mef_id == mef_id,
                PublicationDeadline.division_id == division_id,
                PublicationDeadline.day == day,
            )
        )
        if exists is None:
            session.add(
                PublicationDeadline(
                    school_id=school.id, mef_id=mef_id, division_id=division_id, day=day
                )
            )
            added += 1
    await session.flush()
    return added


@requires(Permission.TELESERVICES_MANAGE)
async def remove_deadline(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    day: date,
    pairs: Iterable[tuple[int, int]],
) -> int:
    school = await _school(session, principal, school_id)
    removed = 0
    for mef_id, division_id in await _check_pairs(session, school, pairs):
        for deadline in await session.scalars(
            select(PublicationDeadline).where(
                PublicationDeadline.school_id == school.id,
                PublicationDeadline.mef_id == mef_id,
                PublicationDeadline.division_id == division_id,
                PublicationDeadline.day == day,
            )
        ):
            await session.delete(deadline)
            removed += 1
    await session.flush()
    return removed
