"""Family accounts in the télé-services database: checking an activation code with the
child's birth date, creating an account or attaching a further code to it, signing in, and
the children an account reaches (through its codes that are still valid).

Everything here reads and writes the télé-services database only.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.guess_counters import GuessCounters
from core.password_policy import password_problem
from tsdb.activation_codes import code_matches, lookup_key, normalised
from tsdb.models import (
    FamilyAccount,
    FamilyCodeUse,
    FamilyFailureCounter,
    FamilyMail,
    FamilySession,
    FamilyToken,
    TsCode,
    TsSchool,
    TsStudent,
)

# Wrong codes and passwords, counted per key (address, login, account) in the database.
COUNTERS = GuessCounters(FamilyFailureCounter)
PASSWORDS = PasswordHasher()
# Verified for an unknown login, so that it takes as long as a wrong password and the answer's
# delay does not tell which logins exist.
_NOBODY_HASH = PASSWORDS.hash(secrets.token_urlsafe(16))
LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,59}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# One message for a wrong code and a wrong date: nothing is told away.
WRONG_CODE = "Code d'activation ou date de naissance incorrects."
# A used code is told only to whoever typed it with the child's birth date: its holder.
USED_CODE = "Ce code a déjà servi à créer un compte : connectez-vous avec ce compte."
SESSION_IDLE = timedelta(minutes=30)
TICKET_LIFETIME = timedelta(minutes=20)
LINK_EXPIRED = "Ce lien n'est plus valable : demandez-en un nouveau."


class AccountError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class CodeAlreadyUsed(AccountError):
    """The code and the birth date are right, but an account already holds the code."""

    def __init__(self) -> None:
        super().__init__("code", USED_CODE)


class LoginTaken(AccountError):
    """The login chosen belongs to an account already: telling so tells that it exists."""

    def __init__(self) -> None:
        super().__init__("login", "Cet identifiant est déjà pris : choisissez-en un autre.")


async def _code_used(ts: AsyncSession, code_id: int) -> bool:
    used = await ts.scalar(select(FamilyCodeUse.id).where(FamilyCodeUse.code_id == code_id))
    return used is not None


async def find_code(ts: AsyncSession, typed: str, birth_date: date | None) -> TsCode:
    """The valid, unused code typed for a child born on ``birth_date``."""
    code = normalised(typed or "")
    if code is None or birth_date is None:
        raise AccountError("code", WRONG_CODE)
    candidates = await ts.scalars(
        select(TsCode).where(TsCode.birth_date == birth_date, TsCode.lookup == lookup_key(code))
    )
    for candidate in candidates:
        if code_matches(candidate.code_hash, code):
            if await _code_used(ts, candidate.id):
                raise CodeAlreadyUsed
            return candidate
    raise AccountError("code", WRONG_CODE)


def ticket(secret_key: str, code_id: int, now: datetime | None = None) -> str:
    """Proof, between the two steps of account creation, that a code was checked."""
    expires = int(((now or clock.now()) + TICKET_LIFETIME).timestamp())
    payload = f"{code_id}.{expires}"
    signature = hmac.new(secret_key.encode(), payload.encode(), hashlib.sha256).hexdigest()
    return f"{payload}.{signature}"


def code_of_ticket(secret_key: str, value: str) -> int | None:
    try:
        code_id, expires, signature = value.split(".")
        expected = hmac.new(
            secret_key.encode(), f"{code_id}.{expires}".encode(), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(signature, expected):
            return None
        if clock.now().timestamp() > int(expires):
            return None
        return int(code_id)
    except ValueError:
        return None


def _check_account(login: str, password: str, confirmation: str, email: str) -> None:
    if not LOGIN.match(login):
        raise AccountError(
            "login", "Identifiant de 3 à 60 caractères : minuscules, chiffres, point, tiret."
        )
    if email and not EMAIL.match(email):
        raise AccountError("email", "Adresse électronique invalide.")
    _check_password(password, confirmation, login=login, email=email)


async def create_account(
    ts: AsyncSession, code_id: int, login: str, password: str, confirmation: str, email: str
) -> FamilyAccount:
    """An account opened with a checked code (the code counts as used from now on).

    The code is checked unused first: once it has opened an account, its step-2 ticket
    proves nothing more, and may not test which logins are taken."""
    login, email = login.strip().lower(), email.strip()
    code = await ts.get(TsCode, code_id)
    if code is None:
        raise AccountError("code", WRONG_CODE)
    if await _code_used(ts, code.id):
        raise CodeAlreadyUsed
    _check_account(login, password, confirmation, email)
    if await ts.scalar(select(FamilyAccount.id).where(FamilyAccount.login == login)):
        raise LoginTaken
    account = FamilyAccount(
        login=login, password_hash=PASSWORDS.hash(password), email=email or None
    )
    ts.add(account)
    await ts.flush()
    await _use(ts, account, code)
    return account


async def _use(ts: AsyncSession, account: FamilyAccount, code: TsCode) -> None:
    ts.add(FamilyCodeUse(account_id=account.id, code_id=code.id))
    try:
        async with ts.begin_nested():
            await ts.flush()
    except IntegrityError:
        # The same code used at the same moment from elsewhere.
        raise CodeAlreadyUsed from None


async def attach_code(ts: AsyncSession, account: FamilyAccount, code: TsCode) -> None:
    """A further child (or the same child's code for another school) on the account."""
    if code.kind == "cae" and await _children(ts, account):
        raise AccountError("code", "Un code élève ouvre un compte élève : il ne s'ajoute pas.")
    await _use(ts, account, code)


async def attach_code_to(
    ts: AsyncSession, account_id: int, typed: str, birth_date: date | None
) -> None:
    """Attach a further code, typed with the child's birth date, to a signed-in account."""
    holder = await ts.get(FamilyAccount, account_id)
    assert holder is not None  # the caller's session holds it
    await attach_code(ts, holder, await find_code(ts, typed, birth_date))


async def sign_in(ts: AsyncSession, login: str, password: str) -> tuple[FamilyAccount, str]:
    """The account and a new session token; one message for any wrong pair."""
    account = await ts.scalar(
        select(FamilyAccount).where(FamilyAccount.login == login.strip().lower())
    )
    try:
        PASSWORDS.verify(account.password_hash if account else _NOBODY_HASH, password)
        if account is None:
            raise VerificationError
    except (VerificationError, InvalidHashError):
        raise AccountError("login", "Identifiant ou mot de passe incorrect.") from None
    return account, await open_session(ts, account)


async def open_session(ts: AsyncSession, account: FamilyAccount) -> str:
    token = secrets.token_urlsafe(32)
    ts.add(
        FamilySession(
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            account_id=account.id,
            csrf_token=secrets.token_urlsafe(24),
        )
    )
    await ts.flush()
    return token


async def session_of(
    ts: AsyncSession, token: str | None
) -> tuple[FamilyAccount, FamilySession] | None:
    if not token:
        return None
    found = await ts.scalar(
        select(FamilySession).where(
            FamilySession.token_hash == hashlib.sha256(token.encode()).hexdigest()
        )
    )
    if found is None:
        return None
    now = clock.now()
    last = (
        found.last_seen_at if found.last_seen_at.tzinfo else found.last_seen_at.replace(tzinfo=UTC)
    )
    if now - last > SESSION_IDLE:
        await ts.delete(found)
        return None
    found.last_seen_at = now
    account = await ts.get(FamilyAccount, found.account_id)
    return (account, found) if account is not None else None


async def close_session(ts: AsyncSession, session: FamilySession) -> None:
    await ts.delete(session)


@dataclass(frozen=True)
class Child:
    id: int
    first_name: str
    family_name: str
    division_code: str | None
    school_name: str
    services: list[str]


async def _children(ts: AsyncSession, account: FamilyAccount) -> list[Child]:
    used = (
        select(TsCode)
        .join(FamilyCodeUse, FamilyCodeUse.code_id == TsCode.id)
        .where(FamilyCodeUse.account_id == account.id)
    )
    used_codes = list(await ts.scalars(used))
    # A guardian subscribing in a school does so for all his children there (seed 003, 1.2):
    # his other valid codes of that school open their children too.
    guardians = {(c.guardian_id, c.school_id) for c in used_codes if c.guardian_id is not None}
    reached = {(c.student_id, c.school_id) for c in used_codes}
    for guardian_id, school_id in guardians:
        for student_id in await ts.scalars(
            select(TsCode.student_id).where(
                TsCode.guardian_id == guardian_id, TsCode.school_id == school_id
            )
        ):
            reached.add((student_id, school_id))
    if not reached:
        return []
    rows = await ts.execute(
        select(TsStudent, TsSchool)
        .join(TsSchool, TsSchool.id == TsStudent.school_id)
        .where(tuple_(TsStudent.student_id, TsStudent.school_id).in_(sorted(reached)))
        .order_by(TsStudent.first_name, TsStudent.id)
    )
    return [
        Child(
            student.id,
            student.first_name,
            student.family_name,
            student.division_code,
            school.name,
            [s for s in school.services.split(",") if s],
        )
        for student, school in rows
    ]


async def children(ts: AsyncSession, account: FamilyAccount) -> list[Child]:
    """The children the account reaches: through its codes still valid (a code invalidated by
    the school closes the access at the next replication)."""
    return await _children(ts, account)


CONFIRMATION_LIFETIME = timedelta(days=2)
RESET_LIFETIME = timedelta(hours=1)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _issue(
    ts: AsyncSession, account: FamilyAccount, purpose: str, email: str, lifetime: timedelta
) -> str:
    token = secrets.token_urlsafe(32)
    ts.add(
        FamilyToken(
            account_id=account.id,
            purpose=purpose,
            token_hash=_token_hash(token),
            email=email,
            expires_at=clock.now() + lifetime,
        )
    )
    await ts.flush()
    return token


def _mail(ts: AsyncSession, to: str, subject: str, body: str) -> None:
    ts.add(FamilyMail(channel="email", recipient=to, subject=subject, body=body))


async def send_confirmation(ts: AsyncSession, account: FamilyAccount, base_url: str) -> None:
    """A link that confirms the account's address (needed to reset a forgotten password)."""
    if not account.email:
        return
    token = await _issue(ts, account, "confirm", account.email, CONFIRMATION_LIFETIME)
    _mail(
        ts,
        account.email,
        "Sconet Télé-services : confirmez votre adresse électronique",
        f"Bonjour,\n\nPour confirmer l'adresse de votre compte « {account.login} », ouvrez ce lien "
        f"dans les deux jours :\n\n{base_url}confirmer?jeton={token}\n\n"
        "Si vous n'avez pas créé de compte, ignorez ce message.",
    )


async def _use_token(ts: AsyncSession, purpose: str, token: str) -> FamilyToken:
    found = await ts.scalar(
        select(FamilyToken).where(
            FamilyToken.token_hash == _token_hash(token or ""), FamilyToken.purpose == purpose
        )
    )
    now = clock.now()
    expires = found.expires_at if found else now
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    if found is None or found.used_at is not None or expires < now:
        raise AccountError("jeton", LINK_EXPIRED)
    found.used_at = now
    return found


async def confirm_email(ts: AsyncSession, token: str) -> FamilyAccount:
    used = await _use_token(ts, "confirm", token)
    account = await ts.get(FamilyAccount, used.account_id)
    if account is None or account.email != used.email:
        raise AccountError("jeton", LINK_EXPIRED)
    account.email_confirmed_at = clock.now()
    return account


async def request_reset(ts: AsyncSession, who: str, base_url: str) -> None:
    """A reset link to the confirmed address of the account named by login or address; the
    answer is the same whether one exists or not."""
    who = who.strip().lower()
    account = await ts.scalar(
        select(FamilyAccount).where(
            (FamilyAccount.login == who) | (func.lower(FamilyAccount.email) == who)
        )
    )
    if account is None or not account.email or account.email_confirmed_at is None:
        return
    token = await _issue(ts, account, "reset", account.email, RESET_LIFETIME)
    _mail(
        ts,
        account.email,
        "Sconet Télé-services : nouveau mot de passe",
        f"Bonjour,\n\nPour choisir un nouveau mot de passe pour le compte « {account.login} », "
        f"ouvrez ce lien dans l'heure :\n\n{base_url}nouveau-mot-de-passe?jeton={token}\n\n"
        "Si vous n'avez rien demandé, ignorez ce message : votre mot de passe ne change pas.",
    )


def _check_password(password: str, confirmation: str, *, login: str, email: str | None) -> None:
    problem = password_problem(password, login=login, email=email or "")
    if problem is not None:
        raise AccountError("password", problem)
    if password != confirmation:
        raise AccountError("confirmation", "Les deux mots de passe diffèrent.")


async def reset_password(ts: AsyncSession, token: str, password: str, confirmation: str) -> None:
    """A new password from a reset link; every session of the account ends."""
    used = await _use_token(ts, "reset", token)
    account = await ts.get(FamilyAccount, used.account_id)
    assert account is not None
    # A refused password rolls the caller's transaction back: the link stays usable.
    _check_password(password, confirmation, login=account.login, email=account.email)
    account.password_hash = PASSWORDS.hash(password)
    await ts.execute(delete(FamilySession).where(FamilySession.account_id == account.id))


async def change_password(
    ts: AsyncSession,
    session: FamilySession,
    account: FamilyAccount,
    current: str,
    password: str,
    confirmation: str,
) -> None:
    """A new password chosen while signed in: the account's other sessions end (whoever
    knew the old password is signed out), the one that changed it goes on."""
    try:
        PASSWORDS.verify(account.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise AccountError("current", "Mot de passe actuel incorrect.") from None
    _check_password(password, confirmation, login=account.login, email=account.email)
    account.password_hash = PASSWORDS.hash(password)
    await ts.execute(
        delete(FamilySession).where(
            FamilySession.account_id == account.id, FamilySession.id != session.id
        )
    )
