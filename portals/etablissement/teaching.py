"""/divisions/services: the teachers' services of the school for a year; the principal and the
secretariat add and remove them, the principal creates a teacher's account (no password: the
teacher is invited)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from api.resolvers.invitations import invite, invite_teachers_without_password
from api.resolvers.nomenclatures import list_subjects
from api.resolvers.structures import list_divisions, list_groups
from api.resolvers.teaching import (
    assign_teaching,
    create_teacher,
    list_teachers,
    list_teaching_assignments,
    unassign_teaching,
)
from core.errors import NotFound, ValidationFailed
from portals.etablissement import destinations
from portals.etablissement.web import Page, page_handler, parse_id, redirect

PATH = "/divisions/services"
SERVICE_FORM = {"teacher_id": "", "structure": "", "subject_id": ""}
TEACHER_FORM = {"family_name": "", "first_name": "", "email": ""}
# The domain's fields named otherwise on the form: one list offers divisions and groups.
FORM_FIELDS = {"division_id": "structure", "group_id": "structure"}


def _school_and_year(page: Page) -> tuple[int, int]:
    if page.school is None or page.year is None:
        raise NotFound("School", None)
    if not page.may(list_teaching_assignments, page.school.id):
        raise page.refusal(list_teaching_assignments)
    return page.school.id, page.year.id


async def _render(page: Page, status: int = 200, **context: Any) -> Response:
    school_id, year_id = _school_and_year(page)
    values: dict[str, Any] = {
        "service_form": SERVICE_FORM,
        "service_errors": {},
        "teacher_form": TEACHER_FORM,
        "teacher_errors": {},
        "message": page.request.query_params.get("message"),
    } | context
    divisions = await page.work.read(list_divisions, school_id, year_id)
    groups = await page.work.read(list_groups, school_id, year_id)
    return page.render(
        "divisions/services.html",
        status,
        services=await page.work.read(list_teaching_assignments, school_id, year_id),
        teacher_options=[
            (t.id, t.display_name + ("" if t.is_active else " (désactivé)"))
            for t in await page.work.read(list_teachers, school_id)
        ],
        structure_options=[(f"d-{s.division.id}", f"Division {s.division.code}") for s in divisions]
        + [(f"g-{s.group.id}", f"Groupe {s.group.code}") for s in groups],
        subject_options=[
            (s.id, f"{s.short_label} ({s.code})")
            for s in await page.work.read(list_subjects, school_id)
        ],
        can_create_teacher=page.may(create_teacher, school_id),
        can_invite=page.may(invite_teachers_without_password, school_id),
        **values,
    )


def _year_url(page: Page, message: str) -> str:
    year = page.request.query_params.get("annee")
    return page.url(PATH, annee=year, message=message)


@page_handler(destinations.STRUCTURES)
async def services(page: Page) -> Response:
    if page.request.method == "GET":
        return await _render(page)
    school_id, _year_id = _school_and_year(page)
    form = await page.request.form()
    entered = {key: str(form.get(key) or "") for key in SERVICE_FORM}
    kind, _, raw_id = entered["structure"].partition("-")
    data: dict[str, Any] = {
        "school_id": school_id,
        "teacher_id": entered["teacher_id"],
        "division_id": raw_id if kind == "d" else None,
        "group_id": raw_id if kind == "g" else None,
        "subject_id": entered["subject_id"],
    }
    try:
        async with page.work.writing(school_id) as transaction:
            view = await transaction.run(assign_teaching, data)
    except ValidationFailed as failed:
        errors: dict[str, str] = {}
        for error in failed.errors:
            errors.setdefault(FORM_FIELDS.get(error.field, error.field), error.message)
        return await _render(page, 400, service_form=entered, service_errors=errors)
    return redirect(
        _year_url(page, f"Service ajouté : {view.teacher.display_name}, {view.structure_code}.")
    )


@page_handler(destinations.STRUCTURES)
async def remove_service(page: Page) -> Response:
    school_id, _year_id = _school_and_year(page)
    assignment_id = parse_id(page.request.path_params.get("assignment_id"))
    if assignment_id is None:
        raise NotFound("TeachingAssignment", assignment_id)
    async with page.work.writing(school_id) as transaction:
        view = await transaction.run(unassign_teaching, assignment_id)
    return redirect(
        _year_url(page, f"Service retiré : {view.teacher.display_name}, {view.structure_code}.")
    )


@page_handler(destinations.STRUCTURES)
async def new_teacher(page: Page) -> Response:
    school_id, _year_id = _school_and_year(page)
    if not page.may(create_teacher, school_id):
        raise page.refusal(create_teacher)
    form = await page.request.form()
    entered = {key: str(form.get(key) or "") for key in TEACHER_FORM}
    try:
        async with page.work.writing(school_id) as transaction:
            user = await transaction.run(create_teacher, {"school_id": school_id, **entered})
            invitation = await transaction.run(
                invite, user, portal_address=page.services.settings.api_issuer()
            )
    except ValidationFailed as failed:
        errors = {e.field: e.message for e in failed.errors}
        return await _render(page, 400, teacher_form=entered, teacher_errors=errors)
    sent = (
        "Une invitation à choisir son mot de passe lui est envoyée par courriel."
        if invitation.emailed
        else "Sans adresse électronique, il ne peut pas être invité : ajoutez-la depuis Comptes."
    )
    return redirect(
        _year_url(
            page, f"Compte enseignant créé : {user.display_name} (identifiant {user.login}). {sent}"
        )
    )


@page_handler(destinations.STRUCTURES)
async def invite_teachers(page: Page) -> Response:
    """The teachers of the school without a password (an STS-WEB import creates them so)
    receive the link to choose one."""
    school_id, _year_id = _school_and_year(page)
    if not page.may(invite_teachers_without_password, school_id):
        raise page.refusal(invite_teachers_without_password)
    async with page.work.writing(school_id) as transaction:
        invitations = await transaction.run(
            invite_teachers_without_password,
            school_id,
            portal_address=page.services.settings.api_issuer(),
        )
    emailed = sum(1 for i in invitations if i.emailed)
    without = [i.user.display_name for i in invitations if not i.emailed]
    message = f"{emailed} invitation(s) envoyée(s) par courriel."
    if without:
        message += (
            " Sans adresse électronique, à compléter dans Comptes : " + ", ".join(without) + "."
        )
    return redirect(_year_url(page, message))
