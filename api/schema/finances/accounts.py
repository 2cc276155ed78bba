"""Family accounts in GraphQL: the school's accounts and one account's statement; receipts,
their reversal, refunds of a credit; remises d'ordre (one student, or a service's closure
for everyone), remises gracieuses and their reversal."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from api.resolvers.finances import payments, reductions, statements
from api.schema.context import Info, read, read_or_none
from api.schema.domain import from_domain
from api.schema.payloads import FieldError, mutate

PaymentMethod = strawberry.enum(payments.PaymentMethod, name="PaymentMethod")
PaymentKind = strawberry.enum(payments.PaymentKind, name="PaymentKind")
ChargeKind = strawberry.enum(
    reductions.ChargeKind, name="ChargeKind", description="Half-board or boarding."
)
OrderMotive = strawberry.enum(reductions.OrderMotive, name="OrderMotive")
ReductionKind = strawberry.enum(reductions.ReductionKind, name="ReductionKind")
StatementLineKind = strawberry.enum(statements.LineKind, name="StatementLineKind")


@strawberry.type(
    description="A family account: its payer, the children charged on it, its balance."
)
@from_domain
class FamilyAccount(statements.FamilyAccountSummary):
    balance: Decimal = strawberry.field(
        description="Positive: what the family owes; negative: a credit."
    )


@strawberry.type(description="A page of a school's family accounts, by payer name.")
@from_domain
class FamilyAccountPage(statements.FamilyAccountPage):
    accounts: list[statements.FamilyAccountSummary] = strawberry.field(
        graphql_type=list[FamilyAccount]
    )


@strawberry.type(
    description="A ledger line: debit raises what is owed (charge, refund, reversal), credit "
    "lowers it (reduction, receipt); balance is the running balance after it."
)
@from_domain
class StatementLine(statements.StatementLine):
    kind: StatementLineKind  # type: ignore[valid-type]
    reduction_kind: ReductionKind | None = None  # type: ignore[valid-type]


@strawberry.type(description="What a student owes for a kind and a term.")
@from_domain
class StatementDebt(statements.StatementDebt):
    kind: ChargeKind  # type: ignore[valid-type]


@strawberry.type(description="A child's charges − reductions − allocated receipts.")
@from_domain
class StudentBalance(statements.StudentBalance):
    pass


@strawberry.type(
    description="A family account's statement; its lines, its debts less its unallocated "
    "credit and its balance reconcile to the cent."
)
@from_domain
class AccountStatement(statements.AccountStatement):
    account: statements.FamilyAccountSummary = strawberry.field(graphql_type=FamilyAccount)
    lines: list[statements.StatementLine] = strawberry.field(graphql_type=list[StatementLine])
    debts: list[statements.StatementDebt] = strawberry.field(graphql_type=list[StatementDebt])
    students: list[statements.StudentBalance] = strawberry.field(graphql_type=list[StudentBalance])


@strawberry.type(description="Money received from, or paid back to, a family account.")
class Payment:
    id: int
    account_id: int
    term_id: int
    kind: PaymentKind  # type: ignore[valid-type]
    method: PaymentMethod  # type: ignore[valid-type]
    amount: Decimal
    received_on: date
    reference: str | None = strawberry.field(
        description="Cheque number and bank, transfer or mandate reference; a reversal "
        "carries the reference of the receipt it cancels."
    )
    reverses_payment_id: int | None
    reason: str | None = strawberry.field(
        description="Why a receipt was reversed or a credit refunded."
    )
    created_at: datetime
    actor_label: str


@strawberry.type(description="A remise: what is taken off a student's charge for a term.")
class Reduction:
    id: int
    account_id: int
    student_id: int
    term_id: int = strawberry.field(description="The term it is recorded in.")
    concerns_term_id: int
    charge_kind: ChargeKind  # type: ignore[valid-type]
    kind: ReductionKind  # type: ignore[valid-type]
    motive: OrderMotive | None  # type: ignore[valid-type]
    first_day: date | None
    last_day: date | None
    amount: Decimal
    reason: str
    reverses_reduction_id: int | None = strawberry.field(
        description="A reversal: the reduction it undoes (a reduction is reversed once)."
    )
    actor_label: str


@strawberry.input(
    description="A receipt: a cheque needs chequeNumber and bank, a SEPA debit its mandate "
    "reference."
)
@from_domain
class ReceiptInput(payments.ReceiptInput):
    method: PaymentMethod  # type: ignore[valid-type]


@strawberry.input(description="A refund of the account's credit (transfer, cheque or cash).")
@from_domain
class RefundInput(payments.RefundInput):
    method: PaymentMethod  # type: ignore[valid-type]


@strawberry.input(description="A remise d'ordre for a student's absence within one term.")
@from_domain
class OrderReductionInput(reductions.OrderReductionInput):
    motive: OrderMotive  # type: ignore[valid-type]
    charge_kind: ChargeKind | None = None  # type: ignore[valid-type]


@strawberry.input(description="A remise gracieuse, decided by the principal with a reason.")
@from_domain
class GraceReductionInput(reductions.GraceReductionInput):
    charge_kind: ChargeKind  # type: ignore[valid-type]


@strawberry.input(
    description="A service closed over a span: a remise d'ordre to every student charged "
    "for it (both services when chargeKind is omitted)."
)
@from_domain
class ServiceClosureInput(reductions.ServiceClosureInput):
    charge_kind: ChargeKind | None = None  # type: ignore[valid-type]


@strawberry.type(description="The remises d'ordre a service's closure wrote.")
@from_domain
class ServiceClosure(reductions.ClosureResult):
    pass


@strawberry.type
class PaymentPayload:
    payment: Payment | None
    errors: list[FieldError]


@strawberry.type
class ReductionPayload:
    reduction: Reduction | None
    errors: list[FieldError]


@strawberry.type
class ReductionsPayload:
    reductions: list[Reduction] | None
    errors: list[FieldError]


@strawberry.type
class ServiceClosurePayload:
    closure: ServiceClosure | None
    errors: list[FieldError]


@strawberry.type
class Query:
    @strawberry.field(
        description="A school's family accounts, found by the payer's or a child's name."
    )
    async def family_accounts(
        self,
        info: Info,
        school_id: int,
        search: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> FamilyAccountPage:
        return await read(info, statements.family_accounts, school_id, search, offset, limit)

    @strawberry.field(description="A family account's statement; null when out of reach.")
    async def family_account(self, info: Info, id: int) -> AccountStatement | None:
        return await read_or_none(info, statements.account_statement, id)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Record money received on a family account, set at once against the "
        "oldest debts; what is left is a credit."
    )
    async def record_payment(self, info: Info, input: ReceiptInput) -> PaymentPayload:
        payment, errors = await mutate(info, "accountId", payments.record_receipt, input)
        return PaymentPayload(payment=payment, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Cancel a receipt (returned unpaid, entered twice): its debts are due again."
    )
    async def reverse_payment(self, info: Info, payment_id: int, reason: str) -> PaymentPayload:
        payment, errors = await mutate(
            info, "paymentId", payments.reverse_receipt, payment_id, reason
        )
        return PaymentPayload(payment=payment, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(description="Pay a credit balance back to the family.")
    async def refund_credit(self, info: Info, input: RefundInput) -> PaymentPayload:
        payment, errors = await mutate(info, "accountId", payments.refund_credit, input)
        return PaymentPayload(payment=payment, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="A remise d'ordre for a student's absence, prorated by the school's rule."
    )
    async def grant_order_reduction(
        self, info: Info, input: OrderReductionInput
    ) -> ReductionsPayload:
        written, errors = await mutate(info, "accountId", reductions.grant_order_reduction, input)
        return ReductionsPayload(reductions=written, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(description="A remise gracieuse (the principal).")
    async def grant_grace_reduction(
        self, info: Info, input: GraceReductionInput
    ) -> ReductionPayload:
        reduction, errors = await mutate(info, "accountId", reductions.grant_grace_reduction, input)
        return ReductionPayload(reduction=reduction, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="The closure of a service over a span: a remise d'ordre to everyone "
        "charged for it."
    )
    async def close_service_reduction(
        self, info: Info, input: ServiceClosureInput
    ) -> ServiceClosurePayload:
        closure, errors = await mutate(info, "schoolId", reductions.close_service, input)
        return ServiceClosurePayload(closure=closure, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(description="Undo a remise d'ordre or gracieuse, with a reason.")
    async def reverse_reduction(
        self, info: Info, reduction_id: int, reason: str
    ) -> ReductionPayload:
        reduction, errors = await mutate(
            info, "reductionId", reductions.reverse_reduction, reduction_id, reason
        )
        return ReductionPayload(reduction=reduction, errors=errors)  # type: ignore[arg-type]
