"""Notifying activation codes (seed 003, 4.3.2 and 4.4.1): the families portal's address,
the open services, and the codes, by e-mail and/or on paper.

CAR, in mass: only valid codes not yet notified are sent. With both channels chosen, a
guardian with an e-mail address gets an e-mail and the others a letter. A guardian gets one
e-mail or one letter for all of his children in the school. CAE: one letter per student, to
hand out in class. Notifying records the date on each code; a code may be notified again
from the individual screen (a lost letter).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import get_in_reach
from api.outbox.queue import enqueue
from api.resolvers.absences.calendar import french_date
from api.resolvers.absences.family_contacts import (
    guardian_postal_lines,
    salutation,
    school_lines,
)
from api.resolvers.teleservices.codes import (
    AccessLine,
    Population,
    code_sealer,
    list_accesses,
)
from api.resolvers.teleservices.services import open_services
from core import clock
from core.errors import NotFound, ValidationFailed
from db.audit import set_actor
from db.guardians import Guardian
from db.outbox import OutboxChannel
from db.schools import School
from db.students import Student
from db.teleservices import ActivationCode, CodeKind, Teleservice
from documents.letters import Letter, LetterTable, write_letters

SERVICE_LABELS = {
    Teleservice.ABSENCES: "consultation des absences",
    Teleservice.GRADES: "consultation des notes",
}


@dataclass(frozen=True)
class NotificationRequest:
    kind: CodeKind
    population: Population
    by_email: bool = True
    by_letter: bool = True
    # CAR: the legal guardians to notify (1, 2 or both).
    legal_ranks: tuple[int, ...] = (1, 2)


@dataclass(frozen=True)
class Unnotified:
    student_name: str
    holder_name: str
    reason: str


@dataclass
class NotificationOutcome:
    emails: int = 0
    letters: int = 0
    codes: int = 0
    letters_pdf: bytes | None = None
    unnotified: list[Unnotified] = field(default_factory=list)


@dataclass(frozen=True)
class _Child:
    name: str
    division: str | None
    code: str


def _services_text(services: set[Teleservice]) -> str:
    return ", ".join(SERVICE_LABELS[s] for s in Teleservice if s in services)


def _email_body(
    school: School, holder: str, children: list[_Child], services: str, address: str
) -> str:
    lines = [
        f"Bonjour {holder},",
        "",
        f"{school.name} vous ouvre ses télé-services ({services}).",
        f"Pour créer votre compte, rendez-vous sur {address} avec le code d'activation "
        "et la date de naissance de l'élève :",
        "",
    ]
    lines += [
        f"- {child.name}{f' ({child.division})' if child.division else ''} : {child.code}"
        for child in children
    ]
    lines += [
        "",
        "Un seul compte suffit pour tous vos enfants : ajoutez les codes suivants depuis "
        "votre compte. Ne communiquez ce code à personne.",
        "",
        f"{school.name}",
    ]
    return "\n".join(lines)


def _letter(
    school: School,
    recipient: list[str],
    holder: str,
    children: list[_Child],
    services: str,
    address: str,
    today: date,
) -> Letter:
    mark = "\x00codes\x00"
    body = "\n\n".join(
        [
            f"{holder},",
            f"Notre établissement vous ouvre ses télé-services sur Internet ({services}).",
            f"Pour créer votre compte, rendez-vous sur {address} et saisissez le code "
            "d'activation ci-dessous avec la date de naissance de l'élève :",
            mark,
            "Un seul compte suffit pour tous vos enfants, même dans d'autres établissements de "
            "l'académie : ajoutez les codes suivants depuis votre compte. Ce code est "
            "personnel : ne le communiquez à personne. Si vous ne souhaitez pas utiliser les "
            "télé-services, ou si vous perdez ce code, adressez-vous au secrétariat.",
        ]
    )
    return Letter(
        school_lines=school_lines(school),
        recipient_lines=recipient,
        place_and_date=f"{school.city or school.name}, le {french_date(today)}",
        subject="Accès aux télé-services de l'établissement",
        body=body,
        table_mark=mark,
        table=LetterTable(
            ("Élève", "Classe", "Code d'activation"),
            [[c.name, c.division or "", c.code] for c in children],
        ),
        signature="Le chef d'établissement",
    )


async def _school(session: AsyncSession, principal: Principal, school_id: int) -> School:
    school = await get_in_reach(
        session, principal, Permission.TELESERVICES_MANAGE, School, school_id, School.id
    )
    set_actor(session.sync_session, principal.audit_actor(school.id))
    return school


@dataclass
class _Sender:
    session: AsyncSession
    school: School
    services: str
    address: str
    outcome: NotificationOutcome = field(default_factory=NotificationOutcome)
    letters: list[Letter] = field(default_factory=list)

    def notified(self, codes: list[ActivationCode]) -> None:
        now = clock.now()
        for code in codes:
            code.notified_at = now
        self.outcome.codes += len(codes)

    def email(self, to: str, holder: str, children: list[_Child]) -> None:
        enqueue(
            self.session,
            OutboxChannel.EMAIL,
            to,
            _email_body(self.school, holder, children, self.services, self.address),
            subject=f"{self.school.name} : vos codes d'accès aux télé-services",
            school_id=self.school.id,
        )
        self.outcome.emails += 1

    def letter(self, recipient: list[str], holder: str, children: list[_Child]) -> None:
        self.letters.append(
            _letter(
                self.school, recipient, holder, children, self.services, self.address, clock.today()
            )
        )
        self.outcome.letters += 1


async def _sender(
    session: AsyncSession, principal: Principal, school_id: int, families_address: str
) -> _Sender:
    school = await _school(session, principal, school_id)
    services = await open_services(session, school.id)
    if not services:
        raise ValidationFailed.single(
            "service",
            "SERVICES_CLOSED",
            "Tous les télé-services sont fermés : le courrier n'aurait aucun service à annoncer.",
        )
    return _Sender(session, school, _services_text(services), families_address)


@requires(Permission.TELESERVICES_MANAGE)
async def to_notify(
    session: AsyncSession,
    principal: Principal,
    kind: CodeKind,
    population: Population,
    legal_ranks: tuple[int, ...] = (1, 2),
) -> list[AccessLine]:
    """The population's valid codes not yet notified; for CAR, of the chosen legal ranks only
    (the mass notification screen shows them, then sends them)."""
    return [
        line
        for line in await list_accesses(session, principal, kind, population)
        if line.code is not None
        and line.code.notified_at is None
        and (kind is CodeKind.CAE or line.legal_rank in legal_ranks)
    ]


@requires(Permission.TELESERVICES_MANAGE)
async def notify_codes(
    session: AsyncSession,
    principal: Principal,
    request: NotificationRequest,
    secret_key: str,
    families_address: str,
) -> NotificationOutcome:
    """Send every valid, not yet notified code of the population (mass notification)."""
    if not (request.by_email or request.by_letter):
        raise ValidationFailed.single(
            "byEmail", "REQUIRED", "Choisissez le courriel, le courrier, ou les deux."
        )
    sender = await _sender(session, principal, request.population.school_id, families_address)
    lines = await to_notify(
        session, principal, request.kind, request.population, request.legal_ranks
    )
    if not lines:
        raise ValidationFailed.single(
            "population",
            "ALL_NOTIFIED",
            "Toute la population sélectionnée a déjà été notifiée (ou n'a pas de code).",
        )
    sealer = code_sealer(secret_key)
    if request.kind is CodeKind.CAE:
        await _notify_students(session, sender, lines, sealer.open)
    else:
        await _notify_guardians(session, sender, lines, sealer.open, request)
    await session.flush()
    if sender.letters:
        sender.outcome.letters_pdf = write_letters(sender.letters, "Codes d'activation")
    return sender.outcome


async def _notify_students(
    session: AsyncSession, sender: _Sender, lines: list[AccessLine], reveal: Callable[[str], str]
) -> None:
    for line in lines:
        assert line.code is not None
        student = await session.get(Student, line.student_id)
        assert student is not None
        child = _Child(line.student_name, line.division_code, reveal(line.code.sealed_code))
        holder = f"{student.first_name} {student.family_name}"
        sender.letter([holder, f"Classe {line.division_code or ''}".strip()], holder, [child])
        sender.notified([line.code])


async def _notify_guardians(
    session: AsyncSession,
    sender: _Sender,
    lines: list[AccessLine],
    reveal: Callable[[str], str],
    request: NotificationRequest,
) -> None:
    by_guardian: dict[int, list[AccessLine]] = {}
    for line in lines:
        assert line.guardian_id is not None
        by_guardian.setdefault(line.guardian_id, []).append(line)
    for guardian_id, own in by_guardian.items():
        guardian = await session.get(Guardian, guardian_id)
        assert guardian is not None
        children = [
            _Child(line.student_name, line.division_code, reveal(line.code.sealed_code))
            for line in own
            if line.code is not None
        ]
        codes = [line.code for line in own if line.code is not None]
        address = await guardian_postal_lines(session, guardian)
        if request.by_email and guardian.email:
            sender.email(guardian.email, salutation(guardian), children)
        elif request.by_letter and address is not None:
            sender.letter(address, salutation(guardian), children)
        else:
            reason = (
                "pas d'adresse électronique"
                if not request.by_letter
                else "pas d'adresse postale"
                if not request.by_email
                else "ni adresse électronique ni adresse postale"
            )
            for line in own:
                sender.outcome.unnotified.append(
                    Unnotified(line.student_name, line.guardian_name or "", reason)
                )
            continue
        sender.notified(codes)


@requires(Permission.TELESERVICES_MANAGE)
async def notify_one(
    session: AsyncSession,
    principal: Principal,
    code_id: int,
    by_email: bool,
    secret_key: str,
    families_address: str,
) -> NotificationOutcome:
    """Send one valid code again (individual screen), by e-mail or as a letter."""
    code = await get_in_reach(
        session,
        principal,
        Permission.TELESERVICES_MANAGE,
        ActivationCode,
        code_id,
        ActivationCode.school_id,
    )
    if not code.is_valid:
        raise ValidationFailed.single(
            "codeId", "INVALID_CODE", "Seul le code valide peut être notifié."
        )
    sender = await _sender(session, principal, code.school_id, families_address)
    student = await session.get(Student, code.student_id)
    if student is None:
        raise NotFound("Student", code.student_id)
    lines = await list_accesses(
        session, principal, code.kind, Population(code.school_id, student_id=code.student_id)
    )
    line = next(
        (
            candidate
            for candidate in lines
            if candidate.code is not None and candidate.code.id == code.id
        ),
        None,
    )
    if line is None:
        raise NotFound("ActivationCode", code_id)
    child = _Child(
        line.student_name, line.division_code, code_sealer(secret_key).open(code.sealed_code)
    )
    if code.kind is CodeKind.CAE:
        holder = f"{student.first_name} {student.family_name}"
        sender.letter([holder], holder, [child])
    else:
        guardian = await session.get(Guardian, code.guardian_id)
        assert guardian is not None
        address = await guardian_postal_lines(session, guardian)
        if by_email:
            if not guardian.email:
                raise ValidationFailed.single(
                    "byEmail", "NO_EMAIL", "Ce responsable n'a pas d'adresse électronique."
                )
            sender.email(guardian.email, salutation(guardian), [child])
        else:
            if address is None:
                raise ValidationFailed.single(
                    "byEmail", "NO_ADDRESS", "Ce responsable n'a pas d'adresse postale."
                )
            sender.letter(address, salutation(guardian), [child])
    sender.notified([code])
    await session.flush()
    if sender.letters:
        sender.outcome.letters_pdf = write_letters(sender.letters, "Code d'activation")
    return sender.outcome
