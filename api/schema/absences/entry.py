"""Absences in GraphQL: a school's entry grid and motives, recording absences and lateness,
regularising them, and a student's record in half-days."""

from __future__ import annotations

import dataclasses
import datetime

import strawberry

from api.resolvers.absences import events as entry
from api.resolvers.absences import records, roll_calls, settings
from api.resolvers.absences.colours import text_colour
from api.schema.context import Info, read
from api.schema.domain import from_domain
from api.schema.payloads import FieldError, mutate
from db import absences as models

HalfDay = strawberry.enum(models.HalfDay, name="HalfDay")
EventKind = strawberry.enum(models.EventKind, name="AbsenceEventKind")


@strawberry.type(description="A period of the school's entry grid (M1 ... S4).")
class TimeSlot:
    id: int
    code: str
    starts_at: datetime.time
    ends_at: datetime.time
    half_day: HalfDay  # type: ignore[valid-type]


@strawberry.type(description="A motive of the school, tied to a national generic motive.")
class AbsenceMotive:
    id: int
    code: str
    label: str
    colour: str = strawberry.field(description="#rrggbb, the event's colour on the grid.")
    text_colour: str = strawberry.field(
        description="#rrggbb: the colour of the code written on `colour`, at 4.5:1 on it "
        "(WCAG 2.1): white, #161616 or black."
    )
    for_absence: bool
    for_lateness: bool
    justifies: bool = strawberry.field(
        description="Its generic motive is legitimate: the absence counts as justified."
    )


@strawberry.type(description="A kind of proof the school accepts.")
class Justification:
    id: int
    code: str
    label: str


@strawberry.type(description="What the entry screens of a school need.")
class AbsenceSetup:
    school_id: int
    holiday_zone: str
    slots: list[TimeSlot]
    motives: list[AbsenceMotive]
    justifications: list[Justification]


def _setup(found: settings.SchoolAbsenceSetup) -> AbsenceSetup:
    # The rows themselves: TimeSlot and Justification read them by name.
    slots = [found.slots[slot.id] for slot in found.grid.slots]
    justifications = sorted(
        (j for j in found.justifications.values() if j.is_active), key=lambda j: j.code
    )
    return AbsenceSetup(
        school_id=found.school_id,
        holiday_zone=found.zone.value,
        slots=slots,  # type: ignore[arg-type]
        motives=[
            AbsenceMotive(
                id=m.id,
                code=m.code,
                label=m.label,
                colour=m.colour,
                text_colour=text_colour(m.colour),
                for_absence=m.for_absence,
                for_lateness=m.for_lateness,
                justifies=found.justified(m.id),
            )
            for m in sorted(found.motives.values(), key=lambda m: m.code)
            if m.is_active
        ],
        justifications=justifications,  # type: ignore[arg-type]
    )


@strawberry.type(description="An absence (from a slot to a slot) or a lateness (at one slot).")
class AbsenceEvent:
    id: int
    version: int
    kind: EventKind  # type: ignore[valid-type]
    school_id: int
    student_id: int
    start_date: datetime.date
    start_slot_id: int
    end_date: datetime.date
    end_slot_id: int
    minutes_late: int | None
    motive_id: int | None
    justification_id: int | None
    justified_at: datetime.datetime | None
    comment: str | None
    noted_by_label: str = strawberry.field(description="Who recorded it.")


@strawberry.type
@from_domain
class AbsenceRecord(records.AbsenceRecord):
    events: list[models.AbsenceEvent] = strawberry.field(graphql_type=list[AbsenceEvent])
    half_days: int = strawberry.field(description="Half-days of absence, each counted once.")


@strawberry.input
@from_domain
class AbsenceInput(entry.AbsenceEntry):
    # Set from the caller (a client's or the vie scolaire's), not given.
    source: strawberry.Private[models.EventSource] = models.EventSource.VIE_SCOLAIRE


@strawberry.input
@from_domain
class LatenessInput(entry.LatenessEntry):
    source: strawberry.Private[models.EventSource] = models.EventSource.VIE_SCOLAIRE


@strawberry.input
class RegularisationInput:
    motive_id: int | None = None
    justification_id: int | None = None
    comment: str | None = None
    expected_version: int | None = None


@strawberry.input
class LateStudent:
    student_id: int
    minutes_late: int


@strawberry.input
class RollCallInput:
    school_id: int
    day: datetime.date
    slot_id: int
    division_id: int | None = None
    group_id: int | None = None
    absent_student_ids: list[int] = strawberry.field(default_factory=list)
    late: list[LateStudent] = strawberry.field(default_factory=list)


@strawberry.type(description="A roll call taken (absentees or not).")
class RollCall:
    id: int
    day: datetime.date
    slot_id: int
    division_id: int | None
    group_id: int | None


@strawberry.type
class RollCallPayload:
    roll_call: RollCall | None
    errors: list[FieldError]


@strawberry.type
class AbsenceEventPayload:
    event: AbsenceEvent | None
    errors: list[FieldError]


@strawberry.type
class Query:
    @strawberry.field(description="A school's grid, motives and justifications.")
    async def absence_setup(self, info: Info, school_id: int) -> AbsenceSetup:
        return _setup(await read(info, settings.school_setup, school_id))

    @strawberry.field(description="A student's absences and lateness, counted in half-days.")
    async def absence_record(
        self,
        info: Info,
        student_id: int,
        since: datetime.date | None = None,
        until: datetime.date | None = None,
    ) -> AbsenceRecord:
        return await read(info, records.student_absence_record, student_id, since, until)


def _source(info: Info) -> models.EventSource:
    kind = info.context.principal.kind
    return models.EventSource.CLIENT if kind == "client" else models.EventSource.VIE_SCOLAIRE


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Record an absence; merged with a touching one of the same motive."
    )
    async def record_absence(self, info: Info, input: AbsenceInput) -> AbsenceEventPayload:
        event, errors = await mutate(
            info,
            "studentId",
            entry.record_absence,
            dataclasses.replace(input, source=_source(info)),
        )
        return AbsenceEventPayload(event=event, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(description="Record a lateness at one slot.")
    async def record_lateness(self, info: Info, input: LatenessInput) -> AbsenceEventPayload:
        event, errors = await mutate(
            info,
            "studentId",
            entry.record_lateness,
            dataclasses.replace(input, source=_source(info)),
        )
        return AbsenceEventPayload(event=event, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="A teacher's roll call of a division or group for one slot (once per slot)."
    )
    async def take_roll_call(self, info: Info, input: RollCallInput) -> RollCallPayload:
        taken, errors = await mutate(
            info,
            "divisionId",
            roll_calls.take_roll_call,
            roll_calls.RollCallEntry(
                school_id=input.school_id,
                day=input.day,
                slot_id=input.slot_id,
                division_id=input.division_id,
                group_id=input.group_id,
                absent_student_ids=list(input.absent_student_ids),
                late={late.student_id: late.minutes_late for late in input.late},
            ),
        )
        return RollCallPayload(roll_call=taken, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(description="Set the motive and justification of an event (history kept).")
    async def regularise_absence_event(
        self, info: Info, id: int, input: RegularisationInput
    ) -> AbsenceEventPayload:
        event, errors = await mutate(
            info,
            "id",
            entry.regularise_event,
            id,
            motive_id=input.motive_id,
            justification_id=input.justification_id,
            comment=input.comment,
            expected_version=input.expected_version,
        )
        return AbsenceEventPayload(event=event, errors=errors)  # type: ignore[arg-type]
