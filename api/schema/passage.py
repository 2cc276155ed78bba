"""Passage: decisions for next year, planned enrolments of the year in preparation, newcomers.
The académie's assignments file goes through ``previewImport`` / ``applyImport`` (format
ASSIGNMENTS)."""

from __future__ import annotations

import datetime
from typing import Any

import strawberry

from api.resolvers import passage as resolvers
from api.schema.context import Info, read
from api.schema.domain import from_domain
from api.schema.enrollments import Enrollment, ExitReason, Regime
from api.schema.nomenclatures import Mef
from api.schema.payloads import FieldError, mutate
from api.schema.students import Sex
from db import passage as models

PassageOutcome = strawberry.enum(models.PassageOutcome)


@strawberry.type(description="A student's decision for next year.")
class PassageDecision:
    id: int
    outcome: PassageOutcome  # type: ignore[valid-type]
    exit_reason: ExitReason | None  # type: ignore[valid-type]
    exit_motive_code: str | None = strawberry.field(description="CODE_MOTIF_SORTIE.")
    destination_uai: str | None
    destination_name: str | None
    version: int = strawberry.field(description="Give it back to refuse a stale change.")

    @strawberry.field(description="Next year's MEF; null for a leaver.")
    async def next_mef(
        self, root: strawberry.Parent[models.PassageDecision], info: Info
    ) -> Mef | None:
        if root.next_mef_id is None:
            return None
        return await info.context.loaders.mef.load(root.next_mef_id)  # type: ignore[return-value]


@strawberry.type(description="A student of the current year and his passage.")
class PassageRow:
    @strawberry.field
    def student_id(self, root: strawberry.Parent[resolvers.PassageRow]) -> int:
        return root.student.id

    @strawberry.field
    def family_name(self, root: strawberry.Parent[resolvers.PassageRow]) -> str:
        return root.student.usage_name or root.student.family_name

    @strawberry.field
    def first_name(self, root: strawberry.Parent[resolvers.PassageRow]) -> str:
        return root.student.first_name

    @strawberry.field(description="His enrolment of the current year.")
    def enrollment(self, root: strawberry.Parent[resolvers.PassageRow]) -> Enrollment:
        return root.enrollment  # type: ignore[return-value]

    @strawberry.field
    def decision(self, root: strawberry.Parent[resolvers.PassageRow]) -> PassageDecision | None:
        return root.decision  # type: ignore[return-value]

    @strawberry.field(
        description="The MEF that follows his own in the school's profile; null: none there."
    )
    def proposed_next_mef(self, root: strawberry.Parent[resolvers.PassageRow]) -> Mef | None:
        return root.proposed_next_mef  # type: ignore[return-value]

    @strawberry.field(description="His enrolment of the year in preparation, once placed.")
    def planned_enrollment(
        self, root: strawberry.Parent[resolvers.PassageRow]
    ) -> Enrollment | None:
        return root.planned  # type: ignore[return-value]

    @strawberry.field(description="In a division of next year.")
    def placed(self, root: strawberry.Parent[resolvers.PassageRow]) -> bool:
        return root.placed


@strawberry.type
@from_domain
class DivisionCount(resolvers.DivisionCount):
    pass


@strawberry.type(description="The passage of a school (or of one of its divisions).")
class SchoolPassage:
    @strawberry.field
    def school_id(self, root: strawberry.Parent[resolvers.SchoolPassage]) -> int:
        return root.school.id

    @strawberry.field(description="The school's current year.")
    def school_year_id(self, root: strawberry.Parent[resolvers.SchoolPassage]) -> int:
        return root.year.id

    @strawberry.field(description="The year in preparation; null before the académie opens it.")
    def next_school_year_id(self, root: strawberry.Parent[resolvers.SchoolPassage]) -> int | None:
        return root.next_year.id if root.next_year else None

    @strawberry.field
    def rows(self, root: strawberry.Parent[resolvers.SchoolPassage]) -> list[PassageRow]:
        return root.rows  # type: ignore[return-value]

    @strawberry.field(description="The students still without a decision.")
    def without_decision(
        self, root: strawberry.Parent[resolvers.SchoolPassage]
    ) -> list[PassageRow]:
        return root.without_decision()  # type: ignore[return-value]

    @strawberry.field(description="Decided to stay, but in no division of next year yet.")
    def unplaced(self, root: strawberry.Parent[resolvers.SchoolPassage]) -> list[PassageRow]:
        return root.unplaced()  # type: ignore[return-value]

    @strawberry.field(description="Students and students without a decision, per division.")
    def counts(self, root: strawberry.Parent[resolvers.SchoolPassage]) -> list[DivisionCount]:
        return root.counts()  # type: ignore[return-value]


@strawberry.input
class DecisionInput:
    outcome: PassageOutcome | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="In decideDivision's exceptions, null: the default."
    )
    next_mef_id: int | None = strawberry.field(
        default=None,
        description="Promoted: a profiled MEF other than the profile's next one (required "
        "when his MEF has none).",
    )
    exit_motive_code: str | None = strawberry.field(
        default=None, description="Leaving: a code of the year's list of exit motives."
    )
    exit_reason: ExitReason | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Leaving, when no list of exit motives is loaded."
    )
    destination_uai: str | None = None
    destination_name: str | None = None

    def domain(self) -> dict[str, Any]:
        return {key: value for key, value in vars(self).items() if value is not None}


@strawberry.input(description="One student's own decision in a division's mass decision.")
class DecisionException(DecisionInput):
    enrollment_id: int
    version: int | None = None


@strawberry.type
class DecisionPayload:
    decision: PassageDecision | None
    errors: list[FieldError]


@strawberry.type(description="How many decisions a mass decision created, changed, removed.")
class DecisionCounts:
    created: int
    updated: int
    removed: int
    unchanged: int


@strawberry.type
class DivisionDecisionsPayload:
    counts: DecisionCounts | None
    errors: list[FieldError]


@strawberry.type
class PlacementPayload:
    enrollments: list[Enrollment]
    errors: list[FieldError]


@strawberry.input
class NewcomerInput:
    family_name: str
    first_name: str
    sex: Sex  # type: ignore[valid-type]
    birth_date: datetime.date
    mef_id: int
    regime: Regime  # type: ignore[valid-type]
    birth_commune_code: str | None = None
    birth_city: str | None = None
    birth_country_code: str | None = None
    ine: str | None = None
    division_id: int | None = None
    group_ids: list[int] = strawberry.field(default_factory=list)
    previous_school_uai: str | None = None
    previous_school_name: str | None = None
    confirm_duplicate: bool = False


PLACEMENT_FIELDS = (
    "mef_id",
    "regime",
    "division_id",
    "group_ids",
    "previous_school_uai",
    "previous_school_name",
)


@strawberry.type
class NewcomerPayload:
    enrollment: Enrollment | None
    created: bool | None = strawberry.field(
        description="False: known to the académie by his INE, enrolled only."
    )
    errors: list[FieldError]


@strawberry.type
class Query:
    @strawberry.field(description="Every student of the school's current year and his passage.")
    async def school_passage(self, info: Info, school_id: int) -> SchoolPassage:
        return await read(info, resolvers.school_passage, school_id)

    @strawberry.field(description="The passage of a division of the current year.")
    async def division_passage(self, info: Info, division_id: int) -> SchoolPassage:
        return await read(info, resolvers.division_passage, division_id)

    @strawberry.field(description="The school's enrolments of the year in preparation.")
    async def planned_enrollments(self, info: Info, school_id: int) -> list[Enrollment]:
        return await read(info, resolvers.planned_enrollments, school_id)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Records or changes a student's decision; version refuses a stale change."
    )
    async def decide(
        self, info: Info, enrollment_id: int, input: DecisionInput, version: int | None = None
    ) -> DecisionPayload:
        decision, errors = await mutate(
            info, "enrollmentId", resolvers.decide, enrollment_id, input.domain(), version
        )
        return DecisionPayload(decision=decision, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(description="The student is without decision (and unplaced) again.")
    async def remove_decision(
        self, info: Info, enrollment_id: int, version: int | None = None
    ) -> DecisionPayload:
        _enrollment, errors = await mutate(
            info, "enrollmentId", resolvers.remove_decision, enrollment_id, version
        )
        return DecisionPayload(decision=None, errors=errors)

    @strawberry.mutation(
        description="Decides for a division at once: `default` for every student without a "
        "decision, except the `exceptions`; all or nothing (errors name `<enrollmentId>.field`)."
    )
    async def decide_division(
        self,
        info: Info,
        division_id: int,
        default: DecisionInput | None = None,
        exceptions: list[DecisionException] | None = None,
    ) -> DivisionDecisionsPayload:
        given = {
            e.enrollment_id: {**e.domain(), "version": e.version}
            for e in (exceptions or [])[: resolvers.MAX_STUDENTS]
        }
        counts, errors = await mutate(
            info,
            "divisionId",
            resolvers.decide_division,
            division_id,
            default.domain() if default else None,
            given,
        )
        return DivisionDecisionsPayload(counts=counts, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Places students (enrolments of the current year, decided to stay) in a "
        "division and groups of the year in preparation; all or nothing."
    )
    async def place(
        self,
        info: Info,
        enrollment_ids: list[int],
        division_id: int | None,
        group_ids: list[int] | None = None,
    ) -> PlacementPayload:
        placed, errors = await mutate(
            info, "enrollmentIds", resolvers.place, enrollment_ids, division_id, group_ids
        )
        return PlacementPayload(enrollments=placed or [], errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="A student the académie assigns to the school for next year: created "
        "(or, known by his INE, enrolled) with his planned enrolment."
    )
    async def add_newcomer(
        self, info: Info, school_id: int, input: NewcomerInput
    ) -> NewcomerPayload:
        data = dict(vars(input))
        confirm = data.pop("confirm_duplicate")
        placement = {key: data.pop(key) for key in PLACEMENT_FIELDS}
        identity = {key: value for key, value in data.items() if value is not None}
        added, errors = await mutate(
            info,
            "schoolId",
            resolvers.add_newcomer,
            school_id,
            identity,
            placement,
            confirm,
        )
        return NewcomerPayload(
            enrollment=added.enrollment if added else None,  # type: ignore[arg-type]
            created=added.created if added else None,
            errors=errors,
        )
