"""The term's notices to families, payment reminders and the transfer to the accounting
software in GraphQL."""

from __future__ import annotations

import base64
from datetime import date, datetime
from decimal import Decimal

import strawberry

from api.resolvers.finances import charge_transfers, notices, reminders
from api.schema.context import Info, read
from api.schema.domain import from_domain
from api.schema.payloads import FieldError, mutate
from db import finances as models

strawberry.enum(models.ReminderChannel, name="ReminderChannel")


@strawberry.type(
    description="A term's notice to a family (avis aux familles) as issued: the term's "
    "charges, reductions other than scholarships, scholarships deducted and payments "
    "(receipts less refunds and reversals), and the balance due (previous balance included)."
)
class FamilyNotice:
    id: int
    school_id: int
    term_id: int
    account_id: int
    issued_at: datetime
    charges: Decimal
    reductions: Decimal
    scholarships: Decimal
    payments: Decimal
    balance: Decimal
    actor_label: str

    @strawberry.field(
        description="The notice's lines as issued, JSON (layout in docs/finances.md)."
    )
    def frozen_lines(self, root: strawberry.Parent[models.FamilyNotice]) -> str:
        return root.frozen_lines

    @strawberry.field(description="The payer, as the notice names him.")
    def payer_name(self, root: strawberry.Parent[models.FamilyNotice]) -> str:
        return notices.payer_name(root)


@strawberry.type(description="What an issue wrote, and how many accounts already had theirs.")
@from_domain
class NoticeIssue(notices.NoticeIssue):
    notices: list[models.FamilyNotice] = strawberry.field(graphql_type=list[FamilyNotice])


@strawberry.type
class NoticeIssuePayload:
    issue: NoticeIssue | None
    errors: list[FieldError]


@strawberry.type(description="An account owing at least the threshold on a noticed term.")
@from_domain
class ReminderCandidate(reminders.ReminderCandidate):
    pass


@strawberry.type(description="A reminder sent, with what the account owed that day.")
class PaymentReminder:
    id: int
    school_id: int
    account_id: int
    channel: models.ReminderChannel
    balance: Decimal
    sent_at: datetime
    actor_label: str


@strawberry.type(description="What a send of reminders did.")
@from_domain
class ReminderOutcome(reminders.ReminderOutcome):
    reminders: list[models.PaymentReminder] = strawberry.field(graphql_type=list[PaymentReminder])
    letters_pdf: strawberry.Private[bytes | None]

    @strawberry.field(description="The letters to print, one PDF base64-encoded; null: none.")
    def letters_pdf_base64(self) -> str | None:
        return base64.b64encode(self.letters_pdf).decode("ascii") if self.letters_pdf else None


@strawberry.type
class ReminderOutcomePayload:
    outcome: ReminderOutcome | None
    errors: list[FieldError]


@strawberry.type(description="The count and the total of one record type of a transfer.")
@from_domain
class TransferTotal(charge_transfers.TransferTotal):
    pass


@strawberry.type(description="What a term's transfer holds: as it would be sent now, or as sent.")
@from_domain
class TransferPreview(charge_transfers.TransferPreview):
    totals: list[charge_transfers.TransferTotal] = strawberry.field(
        graphql_type=list[TransferTotal]
    )


@strawberry.type(
    description="A term's transfer to the accounting software (transfert de créances), as "
    "sent: its file is the CSV described in docs/finances.md."
)
class ChargeTransfer:
    id: int
    school_id: int
    term_id: int
    created_at: datetime
    actor_label: str
    file_name: str
    lines: int
    total_charges: Decimal
    total_reductions: Decimal
    total_payments: Decimal

    @strawberry.field(description="The file as sent (UTF-8 text, lines ended by CR LF).")
    def file_text(self, root: strawberry.Parent[models.ChargeTransfer]) -> str:
        return root.file_text


@strawberry.type
class ChargeTransferPayload:
    transfer: ChargeTransfer | None
    errors: list[FieldError]


@strawberry.type
class Query:
    @strawberry.field(description="A term's notices, by payer's name.")
    async def family_notices(self, info: Info, term_id: int) -> list[FamilyNotice]:
        return await read(info, notices.term_notices, term_id)

    @strawberry.field(description="One notice.")
    async def family_notice(self, info: Info, id: int) -> FamilyNotice:
        return await read(info, notices.family_notice, id)

    @strawberry.field(
        description="The accounts that owe at least the threshold (0.01 by default) on a "
        "noticed term: the term's and earlier terms' charges less every payment so far."
    )
    async def accounts_to_remind(
        self, info: Info, term_id: int, threshold: Decimal | None = None
    ) -> list[ReminderCandidate]:
        return await read(info, reminders.accounts_to_remind, term_id, threshold)

    @strawberry.field(description="A school's reminders sent, latest first (the last 500).")
    async def payment_reminders(self, info: Info, school_id: int) -> list[PaymentReminder]:
        return await read(info, reminders.payment_reminders, school_id)

    @strawberry.field(description="The counts and totals of a term's transfer.")
    async def transfer_preview(self, info: Info, term_id: int) -> TransferPreview:
        return await read(info, charge_transfers.transfer_preview, term_id)

    @strawberry.field(description="A term's transfer once sent, else null.")
    async def charge_transfer(self, info: Info, term_id: int) -> ChargeTransfer | None:
        return await read(info, charge_transfers.charge_transfer, term_id)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Issue a term's notices: every account with rows recorded in the term "
        "that has none yet (or one account). A notice is issued once; due on dueOn (30 days "
        "after the issue by default)."
    )
    async def issue_notices(
        self,
        info: Info,
        term_id: int,
        account_id: int | None = None,
        due_on: date | None = None,
    ) -> NoticeIssuePayload:
        issue, errors = await mutate(
            info, "termId", notices.issue_notices, term_id, account_id, due_on
        )
        return NoticeIssuePayload(issue=issue, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Remind every account owing at least the threshold on a noticed term "
        "and not reminded today: an e-mail when the payer has an address, else a letter."
    )
    async def send_reminders(
        self, info: Info, term_id: int, threshold: Decimal | None = None
    ) -> ReminderOutcomePayload:
        outcome, errors = await mutate(info, "termId", reminders.send_reminders, term_id, threshold)
        return ReminderOutcomePayload(outcome=outcome, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Send a closed term's transfer to the accounting software: once per term."
    )
    async def transfer_term(self, info: Info, term_id: int) -> ChargeTransferPayload:
        transfer, errors = await mutate(info, "termId", charge_transfers.transfer_term, term_id)
        return ChargeTransferPayload(transfer=transfer, errors=errors)  # type: ignore[arg-type]
