"""/absences/eleves/{id}: a student's absences and lateness with their count in half-days,
their regularisation (motive, justification received), and the contacts with the family."""

from __future__ import annotations

from starlette.responses import Response

from api.resolvers.absences.events import event_to_regularise, regularise_event
from api.resolvers.absences.family_contacts import (
    phone_call_guardians,
    record_phone_call,
    student_contacts,
)
from api.resolvers.absences.records import absence_record_student, student_absence_record
from api.resolvers.absences.settings import school_setup
from core.errors import NotFound, ValidationFailed
from portals.etablissement import destinations
from portals.etablissement.absences.form_values import form_errors, parse_day, text
from portals.etablissement.web import Page, page_handler, parse_id, redirect

CHANNEL_LABELS = {
    "letter": "Courrier",
    "email": "Courriel",
    "sms": "SMS",
    "phone": "Appel téléphonique",
}
DELIVERY_LABELS = {"pending": "en attente d'envoi", "sent": "envoyé", "failed": "échec"}


async def _page(
    page: Page,
    student_id: int,
    errors: dict[str, str] | None = None,
    error_event: int | None = None,
    message: str = "",
    status: int = 200,
) -> Response:
    student = await page.work.read(absence_record_student, student_id)
    params = page.request.query_params
    since, until = parse_day(params.get("du")), parse_day(params.get("au"))
    record = await page.work.read(student_absence_record, student_id, since, until)
    school = page.school
    setup = await page.work.read(school_setup, school.id) if school else None
    contacts = await page.work.read(student_contacts, student_id)
    can_manage = bool(school and page.may(record_phone_call, school.id))
    return page.render(
        "absences/record.html",
        status,
        student=student,
        record=record,
        setup=setup,
        since=since,
        until=until,
        contacts=contacts,
        guardians=await page.work.read(phone_call_guardians, student_id) if can_manage else [],
        channel_labels=CHANNEL_LABELS,
        delivery_labels=DELIVERY_LABELS,
        can_write=bool(school and page.may(regularise_event, school.id)),
        can_manage=can_manage,
        errors=errors or {},
        error_event=error_event,
        message=message,
    )


@page_handler(destinations.ABSENCES)
async def record(page: Page) -> Response:
    saved = page.request.query_params.get("enregistre")
    message = {
        "evenement": "Événement mis à jour.",
        "appel": "Appel téléphonique noté.",
    }.get(saved or "", "")
    return await _page(page, page.request.path_params["student_id"], message=message)


@page_handler(destinations.ABSENCES)
async def regularise(page: Page) -> Response:
    """POST /absences/evenements/{id}: motive, justification received, comment."""
    event_id: int = page.request.path_params["event_id"]
    event = await page.work.read(event_to_regularise, event_id)
    form = await page.request.form()
    version = parse_id(form.get("version"))
    try:
        async with page.work.writing(event.school_id) as transaction:
            await transaction.run(
                regularise_event,
                event_id,
                motive_id=parse_id(form.get("motif")),
                justification_id=parse_id(form.get("justificatif")),
                comment=text(form.get("commentaire"), 500) or None,
                expected_version=version,
            )
    except ValidationFailed as exc:
        return await _page(
            page, event.student_id, form_errors(exc.errors), error_event=event_id, status=400
        )
    return redirect(
        f"/absences/eleves/{event.student_id}?enregistre=evenement#evenement-{event_id}"
    )


@page_handler(destinations.ABSENCES)
async def phone_call(page: Page) -> Response:
    """POST /absences/eleves/{id}/appel-telephonique."""
    student_id: int = page.request.path_params["student_id"]
    school = page.school
    if school is None:
        raise NotFound("School", 0)
    form = await page.request.form()
    event_ids = [i for i in (parse_id(v) for v in form.getlist("evenements")) if i]
    try:
        async with page.work.writing(school.id) as transaction:
            await transaction.run(
                record_phone_call,
                school.id,
                student_id,
                text(form.get("resume"), 2000),
                parse_id(form.get("responsable")),
                event_ids,
            )
    except ValidationFailed as exc:
        errors = {("resume" if e.field == "comment" else e.field): e.message for e in exc.errors}
        return await _page(page, student_id, errors, status=400)
    return redirect(f"/absences/eleves/{student_id}?enregistre=appel#contacts")
