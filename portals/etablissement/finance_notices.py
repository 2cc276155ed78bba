"""/finances/avis, /finances/relances, /finances/transfert: the bursar's documents of a term.
The term's notices to families (issue them, print them all or one), the reminders of what is
still owed once the notices are out, and the term's transfer to the accounting software
(its totals, then sent once, then downloaded as sent)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from starlette.responses import Response

from api.resolvers.finances.charge_transfers import (
    transfer_file,
    transfer_preview,
    transfer_term,
)
from api.resolvers.finances.notices import (
    account_number,
    issue_notices,
    notice_pdf,
    notices_to_issue,
    payer_name,
    term_notices,
    term_notices_pdf,
)
from api.resolvers.finances.reminders import (
    accounts_to_remind,
    payment_reminders,
    send_reminders,
)
from api.resolvers.finances.terms import finance_terms
from core import clock
from core.errors import ValidationFailed
from core.money import format_euros
from portals.etablissement import destinations
from portals.etablissement.web import Page, page_handler, parse_id, redirect

CHANNELS = {"email": "Courriel", "letter": "Courrier"}


def _download(content: bytes, media_type: str, file_name: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="{file_name}"',
        },
    )


async def _terms(page: Page, chosen: Any) -> tuple[list[Any], Any]:
    """The working school's terms of the year, and the one chosen (``trimestre``), else the
    first still open, else the last."""
    if page.school is None or page.year is None:
        return [], None
    terms = await page.work.read(finance_terms, page.school.id, page.year.id)
    wanted = parse_id(chosen)
    term = next((t for t in terms if t.id == wanted), None)
    if term is None and terms:
        term = next((t for t in terms if t.closed_at is None), terms[-1])
    return terms, term


def _base(page: Page, terms: list[Any], term: Any) -> dict[str, Any]:
    return {
        "terms": terms,
        "term": term,
        "term_options": [
            (t.id, f"{t.label} ({'clos' if t.closed_at else 'ouvert'})") for t in terms
        ],
        "euros": format_euros,
        "message": page.request.query_params.get("message"),
        "field_errors": {},
        "refusal": None,
    }


# ------------------------------------------------------------------ notices


async def _render_notices(page: Page, chosen: Any, status: int = 200, **context: Any) -> Response:
    terms, term = await _terms(page, chosen)
    values = _base(page, terms, term)
    values |= {"notices": [], "pending": 0, "due_on": "", "may_issue": False}
    if term is not None:
        notices = await page.work.read(term_notices, term.id)
        values["notices"] = [(n, payer_name(n), account_number(n.account_id)) for n in notices]
        values["pending"] = await page.work.read(notices_to_issue, term.id)
        assert page.school is not None
        values["may_issue"] = page.may(issue_notices, page.school.id)
    return page.render("finances/avis.html", status, **(values | context))


@page_handler(destinations.FINANCE_NOTICES)
async def notices(page: Page) -> Response:
    return await _render_notices(page, page.request.query_params.get("trimestre"))


@page_handler(destinations.FINANCE_NOTICES)
async def issue(page: Page) -> Response:
    form = await page.request.form(max_files=0, max_fields=10)
    _terms_of_year, term = await _terms(page, form.get("term_id"))
    if term is None or str(term.id) != str(form.get("term_id")) or page.school is None:
        return page.error(404, "Page introuvable", "Ce trimestre n'existe pas.")
    if not page.may(issue_notices, page.school.id):
        raise page.refusal(issue_notices)
    raw_due = str(form.get("due_on") or "").strip()[:10]
    due_on: date | None = None
    if raw_due:
        try:
            # The browser's date field sends AAAA-MM-JJ; typed by hand, JJ/MM/AAAA.
            due_on = (
                datetime.strptime(raw_due, "%d/%m/%Y").date()
                if "/" in raw_due
                else date.fromisoformat(raw_due)
            )
        except ValueError:
            return await _render_notices(
                page,
                term.id,
                400,
                due_on=raw_due,
                field_errors={
                    "due_on": "Date limite de paiement : saisissez une date valide (JJ/MM/AAAA)."
                },
            )
    try:
        async with page.work.writing(page.school.id) as transaction:
            done = await transaction.run(issue_notices, term.id, None, due_on)
    except ValidationFailed as failed:
        on_field = [e.message for e in failed.errors if e.field == "due_on"]
        others = [e.message for e in failed.errors if e.field != "due_on"]
        return await _render_notices(
            page,
            term.id,
            400,
            due_on=raw_due,
            field_errors={"due_on": on_field[0]} if on_field else {},
            refusal=others[0] if others else None,
        )
    count = len(done.notices)
    return redirect(
        page.url(
            "/finances/avis",
            annee=page.year.id if page.year else None,
            trimestre=term.id,
            message=f"{count} avis émis." if count > 1 else "1 avis émis.",
        )
    )


@page_handler(destinations.FINANCE_NOTICE_PDF)
async def one_notice_pdf(page: Page) -> Response:
    file_name, content = await page.work.read(notice_pdf, page.request.path_params["notice_id"])
    return _download(content, "application/pdf", file_name)


@page_handler(destinations.FINANCE_NOTICES_PDF)
async def all_notices_pdf(page: Page) -> Response:
    try:
        file_name, content = await page.work.read(
            term_notices_pdf, page.request.path_params["term_id"]
        )
    except ValidationFailed:
        return page.error(404, "Page introuvable", "Aucun avis n'est émis pour ce trimestre.")
    return _download(content, "application/pdf", file_name)


# ------------------------------------------------------------------ reminders


async def _render_reminders(
    page: Page, chosen: Any, threshold: str, status: int = 200, **context: Any
) -> Response:
    terms, term = await _terms(page, chosen)
    values = _base(page, terms, term)
    values |= {"candidates": [], "not_noticed": None, "threshold": threshold, "sent": []}
    values |= {"channels": CHANNELS, "may_send": False}
    if term is not None and page.school is not None:
        try:
            values["candidates"] = await page.work.read(
                accounts_to_remind, term.id, threshold or None
            )
        except ValidationFailed as failed:
            for error in failed.errors:
                if error.field == "threshold":
                    values["field_errors"] = {"seuil": f"Seuil : {error.message}"}
                    status = 400
                else:
                    values["not_noticed"] = error.message
        values["sent"] = await page.work.read(payment_reminders, page.school.id)
        values["may_send"] = page.may(send_reminders, page.school.id)
    return page.render("finances/relances.html", status, **(values | context))


@page_handler(destinations.FINANCE_REMINDERS)
async def reminders(page: Page) -> Response:
    query = page.request.query_params
    return await _render_reminders(
        page, query.get("trimestre"), str(query.get("seuil") or "").strip()[:20]
    )


@page_handler(destinations.FINANCE_REMINDERS)
async def send(page: Page) -> Response:
    form = await page.request.form(max_files=0, max_fields=10)
    _terms_of_year, term = await _terms(page, form.get("term_id"))
    if term is None or str(term.id) != str(form.get("term_id")) or page.school is None:
        return page.error(404, "Page introuvable", "Ce trimestre n'existe pas.")
    if not page.may(send_reminders, page.school.id):
        raise page.refusal(send_reminders)
    threshold = str(form.get("threshold") or "").strip()[:20]
    try:
        async with page.work.writing(page.school.id) as transaction:
            outcome = await transaction.run(send_reminders, term.id, threshold or None)
    except ValidationFailed as failed:
        return await _render_reminders(
            page,
            term.id,
            threshold,
            400,
            refusal=next((e.message for e in failed.errors if e.field != "threshold"), None),
        )
    if outcome.letters_pdf:
        return _download(
            outcome.letters_pdf, "application/pdf", f"relances_{clock.today():%Y-%m-%d}.pdf"
        )
    return redirect(
        page.url(
            "/finances/relances",
            annee=page.year.id if page.year else None,
            trimestre=term.id,
            message=f"Relances envoyées : {outcome.emails} courriel(s), aucun courrier.",
        )
    )


# ------------------------------------------------------------------ transfer


async def _render_transfer(page: Page, chosen: Any, status: int = 200, **context: Any) -> Response:
    terms, term = await _terms(page, chosen)
    values = _base(page, terms, term) | {"preview": None, "may_transfer": False}
    if term is not None and page.school is not None:
        values["preview"] = await page.work.read(transfer_preview, term.id)
        values["may_transfer"] = page.may(transfer_term, page.school.id)
    return page.render("finances/transfert.html", status, **(values | context))


@page_handler(destinations.FINANCE_TRANSFER)
async def transfer(page: Page) -> Response:
    return await _render_transfer(page, page.request.query_params.get("trimestre"))


@page_handler(destinations.FINANCE_TRANSFER)
async def send_transfer(page: Page) -> Response:
    form = await page.request.form(max_files=0, max_fields=10)
    _terms_of_year, term = await _terms(page, form.get("term_id"))
    if term is None or str(term.id) != str(form.get("term_id")) or page.school is None:
        return page.error(404, "Page introuvable", "Ce trimestre n'existe pas.")
    if not page.may(transfer_term, page.school.id):
        raise page.refusal(transfer_term)
    try:
        async with page.work.writing(page.school.id) as transaction:
            await transaction.run(transfer_term, term.id)
    except ValidationFailed as failed:
        return await _render_transfer(page, term.id, 400, refusal=failed.errors[0].message)
    return redirect(
        page.url(
            "/finances/transfert",
            annee=page.year.id if page.year else None,
            trimestre=term.id,
            message=f"Le transfert du {term.label} est envoyé.",
        )
    )


@page_handler(destinations.FINANCE_TRANSFER_FILE)
async def transfer_download(page: Page) -> Response:
    file_name, content = await page.work.read(
        transfer_file, page.request.path_params["transfer_id"]
    )
    return _download(content, "text/csv; charset=utf-8", file_name)
