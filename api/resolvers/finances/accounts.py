"""Family accounts: who pays a student's school fees, and the account a payer has in a
school, which gathers the charges of all his children there."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.resolvers.finances.reach import account_in_reach
from core.errors import ValidationFailed
from db.audit import set_actor
from db.finances import FamilyAccount
from db.guardians import GuardianLink
from db.ids import reserve_ids


async def payers_of(session: AsyncSession, student_ids: Iterable[int]) -> dict[int, int]:
    """Each student's payer (responsable financier): the guardian marked as paying the
    fees (legal guardian 1 first when several are), else legal guardian 1, else 2. A
    student without any is missing from the answer: he cannot be charged."""
    ids = list(set(student_ids))
    payers: dict[int, tuple[tuple[int, int], int]] = {}
    for start in range(0, len(ids), 5000):
        rows = await session.execute(
            select(
                GuardianLink.student_id,
                GuardianLink.guardian_id,
                GuardianLink.pays_fees,
                GuardianLink.legal_rank,
            ).where(GuardianLink.student_id.in_(ids[start : start + 5000]))
        )
        for student_id, guardian_id, pays_fees, legal_rank in rows.all():
            if not pays_fees and legal_rank is None:
                continue
            rank = (0 if pays_fees else 1, legal_rank or 3)
            known = payers.get(student_id)
            if known is None or rank < known[0]:
                payers[student_id] = (rank, guardian_id)
    return {student_id: guardian_id for student_id, (_rank, guardian_id) in payers.items()}


async def accounts_of(
    session: AsyncSession, school_id: int, guardian_ids: Iterable[int]
) -> dict[int, FamilyAccount]:
    """The school's account of each payer, opened when he has none yet (the caller has set
    the audit actor)."""
    ids = list(set(guardian_ids))
    accounts: dict[int, FamilyAccount] = {}
    for start in range(0, len(ids), 5000):
        accounts |= {
            account.guardian_id: account
            for account in await session.scalars(
                select(FamilyAccount).where(
                    FamilyAccount.school_id == school_id,
                    FamilyAccount.guardian_id.in_(ids[start : start + 5000]),
                )
            )
        }
    missing = [g for g in ids if g not in accounts]
    # Given their ids, the new accounts are inserted in batches, not one by one (db.ids).
    fresh = await reserve_ids(session, FamilyAccount.__tablename__, len(missing))
    new = [
        FamilyAccount(id=account_id, school_id=school_id, guardian_id=g)
        for account_id, g in zip(fresh, missing, strict=True)
    ]
    if new:
        session.add_all(new)
        await session.flush()
        accounts |= {account.guardian_id: account for account in new}
    return accounts


@requires(Permission.FINANCES_MANAGE)
async def set_children_elsewhere(
    session: AsyncSession, principal: Principal, account_id: int, children: int
) -> FamilyAccount:
    """Children of the family boarding or half-boarding in public schools outside this base
    (on a certificate): they count for the remise de principe."""
    account = await account_in_reach(session, principal, account_id, Permission.FINANCES_MANAGE)
    if not 0 <= children <= 20:
        raise ValidationFailed.single(
            "children_elsewhere", "OUT_OF_RANGE", "Nombre d'enfants entre 0 et 20."
        )
    set_actor(session.sync_session, principal.audit_actor(account.school_id))
    account.children_elsewhere = children
    await session.flush()
    return account
