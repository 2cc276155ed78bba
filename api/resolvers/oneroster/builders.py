"""The records of a collection for given school years, as the roster shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.client_scopes import RosterPart
from api.resolvers.oneroster.classes import class_index, class_records
from api.resolvers.oneroster.courses import course_records
from api.resolvers.oneroster.demographics import demographic_records
from api.resolvers.oneroster.enrollments import enrollment_records
from api.resolvers.oneroster.orgs import org_records
from api.resolvers.oneroster.population import roster_population
from api.resolvers.oneroster.reach import RosterReach, Year, audited_changes
from api.resolvers.oneroster.sessions import session_records
from api.resolvers.oneroster.staff import roster_teachers
from api.resolvers.oneroster.users import roster_family, roster_shaping, user_records


async def build_records(
    session: AsyncSession,
    reach: RosterReach,
    collection: str,
    years: list[Year],
    *,
    ended_too: bool = False,
    since: datetime | None = None,
) -> list[dict[str, Any]]:
    """The records of these years, as active; ``ended_too`` counts enrolments that ended."""
    year_ids = [year.id for year in years]
    if collection == "orgs":
        return org_records(reach)
    if collection == "academicSessions":
        return await session_records(session, reach, years)
    if collection == "courses":
        return await course_records(session, reach, years)
    if collection == "classes":
        return await class_records(session, reach, years, since)
    population = await roster_population(session, reach, year_ids, ended_too=ended_too)
    if collection == "demographics":
        return await demographic_records(session, reach, population)
    teachers = await roster_teachers(session, reach, year_ids)
    if collection == "users":
        family = (
            await roster_family(session, reach, year_ids)
            if reach.allows(RosterPart.GUARDIANS)
            else None
        )
        shaping = await roster_shaping(session, reach, year_ids, family)
        return user_records(reach, population, teachers, family, shaping)
    classes = await class_index(session, reach, year_ids)
    # When each student joined his groups (memberships have no timestamps), read in full
    # reads too: a record's dateLastModified is the same in a full read and in a delta.
    joined_at: dict[tuple[int, int], datetime] = {}
    for change in await audited_changes(
        session, ("enrollment_groups",), since=since, actions=("create",)
    ):
        joined_at[(change.value("enrollment_id"), change.value("group_id"))] = change.at
    return enrollment_records(reach, population, teachers, classes, joined_at)
