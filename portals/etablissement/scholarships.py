"""/bourses: the scholarship files of the school being worked on (bursar: received, then
complete; principal: granted or refused, with the decision letter), the list of scholars and
its CSV, the état récapitulatif of a term (the rectorat's is the académie's), and a term's
payment after the term, previewed then confirmed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from starlette.responses import Response

from api.exports.tabular import csv_bytes
from api.resolvers.scholarships.files import (
    PIECES,
    REQUIRED_PIECES,
    STATUS_LABELS,
    FileInput,
    ScholarshipFileCard,
    ScholarshipStatus,
    complete_file,
    create_file,
    decision_letter,
    file_candidates,
    grant_file,
    possible_applicants,
    refuse_file,
    scholarship_file,
    scholarship_files,
    update_file,
)
from api.resolvers.scholarships.payments import pay_term, term_payment_preview
from api.resolvers.scholarships.scales import KIND_LABELS
from api.resolvers.scholarships.summaries import (
    academy_term_summary,
    scholars,
    school_term_ranks,
    term_summary,
)
from api.resolvers.structures import list_divisions
from core import clock
from core.errors import FieldError, StaleVersion, ValidationFailed
from core.money import format_euros
from portals.etablissement import destinations
from portals.etablissement.web import Page, page_handler, parse_id, redirect

FILE_FIELDS = ("received_on", "applicant_id", "reference_income", "dependent_children", "pieces")
FIELD_LABELS = {"file_id": "Dossier", "version": "Dossier", "student_id": "Élève", "reason": ""}


def _context(page: Page, **context: Any) -> dict[str, Any]:
    return {
        "euros": format_euros,
        "status_labels": STATUS_LABELS,
        "kind_labels": KIND_LABELS,
        "pieces": PIECES,
        "required_pieces": REQUIRED_PIECES,
        "message": page.request.query_params.get("message"),
        **context,
    }


def _school(page: Page, fn: Any) -> Any:
    if page.school is None or page.year is None or not page.may(fn, page.school.id):
        raise page.refusal(fn)
    return page.school


async def _divisions(page: Page) -> list[tuple[int, str]]:
    assert page.school is not None and page.year is not None
    if not page.may(list_divisions, page.school.id):
        return []
    summaries = await page.work.read(list_divisions, page.school.id, page.year.id)
    return [(s.division.id, s.division.code) for s in summaries]


def _errors(errors: list[FieldError], known: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
    """Errors by field for the form (each linked to its field), the others as messages."""
    by_field: dict[str, str] = {}
    others: list[str] = []
    for error in errors:
        if error.field in known:
            by_field.setdefault(error.field, error.message)
        else:
            others.append(error.message)
    return by_field, others


# --------------------------------------------------------------------------- the list


@page_handler(destinations.SCHOLARSHIPS)
async def files_page(page: Page) -> Response:
    school = _school(page, scholarship_files)
    assert page.year is not None
    raw_status = page.request.query_params.get("statut", "")
    status = next((s for s in ScholarshipStatus if s.value == raw_status), None)
    division_id = parse_id(page.request.query_params.get("division"))
    cards = await page.work.read(scholarship_files, school.id, page.year.id, status, division_id)
    return page.render(
        "scholarships/files.html",
        **_context(
            page,
            cards=cards,
            divisions=await _divisions(page),
            chosen_status=status.value if status else "",
            chosen_division=division_id or "",
            may_create=page.may(create_file, school.id) and not page.year_over,
            may_pay=page.may(pay_term, school.id),
            may_summary=page.may(term_summary, school.id),
        ),
    )


# --------------------------------------------------------------------------- a new file


def _form_values(form: Any) -> dict[str, Any]:
    return {
        "received_on": str(form.get("received_on") or "").strip()[:10],
        "applicant_id": str(form.get("applicant_id") or "").strip()[:12],
        "reference_income": str(form.get("reference_income") or "").strip()[:20],
        "dependent_children": str(form.get("dependent_children") or "").strip()[:3],
        "pieces": [str(p)[:30] for p in form.getlist("pieces")][: len(PIECES) + 1],
    }


def _file_input(values: dict[str, Any]) -> tuple[FileInput | None, list[FieldError]]:
    errors: list[FieldError] = []
    try:
        received_on = date.fromisoformat(values["received_on"])
    except ValueError:
        errors.append(
            FieldError("received_on", "INVALID", "Date de réception : une date (JJ/MM/AAAA).")
        )
        received_on = None
    children: int | None = None
    if values["dependent_children"]:
        if values["dependent_children"].isdigit():
            children = int(values["dependent_children"])
        else:
            errors.append(
                FieldError("dependent_children", "INVALID", "Enfants à charge : un nombre entier.")
            )
    if errors or received_on is None:
        return None, errors
    return (
        FileInput(
            received_on=received_on,
            applicant_id=parse_id(values["applicant_id"]),
            reference_income=values["reference_income"] or None,
            dependent_children=children,
            pieces=values["pieces"],
        ),
        [],
    )


@page_handler(destinations.NEW_SCHOLARSHIP)
async def new_file(page: Page) -> Response:
    school = _school(page, create_file)
    assert page.year is not None
    division_id = parse_id(page.request.query_params.get("division"))
    values: dict[str, Any] = {"received_on": clock.today().isoformat(), "student_id": ""}
    field_errors: dict[str, str] = {}
    others: list[str] = []
    status = 200
    if page.request.method == "POST":
        form = await page.request.form(max_files=0, max_fields=20)
        division_id = parse_id(form.get("division")) or division_id
        values = _form_values(form) | {"student_id": str(form.get("student_id") or "")[:12]}
        student_id = parse_id(values["student_id"])
        data, errors = _file_input(values)
        if student_id is None:
            errors.append(FieldError("student_id", "REQUIRED", "Élève : choisissez l'élève."))
        if not errors:
            assert data is not None and student_id is not None
            try:
                async with page.work.writing(school.id) as transaction:
                    card = await transaction.run(
                        create_file, school.id, page.year.id, student_id, data
                    )
            except ValidationFailed as failed:
                errors = failed.errors
            else:
                return redirect(
                    page.url(f"/bourses/{card.id}", message="Le dossier est enregistré.")
                )
        field_errors, others = _errors(errors, (*FILE_FIELDS, "student_id"))
        status = 400
    candidates = (
        await page.work.read(file_candidates, school.id, page.year.id, division_id)
        if division_id is not None
        else []
    )
    return page.render(
        "scholarships/new.html",
        status,
        **_context(
            page,
            divisions=await _divisions(page),
            chosen_division=division_id or "",
            candidates=[(c.student_id, c.name) for c in candidates],
            values=values,
            field_errors=field_errors,
            others=others,
        ),
    )


# --------------------------------------------------------------------------- a file


async def _file_page(
    page: Page,
    card: ScholarshipFileCard,
    status: int = 200,
    values: dict[str, Any] | None = None,
    field_errors: dict[str, str] | None = None,
    others: list[str] | None = None,
    reason: str = "",
) -> Response:
    applicants = await page.work.read(possible_applicants, card.school_id, card.student_id)
    open_file = card.status in (ScholarshipStatus.RECEIVED, ScholarshipStatus.COMPLETE)
    return page.render(
        "scholarships/file.html",
        status,
        **_context(
            page,
            card=card,
            applicants=[(a.guardian_id, a.name) for a in applicants],
            values=values
            or {
                "received_on": card.received_on.isoformat(),
                "applicant_id": card.applicant_id,
                "reference_income": f"{card.reference_income}".replace(".", ",")
                if card.reference_income is not None
                else "",
                "dependent_children": card.dependent_children or "",
                "pieces": card.pieces,
            },
            field_errors=field_errors or {},
            others=others or [],
            reason=reason,
            may_edit=open_file and page.may(update_file, card.school_id) and not page.year_over,
            may_decide=open_file and page.may(grant_file, card.school_id) and not page.year_over,
            decided=not open_file,
        ),
    )


@page_handler(destinations.SCHOLARSHIP_FILE)
async def file_page(page: Page) -> Response:
    card = await page.work.read(scholarship_file, page.request.path_params["file_id"])
    return await _file_page(page, card)


@page_handler(destinations.SCHOLARSHIP_FILE)
async def file_action(page: Page) -> Response:
    """Save the file, mark it complete, grant or refuse it: each a POST of the file's page,
    with the version read (a colleague's save in between is refused, not overwritten)."""
    file_id: int = page.request.path_params["file_id"]
    action: str = page.request.path_params["action"]
    card = await page.work.read(scholarship_file, file_id)
    form = await page.request.form(max_files=0, max_fields=20)
    version = parse_id(form.get("version"))
    values = None
    reason = str(form.get("reason") or "")[:400]
    errors: list[FieldError] = []
    messages = {
        "enregistrer": "Le dossier est enregistré.",
        "complet": "Le dossier est complet.",
        "accorder": "La décision est prise.",
        "refuser": "Le refus est enregistré.",
    }
    if action not in messages:
        return page.error(404, "Page introuvable", "Cette action n'existe pas.")
    data: FileInput | None = None
    if action == "enregistrer":
        values = _form_values(form)
        data, errors = _file_input(values)
    if not errors:
        try:
            async with page.work.writing(card.school_id) as transaction:
                if action == "enregistrer":
                    assert data is not None
                    await transaction.run(update_file, file_id, data, version)
                elif action == "complet":
                    await transaction.run(complete_file, file_id, version)
                elif action == "accorder":
                    await transaction.run(grant_file, file_id, version)
                else:
                    await transaction.run(refuse_file, file_id, reason, version)
        except StaleVersion as stale:
            fresh = await page.work.read(scholarship_file, file_id)
            return await _file_page(page, fresh, 409, others=[e.message for e in stale.errors])
        except ValidationFailed as failed:
            errors = failed.errors
        else:
            return redirect(page.url(f"/bourses/{file_id}", message=messages[action]))
    field_errors, others = _errors(errors, (*FILE_FIELDS, "reason"))
    return await _file_page(page, card, 400, values, field_errors, others, reason)


@page_handler(destinations.SCHOLARSHIP_LETTER)
async def letter_pdf(page: Page) -> Response:
    file_name, content = await page.work.read(decision_letter, page.request.path_params["file_id"])
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'inline; filename="{file_name}"',
        },
    )


# --------------------------------------------------------------------------- the scholars


@page_handler(destinations.SCHOLARS)
async def scholars_page(page: Page) -> Response:
    school = _school(page, scholars)
    assert page.year is not None
    division_id = parse_id(page.request.query_params.get("division"))
    listed = await page.work.read(scholars, school.id, page.year.id, division_id)
    return page.render(
        "scholarships/scholars.html",
        **_context(
            page,
            scholars=listed,
            divisions=await _divisions(page),
            chosen_division=division_id or "",
            total=sum((s.annual_amount for s in listed), Decimal(0)),
        ),
    )


@page_handler(destinations.SCHOLARS)
async def scholars_csv(page: Page) -> Response:
    school = _school(page, scholars)
    assert page.year is not None
    division_id = parse_id(page.request.query_params.get("division"))
    listed = await page.work.read(scholars, school.id, page.year.id, division_id)
    content = csv_bytes(
        ("Division", "Élève", "Bourse", "Échelon", "Montant annuel"),
        (
            (
                s.division_code or "",
                s.student_name,
                KIND_LABELS[s.kind],
                str(s.echelon),
                f"{s.annual_amount:.2f}".replace(".", ","),
            )
            for s in listed
        ),
    )
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="boursiers-{school.uai}-'
            f'{page.year.start_year}.csv"',
        },
    )


# --------------------------------------------------------------------------- the état


@page_handler(destinations.SCHOLARSHIP_SUMMARY)
async def summary_page(page: Page) -> Response:
    """A school's état of a term; the académie's for whoever reads it académie-wide."""
    if page.year is None:
        return page.error(404, "Page introuvable", "Aucune année scolaire.")
    rank = parse_id(page.request.query_params.get("trimestre")) or 1
    rank = min(rank, 4)
    context: dict[str, Any] = {"rank": rank, "terms": [], "state": None, "academy": False}
    if page.may_academy_wide(academy_term_summary) and (
        page.school is None or not page.may(scholarship_files, page.school.id)
    ):
        context |= {
            "academy": True,
            "terms": [(r, f"Trimestre {r}") for r in range(1, 5)],
            "state": await page.work.read(academy_term_summary, page.year.id, rank),
        }
    else:
        school = _school(page, term_summary)
        terms = await page.work.read(school_term_ranks, school.id, page.year.id)
        context["terms"] = [(r, label) for _id, r, label in terms]
        term_id = next((id_ for id_, r, _label in terms if r == rank), None)
        if term_id is not None:
            context["state"] = await page.work.read(term_summary, term_id)
    return page.render("scholarships/summary.html", **_context(page, **context))


# --------------------------------------------------------------------------- the payment


@page_handler(destinations.SCHOLARSHIP_PAYMENT)
async def payment_page(page: Page) -> Response:
    """Choose a term, read what paying it does, then confirm."""
    school = _school(page, term_payment_preview)
    assert page.year is not None
    terms = await page.work.read(school_term_ranks, school.id, page.year.id)
    errors: list[str] = []
    status = 200
    if page.request.method == "POST":
        form = await page.request.form(max_files=0, max_fields=10)
        term_id = parse_id(form.get("trimestre"))
        if term_id not in {id_ for id_, _r, _l in terms}:
            errors.append("Trimestre : choisissez un trimestre de l'année.")
        else:
            assert term_id is not None
            try:
                async with page.work.writing(school.id) as transaction:
                    paid = await transaction.run(pay_term, school.id, term_id)
            except ValidationFailed as failed:
                errors = [e.message for e in failed.errors]
            else:
                return redirect(
                    page.url(
                        "/bourses/versement",
                        trimestre=term_id,
                        annee=page.year.id,
                        message=f"{paid.paid_now} bourses versées pour le {paid.term_label}.",
                    )
                )
        status = 400
    else:
        term_id = parse_id(page.request.query_params.get("trimestre"))
    known = {id_ for id_, _r, _l in terms}
    plan = (
        await page.work.read(term_payment_preview, school.id, term_id)
        if term_id in known and term_id is not None
        else None
    )
    return page.render(
        "scholarships/payment.html",
        status,
        **_context(
            page,
            terms=[(id_, label) for id_, _r, label in terms],
            chosen_term=term_id or "",
            plan=plan,
            errors=errors,
            may_pay=page.may(pay_term, school.id) and plan is not None and plan.payable,
        ),
    )
