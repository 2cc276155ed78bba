"""INE immatriculation in GraphQL: the liaisons' dashboard and the rectorat's probable
duplicates. Sending the requests and importing the returns are exchanges like the others:
``exportFile(kind: INE_REQUESTS)``, ``previewImport(format: INE_RETURNS)`` and
``applyImport``."""

from __future__ import annotations

import datetime

import strawberry

from api.resolvers import immatriculation as resolvers
from api.schema.context import Info, read
from api.schema.domain import from_domain
from api.schema.payloads import FieldError, mutate

DuplicateResolution = strawberry.enum(
    resolvers.DuplicateResolution,
    description="DISTINCT: two children, each keeps his record; SAME: one child, whose "
    "records the rectorat merges by hand in the académie base (never here)",
)


@strawberry.type(description="A file of requests sent to the académie base (BEA).")
@from_domain
class SentIneFile(resolvers.SentFile):
    pass


@strawberry.type(
    description="A file of immatriculations received from the base, with its accusé de "
    "réception (an export run) once applied."
)
@from_domain
class ReceivedIneFile(resolvers.ReceivedFile):
    pass


@strawberry.type(description="A student sent to the base: still waiting, or refused by it.")
@from_domain
class IneRequestLine(resolvers.RequestLine):
    pass


@strawberry.type(
    description="Tableau de bord des liaisons: what was sent to the base, what came back, "
    "what still waits (a school's, or the académie's for the rectorat)."
)
@from_domain
class LiaisonDashboard(resolvers.LiaisonDashboard):
    sent: list[resolvers.SentFile] = strawberry.field(graphql_type=list[SentIneFile])
    received: list[resolvers.ReceivedFile] = strawberry.field(graphql_type=list[ReceivedIneFile])
    waiting: list[resolvers.RequestLine] = strawberry.field(graphql_type=list[IneRequestLine])
    refused: list[resolvers.RequestLine] = strawberry.field(graphql_type=list[IneRequestLine])


@strawberry.type(description="A student of a probable duplicate, with his school.")
@from_domain
class DuplicateStudent(resolvers.DuplicateStudent):
    pass


@strawberry.type(
    description="Two students of different schools with the same name, birth date and birth "
    "place: reported to the rectorat, never merged."
)
@from_domain
class ProbableDuplicate(resolvers.ProbableDuplicateView):
    students: list[resolvers.DuplicateStudent] = strawberry.field(
        graphql_type=list[DuplicateStudent]
    )


@strawberry.type
class ProbableDuplicateSettled:
    id: int
    resolution: str | None
    settled_at: datetime.datetime | None
    settled_by_label: str | None


@strawberry.type
class SettleProbableDuplicatePayload:
    duplicate: ProbableDuplicateSettled | None
    errors: list[FieldError]


@strawberry.type
class Query:
    @strawberry.field(
        description="The liaisons with the académie base for a school, or the académie's "
        "(schoolId null: the rectorat)."
    )
    async def liaison_dashboard(self, info: Info, school_id: int | None = None) -> LiaisonDashboard:
        return await read(info, resolvers.liaison_dashboard, school_id)

    @strawberry.field(
        description="The académie's probable duplicates waiting for a decision (settled ones "
        "with settled: true); for the rectorat only."
    )
    async def probable_duplicates(
        self, info: Info, settled: bool = False
    ) -> list[ProbableDuplicate]:
        return await read(info, resolvers.probable_duplicates, settled=settled)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="The rectorat's decision on a probable duplicate, recorded with who and "
        "when; settled once."
    )
    async def settle_probable_duplicate(
        self,
        info: Info,
        id: int,
        resolution: DuplicateResolution,  # type: ignore[valid-type]
    ) -> SettleProbableDuplicatePayload:
        settled, errors = await mutate(
            info, "id", resolvers.settle_probable_duplicate, id, str(resolution)
        )
        return SettleProbableDuplicatePayload(
            duplicate=ProbableDuplicateSettled(
                id=settled.id,
                resolution=settled.resolution,
                settled_at=settled.settled_at,
                settled_by_label=settled.settled_by_label,
            )
            if settled is not None
            else None,
            errors=errors,
        )
