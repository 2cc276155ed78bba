"""What the server's operator does through the ``sconet`` command: he acts as the
académie's system administrator, with no staff account of his own."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.principal import Principal
from api.resolvers.invitations import Invitation, InvitedAccount, create_invited_account, invite
from api.resolvers.operator_accounts import login_errors
from core.errors import FieldError, ValidationFailed
from db.accounts import Role, RoleGrant, StaffUser
from db.audit import AuditActor, set_actor
from db.reference import load_absence_references, load_scholarship_scales
from db.schools import Academy, School

COMMAND_LINE = "sconet (ligne de commande)"


async def command_line_administrator(session: AsyncSession) -> Principal | None:
    """The académie's administrator as the command line acts, or None before any académie."""
    academy_id = await session.scalar(select(Academy.id).order_by(Academy.id))
    if academy_id is None:
        return None
    return Principal(
        kind="system",
        id=None,
        label=COMMAND_LINE,
        academy_id=academy_id,
        grants=frozenset({(None, Role.ACADEMY_ADMIN)}),
    )


async def command_line_operator(session: AsyncSession, school_uai: str | None) -> Principal | None:
    """The command line acting for a school, as its principal would (imports, exports), and
    for the académie as its administrator; None before any académie. An unknown UAI is
    refused naming the option."""
    administrator = await command_line_administrator(session)
    if administrator is None or school_uai is None:
        return administrator
    school_id = await session.scalar(
        select(School.id).where(
            School.uai == school_uai.strip().upper(),
            School.academy_id == administrator.academy_id,
        )
    )
    if school_id is None:
        raise ValidationFailed.single("school", "NOT_FOUND", f"Aucun établissement {school_uai}.")
    return Principal(
        kind="system",
        id=None,
        label=COMMAND_LINE,
        academy_id=administrator.academy_id,
        grants=frozenset({(None, Role.ACADEMY_ADMIN), (school_id, Role.PRINCIPAL)}),
    )


async def load_national_references(session: AsyncSession) -> tuple[int, int]:
    """Load the national references every school relies on (generic motives, holiday
    periods, the scholarship tables), after each migration; loading them again adds
    nothing. Returns the motives and periods counted."""
    await load_scholarship_scales(session)
    return await load_absence_references(session)


ACADEMY_CODE = re.compile(r"^[0-9A-Z]{2,3}$")


async def create_academy(
    session: AsyncSession,
    *,
    code: str,
    name: str,
    admin_login: str,
    admin_name: str,
    admin_email: str | None,
    portal_address: str,
) -> Invitation:
    """A fresh académie (``sconet academy create``): the académie and its first
    administrator, invited to choose his password (the link is returned: no mail may be
    configured yet). One deployment serves one académie: refused when one exists."""
    errors = []
    code = code.strip().upper()
    if not ACADEMY_CODE.match(code):
        errors.append(
            FieldError(
                "code", "INVALID", "Le code de l'académie compte 2 ou 3 caractères (ex. 24)."
            )
        )
    name = " ".join(name.split())
    if not name or len(name) > 80:
        errors.append(
            FieldError("name", "INVALID", "Le nom de l'académie compte 1 à 80 caractères.")
        )
    if errors:
        raise ValidationFailed(errors)
    if await session.scalar(select(Academy.id).limit(1)) is not None:
        raise ValidationFailed.single(
            "code", "EXISTS", "La base contient déjà une académie : une seule par installation."
        )
    set_actor(session.sync_session, AuditActor(kind="system", id=None, label=COMMAND_LINE))
    session.add(Academy(code=code, name=name))
    await session.flush()
    principal = await command_line_administrator(session)
    assert principal is not None
    email = (admin_email or "").strip()
    if email:
        return await create_invited_account(
            session,
            principal,
            InvitedAccount(admin_login, admin_name, Role.ACADEMY_ADMIN.value, email),
            portal_address=portal_address,
        )
    # No e-mail: the link printed on the console is the only way in.
    errors = login_errors(admin_login.strip().lower())
    if errors:
        raise ValidationFailed(errors)
    user = StaffUser(
        academy_id=principal.academy_id,
        login=admin_login.strip().lower(),
        display_name=" ".join(admin_name.split()) or admin_login,
        password_hash=None,
    )
    session.add(user)
    await session.flush()
    session.add(RoleGrant(user_id=user.id, school_id=None, role=Role.ACADEMY_ADMIN))
    await session.flush()
    return await invite(session, principal, user, portal_address=portal_address)
