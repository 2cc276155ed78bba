"""The audit trail: who changed, read or exported what, when and from where."""

from __future__ import annotations

import datetime

import strawberry
from strawberry.scalars import JSON

from api.resolvers import audit as resolvers
from api.resolvers.audit import AuditFilter, AuditPage
from api.schema.context import Info, read
from api.schema.domain import from_domain
from api.schema.students import PageInfo


@strawberry.type(description="One entry of the audit trail.")
class AuditEntry:
    id: int
    at: datetime.datetime
    actor_kind: str = strawberry.field(description="staff, client or system.")
    actor_id: int | None
    actor_label: str
    remote_addr: str | None
    school_id: int | None
    action: str = strawberry.field(description="create, update, delete, read or export.")
    entity: str = strawberry.field(description="The table: students, guardians, divisions...")
    entity_id: int | None
    before: JSON | None = strawberry.field(description="Changed values before (update, delete).")
    after: JSON | None = strawberry.field(
        description="Values after a change; what was read or exported (never the data itself)."
    )


@strawberry.type
class AuditEntryEdge:
    cursor: str
    node: AuditEntry


@strawberry.type
class AuditEntryConnection:
    edges: list[AuditEntryEdge]
    page_info: PageInfo

    @strawberry.field
    def nodes(self) -> list[AuditEntry]:
        return [edge.node for edge in self.edges]


@strawberry.input
@from_domain
class AuditTrailFilter(AuditFilter):
    actor: str | None = strawberry.field(default=None, description="A login or an actor id.")
    from_date: datetime.date | None = strawberry.field(
        default=None, description="First day, inclusive (Paris time)."
    )
    to_date: datetime.date | None = strawberry.field(
        default=None, description="Last day, inclusive (Paris time)."
    )


def _connection(page: AuditPage) -> AuditEntryConnection:
    edges = [
        AuditEntryEdge(cursor=resolvers.audit_cursor(entry), node=entry)  # type: ignore[arg-type]
        for entry in page.entries
    ]
    return AuditEntryConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
    )


@strawberry.type
class Query:
    @strawberry.field(
        description="The audit trail in reach (a principal: his schools; the rectorat: the "
        "académie), newest first; at most 200 per page."
    )
    async def audit_trail(
        self,
        info: Info,
        filter: AuditTrailFilter | None = None,
        first: int = resolvers.DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> AuditEntryConnection:
        page = await read(
            info, resolvers.audit_trail, filter or AuditFilter(), first=first, after=after
        )
        return _connection(page)
