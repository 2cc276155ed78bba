"""/finances/comptes: the bursar's family accounts. The list (payer, children, balance,
searched by the payer's or a child's name) and one account's statement, with its forms:
a payment received, a refund of the credit, a remise d'ordre, a remise gracieuse (shown to
whom may grant one) and the reversal of a payment or of a remise."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from starlette.datastructures import FormData
from starlette.responses import Response

from api.resolvers.finances.payments import (
    REFUND_METHODS,
    PaymentMethod,
    ReceiptInput,
    RefundInput,
    record_receipt,
    refund_credit,
    reverse_receipt,
)
from api.resolvers.finances.reductions import (
    MOTIVE_LABELS,
    ChargeKind,
    GraceReductionInput,
    OrderMotive,
    OrderReductionInput,
    ReductionKind,
    grant_grace_reduction,
    grant_order_reduction,
    reverse_reduction,
)
from api.resolvers.finances.statements import (
    CHARGE_KIND_LABELS,
    METHOD_LABELS,
    AccountStatement,
    LineKind,
    account_statement,
    family_accounts,
)
from core import clock
from core.errors import FieldError, ValidationFailed
from core.money import format_euros, parse_amount
from portals.etablissement import destinations
from portals.etablissement.web import Page, page_handler, parse_id, redirect

PAGE_SIZE = 50
# The forms of the account page: their prefix in field names and ids, their title.
FORMS = {
    "paiement": "Enregistrer un paiement",
    "remboursement": "Rembourser le crédit",
    "remise-ordre": "Accorder une remise d'ordre",
    "remise-gracieuse": "Accorder une remise gracieuse",
    "annulation-paiement": "Annuler un encaissement",
    "annulation-remise": "Annuler une remise",
}
SAVED = {
    "paiement": "Le paiement est enregistré.",
    "remboursement": "Le remboursement est enregistré.",
    "remise-ordre": "La remise d'ordre est accordée.",
    "remise-gracieuse": "La remise gracieuse est accordée.",
    "annulation-paiement": "L'encaissement est annulé.",
    "annulation-remise": "La remise est annulée.",
}
# The labels of the fields, before each message ("Montant : ...").
LABELS = {
    "method": "Mode de paiement",
    "amount": "Montant",
    "received_on": "Date de réception",
    "paid_on": "Date du remboursement",
    "cheque_number": "Numéro du chèque",
    "bank": "Banque",
    "reference": "Référence",
    "student_id": "Élève",
    "motive": "Motif",
    "first_day": "Premier jour",
    "last_day": "Dernier jour",
    "charge_kind": "Hébergement",
    "comment": "Commentaire",
    "term_id": "Trimestre",
    "reason": "Motif",
    "payment_id": "Encaissement",
    "reduction_id": "Remise",
}


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


@page_handler(destinations.FAMILY_ACCOUNTS)
async def accounts(page: Page) -> Response:
    school = page.school
    if school is None or not page.may(family_accounts, school.id):
        raise page.refusal(family_accounts)
    search = page.request.query_params.get("recherche", "").strip()[:80]
    number = parse_id(page.request.query_params.get("page")) or 1
    found = await page.work.read(
        family_accounts, school.id, search or None, (number - 1) * PAGE_SIZE, PAGE_SIZE
    )
    pages = max(1, -(-found.total_count // PAGE_SIZE))
    return page.render(
        "finances/accounts.html",
        found=found,
        search=search,
        number=number,
        pages=pages,
        euros=format_euros,
    )


@dataclass
class _Forms:
    """What the account page's forms need: their choices, the values typed, the errors."""

    form: str = ""
    values: dict[str, str] | None = None
    errors: dict[str, str] | None = None
    others: list[str] | None = None


async def _render(
    page: Page, account_id: int, forms: _Forms | None = None, status: int = 200
) -> Response:
    statement: AccountStatement = await page.work.read(account_statement, account_id)
    school_id = statement.account.school_id
    forms = forms or _Forms()
    today = clock.today().isoformat()
    students = [(s.student_id, s.student_name) for s in statement.students]
    terms = list(dict.fromkeys((d.term_id, d.term_label) for d in statement.debts))
    values = {
        "paiement-received_on": today,
        "remboursement-paid_on": today,
        "remboursement-amount": f"{statement.unallocated_credit:.2f}".replace(".", ","),
    } | (forms.values or {})
    reversible_receipts = [
        (line.entry_id, f"{line.day:%d/%m/%Y} — {format_euros(line.credit)} — {line.label}")
        for line in statement.lines
        if line.kind is LineKind.RECEIPT and line.reversible
    ]
    may_grace = page.may(grant_grace_reduction, school_id)
    reversible_reductions = [
        (
            line.entry_id,
            f"{line.day:%d/%m/%Y} — {format_euros(line.credit)} — {line.student_name} — "
            f"{line.label}",
        )
        for line in statement.lines
        if line.kind is LineKind.REDUCTION
        and line.reversible
        and (may_grace or line.reduction_kind is not ReductionKind.GRACE)
    ]
    return page.render(
        "finances/account.html",
        status,
        statement=statement,
        euros=format_euros,
        message=page.request.query_params.get("message"),
        form=forms.form,
        values=values,
        field_errors=forms.errors or {},
        other_errors=forms.others or [],
        titles=FORMS,
        may_manage=page.may(record_receipt, school_id),
        may_grace=may_grace,
        methods=[(m.value, _capitalised(METHOD_LABELS[m])) for m in PaymentMethod],
        refund_methods=[(m.value, _capitalised(METHOD_LABELS[m])) for m in REFUND_METHODS],
        motives=[(m.value, label) for m, label in MOTIVE_LABELS.items()],
        kinds=[(k.value, label) for k, label in CHARGE_KIND_LABELS.items()],
        students=students,
        terms=terms,
        reversible_receipts=reversible_receipts,
        reversible_reductions=reversible_reductions,
        charge_kind_labels={k.value: v for k, v in CHARGE_KIND_LABELS.items()},
    )


@page_handler(destinations.FAMILY_ACCOUNT)
async def account(page: Page) -> Response:
    return await _render(page, page.request.path_params["account_id"])


class _Reader:
    """The typed values of one form, read and checked the way the page can (an amount, a
    day, a choice), each error under its field."""

    def __init__(self, form: FormData, prefix: str) -> None:
        self.form, self.prefix = form, prefix
        self.values: dict[str, str] = {}
        self.errors: list[FieldError] = []

    def text(self, name: str, limit: int = 300) -> str:
        value = str(self.form.get(f"{self.prefix}-{name}") or "").strip()[:limit]
        self.values[f"{self.prefix}-{name}"] = value
        return value

    def amount(self, name: str = "amount") -> Decimal:
        try:
            return parse_amount(self.text(name, 30) or "", name)
        except ValidationFailed as failed:
            self.errors.extend(failed.errors)
            return Decimal(0)

    def day(self, name: str) -> date:
        raw = self.text(name, 20)
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.errors.append(FieldError(name, "INVALID_DATE", "Saisissez une date (JJ/MM/AAAA)."))
            return clock.today()

    def choice(self, name: str, choices: Callable[[str], Any], required: bool = True) -> Any:
        raw = self.text(name, 40)
        if not raw and not required:
            return None
        try:
            return choices(raw)
        except (ValueError, TypeError):
            self.errors.append(FieldError(name, "REQUIRED", "Faites un choix dans la liste."))
            return None


def _id(raw: str) -> int:
    value = parse_id(raw)
    if value is None:
        raise ValueError(raw)
    return value


def _command(
    action: str, account_id: int, read: _Reader
) -> tuple[Callable[..., Any], tuple[Any, ...]] | None:
    """The domain command a form asks for, with its arguments; None for an unknown form."""
    if action == "paiement":
        return record_receipt, (
            ReceiptInput(
                account_id,
                read.choice("method", PaymentMethod),
                read.amount(),
                read.day("received_on"),
                read.text("cheque_number", 40) or None,
                read.text("bank", 80) or None,
                read.text("reference", 120) or None,
            ),
        )
    if action == "remboursement":
        return refund_credit, (
            RefundInput(
                account_id,
                read.choice("method", PaymentMethod),
                read.amount(),
                read.day("paid_on"),
                read.text("reference", 120) or None,
                read.text("reason", 250) or None,
            ),
        )
    if action == "remise-ordre":
        return grant_order_reduction, (
            OrderReductionInput(
                account_id,
                read.choice("student_id", _id),
                read.choice("motive", OrderMotive),
                read.day("first_day"),
                read.day("last_day"),
                read.choice("charge_kind", ChargeKind, required=False),
                read.text("comment", 200) or None,
            ),
        )
    if action == "remise-gracieuse":
        return grant_grace_reduction, (
            GraceReductionInput(
                account_id,
                read.choice("student_id", _id),
                read.choice("term_id", _id),
                read.choice("charge_kind", ChargeKind),
                read.amount(),
                read.text("reason", 250),
            ),
        )
    if action == "annulation-paiement":
        return reverse_receipt, (read.choice("payment_id", _id), read.text("reason", 250))
    if action == "annulation-remise":
        return reverse_reduction, (read.choice("reduction_id", _id), read.text("reason", 250))
    return None


@page_handler(destinations.FAMILY_ACCOUNT)
async def account_action(page: Page) -> Response:
    account_id: int = page.request.path_params["account_id"]
    action: str = page.request.path_params["action"]
    statement: AccountStatement = await page.work.read(account_statement, account_id)
    form = await page.request.form(max_files=0, max_fields=20)
    read = _Reader(form, action)
    command = _command(action, account_id, read)
    if command is None:
        return page.error(404, "Page introuvable", "Ce formulaire n'existe pas.")
    fn, args = command
    if not page.may(fn, statement.account.school_id):
        raise page.refusal(fn)
    errors = read.errors
    if not errors:
        try:
            async with page.work.writing(statement.account.school_id) as transaction:
                await transaction.run(fn, *args)
        except ValidationFailed as failed:
            errors = failed.errors
    if errors:
        named = {f"{action}-{e.field}": e for e in errors if e.field in LABELS}
        return await _render(
            page,
            account_id,
            _Forms(
                action,
                read.values,
                {name: f"{LABELS[e.field]} : {e.message}" for name, e in named.items()},
                [e.message for e in errors if e.field not in LABELS],
            ),
            400,
        )
    return redirect(page.url(f"/finances/comptes/{account_id}", message=SAVED[action]))
