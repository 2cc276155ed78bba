"""/absences/appel: a teacher's roll call of one of his classes for a slot (the vie scolaire
may take any class's). Everyone is present until marked absent or late; the roll call is
taken once per class and slot."""

from __future__ import annotations

from starlette.responses import Response

from api.resolvers.absences.roll_calls import RollCallEntry, roll_call_sheet, take_roll_call
from api.resolvers.absences.settings import school_setup
from core import clock
from core.errors import NotFound, ValidationFailed
from portals.etablissement import destinations
from portals.etablissement.absences.classes import chosen, class_choices
from portals.etablissement.absences.form_values import form_errors, parse_day
from portals.etablissement.web import Page, page_handler, parse_id, redirect

# The fields of the choice of class, day and slot; the domain's errors named as they are.
CHOICE_FIELDS = {"classe": "classe", "debut_jour": "jour", "debut_creneau": "creneau"}


def _summary(errors: dict[str, str]) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """The errors by field (the choice's fields, ``champ-NAME``, and each student's minutes,
    whose id is ``minutes-N``), the ids of the latter, and the messages of no one field."""
    linked: dict[str, str] = {}
    others: list[str] = []
    for name, message in errors.items():
        if name in CHOICE_FIELDS or name.startswith("minutes-"):
            linked.setdefault(CHOICE_FIELDS.get(name, name), message)
        else:
            others.append(message)
    return linked, {name: name for name in linked if name.startswith("minutes-")}, others


async def _page(
    page: Page,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    message: str = "",
    status: int = 200,
) -> Response:
    school = page.school
    if school is None:
        raise NotFound("School", 0)
    setup = await page.work.read(school_setup, school.id)
    choices = await class_choices(page, roll_call_sheet)
    choice = chosen(choices, values.get("classe")) or (choices[0] if choices else None)
    day = parse_day(values.get("jour")) or clock.today()
    slots = [setup.slots[s.id] for s in setup.grid.slots]
    slot_id = parse_id(values.get("creneau"))
    if slot_id not in setup.slots:
        slot_id = slots[0].id if slots else None
    students: list[tuple[int, str]] = []
    taken = False
    if choice:
        sheet = await page.work.read(
            roll_call_sheet,
            RollCallEntry(school.id, day, slot_id or 0, choice.division_id, choice.group_id),
        )
        students, taken = sheet.students, bool(slot_id and sheet.taken)
    linked, ids, others = _summary(errors or {})
    return page.render(
        "absences/roll_call.html",
        status,
        choices=choices,
        choice=choice,
        day=day,
        slots=slots,
        slot_id=slot_id,
        students=students,
        taken=taken,
        taught=bool(slot_id and setup.calendar.teaches(day, setup.slots[slot_id].half_day)),
        values=values,
        errors=linked,
        error_ids=ids,
        other_errors=others,
        message=message,
    )


@page_handler(destinations.ROLL_CALL)
async def roll_call(page: Page) -> Response:
    params = dict(page.request.query_params)
    message = "Appel enregistré." if params.get("enregistre") else ""
    return await _page(page, params, message=message)


@page_handler(destinations.ROLL_CALL)
async def take(page: Page) -> Response:
    school = page.school
    if school is None:
        raise NotFound("School", 0)
    form = await page.request.form()
    values = {key: str(form.get(key) or "") for key in ("classe", "jour", "creneau")}
    choices = await class_choices(page, take_roll_call)
    choice = chosen(choices, values["classe"])
    day, slot_id = parse_day(values["jour"]), parse_id(values["creneau"])
    if choice is None or day is None or slot_id is None:
        errors = {"classe": "Choisissez la classe, le jour et le créneau."}
        return await _page(page, values, errors, status=400)
    absent, late, errors = [], {}, {}
    for key in form:
        if not key.startswith("presence-"):
            continue
        student_id = parse_id(key.removeprefix("presence-"))
        state = form.get(key)
        if student_id is None:
            continue
        if state == "absent":
            absent.append(student_id)
        elif state == "retard":
            minutes = str(form.get(f"minutes-{student_id}") or "").strip()
            if not minutes.isdigit() or not 1 <= int(minutes) <= 240:
                errors[f"minutes-{student_id}"] = "Retard en minutes (1 à 240)."
            else:
                late[student_id] = int(minutes)
    if errors:
        return await _page(
            page, values | {k: str(form.get(k) or "") for k in form}, errors, status=400
        )
    try:
        async with page.work.writing(school.id) as transaction:
            await transaction.run(
                take_roll_call,
                RollCallEntry(
                    school_id=school.id,
                    day=day,
                    slot_id=slot_id,
                    division_id=choice.division_id,
                    group_id=choice.group_id,
                    absent_student_ids=absent,
                    late=late,
                ),
            )
    except ValidationFailed as exc:
        return await _page(page, values, form_errors(exc.errors), status=400)
    return redirect(
        page.url(
            "/absences/appel",
            classe=choice.key,
            jour=day.isoformat(),
            creneau=slot_id,
            enregistre=1,
        )
    )
