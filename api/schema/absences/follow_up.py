"""Absence follow-up in GraphQL: searching a school's events, a division's day or week, the
students whose family must be contacted."""

from __future__ import annotations

import datetime

import strawberry

from api.resolvers.absences import follow_up
from api.resolvers.absences.settings import SchoolAbsenceSetup
from api.schema.absences.entry import AbsenceEvent
from api.schema.context import Info, read
from api.schema.domain import from_domain
from api.schema.students import PageInfo
from db import absences as models
from db.structures import Division


@strawberry.input(description="Every filter given must hold.")
@from_domain
class AbsenceEventSearch(follow_up.EventSearch):
    first: datetime.date | None = strawberry.field(
        default=None, name="since", description="Events still running on or after this day."
    )
    last: datetime.date | None = strawberry.field(
        default=None, name="until", description="Events started on or before this day."
    )
    justified: bool | None = strawberry.field(
        default=None, description="The motive is tied to a legitimate generic motive."
    )
    notified: bool | None = strawberry.field(
        default=None, description="The family has been told (letter, e-mail, SMS)."
    )


@strawberry.type
@from_domain
class AbsenceEventLine(follow_up.EventLine):
    event: models.AbsenceEvent = strawberry.field(graphql_type=AbsenceEvent)


@strawberry.type
class AbsenceEventConnection:
    lines: list[AbsenceEventLine]
    page_info: PageInfo


@strawberry.type(description="One student's line of a division's view.")
@from_domain
class DivisionSheetRow(follow_up.SheetRow):
    events: list[models.AbsenceEvent] = strawberry.field(graphql_type=list[AbsenceEvent])


@strawberry.type(description="A division's students over a day or a week, with their events.")
@from_domain
class DivisionSheet(follow_up.DivisionSheet):
    division: strawberry.Private[Division]
    setup: strawberry.Private[SchoolAbsenceSetup]
    rows: list[follow_up.SheetRow] = strawberry.field(graphql_type=list[DivisionSheetRow])

    @strawberry.field
    def division_id(self) -> int:
        return self.division.id


@strawberry.type(description="A student with unjustified events the family was not told of.")
@from_domain
class ContactDue(follow_up.ContactDue):
    events: list[models.AbsenceEvent] = strawberry.field(graphql_type=list[AbsenceEvent])


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
        page = await read(info, follow_up.search_events, filter, first=first, after=after)
        return AbsenceEventConnection(
            lines=page.lines,
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        )

    @strawberry.field(description="A division's day (days: 1) or week (days: up to 7).")
    async def division_absences(
        self, info: Info, division_id: int, first_day: datetime.date, days: int = 1
    ) -> DivisionSheet:
        return await read(info, follow_up.division_sheet, division_id, first_day, days)

    @strawberry.field(description="Students to contact: unjustified events not yet communicated.")
    async def students_to_contact(
        self,
        info: Info,
        school_id: int,
        since: datetime.date | None = None,
        until: datetime.date | None = None,
    ) -> list[ContactDue]:
        return await read(info, follow_up.students_to_contact, school_id, since, until)
