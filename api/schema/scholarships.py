"""Scholarships in GraphQL (the ``scholarships`` domain): files and the principal's decisions,
the scholars, a term's payment (preview, then pay) and the états récapitulatifs.

No field is restricted: a file is reached only with ``scholarships:read`` (the bursar's
Bourses right, the principal), which is also what the household's income needs; the
summaries carry counts and amounts, never a student."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from api.resolvers.scholarships import files, payments, summaries
from api.schema.context import Info, read
from api.schema.domain import from_domain
from api.schema.payloads import FieldError, mutate
from db import scholarships as models

ScholarshipKind = strawberry.enum(models.ScholarshipKind, description="collège or lycée")
ScholarshipStatus = strawberry.enum(
    models.ScholarshipStatus, description="received, complete, then granted or refused"
)


@strawberry.type(
    description="A student's scholarship file for a year. `pieces` and `missingPieces` are "
    "codes: tax_notice, proof_of_address, bank_details, caf_certificate, family_record, "
    "custody_ruling (tax_notice and bank_details are required to complete it)."
)
@from_domain
class ScholarshipFile(files.ScholarshipFileCard):
    pass


@strawberry.input(
    description="What the bursar enters on a file; applicantId omitted: the legal guardian "
    'receiving aid, else legal guardian 1, else 2. referenceIncome as typed ("12 345,67").'
)
@from_domain
class ScholarshipFileInput(files.FileInput):
    pass


@strawberry.type(description="A granted file: a scholar of the year.")
@from_domain
class Scholar(summaries.Scholar):
    pass


@strawberry.type(description="A scholar's term: state to_pay, paid or left (nothing due).")
@from_domain
class ScholarshipPaymentLine(payments.PaymentLine):
    deductions: strawberry.Private[list[payments.Deduction]]


@strawberry.type(description="A term's scholarships: what paying it does, or did.")
class ScholarshipTermPayment:
    term_id: int
    term_label: str
    last_day: date
    payable: bool
    lines: list[ScholarshipPaymentLine]
    total: Decimal
    total_deducted: Decimal
    total_paid_to_family: Decimal
    paid_now: int


def _term_payment(plan: payments.TermPayment | None) -> ScholarshipTermPayment | None:
    if plan is None:
        return None
    return ScholarshipTermPayment(
        term_id=plan.term_id,
        term_label=plan.term_label,
        last_day=plan.last_day,
        payable=plan.payable,
        lines=plan.lines,  # type: ignore[arg-type]
        total=plan.total,
        total_deducted=plan.total_deducted,
        total_paid_to_family=plan.total_paid_to_family,
        paid_now=plan.paid_now,
    )


@strawberry.type(description="Students paid and amounts for a kind and an échelon.")
@from_domain
class ScholarshipEchelonTotal(summaries.EchelonTotal):
    pass


@strawberry.type(description="A school's students paid and amount, in the académie's état.")
@from_domain
class ScholarshipSchoolTotal(summaries.SchoolTotal):
    pass


@strawberry.type(
    description="The état récapitulatif of a term: a school's, or the académie's (schoolId "
    "null, with each school's total). Counts and amounts only."
)
@from_domain
class ScholarshipTermSummary(summaries.TermSummary):
    by_echelon: list[summaries.EchelonTotal] = strawberry.field(
        graphql_type=list[ScholarshipEchelonTotal]
    )
    schools: list[summaries.SchoolTotal] = strawberry.field(
        graphql_type=list[ScholarshipSchoolTotal]
    )


@strawberry.type
class ScholarshipFilePayload:
    file: ScholarshipFile | None
    errors: list[FieldError]


@strawberry.type
class ScholarshipTermPaymentPayload:
    payment: ScholarshipTermPayment | None
    errors: list[FieldError]


@strawberry.type
class Query:
    @strawberry.field(description="A school's scholarship files of a year, by division.")
    async def scholarship_files(
        self,
        info: Info,
        school_id: int,
        school_year_id: int,
        status: ScholarshipStatus | None = None,  # type: ignore[valid-type]
        division_id: int | None = None,
    ) -> list[ScholarshipFile]:
        return await read(
            info, files.scholarship_files, school_id, school_year_id, status, division_id
        )

    @strawberry.field(description="A scholarship file.")
    async def scholarship_file(self, info: Info, id: int) -> ScholarshipFile:
        return await read(info, files.scholarship_file, id)

    @strawberry.field(description="The year's scholars, by division then name.")
    async def scholars(
        self, info: Info, school_id: int, school_year_id: int, division_id: int | None = None
    ) -> list[Scholar]:
        return await read(info, summaries.scholars, school_id, school_year_id, division_id)

    @strawberry.field(description="What paying a term's scholarships would do (nothing written).")
    async def scholarship_term_payment(
        self, info: Info, school_id: int, term_id: int
    ) -> ScholarshipTermPayment:
        return _term_payment(await read(info, payments.term_payment_preview, school_id, term_id))  # type: ignore[return-value]

    @strawberry.field(description="A school's état récapitulatif of a term.")
    async def scholarship_term_summary(self, info: Info, term_id: int) -> ScholarshipTermSummary:
        return await read(info, summaries.term_summary, term_id)

    @strawberry.field(
        description="The académie's état récapitulatif of a term (the rectorat): the schools' "
        "terms of that rank."
    )
    async def academy_scholarship_summary(
        self, info: Info, school_year_id: int, term_rank: int
    ) -> ScholarshipTermSummary:
        return await read(info, summaries.academy_term_summary, school_year_id, term_rank)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Open a student's scholarship file for a year.")
    async def create_scholarship_file(
        self,
        info: Info,
        school_id: int,
        school_year_id: int,
        student_id: int,
        input: ScholarshipFileInput,
    ) -> ScholarshipFilePayload:
        file, errors = await mutate(
            info, "studentId", files.create_file, school_id, school_year_id, student_id, input
        )
        return ScholarshipFilePayload(file=file, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Change a file not yet decided; version: the one read (a concurrent edit "
        "is refused)."
    )
    async def update_scholarship_file(
        self, info: Info, id: int, input: ScholarshipFileInput, version: int | None = None
    ) -> ScholarshipFilePayload:
        file, errors = await mutate(info, "id", files.update_file, id, input, version)
        return ScholarshipFilePayload(file=file, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(description="Mark a file complete: income, children, required pieces.")
    async def complete_scholarship_file(
        self, info: Info, id: int, version: int | None = None
    ) -> ScholarshipFilePayload:
        file, errors = await mutate(info, "id", files.complete_file, id, version)
        return ScholarshipFilePayload(file=file, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="The principal grants a complete file at the échelon of the year's table "
        "(refused, with the reason, above the échelon 1 ceiling)."
    )
    async def grant_scholarship_file(
        self, info: Info, id: int, version: int | None = None
    ) -> ScholarshipFilePayload:
        file, errors = await mutate(info, "id", files.grant_file, id, version)
        return ScholarshipFilePayload(file=file, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(description="The principal refuses a file, with a reason.")
    async def refuse_scholarship_file(
        self, info: Info, id: int, reason: str, version: int | None = None
    ) -> ScholarshipFilePayload:
        file, errors = await mutate(info, "id", files.refuse_file, id, reason, version)
        return ScholarshipFilePayload(file=file, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Pay a term's scholarships once it is over: once per file and term."
    )
    async def pay_scholarship_term(
        self, info: Info, school_id: int, term_id: int
    ) -> ScholarshipTermPaymentPayload:
        plan, errors = await mutate(info, "termId", payments.pay_term, school_id, term_id)
        return ScholarshipTermPaymentPayload(payment=_term_payment(plan), errors=errors)
