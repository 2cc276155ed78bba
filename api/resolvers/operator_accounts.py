"""Staff accounts created from the command line (``sconet create-user``); the portal and
GraphQL manage them through ``api.resolvers.accounts``."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth.passwords import hash_password
from api.auth.rights import ACADEMY_ROLES
from core.errors import FieldError, ValidationFailed
from db.accounts import Role, RoleGrant, StaffUser
from db.audit import AuditActor, set_actor
from db.schools import Academy, School

LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,59}$")
MIN_PASSWORD_LENGTH = 12


def login_errors(login: str) -> list[FieldError]:
    """What is wrong with a new account's login (already lower-cased)."""
    if LOGIN_PATTERN.match(login):
        return []
    return [
        FieldError(
            "login",
            "INVALID",
            "L'identifiant doit compter 3 à 60 caractères : minuscules, chiffres, point, tiret.",
        )
    ]


def identity_errors(login: str, password: str) -> list[FieldError]:
    """What is wrong with a new account's login (already lower-cased) and password."""
    errors = login_errors(login)
    if len(password) < MIN_PASSWORD_LENGTH:
        errors.append(
            FieldError(
                "password",
                "TOO_SHORT",
                f"Le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères.",
            )
        )
    return errors


async def create_staff_user(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    login: str,
    display_name: str,
    role: str,
    school_uai: str | None,
    password: str,
    email: str | None = None,
    actor: AuditActor | None = None,
) -> StaffUser:
    login = login.strip().lower()
    errors = identity_errors(login, password)
    if not display_name.strip():
        errors.append(FieldError("name", "REQUIRED", "Le nom affiché est obligatoire."))
    try:
        parsed_role = Role(role)
    except ValueError:
        errors.append(FieldError("role", "INVALID", "Rôle inconnu."))
        parsed_role = None
    if parsed_role in ACADEMY_ROLES and school_uai:
        errors.append(
            FieldError(
                "school", "INVALID", "Un compte académique n'est pas rattaché à un établissement."
            )
        )
    if parsed_role is not None and parsed_role not in ACADEMY_ROLES and not school_uai:
        errors.append(
            FieldError(
                "school", "REQUIRED", "L'UAI de l'établissement est obligatoire pour ce rôle."
            )
        )
    if errors:
        raise ValidationFailed(errors)
    async with sessionmaker() as session, session.begin():
        set_actor(
            session.sync_session,
            actor or AuditActor(kind="system", id=None, label="sconet create-user"),
        )
        school = None
        if school_uai:
            school = await session.scalar(
                select(School).where(School.uai == school_uai.strip().upper())
            )
            if school is None:
                raise ValidationFailed.single(
                    "school", "NOT_FOUND", f"Aucun établissement d'UAI {school_uai}."
                )
            academy_id = school.academy_id
        else:
            academies = list(await session.scalars(select(Academy.id)))
            if len(academies) != 1:
                raise ValidationFailed.single(
                    "school",
                    "NOT_FOUND",
                    "Aucune académie n'est encore créée (lancez sconet demo ou un import).",
                )
            academy_id = academies[0]
        if await session.scalar(select(StaffUser.id).where(StaffUser.login == login)) is not None:
            raise ValidationFailed.single("login", "DUPLICATE", "Cet identifiant est déjà utilisé.")
        user = StaffUser(
            academy_id=academy_id,
            login=login,
            display_name=display_name.strip(),
            email=email,
            password_hash=hash_password(password),
        )
        session.add(user)
        await session.flush()
        session.add(
            RoleGrant(user_id=user.id, school_id=school.id if school else None, role=parsed_role)
        )
    return user
