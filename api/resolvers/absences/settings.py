"""A school's absence settings: grid of slots, weekdays taught, holiday zone, motives and
justifications. A school that has configured nothing gets sensible defaults the first time
absences are entered or the settings are opened for editing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import get_in_reach
from api.resolvers.absences.calendar import COLLEGE_WEEK, SchoolCalendar
from api.resolvers.absences.half_days import Grid, Slot
from db.absences import (
    AbsenceMotive,
    AbsenceSettings,
    ClosedDay,
    GenericMotive,
    HalfDay,
    HolidayPeriod,
    HolidayZone,
    Justification,
    SchoolWeekday,
    TimeSlot,
)
from db.audit import set_actor
from db.schools import Academy, School, SchoolKind

M, A = HalfDay.MORNING, HalfDay.AFTERNOON
DEFAULT_SLOTS = (
    ("M1", time(8, 0), time(8, 55), M),
    ("M2", time(9, 0), time(9, 55), M),
    ("M3", time(10, 10), time(11, 5), M),
    ("M4", time(11, 10), time(12, 5), M),
    ("S1", time(13, 30), time(14, 25), A),
    ("S2", time(14, 30), time(15, 25), A),
    ("S3", time(15, 40), time(16, 35), A),
    ("S4", time(16, 40), time(17, 35), A),
)
LYCEE_WEEK = {day: frozenset(HalfDay) for day in range(5)}
# (code, label, generic motive, colour, for absence, for lateness). Each colour stands out
# from the white page (3:1) and carries its code in white or dark letters at 4.5:1 (see
# ``colours``); their luminances are at least 1.2:1 apart from each other and from the grid's
# "sans motif" colour, so that they are told apart in grey too. Migration 0009 moved schools
# from the first defaults (#e4794a, #f3a35c...) to these.
DEFAULT_MOTIVES = (
    ("MAL", "Maladie", "MAL", "#c04f1d", True, False),
    ("MED", "Rendez-vous médical", "MED", "#b38c27", True, True),
    ("FAM", "Raison familiale", "FAM", "#482645", True, False),
    ("TRA", "Transport", "TRA", "#2e3e66", True, True),
    ("CNV", "Convocation officielle", "OFF", "#007267", True, False),
    ("SOR", "Sortie ou stage scolaire", "SCO", "#5b902c", True, False),
    ("NVA", "Motif non valable", "NVA", "#9c0400", True, True),
    ("INC", "Motif inconnu", "INC", "#595959", True, True),
)
# The colour of an event without a motive on the grid and in its legend.
NO_MOTIVE_COLOUR = "#1e1e1e"
DEFAULT_JUSTIFICATIONS = (
    ("CERT", "Certificat médical"),
    ("MOT", "Mot des responsables"),
    ("CONV", "Convocation"),
    ("TRAN", "Attestation du transporteur"),
    ("TEL", "Appel téléphonique des responsables"),
)
# The zone of each académie (by its code); Corse has its own calendar.
ACADEMY_ZONES = {
    "24": HolidayZone.C,  # Créteil
    "01": HolidayZone.C,  # Paris
    "25": HolidayZone.C,  # Versailles
    "11": HolidayZone.C,  # Montpellier
    "16": HolidayZone.C,  # Toulouse
    "27": HolidayZone.CORSE,
}


@dataclass(frozen=True)
class SchoolAbsenceSetup:
    """What entry and counting need of a school, loaded once per command."""

    school_id: int
    zone: HolidayZone
    grid: Grid
    calendar: SchoolCalendar
    slots: dict[int, TimeSlot]
    motives: dict[int, AbsenceMotive]
    justifications: dict[int, Justification]
    # Motives tied to a legitimate generic motive: their absences are justified.
    legitimate_motive_ids: frozenset[int] = frozenset()

    def justified(self, motive_id: int | None) -> bool:
        return motive_id in self.legitimate_motive_ids


async def default_zone(session: AsyncSession, school: School) -> HolidayZone:
    """The zone of the school's académie (Créteil, Paris, Versailles… C; Corse its own; B
    elsewhere), before the school chooses one."""
    academy = await session.get(Academy, school.academy_id)
    code = academy.code if academy else ""
    return ACADEMY_ZONES.get(code, HolidayZone.B if code else HolidayZone.C)


async def ensure_defaults(session: AsyncSession, school: School) -> AbsenceSettings:
    """The school's settings, created with the defaults if it has none (caller's transaction,
    with an audit actor set)."""
    settings = await session.get(AbsenceSettings, school.id)
    if settings is not None:
        return settings
    settings = AbsenceSettings(
        school_id=school.id, holiday_zone=await default_zone(session, school)
    )
    session.add(settings)
    for code, starts, ends, half in DEFAULT_SLOTS:
        session.add(
            TimeSlot(school_id=school.id, code=code, starts_at=starts, ends_at=ends, half_day=half)
        )
    week = COLLEGE_WEEK if school.kind is SchoolKind.COLLEGE else LYCEE_WEEK
    for weekday in range(7):
        halves = week.get(weekday, frozenset())
        session.add(
            SchoolWeekday(
                school_id=school.id, weekday=weekday, morning=M in halves, afternoon=A in halves
            )
        )
    generic = {
        code: id_
        for code, id_ in await session.execute(select(GenericMotive.code, GenericMotive.id))
    }
    for code, label, generic_code, colour, for_absence, for_lateness in DEFAULT_MOTIVES:
        if generic_code in generic:
            session.add(
                AbsenceMotive(
                    school_id=school.id,
                    code=code,
                    label=label,
                    generic_motive_id=generic[generic_code],
                    colour=colour,
                    for_absence=for_absence,
                    for_lateness=for_lateness,
                )
            )
    for code, label in DEFAULT_JUSTIFICATIONS:
        session.add(Justification(school_id=school.id, code=code, label=label))
    await session.flush()
    return settings


async def load_setup(session: AsyncSession, school_id: int) -> SchoolAbsenceSetup:
    """The school's grid, calendar, motives and justifications (its settings must exist)."""
    settings = await session.get(AbsenceSettings, school_id)
    assert settings is not None, "ensure_defaults() first"
    slots = list(await session.scalars(select(TimeSlot).where(TimeSlot.school_id == school_id)))
    weekdays = {
        row.weekday: frozenset(
            half for half, taught in ((M, row.morning), (A, row.afternoon)) if taught
        )
        for row in await session.scalars(
            select(SchoolWeekday).where(SchoolWeekday.school_id == school_id)
        )
    }
    holidays = tuple(
        (first, last)
        for first, last in await session.execute(
            select(HolidayPeriod.first_day, HolidayPeriod.last_day).where(
                HolidayPeriod.zone == settings.holiday_zone
            )
        )
    )
    closed = frozenset(
        (day, half)
        for day, half in await session.execute(
            select(ClosedDay.day, ClosedDay.half_day).where(ClosedDay.school_id == school_id)
        )
    )
    motive_rows = (
        await session.execute(
            select(AbsenceMotive, GenericMotive.legitimate)
            .join(GenericMotive, GenericMotive.id == AbsenceMotive.generic_motive_id)
            .where(AbsenceMotive.school_id == school_id)
        )
    ).all()
    motives = [motive for motive, _legitimate in motive_rows]
    justifications = await session.scalars(
        select(Justification).where(Justification.school_id == school_id)
    )
    return SchoolAbsenceSetup(
        school_id=school_id,
        zone=settings.holiday_zone,
        grid=Grid(Slot(s.id, s.code, s.starts_at, s.half_day) for s in slots),
        calendar=SchoolCalendar(weekdays=weekdays, holidays=holidays, closed=closed),
        slots={s.id: s for s in slots},
        motives={m.id: m for m in motives},
        justifications={j.id: j for j in justifications},
        legitimate_motive_ids=frozenset(m.id for m, legitimate in motive_rows if legitimate),
    )


@requires(Permission.ABSENCES_READ)
async def school_setup(
    session: AsyncSession, principal: Principal, school_id: int
) -> SchoolAbsenceSetup:
    """A school's absence settings, as entry screens show them (defaults if none yet)."""
    school = await get_in_reach(
        session, principal, Permission.ABSENCES_READ, School, school_id, School.id
    )
    if await session.get(AbsenceSettings, school.id) is None:
        # Opening the entry screens of a school with no settings stores the defaults.
        set_actor(session.sync_session, principal.audit_actor(school.id))
        await ensure_defaults(session, school)
    return await load_setup(session, school.id)
