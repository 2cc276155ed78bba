"""/absences/suivi: searching the school's events; /absences/a-contacter: the students whose
family has not been told of unjustified events, and writing to them (letters to print,
e-mails and SMS queued for the worker)."""

from __future__ import annotations

from starlette.responses import Response

from api.resolvers.absences.family_contacts import ContactRequest, contact_families
from api.resolvers.absences.follow_up import EventSearch, search_events, students_to_contact
from api.resolvers.absences.letters import school_templates
from api.resolvers.absences.settings import school_setup
from api.resolvers.vocabulary import ContactChannel, EventKind
from core.errors import NotFound, ValidationFailed
from portals.etablissement import destinations
from portals.etablissement.absences.classes import chosen, class_choices
from portals.etablissement.absences.form_values import form_errors, on_fields, parse_day
from portals.etablissement.web import Page, page_handler, parse_id

SEARCH_FIELDS = ("du", "au", "classe", "nature", "motif", "justifie", "informe")
YES_NO = {"oui": True, "non": False}
CHANNEL_LABELS = {
    ContactChannel.LETTER: "Courrier",
    ContactChannel.EMAIL: "Courriel",
    ContactChannel.SMS: "SMS",
}


@page_handler(destinations.FOLLOW_UP)
async def search(page: Page) -> Response:
    school = page.school
    if school is None:
        raise NotFound("School", 0)
    params = page.request.query_params
    setup = await page.work.read(school_setup, school.id)
    choices = await class_choices(page, search_events)
    choice = chosen(choices, params.get("classe"))
    kind = params.get("nature")
    criteria = EventSearch(
        school_id=school.id,
        first=parse_day(params.get("du")),
        last=parse_day(params.get("au")),
        kind=EventKind(kind) if kind in ("absence", "lateness") else None,
        division_id=choice.division_id if choice else None,
        group_id=choice.group_id if choice else None,
        motive_id=parse_id(params.get("motif")),
        justified=YES_NO.get(params.get("justifie") or ""),
        notified=YES_NO.get(params.get("informe") or ""),
    )
    errors: dict[str, str] = {}
    lines = []
    next_cursor = None
    try:
        result = await page.work.read(
            search_events, criteria, first=50, after=params.get("apres") or None
        )
        lines, next_cursor = result.lines, result.end_cursor if result.has_next_page else None
    except ValidationFailed as exc:
        errors = form_errors(exc.errors)
    linked, others = on_fields(errors, SEARCH_FIELDS)
    return page.render(
        "absences/follow_up.html",
        setup=setup,
        choices=choices,
        params=params,
        lines=lines,
        next_url=page.url("/absences/suivi", **{**params, "apres": next_cursor})
        if next_cursor
        else None,
        errors=linked,
        other_errors=others,
    )


async def _contacts_page(
    page: Page, outcome: object = None, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    school = page.school
    if school is None:
        raise NotFound("School", 0)
    params = page.request.query_params
    since, until = parse_day(params.get("du")), parse_day(params.get("au"))
    due = await page.work.read(students_to_contact, school.id, since, until)
    templates = [
        t
        for t in await page.work.read(school_templates, school.id)
        if t.is_active and t.channel in CHANNEL_LABELS
    ]
    return page.render(
        "absences/contacts.html",
        status,
        due=due,
        templates=templates,
        channel_labels=CHANNEL_LABELS,
        since=since,
        until=until,
        outcome=outcome,
        errors=errors or {},
    )


@page_handler(destinations.FAMILIES_TO_CONTACT)
async def to_contact(page: Page) -> Response:
    return await _contacts_page(page)


@page_handler(destinations.FAMILIES_TO_CONTACT)
async def write_to_families(page: Page) -> Response:
    """POST /absences/a-contacter: the chosen template to the chosen students' families."""
    school = page.school
    if school is None:
        raise NotFound("School", 0)
    form = await page.request.form()
    student_ids = [i for i in (parse_id(v) for v in form.getlist("eleves")) if i]
    template_id = parse_id(form.get("modele"))
    if template_id is None:
        return await _contacts_page(page, errors={"modele": "Choisissez un modèle."}, status=400)
    try:
        async with page.work.writing(school.id) as transaction:
            outcome = await transaction.run(
                contact_families,
                ContactRequest(
                    school.id,
                    template_id,
                    student_ids,
                    parse_day(form.get("du")),
                    parse_day(form.get("au")),
                ),
            )
    except ValidationFailed as exc:
        errors = {
            {"studentIds": "eleves", "templateId": "modele"}.get(e.field, e.field): e.message
            for e in exc.errors
        }
        return await _contacts_page(page, errors=errors, status=400)
    return await _contacts_page(page, outcome=outcome)
