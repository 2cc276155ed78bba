"""Changing a school's absence settings in GraphQL (grid, week, zone, closed days, motives,
justifications, letters' signature)."""

from __future__ import annotations

import datetime

import strawberry

from api.resolvers.absences import configuration
from api.resolvers.absences.colours import text_colour
from api.schema.absences.entry import AbsenceMotive, HalfDay, Justification, TimeSlot
from api.schema.context import Info, read
from api.schema.domain import from_domain
from api.schema.payloads import FieldError, mutate
from db import absences as models

HolidayZone = strawberry.enum(models.HolidayZone, name="HolidayZone")


@strawberry.input
@from_domain
class TimeSlotInput(configuration.SlotInput):
    id: int | None = strawberry.field(
        default=None, description="The slot kept (its events stay on it); empty: a new slot."
    )


@strawberry.input(description="Half-days taught on a weekday (0 is Monday).")
class WeekdayInput:
    weekday: int
    morning: bool
    afternoon: bool


@strawberry.input
@from_domain
class MotiveInput(configuration.MotiveInput):
    generic_code: str = strawberry.field(description="The national generic motive's code.")
    colour: str = strawberry.field(
        description="#rrggbb, at least 3:1 against the white page (WCAG 2.1): a lighter one "
        "is refused with the error code LOW_CONTRAST."
    )


@strawberry.input
@from_domain
class JustificationInput(configuration.JustificationInput):
    pass


@strawberry.type
class Weekday:
    weekday: int
    morning: bool
    afternoon: bool


@strawberry.type
class TimeSlotsPayload:
    slots: list[TimeSlot] | None
    errors: list[FieldError]


@strawberry.type
class WeekPayload:
    weekdays: list[Weekday] | None
    errors: list[FieldError]


@strawberry.type
class AbsenceSettingsPayload:
    holiday_zone: HolidayZone | None  # type: ignore[valid-type]
    letter_signature: str | None
    errors: list[FieldError]


@strawberry.type
class MotivePayload:
    motive: AbsenceMotive | None
    errors: list[FieldError]


@strawberry.type
class JustificationPayload:
    justification: Justification | None
    errors: list[FieldError]


@strawberry.type
class ClosedDay:
    id: int
    day: datetime.date
    half_day: HalfDay | None  # type: ignore[valid-type]
    label: str


@strawberry.type
class ClosedDayPayload:
    closed_day: ClosedDay | None
    errors: list[FieldError]


@strawberry.type
class RemovalPayload:
    removed_id: int | None
    errors: list[FieldError]


def _motive(row: models.AbsenceMotive | None, legitimate: bool) -> AbsenceMotive | None:
    if row is None:
        return None
    return AbsenceMotive(
        id=row.id,
        code=row.code,
        label=row.label,
        colour=row.colour,
        text_colour=text_colour(row.colour),
        for_absence=row.for_absence,
        for_lateness=row.for_lateness,
        justifies=legitimate,
    )


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Replace the school's grid of slots.")
    async def set_time_slots(
        self, info: Info, school_id: int, slots: list[TimeSlotInput]
    ) -> TimeSlotsPayload:
        saved, errors = await mutate(
            info,
            "schoolId",
            configuration.set_time_slots,
            school_id,
            slots,
        )
        return TimeSlotsPayload(slots=saved, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(description="The half-days the school teaches each weekday.")
    async def set_school_week(
        self, info: Info, school_id: int, weekdays: list[WeekdayInput]
    ) -> WeekPayload:
        saved, errors = await mutate(
            info,
            "schoolId",
            configuration.set_school_week,
            school_id,
            {day.weekday: (day.morning, day.afternoon) for day in weekdays},
        )
        return WeekPayload(weekdays=saved, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(description="Holiday zone and letters' signature.")
    async def update_absence_settings(
        self,
        info: Info,
        school_id: int,
        holiday_zone: HolidayZone,  # type: ignore[valid-type]
        letter_signature: str = "",
    ) -> AbsenceSettingsPayload:
        saved, errors = await mutate(
            info,
            "schoolId",
            configuration.update_absence_settings,
            school_id,
            holiday_zone,
            letter_signature,
        )
        return AbsenceSettingsPayload(
            holiday_zone=saved.holiday_zone if saved else None,
            letter_signature=saved.letter_signature if saved else None,
            errors=errors,
        )

    @strawberry.mutation(description="Create a motive, or change the one with `id`.")
    async def save_absence_motive(
        self, info: Info, school_id: int, input: MotiveInput, id: int | None = None
    ) -> MotivePayload:
        saved, errors = await mutate(
            info,
            "id" if id is not None else "schoolId",
            configuration.save_motive,
            school_id,
            input,
            id,
        )
        legitimate = False
        if saved is not None:
            legitimate = await read(info, configuration.motive_justifies, saved)
        return MotivePayload(motive=_motive(saved, legitimate), errors=errors)

    @strawberry.mutation(description="Create a justification type, or change the one with `id`.")
    async def save_justification(
        self, info: Info, school_id: int, input: JustificationInput, id: int | None = None
    ) -> JustificationPayload:
        saved, errors = await mutate(
            info,
            "id" if id is not None else "schoolId",
            configuration.save_justification,
            school_id,
            input,
            id,
        )
        return JustificationPayload(justification=saved, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(description="A day or half-day without class (whole day: no halfDay).")
    async def add_closed_day(
        self,
        info: Info,
        school_id: int,
        day: datetime.date,
        label: str,
        half_day: HalfDay | None = None,  # type: ignore[valid-type]
    ) -> ClosedDayPayload:
        saved, errors = await mutate(
            info, "schoolId", configuration.add_closed_day, school_id, day, half_day, label
        )
        return ClosedDayPayload(closed_day=saved, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation
    async def remove_closed_day(self, info: Info, id: int) -> RemovalPayload:
        removed, errors = await mutate(info, "id", configuration.remove_closed_day, id)
        return RemovalPayload(removed_id=removed, errors=errors)
