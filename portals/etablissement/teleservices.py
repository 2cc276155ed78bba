"""/teleservices: the Télé-services screens of the seed (003, section 4) for the principal
and those he delegated: services and grades publication, accesses of guardians (CAR) and of
students (CAE) in mass, their notification, and the individual management of a code.

Notifying with letters answers with the PDF itself, as SCONET did: the codes are recorded as
notified, so the page says to keep the file.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.datastructures import FormData
from starlette.responses import Response

from api.resolvers.nomenclatures import list_mefs
from api.resolvers.structures import list_divisions
from api.resolvers.teleservices import availability, codes, notifications, services
from api.resolvers.vocabulary import CodeKind, GradesPublication, Teleservice
from core.clock import PARIS
from core.errors import NotFound, ValidationFailed
from portals.etablissement import destinations
from portals.etablissement.web import Page, page_handler, parse_id, redirect

KINDS = {"responsables": CodeKind.CAR, "eleves": CodeKind.CAE}
SERVICE_LABELS = {
    Teleservice.ABSENCES: "Consultation des absences",
    Teleservice.GRADES: "Consultation des notes",
}
PDF_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Disposition": 'attachment; filename="codes-activation.pdf"',
}
SAVED = {
    "service": "Télé-services enregistrés.",
    "publication": "Type de publication enregistré.",
    "echeance": "Dates d'échéance enregistrées.",
    "acces": "Accès enregistrés.",
    "notification": "Notification faite.",
    "code": "Nouveau code créé : l'ancien est invalidé.",
    "retrait": "Accès retiré : le code est invalidé.",
}


def _school_id(page: Page) -> int:
    if page.school is None:
        raise NotFound("School", 0)
    return page.school.id


def _message(page: Page) -> str:
    return SAVED.get(page.request.query_params.get("enregistre") or "", "")


@page_handler(destinations.TELESERVICES)
async def home(page: Page) -> Response:
    school_id = _school_id(page)
    state = await page.work.read(services.school_services, school_id)
    publication = await page.work.read(services.grades_publication, school_id)
    return page.render(
        "teleservices/home.html",
        state=state,
        labels=SERVICE_LABELS,
        publication=publication,
        message=_message(page),
        error="",
    )


@page_handler(destinations.TELESERVICES)
async def save_services(page: Page) -> Response:
    """POST /teleservices: open or close each service; the grades publication."""
    school_id = _school_id(page)
    form = await page.request.form()
    try:
        async with page.work.writing(school_id) as transaction:
            if form.get("partie") == "publication":
                await transaction.run(
                    services.set_grades_publication,
                    school_id,
                    GradesPublication(str(form.get("publication") or "continuous")),
                    confirm_deleting_deadlines=form.get("confirmer") == "1",
                )
                saved = "publication"
            elif form.get("partie") == "echeance":
                day = _day(form.get("jour"))
                pairs = [_pair(value) for value in form.getlist("couples")]
                if form.get("action") == "supprimer":
                    await transaction.run(services.remove_deadline, school_id, day, pairs)
                else:
                    await transaction.run(services.add_deadline, school_id, day, pairs)
                saved = "echeance"
            else:
                for service in Teleservice:
                    await transaction.run(
                        services.set_service,
                        school_id,
                        service,
                        f"ouvert-{service.value}" in form,
                    )
                saved = "service"
    except ValidationFailed as exc:
        state = await page.work.read(services.school_services, school_id)
        publication = await page.work.read(services.grades_publication, school_id)
        return page.render(
            "teleservices/home.html",
            400,
            state=state,
            labels=SERVICE_LABELS,
            publication=publication,
            message="",
            error=exc.errors[0].message,
            confirm=exc.errors[0].code == "CONFIRMATION_REQUIRED",
        )
    return redirect(f"/teleservices?enregistre={saved}")


def _day(raw: Any) -> date:
    try:
        return date.fromisoformat(str(raw or ""))
    except ValueError:
        raise ValidationFailed.single("day", "INVALID", "Choisissez une date valide.") from None


def _pair(raw: Any) -> tuple[int, int]:
    mef, _, division = str(raw).partition("-")
    mef_id, division_id = parse_id(mef), parse_id(division)
    if mef_id is None or division_id is None:
        raise ValidationFailed.single("pairs", "INVALID", "Couple MEF / division invalide.")
    return mef_id, division_id


def _population(page: Page, source: Any, school_id: int) -> codes.Population:
    return codes.Population(
        school_id, parse_id(source.get("mef")), parse_id(source.get("division"))
    )


async def _choices(page: Page, school_id: int) -> dict[str, Any]:
    year = page.year.id if page.year else None
    return {
        "mefs": await page.work.read(list_mefs, school_id),
        "divisions": [s.division for s in await page.work.read(list_divisions, school_id, year)],
    }


def _line_key(line: codes.AccessLine) -> str:
    return f"{line.student_id}:{line.guardian_id or ''}"


def _parse_key(raw: Any) -> tuple[int, int | None] | None:
    student, _, guardian = str(raw).partition(":")
    student_id = parse_id(student)
    if student_id is None:
        return None
    return student_id, parse_id(guardian)


# The mass screens' query string: the population, the access filter, the page.
ACCESS_QUERY = ("mef", "division", "etat", "page")


def _access_filter(raw: Any) -> codes.AccessFilter:
    known = {a.value for a in codes.AccessFilter}
    return codes.AccessFilter(raw if raw in known else codes.AccessFilter.ALL.value)


@page_handler(destinations.TELESERVICES)
async def accesses(page: Page) -> Response:
    """GET /teleservices/{responsables|eleves}: a page of the population's accesses, by
    division, to give or take."""
    school_id = _school_id(page)
    who = page.request.path_params["who"]
    kind = KINDS.get(who)
    if kind is None:
        raise NotFound("Page", 0)
    params = page.request.query_params
    access = _access_filter(params.get("etat"))
    shown = await page.work.read(
        codes.access_page,
        kind,
        _population(page, params, school_id),
        access,
        parse_id(params.get("page")) or 1,
    )
    query = {k: params.get(k, "") for k in ("mef", "division", "etat")}
    return page.render(
        "teleservices/accesses.html",
        who=who,
        kind=kind,
        shown=shown,
        lines=shown.lines,
        line_key=_line_key,
        params=params,
        access=access,
        page_url=lambda number: page.url(f"/teleservices/{who}", **query, page=number),
        message=_message(page),
        error=params.get("erreur", ""),
        **await _choices(page, school_id),
    )


async def _apply_accesses(page: Page, kind: CodeKind, form: FormData, school_id: int) -> None:
    population = _population(page, form, school_id)
    whole_division = parse_id(form.get("tout_cocher"))
    async with page.work.writing(school_id) as transaction:
        if whole_division is not None:
            # "Tout cocher" of a division: every line of it, on every page, gets a code.
            await transaction.run(
                codes.generate_codes,
                kind,
                codes.Population(school_id, population.mef_id, whole_division),
                page.services.settings.secret_key,
            )
            return
        shown = [key for key in (_parse_key(v) for v in form.getlist("lignes")) if key]
        checked = {key for key in (_parse_key(v) for v in form.getlist("choisis")) if key}
        to_give = [key for key in shown if key in checked]
        if to_give:
            await transaction.run(
                codes.generate_codes,
                kind,
                population,
                page.services.settings.secret_key,
                chosen=to_give,
            )
        await transaction.run(
            codes.withdraw_unnotified, kind, school_id, [key for key in shown if key not in checked]
        )


@page_handler(destinations.TELESERVICES)
async def save_accesses(page: Page) -> Response:
    """POST /teleservices/{who}: checked lines get a code, unchecked unnotified ones lose it;
    or a whole division gets codes. Back to the same filters and page."""
    school_id = _school_id(page)
    who = page.request.path_params["who"]
    kind = KINDS.get(who)
    if kind is None:
        raise NotFound("Page", 0)
    form = await page.request.form()
    query = {k: str(form.get(k) or "") for k in ACCESS_QUERY}
    query["etat"] = _access_filter(query["etat"]).value
    try:
        await _apply_accesses(page, kind, form, school_id)
    except ValidationFailed as exc:
        return redirect(page.url(f"/teleservices/{who}", **query, erreur=exc.errors[0].message))
    return redirect(page.url(f"/teleservices/{who}", **query, enregistre="acces"))


@page_handler(destinations.TELESERVICES)
async def notification(page: Page) -> Response:
    """GET /teleservices/{who}/notification: who would be notified; POST: notify them."""
    school_id = _school_id(page)
    who = page.request.path_params["who"]
    kind = KINDS.get(who)
    if kind is None:
        raise NotFound("Page", 0)
    source: Any = (
        await page.request.form() if page.request.method == "POST" else page.request.query_params
    )
    population = _population(page, source, school_id)
    ranks = tuple(r for r in (1, 2) if str(r) in (source.getlist("qualite") or ["1", "2"]))
    by_email = kind is CodeKind.CAR and (
        source.get("courriel") == "1" or (page.request.method == "GET" and "courriel" not in source)
    )
    by_letter = source.get("courrier") == "1" or (
        page.request.method == "GET" and "courrier" not in source
    )
    error = ""
    if page.request.method == "POST":
        try:
            async with page.work.writing(school_id) as transaction:
                outcome = await transaction.run(
                    notifications.notify_codes,
                    notifications.NotificationRequest(kind, population, by_email, by_letter, ranks),
                    page.services.settings.secret_key,
                    page.services.settings.families_address,
                )
        except ValidationFailed as exc:
            error = exc.errors[0].message
        else:
            if outcome.letters_pdf:
                return Response(
                    outcome.letters_pdf, media_type="application/pdf", headers=PDF_HEADERS
                )
            return redirect(
                page.url(f"/teleservices/{who}/notification", enregistre="notification")
            )
    lines = await page.work.read(notifications.to_notify, kind, population, ranks)
    return page.render(
        "teleservices/notification.html",
        400 if error else 200,
        who=who,
        kind=kind,
        lines=lines,
        source=source,
        ranks=ranks,
        by_email=by_email,
        by_letter=by_letter,
        message=_message(page),
        error=error,
        **await _choices(page, school_id),
    )


@page_handler(destinations.TELESERVICES)
async def code(page: Page) -> Response:
    """GET /teleservices/code?eleve=&responsable=: a pair's (or a student's) codes; POST acts."""
    school_id = _school_id(page)
    source: Any = (
        await page.request.form() if page.request.method == "POST" else page.request.query_params
    )
    student_id = parse_id(source.get("eleve"))
    guardian_id = parse_id(source.get("responsable"))
    if student_id is None:
        raise NotFound("Student", 0)
    back = page.url("/teleservices/code", eleve=student_id, responsable=guardian_id)
    error = ""
    if page.request.method == "POST":
        action = source.get("action")
        settings = page.services.settings
        try:
            async with page.work.writing(school_id) as transaction:
                if action == "nouveau":
                    await transaction.run(
                        codes.regenerate_code,
                        school_id,
                        student_id,
                        guardian_id,
                        settings.secret_key,
                    )
                    saved = "code"
                elif action == "retirer":
                    await transaction.run(codes.revoke_access, school_id, student_id, guardian_id)
                    saved = "retrait"
                elif action in ("courriel", "courrier"):
                    code_id = parse_id(source.get("code"))
                    if code_id is None:
                        raise ValidationFailed.single(
                            "codeId", "INVALID_CODE", "Aucun code valide."
                        )
                    outcome = await transaction.run(
                        notifications.notify_one,
                        code_id,
                        action == "courriel",
                        settings.secret_key,
                        settings.families_address,
                    )
                    saved = "notification"
                else:
                    raise NotFound("Action", 0)
        except ValidationFailed as exc:
            error = exc.errors[0].message
        else:
            if saved == "notification" and outcome.letters_pdf:
                return Response(
                    outcome.letters_pdf, media_type="application/pdf", headers=PDF_HEADERS
                )
            return redirect(f"{back}&enregistre={saved}")
    history = await page.work.read(
        codes.code_history,
        school_id,
        student_id,
        guardian_id,
        page.services.settings.secret_key,
    )
    kind = CodeKind.CAR if guardian_id else CodeKind.CAE
    lines = await page.work.read(
        codes.list_accesses, kind, codes.Population(school_id, student_id=student_id)
    )
    line = next(
        (
            found
            for found in lines
            if found.student_id == student_id and found.guardian_id == guardian_id
        ),
        None,
    )
    if line is None:
        raise NotFound("Student", student_id)
    valid = next((view for view in history if view.row.is_valid), None)
    return page.render(
        "teleservices/code.html",
        400 if error else 200,
        line=line,
        kind=kind,
        history=history,
        valid=valid,
        usable=_usable(
            await page.work.read(availability.code_availability, valid.row.id) if valid else None
        ),
        message=_message(page),
        error=error,
    )


def _usable(known: availability.CodeAvailability | None) -> str:
    """When the family can use the valid code: the families portal knows it only once a
    replication has carried it."""
    if known is None:
        return ""
    if known.usable_now:
        return "Code utilisable par la famille dès maintenant."
    if known.expected_at is None:
        return "Code utilisable par la famille après la prochaine réplication."
    at = known.expected_at.astimezone(PARIS)
    return f"Code utilisable par la famille après la prochaine réplication, vers {at:%H:%M}."
