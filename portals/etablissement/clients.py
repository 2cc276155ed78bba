"""/clients: the académie administrator registers third-party API clients, sees them, rotates
their secret and revokes them. A secret is shown once, on the page that created it."""

from __future__ import annotations

from starlette.responses import Response

from api.auth.client_scopes import ALL_SCOPES, SCOPE_LABELS_FR
from api.resolvers.clients import (
    ClientSettings,
    list_clients,
    register_client,
    revoke_client,
    rotate_client_secret,
    schools_to_choose,
)
from core.errors import NotFound, ValidationFailed
from portals.etablissement import destinations
from portals.etablissement.web import Page, page_handler, parse_id, redirect


async def _render(page: Page, status: int = 200, **context: object) -> Response:
    if not page.may_academy_wide(list_clients):
        raise page.refusal(list_clients)
    defaults: dict[str, object] = {
        "field_errors": {},
        "form": {"name": "", "schools": [], "scopes": [], "rate": "600"},
        "created": None,
        "message": page.request.query_params.get("message"),
    }
    return page.render(
        "clients.html",
        status,
        clients=await page.work.read(list_clients),
        schools=await page.work.read(schools_to_choose),
        scopes=[(scope, SCOPE_LABELS_FR[scope]) for scope in ALL_SCOPES],
        **(defaults | context),
    )


@page_handler(destinations.CLIENTS)
async def clients(page: Page) -> Response:
    if page.request.method == "GET":
        return await _render(page)
    form = await page.request.form()
    name = str(form.get("name") or "")
    schools = [str(v) for v in form.getlist("schools")]
    scopes = [str(v) for v in form.getlist("scopes")]
    rate_text = str(form.get("rate") or "")
    rate = int(rate_text) if rate_text.isdigit() and len(rate_text) < 7 else 0
    entered = {"name": name, "schools": schools, "scopes": scopes, "rate": rate_text}
    try:
        async with page.work.writing(None) as transaction:
            registered = await transaction.run(
                register_client,
                ClientSettings(
                    name=name, school_uais=schools, scopes=scopes, requests_per_minute=rate
                ),
            )
    except ValidationFailed as failed:
        errors = {e.field: e.message for e in failed.errors}
        return await _render(page, 400, field_errors=errors, form=entered)
    return await _render(page, created=registered)


@page_handler(destinations.CLIENTS)
async def client_action(page: Page) -> Response:
    key = parse_id(page.request.path_params.get("client_id"))
    action = page.request.path_params.get("action")
    if key is None or action not in ("revoquer", "nouveau-secret"):
        raise NotFound("ApiClient", key)
    async with page.work.writing(None) as transaction:
        if action == "revoquer":
            client = await transaction.run(revoke_client, key)
            message = f"Client « {client.name} » révoqué : ses jetons ne valent plus rien."
        else:
            rotated = await transaction.run(rotate_client_secret, key)
    if action == "revoquer":
        return redirect(page.url("/clients", message=message))
    return await _render(page, created=rotated)
