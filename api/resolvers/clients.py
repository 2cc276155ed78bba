"""Third-party API clients: registered by an académie administrator with their schools and
scopes; the secret is shown once and only its hash is kept."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.client_scopes import UnknownScope, parse_scopes
from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from core import clock
from core.errors import FieldError, NotFound, ValidationFailed
from db.audit import set_actor
from db.clients import ApiClient, ApiClientSchool
from db.schools import School


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(client: ApiClient, secret: str) -> bool:
    return hmac.compare_digest(client.secret_hash, hash_secret(secret))


@dataclass(frozen=True)
class ClientView:
    client: ApiClient
    school_uais: list[str]


@dataclass(frozen=True)
class RegisteredClient:
    """A client and its secret, which is never shown again."""

    client: ApiClient
    secret: str


@dataclass(frozen=True)
class ClientSettings:
    name: str
    school_uais: list[str]
    scopes: list[str]
    requests_per_minute: int = 600


async def _checked(
    session: AsyncSession, principal: Principal, settings: ClientSettings
) -> tuple[str, list[int], str]:
    errors: list[FieldError] = []
    name = " ".join(settings.name.split())
    if not name:
        errors.append(FieldError("name", "REQUIRED", "Donnez un nom au client."))
    elif len(name) > 120:
        errors.append(FieldError("name", "TOO_LONG", "Le nom compte au plus 120 caractères."))
    uais = sorted({u.strip().upper() for u in settings.school_uais if u.strip()})
    schools = dict(
        (
            await session.execute(
                select(School.uai, School.id).where(
                    School.uai.in_(uais), School.academy_id == principal.academy_id
                )
            )
        ).all()
    )
    if not uais:
        errors.append(FieldError("schools", "REQUIRED", "Choisissez au moins un établissement."))
    for uai in uais:
        if uai not in schools:
            errors.append(
                FieldError(
                    "schools", "UNKNOWN_SCHOOL", f"Établissement inconnu dans l'académie : {uai}."
                )
            )
    try:
        scopes = parse_scopes(settings.scopes)
    except UnknownScope as unknown:
        errors.append(FieldError("scopes", "UNKNOWN_SCOPE", f"Portée inconnue : {unknown.scope}."))
        scopes = frozenset()
    if not scopes and not any(e.field == "scopes" for e in errors):
        errors.append(FieldError("scopes", "REQUIRED", "Choisissez au moins une portée."))
    if not 1 <= settings.requests_per_minute <= 100_000:
        errors.append(
            FieldError(
                "requestsPerMinute",
                "OUT_OF_RANGE",
                "Le débit autorisé est compris entre 1 et 100 000 requêtes par minute.",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return name, [schools[u] for u in uais], " ".join(sorted(scopes))


async def _set_schools(session: AsyncSession, client: ApiClient, school_ids: list[int]) -> None:
    await session.execute(delete(ApiClientSchool).where(ApiClientSchool.client_id == client.id))
    for school_id in school_ids:
        session.add(ApiClientSchool(client_id=client.id, school_id=school_id))


@requires(Permission.CLIENTS_MANAGE)
async def register_client(
    session: AsyncSession, principal: Principal, settings: ClientSettings
) -> RegisteredClient:
    set_actor(session.sync_session, principal.audit_actor())
    name, school_ids, scopes = await _checked(session, principal, settings)
    secret = secrets.token_urlsafe(32)
    client = ApiClient(
        academy_id=principal.academy_id,
        client_id="sconet-" + secrets.token_hex(8),
        secret_hash=hash_secret(secret),
        name=name,
        scopes=scopes,
        requests_per_minute=settings.requests_per_minute,
        created_by_id=principal.id if principal.kind == "staff" else None,
    )
    session.add(client)
    await session.flush()
    await _set_schools(session, client, school_ids)
    await session.flush()
    return RegisteredClient(client, secret)


async def _client_in_reach(session: AsyncSession, principal: Principal, key: int) -> ApiClient:
    client = await session.scalar(
        select(ApiClient).where(ApiClient.id == key, ApiClient.academy_id == principal.academy_id)
    )
    if client is None:
        raise NotFound("ApiClient", key)
    set_actor(session.sync_session, principal.audit_actor())
    return client


@requires(Permission.CLIENTS_MANAGE)
async def update_client(
    session: AsyncSession, principal: Principal, key: int, settings: ClientSettings
) -> ApiClient:
    client = await _client_in_reach(session, principal, key)
    name, school_ids, scopes = await _checked(session, principal, settings)
    client.name, client.scopes = name, scopes
    client.requests_per_minute = settings.requests_per_minute
    await _set_schools(session, client, school_ids)
    await session.flush()
    return client


@requires(Permission.CLIENTS_MANAGE)
async def rotate_client_secret(
    session: AsyncSession, principal: Principal, key: int
) -> RegisteredClient:
    """A new secret; the old one stops working at once (tokens already issued run out)."""
    client = await _client_in_reach(session, principal, key)
    secret = secrets.token_urlsafe(32)
    client.secret_hash = hash_secret(secret)
    await session.flush()
    return RegisteredClient(client, secret)


@requires(Permission.CLIENTS_MANAGE)
async def revoke_client(session: AsyncSession, principal: Principal, key: int) -> ApiClient:
    """The client and every token it holds stop working at once."""
    client = await _client_in_reach(session, principal, key)
    if client.revoked_at is None:
        client.is_active = False
        client.revoked_at = clock.now()
        await session.flush()
    return client


@requires(Permission.CLIENTS_MANAGE)
async def list_clients(session: AsyncSession, principal: Principal) -> list[ClientView]:
    clients = list(
        await session.scalars(
            select(ApiClient)
            .where(ApiClient.academy_id == principal.academy_id)
            .order_by(ApiClient.name, ApiClient.id)
        )
    )
    uais: dict[int, list[str]] = {c.id: [] for c in clients}
    rows = await session.execute(
        select(ApiClientSchool.client_id, School.uai)
        .join(School, School.id == ApiClientSchool.school_id)
        .where(ApiClientSchool.client_id.in_(list(uais)))
        .order_by(School.uai)
    )
    for client_id, uai in rows:
        uais[client_id].append(uai)
    return [ClientView(c, uais[c.id]) for c in clients]


@requires(Permission.CLIENTS_MANAGE)
async def schools_to_choose(session: AsyncSession, principal: Principal) -> list[School]:
    """The académie's schools, among which a client's are chosen."""
    return list(
        await session.scalars(
            select(School).where(School.academy_id == principal.academy_id).order_by(School.uai)
        )
    )
