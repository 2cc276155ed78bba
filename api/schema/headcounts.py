"""The constat de rentrée: its launch, its breakdowns and anomalies, the académie's
consolidation, the comparison between years; the rentrée evaluation survey (EVA) export."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from api.resolvers import headcounts as resolvers
from api.schema.context import Info, read, read_or_none
from api.schema.domain import from_domain
from api.schema.exchanges import ExchangeRunPayload
from api.schema.payloads import FieldError, mutate
from db import headcounts as models

SnapshotDimension = strawberry.enum(
    resolvers.SnapshotDimension,
    description="A breakdown of a constat: MEF, division, sex, régime (SIECLE code), age on "
    "31 December of the year's first calendar year, status (SIECLE code)",
)


@strawberry.type(description="Students of one key of a breakdown, with boys and girls.")
@from_domain
class HeadcountTotal(resolvers.HeadcountTotal):
    pass


@strawberry.type(description="One row of a cross tab: its cells follow columnKeys.")
@from_domain
class CrossTabRow(resolvers.CrossTabRow):
    pass


@strawberry.type(description="Students by two breakdowns (rows × columns).")
@from_domain
class CrossTab(resolvers.CrossTab):
    rows: list[resolvers.CrossTabRow] = strawberry.field(graphql_type=list[CrossTabRow])


@strawberry.type(description="A student the constat found without division, MEF or INE.")
class HeadcountAnomaly:
    kind: str
    student_id: int | None
    label: str = strawberry.field(description="Who, as he was on the counting day.")

    @strawberry.field(description="The anomaly, in French.")
    def kind_label(self, root: strawberry.Parent[models.HeadcountAnomaly]) -> str:
        return resolvers.ANOMALY_LABELS[resolvers.AnomalyKind(root.kind)]


@strawberry.type(
    description="A school's constat de rentrée for a year: frozen on the counting day, its "
    "figures never move afterwards."
)
class HeadcountSnapshot:
    id: int
    school_id: int
    school_year_id: int
    counted_on: date
    taken_at: datetime
    actor_label: str
    total: int

    @strawberry.field(description="Its students by one breakdown.")
    async def totals(
        self,
        root: strawberry.Parent[models.HeadcountSnapshot],
        info: Info,
        by: SnapshotDimension,  # type: ignore[valid-type]
    ) -> list[HeadcountTotal]:
        return await read(info, resolvers.snapshot_totals, root.id, by)

    @strawberry.field(description="Its students by two breakdowns (MEF × sex, MEF × age...).")
    async def cross_tab(
        self,
        root: strawberry.Parent[models.HeadcountSnapshot],
        info: Info,
        rows: SnapshotDimension,  # type: ignore[valid-type]
        columns: SnapshotDimension,  # type: ignore[valid-type]
    ) -> CrossTab:
        return await read(info, resolvers.snapshot_cross_tab, root.id, rows, columns)

    @strawberry.field(description="Students without division, MEF of the profile or INE.")
    async def anomalies(
        self, root: strawberry.Parent[models.HeadcountSnapshot], info: Info
    ) -> list[HeadcountAnomaly]:
        return await read(info, resolvers.snapshot_anomalies, root.id)


@strawberry.type(description="A school of the académie and its constat (null while not frozen).")
@from_domain
class SchoolHeadcount(resolvers.SchoolHeadcount):
    pass


@strawberry.type(description="The académie's constats of a year, summed.")
@from_domain
class HeadcountConsolidation(resolvers.Consolidation):
    by_mef: list[resolvers.HeadcountTotal] = strawberry.field(graphql_type=list[HeadcountTotal])
    schools: list[resolvers.SchoolHeadcount] = strawberry.field(graphql_type=list[SchoolHeadcount])

    @strawberry.field(name="frozen", description="The schools whose constat is frozen.")
    def resolve_frozen(
        self, root: strawberry.Parent[resolvers.Consolidation]
    ) -> list[SchoolHeadcount]:
        return root.frozen  # type: ignore[return-value]

    @strawberry.field(name="missing", description="The schools that have not frozen theirs yet.")
    def resolve_missing(
        self, root: strawberry.Parent[resolvers.Consolidation]
    ) -> list[SchoolHeadcount]:
        return root.missing  # type: ignore[return-value]


@strawberry.type(description="A MEF's students in the year before and the year.")
@from_domain
class HeadcountComparisonRow(resolvers.ComparisonRow):
    @strawberry.field(name="difference")
    def resolve_difference(self, root: strawberry.Parent[resolvers.ComparisonRow]) -> int:
        return root.difference


@strawberry.type(description="Constats by MEF for a year and the year before, side by side.")
@from_domain
class HeadcountComparison(resolvers.YearComparison):
    rows: list[resolvers.ComparisonRow] = strawberry.field(
        graphql_type=list[HeadcountComparisonRow]
    )

    @strawberry.field(name="currentTotal")
    def resolve_current_total(self, root: strawberry.Parent[resolvers.YearComparison]) -> int:
        return root.current_total

    @strawberry.field(name="previousTotal")
    def resolve_previous_total(self, root: strawberry.Parent[resolvers.YearComparison]) -> int:
        return root.previous_total

    @strawberry.field(name="difference")
    def resolve_difference(self, root: strawberry.Parent[resolvers.YearComparison]) -> int:
        return root.difference


@strawberry.type
class HeadcountSnapshotPayload:
    snapshot: HeadcountSnapshot | None
    errors: list[FieldError]


@strawberry.type
class Query:
    @strawberry.field(
        description="A school's constat de rentrée of a year; null while not launched."
    )
    async def headcount_snapshot(
        self, info: Info, school_id: int, school_year_id: int
    ) -> HeadcountSnapshot | None:
        return await read_or_none(info, resolvers.school_snapshot, school_id, school_year_id)

    @strawberry.field(
        description="The académie's constats of a year summed by MEF, each school's total, and "
        "the schools not frozen yet (the rectorat)."
    )
    async def headcount_consolidation(
        self, info: Info, school_year_id: int
    ) -> HeadcountConsolidation:
        return await read(info, resolvers.academy_consolidation, school_year_id)

    @strawberry.field(
        description="A school's constat by MEF (the académie's when schoolId is omitted) for "
        "the year and the year before, with the difference."
    )
    async def headcount_comparison(
        self, info: Info, school_year_id: int, school_id: int | None = None
    ) -> HeadcountComparison:
        return await read(info, resolvers.year_comparison, school_year_id, school_id)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Launch the school's constat de rentrée of a year: the students present on "
        "countedOn (today when omitted) are frozen with the day's anomalies. Once per school "
        "and year."
    )
    async def launch_constat(
        self,
        info: Info,
        school_id: int,
        school_year_id: int,
        counted_on: date | None = None,
    ) -> HeadcountSnapshotPayload:
        snapshot, errors = await mutate(
            info, "schoolId", resolvers.launch_constat, school_id, school_year_id, counted_on
        )
        return HeadcountSnapshotPayload(snapshot=snapshot, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Write the rentrée evaluation survey (EVA) file of the evaluated levels' "
        "students (CSV) and record it in the exchange history."
    )
    async def export_evaluation_survey(
        self, info: Info, school_id: int, school_year_id: int
    ) -> ExchangeRunPayload:
        run, errors = await mutate(
            info, "schoolId", resolvers.export_evaluation_survey, school_id, school_year_id
        )
        return ExchangeRunPayload(run=run, errors=errors)  # type: ignore[arg-type]
