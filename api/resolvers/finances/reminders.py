"""Payment reminders (relances): the families that still owe on a term whose notices are
issued are reminded, by e-mail through the outbox when the payer has an address, else by a
letter printed with the others of the day. Each reminder is recorded with what the account
owed that day (``PaymentReminder.balance``).

What an account owes, for a reminder about term T (docs/finances.md): the charges,
reductions and scholarships recorded in T and the terms before it, less every payment
recorded so far (in whatever term): a charge of a later term, not yet on a notice, is not
reminded; a payment received since the notice is taken off. An account is reminded when
that amount reaches the threshold (0,01 € by default), at most once a day, and only when
it received T's notice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.outbox.queue import enqueue
from api.resolvers.absences.calendar import french_date
from api.resolvers.absences.family_contacts import postal_lines, salutation, school_lines
from api.resolvers.finances.ledger import figures_by_term
from api.resolvers.finances.notices import account_number, frozen, sort_key
from api.resolvers.finances.reach import school_in_reach, term_in_reach
from core import clock
from core.errors import ValidationFailed
from core.money import ZERO, format_euros, parse_amount
from db.addresses import Address
from db.audit import set_actor
from db.finances import (
    FamilyAccount,
    FamilyNotice,
    FinanceTerm,
    PaymentReminder,
    ReminderChannel,
)
from db.guardians import Guardian
from db.outbox import OutboxChannel
from db.schools import School
from documents.letters import Letter, LetterTable, write_letters

DEFAULT_THRESHOLD = Decimal("0.01")
# One send reminds at most this many families (far above a school's); the rest wait for
# the next send.
MOST_PER_SEND = 2000
# The list of reminders sent shows at most this many, latest first.
MOST_LISTED = 500
TABLE_MARK = "\x00solde\x00"


@dataclass
class ReminderCandidate:
    """An account that owes at least the threshold on a noticed term."""

    account_id: int
    account_number: str
    payer_name: str
    children: list[str]
    balance: Decimal
    # E-mail when the payer has one, else a letter; None: neither address is known.
    channel: ReminderChannel | None
    reminded_today: bool


@dataclass
class ReminderOutcome:
    reminders: list[PaymentReminder] = field(default_factory=list)
    emails: int = 0
    letters: int = 0
    # The day's letters in one file, to print.
    letters_pdf: bytes | None = None
    # Payers with neither an e-mail nor a postal address: not reminded.
    unreached: list[str] = field(default_factory=list)
    # Candidates left for a next send (over ``MOST_PER_SEND``).
    remaining: int = 0


def _threshold(value: Decimal | str | None) -> Decimal:
    if value is None:
        return DEFAULT_THRESHOLD
    amount = parse_amount(value, "threshold")
    if amount < DEFAULT_THRESHOLD:
        raise ValidationFailed.single("threshold", "TOO_LOW", "Seuil de relance : au moins 0,01 €.")
    return amount


def _today_since() -> datetime:
    """The start of today in France, as an instant."""
    return datetime.combine(clock.today(), time.min, tzinfo=clock.PARIS).astimezone(UTC)


@dataclass
class _Candidates:
    term: FinanceTerm
    school: School
    lines: list[ReminderCandidate]
    guardians: dict[int, Guardian]
    accounts: dict[int, FamilyAccount]


async def _candidates(
    session: AsyncSession,
    principal: Principal,
    term_id: int,
    threshold: Decimal | str | None,
    permission: Permission,
) -> _Candidates:
    term = await term_in_reach(session, principal, term_id, permission)
    minimum = _threshold(threshold)
    school = await session.get(School, term.school_id)
    assert school is not None
    notices = {
        notice.account_id: notice
        for notice in await session.scalars(
            select(FamilyNotice).where(FamilyNotice.term_id == term.id)
        )
    }
    if not notices:
        raise ValidationFailed.single(
            "term_id",
            "NOT_NOTICED",
            f"Les avis du {term.label} ne sont pas émis : on ne relance qu'après l'avis.",
        )
    until = {
        t
        for t in await session.scalars(
            select(FinanceTerm.id).where(
                FinanceTerm.school_id == school.id, FinanceTerm.first_day <= term.first_day
            )
        )
    }
    figures = await figures_by_term(session, school.id, notices)
    owed: dict[int, Decimal] = {}
    for account_id in notices:
        total = ZERO
        for t, f in figures.get(account_id, {}).items():
            if t in until:
                total += f.charges - f.reductions - f.scholarships
            total -= f.payments
        owed[account_id] = total
    due = [a for a, amount in owed.items() if amount >= minimum]
    accounts = {
        a.id: a
        for a in await session.scalars(select(FamilyAccount).where(FamilyAccount.id.in_(due)))
    }
    guardians = {
        g.id: g
        for g in await session.scalars(
            select(Guardian).where(Guardian.id.in_({a.guardian_id for a in accounts.values()}))
        )
    }
    # Loaded once, so that each payer's address is then read from the session.
    await session.scalars(
        select(Address).where(
            Address.id.in_({g.address_id for g in guardians.values() if g.address_id})
        )
    )
    reminded = set(
        await session.scalars(
            select(PaymentReminder.account_id).where(
                PaymentReminder.account_id.in_(due), PaymentReminder.sent_at >= _today_since()
            )
        )
    )
    lines = []
    for account_id in due:
        guardian = guardians[accounts[account_id].guardian_id]
        address = await session.get(Address, guardian.address_id) if guardian.address_id else None
        channel = (
            ReminderChannel.EMAIL
            if guardian.email
            else ReminderChannel.LETTER
            if postal_lines(guardian, address) is not None
            else None
        )
        lines.append(
            ReminderCandidate(
                account_id=account_id,
                account_number=account_number(account_id),
                payer_name=guardian.display_name,
                children=[c["name"] for c in frozen(notices[account_id])["children"]],
                balance=owed[account_id],
                channel=channel,
                reminded_today=account_id in reminded,
            )
        )
    lines.sort(key=lambda line: (sort_key(line.payer_name), line.account_id))
    return _Candidates(term, school, lines, guardians, accounts)


@requires(Permission.FINANCES_READ)
async def accounts_to_remind(
    session: AsyncSession,
    principal: Principal,
    term_id: int,
    threshold: Decimal | str | None = None,
) -> list[ReminderCandidate]:
    """The accounts that owe at least ``threshold`` on the noticed term, by payer's name."""
    found = await _candidates(session, principal, term_id, threshold, Permission.FINANCES_READ)
    return found.lines


def _children_text(children: list[str]) -> str:
    if not children:
        return "vos enfants"
    if len(children) == 1:
        return children[0]
    return f"{', '.join(children[:-1])} et {children[-1]}"


def _email_body(
    school: School, term: FinanceTerm, hello: str, line: ReminderCandidate, today: date
) -> str:
    return "\n".join(
        [
            f"{hello},",
            "",
            f"Sauf erreur de notre part, le compte famille n° {line.account_number} présente au "
            f"{french_date(today)} un solde de {format_euros(line.balance)} restant dû pour "
            f"la restauration et l'hébergement de {_children_text(line.children)} "
            f"(avis du {term.label}).",
            "",
            "Nous vous remercions de régler cette somme dans les meilleurs délais auprès du "
            "service de gestion de l'établissement, en rappelant le numéro de compte. Si vous "
            "rencontrez des difficultés, prenez contact avec lui : une aide du fonds social "
            "peut vous être accordée.",
            "",
            "Si votre règlement nous est parvenu entre-temps, ne tenez pas compte de ce rappel.",
            "",
            school.name,
        ]
    )


def _letter(
    school: School,
    term: FinanceTerm,
    recipient: list[str],
    hello: str,
    number: str,
    children: list[str],
    balance: Decimal,
    today: date,
) -> Letter:
    body = "\n\n".join(
        [
            f"{hello},",
            f"Sauf erreur de notre part, votre compte famille présente un solde restant dû "
            f"pour la restauration et l'hébergement de {_children_text(children)} "
            f"(avis du {term.label}) :",
            TABLE_MARK,
            "Nous vous remercions de régler cette somme dans les meilleurs délais auprès du "
            "service de gestion de l'établissement, en rappelant le numéro de compte. Si vous "
            "rencontrez des difficultés, prenez contact avec lui : une aide du fonds social "
            "peut vous être accordée.",
            "Si votre règlement nous est parvenu entre-temps, ne tenez pas compte de ce rappel.",
        ]
    )
    return Letter(
        school_lines=school_lines(school),
        recipient_lines=recipient,
        place_and_date=f"{school.city or school.name}, le {french_date(today)}",
        subject="Rappel de paiement",
        body=body,
        table_mark=TABLE_MARK,
        table=LetterTable(
            ("Compte famille", f"Solde dû au {today:%d/%m/%Y}"),
            [[number, format_euros(balance)]],
        ),
        signature="Le gestionnaire",
    )


@requires(Permission.FINANCES_MANAGE)
async def send_reminders(
    session: AsyncSession,
    principal: Principal,
    term_id: int,
    threshold: Decimal | str | None = None,
) -> ReminderOutcome:
    """Remind every account owing at least ``threshold`` on the noticed term and not reminded
    today: an e-mail to the payer's address, else a letter (returned in one PDF)."""
    found = await _candidates(session, principal, term_id, threshold, Permission.FINANCES_MANAGE)
    waiting = [line for line in found.lines if not line.reminded_today]
    if not waiting:
        raise ValidationFailed.single(
            "term_id",
            "NOTHING_TO_REMIND",
            "Aucune famille à relancer : toutes sont à jour ou déjà relancées aujourd'hui.",
        )
    set_actor(session.sync_session, principal.audit_actor(found.school.id))
    outcome = ReminderOutcome(remaining=max(0, len(waiting) - MOST_PER_SEND))
    letters: list[Letter] = []
    today = clock.today()
    for line in waiting[:MOST_PER_SEND]:
        guardian = found.guardians[found.accounts[line.account_id].guardian_id]
        if line.channel is None:
            outcome.unreached.append(line.payer_name)
            continue
        reminder = PaymentReminder(
            school_id=found.school.id,
            account_id=line.account_id,
            channel=line.channel,
            balance=line.balance,
            sent_at=clock.now(),
            actor_label=principal.label[:120],
        )
        if line.channel is ReminderChannel.EMAIL:
            assert guardian.email is not None
            message = enqueue(
                session,
                OutboxChannel.EMAIL,
                guardian.email,
                _email_body(found.school, found.term, salutation(guardian), line, today),
                subject=f"{found.school.name} : rappel de paiement",
                school_id=found.school.id,
            )
            await session.flush()
            reminder.outbox_message_id = message.id
            outcome.emails += 1
        else:
            address = await session.get(Address, guardian.address_id)
            recipient = postal_lines(guardian, address)
            assert recipient is not None
            letters.append(
                _letter(
                    found.school,
                    found.term,
                    recipient,
                    salutation(guardian),
                    line.account_number,
                    line.children,
                    line.balance,
                    today,
                )
            )
            outcome.letters += 1
        session.add(reminder)
        outcome.reminders.append(reminder)
    await session.flush()
    if letters:
        outcome.letters_pdf = write_letters(letters, "Rappels de paiement")
    return outcome


@requires(Permission.FINANCES_READ)
async def payment_reminders(
    session: AsyncSession, principal: Principal, school_id: int
) -> list[PaymentReminder]:
    """The school's reminders, latest first (the last ``MOST_LISTED``)."""
    school = await school_in_reach(session, principal, school_id, Permission.FINANCES_READ)
    return list(
        await session.scalars(
            select(PaymentReminder)
            .where(PaymentReminder.school_id == school.id)
            .order_by(PaymentReminder.sent_at.desc(), PaymentReminder.id.desc())
            .limit(MOST_LISTED)
        )
    )
