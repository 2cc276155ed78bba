"""The rentrée switch in GraphQL: a school's state before it, its switch, the académie's."""

from __future__ import annotations

import datetime

import strawberry

from api.auth.principal import PermissionDenied
from api.resolvers import rentree as resolvers
from api.schema.context import Info, graphql_error, read
from api.schema.domain import from_domain
from api.schema.payloads import FieldError, mutate
from db.rentree import Rentree as RentreeModel

SchoolSwitch = strawberry.enum(resolvers.SchoolSwitch, name="RentreeSchoolSwitch")


@strawberry.type(description="A student of the current year as the rentrée lists him.")
@from_domain
class RentreeStudent(resolvers.StudentLine):
    pass


@strawberry.type(description="A school's rentrée switch, as recorded.")
class Rentree:
    id: int
    school_id: int
    school_year_id: int = strawberry.field(description="The year that became current.")
    previous_year_id: int = strawberry.field(description="The year it closed.")
    switched_at: datetime.datetime
    actor_label: str
    closed_enrollments: int
    leavers: int
    ended_accesses: int = strawberry.field(
        description="Accesses of families (activation codes) to the leavers that ended."
    )


def _rentree(row: RentreeModel | None) -> Rentree | None:
    if row is None:
        return None
    return Rentree(
        id=row.id,
        school_id=row.school_id,
        school_year_id=row.school_year_id,
        previous_year_id=row.previous_year_id,
        switched_at=row.switched_at,
        actor_label=row.actor_label,
        closed_enrollments=row.closed_enrollments,
        leavers=row.leavers,
        ended_accesses=row.ended_accesses,
    )


@strawberry.type(description="Where a school stands before its rentrée switch.")
class RentreeState:
    school_id: int
    current_year_id: int | None
    next_year_id: int | None = strawberry.field(description="The year in preparation.")
    already_switched: bool
    last_switch: Rentree | None = strawberry.field(
        description="The switch that made the current year current."
    )
    students_without_decision: list[resolvers.StudentLine] = strawberry.field(
        graphql_type=list[RentreeStudent]
    )
    leavers: list[resolvers.StudentLine] = strawberry.field(graphql_type=list[RentreeStudent])
    continuing: int = strawberry.field(description="Promoted or repeating students.")
    planned_enrollments: int
    refusals: list[FieldError] = strawberry.field(
        description="Why the switch would be refused now (empty: it may run)."
    )


@strawberry.type
class RentreePayload:
    rentree: Rentree | None
    already_switched: bool | None
    errors: list[FieldError]


@strawberry.type(description="One school in the académie's switch.")
@from_domain
class SchoolRentree(resolvers.SchoolRentree):
    rentree: RentreeModel | None = strawberry.field(graphql_type=Rentree | None)


@strawberry.type
class AcademyRentreePayload:
    schools: list[resolvers.SchoolRentree] = strawberry.field(graphql_type=list[SchoolRentree])
    new_current_year_id: int | None = strawberry.field(
        description="Set once every school has switched: the académie's new current year."
    )


@strawberry.type
class Query:
    @strawberry.field(description="What the school's rentrée switch would do, and what stops it.")
    async def rentree_state(self, info: Info, school_id: int) -> RentreeState:
        state: resolvers.RentreeState = await read(info, resolvers.rentree_state, school_id)
        return RentreeState(
            school_id=state.school.id,
            current_year_id=state.current_year.id if state.current_year else None,
            next_year_id=state.next_year.id if state.next_year else None,
            already_switched=state.already_switched,
            last_switch=_rentree(state.done),
            students_without_decision=state.without_decision,
            leavers=state.leavers,
            continuing=state.continuing,
            planned_enrollments=state.planned,
            refusals=[
                FieldError(field="schoolId", code=e.code, message=e.message) for e in state.refusals
            ],
        )


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="The school's rentrée switch: its year in preparation becomes current; "
        "running it again changes nothing."
    )
    async def switch_rentree(self, info: Info, school_id: int) -> RentreePayload:
        outcome, errors = await mutate(info, "schoolId", resolvers.switch_rentree, school_id)
        if outcome is None:
            return RentreePayload(rentree=None, already_switched=None, errors=errors)
        return RentreePayload(
            rentree=_rentree(outcome.rentree), already_switched=not outcome.switched, errors=[]
        )

    @strawberry.mutation(
        description="Every school of the académie switches, each in its own transaction; the "
        "académie's years follow once all have."
    )
    async def switch_academy_rentree(self, info: Info) -> AcademyRentreePayload:
        try:
            report = await resolvers.switch_academy_rentree(info.context.work)
        except PermissionDenied as exc:
            raise graphql_error(exc) from exc
        return AcademyRentreePayload(
            schools=report.schools,
            new_current_year_id=report.new_current_year.id if report.new_current_year else None,
        )
