"""/rentree: the rentrée switch. The principal sees where the school stands (students still
without a passage decision, planned enrolments, leavers), then confirms; the académie sees
every school and switches them all, each reported."""

from __future__ import annotations

from starlette.responses import Response

from api.resolvers.rentree import (
    AcademyRentree,
    academy_rentree_schools,
    rentree_state,
    switch_academy_rentree,
    switch_rentree,
)
from core.errors import ValidationFailed
from portals.etablissement import destinations
from portals.etablissement.web import Page, page_handler, redirect

OUTCOMES = {
    "switched": "Basculé",
    "already_switched": "Déjà basculé",
    "refused": "Refusé",
}


def _confirming(page: Page) -> bool:
    return page.request.query_params.get("confirmer") == "1"


async def _school_page(page: Page, errors: list[str] | None = None) -> Response:
    school = page.school
    if school is None:
        raise page.refusal(rentree_state)
    state = await page.work.read(rentree_state, school.id)
    return page.render(
        "rentree.html",
        400 if errors else 200,
        academy=False,
        state=state,
        confirming=_confirming(page) and not state.refusals and not state.already_switched,
        errors=errors or [],
        message=page.request.query_params.get("message"),
    )


async def _academy_page(page: Page, report: AcademyRentree | None = None) -> Response:
    schools = await page.work.read(academy_rentree_schools)
    states = [await page.work.read(rentree_state, school.id) for school in schools]
    return page.render(
        "rentree.html",
        academy=True,
        states=states,
        confirming=_confirming(page) and report is None,
        pending=sum(1 for state in states if not state.already_switched),
        report=report,
        outcomes=OUTCOMES,
        errors=[],
        message=None,
    )


@page_handler(destinations.RENTREE)
async def rentree(page: Page) -> Response:
    academy = page.acts_for_academy() and page.may_academy_wide(academy_rentree_schools)
    if page.request.method == "GET":
        return await (_academy_page(page) if academy else _school_page(page))
    if academy:
        return await _academy_page(page, await switch_academy_rentree(page.work))
    school = page.school
    if school is None:
        raise page.refusal(switch_rentree)
    try:
        async with page.work.writing(school.id) as transaction:
            outcome = await transaction.run(switch_rentree, school.id)
    except ValidationFailed as refused:
        return await _school_page(page, [e.message for e in refused.errors])
    done = outcome.rentree
    message = (
        f"Rentrée faite : {done.closed_enrollments} scolarités closes, {done.leavers} élèves "
        f"sortants, {done.ended_accesses} accès aux télé-services fermés."
        if outcome.switched
        else "La rentrée était déjà faite : rien n'a changé."
    )
    return redirect(page.url("/rentree", message=message))
