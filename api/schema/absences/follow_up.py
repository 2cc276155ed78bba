"""Absence follow-up in GraphQL: searching a school's events, a division's day or week, the
students whose family must be contacted."""

from __future__ import annotations

import datetime

import strawberry

from api.resolvers.absences import follow_up
from api.schema.absences.entry import AbsenceEvent, EventKind
from api.schema.context import Info, read
from api.schema.students import PageInfo


@strawberry.input(description="Every filter given must hold.")
class AbsenceEventSearch:
    school_id: int
    since: datetime.date | None = strawberry.field(
        default=None, description="Events still running on or after this day."
    )
    until: datetime.date | None = strawberry.field(
        default=None, description="Events started on or before this day."
    )
    kind: EventKind | None = None  # type: ignore[valid-type]
    student_id: int | None = None
    division_id: int | None = None
    group_id: int | None = None
    motive_id: int | None = None
    justified: bool | None = strawberry.field(
        default=None, description="The motive is tied to a legitimate generic motive."
    )
    notified: bool | None = strawberry.field(
        default=None, description="The family has been told (letter, e-mail, SMS)."
    )


@strawberry.type
class AbsenceEventLine:
    event: AbsenceEvent
    student_name: str
    division_code: str | None
    justified: bool


@strawberry.type
class AbsenceEventConnection:
    lines: list[AbsenceEventLine]
    page_info: PageInfo


@strawberry.type(description="One student's line of a division's view.")
class DivisionSheetRow:
    student_id: int
    student_name: str
    events: list[AbsenceEvent]


@strawberry.type(description="A division's students over a day or a week, with their events.")
class DivisionSheet:
    division_id: int
    days: list[datetime.date]
    rows: list[DivisionSheetRow]


@strawberry.type(description="A student with unjustified events the family was not told of.")
class ContactDue:
    student_id: int
    student_name: str
    division_code: str | None
    events: list[AbsenceEvent]
    unjustified_half_days: int
    lateness: int


@strawberry.type
class Query:
    @strawberry.field(description="A school's absences and lateness, most recent first.")
    async def absence_events(
        self,
        info: Info,
        filter: AbsenceEventSearch,
        first: int = 50,
        after: str | None = None,
    ) -> AbsenceEventConnection:
        page = await read(
            info,
            follow_up.search_events,
            follow_up.EventSearch(
                **{k: v for k, v in vars(filter).items() if k not in ("since", "until")},
                first=filter.since,
                last=filter.until,
            ),
            first=first,
            after=after,
        )
        return AbsenceEventConnection(
            lines=page.lines,
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        )

    @strawberry.field(description="A division's day (days: 1) or week (days: up to 7).")
    async def division_absences(
        self, info: Info, division_id: int, first_day: datetime.date, days: int = 1
    ) -> DivisionSheet:
        sheet = await read(info, follow_up.division_sheet, division_id, first_day, days)
        return DivisionSheet(division_id=sheet.division.id, days=sheet.days, rows=sheet.rows)

    @strawberry.field(description="Students to contact: unjustified events not yet communicated.")
    async def students_to_contact(
        self,
        info: Info,
        school_id: int,
        since: datetime.date | None = None,
        until: datetime.date | None = None,
    ) -> list[ContactDue]:
        return await read(info, follow_up.students_to_contact, school_id, since, until)
