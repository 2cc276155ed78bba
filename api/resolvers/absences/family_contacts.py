"""Telling families about absences: letters (PDF), e-mails and SMS from the school's templates,
and phone calls noted by hand. Every contact is kept on the student's follow-up with the
events it reported, and those events count as notified from then on.

E-mails and SMS are written to the outbox in the same transaction as the contact, so that a
contact is recorded if and only if its message will be sent (``sconet worker``).

The recipients are the student's legal guardians (1 and 2) who receive mail: a letter to
each one with a postal address, an e-mail to each one with an address, an SMS to each one
with a mobile number. A student none of them can be reached for by that channel is
reported, not silently skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import enrollment_clause, get_in_reach, student_in_reach
from api.outbox.queue import enqueue
from api.resolvers.absences.calendar import french_date
from api.resolvers.absences.follow_up import EventSearch, event_query
from api.resolvers.absences.letters import TABLE_FIELD, TABLE_MARK
from api.resolvers.absences.settings import SchoolAbsenceSetup, ensure_defaults, load_setup
from api.resolvers.absences.tallies import StudentTally
from api.resolvers.absences.template_sandbox import TemplateTooCostly, render_each
from api.resolvers.addresses import addresses_with_ids
from api.resolvers.addresses import postal_lines as address_lines
from core import clock
from core.errors import NotFound, ValidationFailed
from db.absences import (
    AbsenceEvent,
    AbsenceSettings,
    ContactChannel,
    EventKind,
    FamilyContact,
    FamilyContactEvent,
    LetterTemplate,
)
from db.addresses import Address
from db.audit import set_actor
from db.enrollments import Enrollment
from db.guardians import Civility, Guardian, GuardianLink
from db.outbox import OutboxChannel, OutboxMessage, OutboxStatus
from db.schools import School
from db.structures import Division
from db.students import Student
from documents.letters import Letter, LetterTable, write_letters

MOBILE = re.compile(r"^(?:\+33|0033|0)([67]\d{8})$")
WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
TABLE_HEADERS = ("Début", "Fin", "Nature", "Motif")


@dataclass
class ContactRequest:
    school_id: int
    template_id: int
    student_ids: list[int]
    # The events reported: unjustified, not yet notified, within the period.
    since: date | None = None
    until: date | None = None


@dataclass
class Unreached:
    student_id: int
    student_name: str
    reason: str


@dataclass
class ContactOutcome:
    contacts: list[FamilyContact] = field(default_factory=list)
    # Every letter of the batch in one file, to print.
    letters_pdf: bytes | None = None
    unreached: list[Unreached] = field(default_factory=list)


@dataclass(frozen=True)
class _Pupil:
    student: Student
    division_code: str | None

    @property
    def name(self) -> str:
        return f"{self.student.family_name} {self.student.first_name}"


def mobile_number(phone: str | None) -> str | None:
    """A French mobile number in international form (+336...), or None."""
    if not phone:
        return None
    match = MOBILE.match(re.sub(r"[\s.\-]", "", phone))
    return f"+33{match.group(1)}" if match else None


def _slot_code(setup: SchoolAbsenceSetup, slot_id: int) -> str:
    slot = setup.slots.get(slot_id)
    return slot.code if slot else "?"


def _day(day: date) -> str:
    return f"{WEEKDAYS_FR[day.weekday()]} {day.strftime('%d/%m/%Y')}"


def _motive(setup: SchoolAbsenceSetup, event: AbsenceEvent) -> str:
    motive = setup.motives.get(event.motive_id) if event.motive_id else None
    return motive.label if motive else "Sans motif"


def table_rows(setup: SchoolAbsenceSetup, events: list[AbsenceEvent]) -> list[list[str]]:
    rows = []
    for event in sorted(events, key=lambda e: (e.start_date, e.id)):
        start = f"{_day(event.start_date)} ({_slot_code(setup, event.start_slot_id)})"
        if event.kind is EventKind.LATENESS:
            rows.append([start, "", f"Retard de {event.minutes_late} min", _motive(setup, event)])
        else:
            end = f"{_day(event.end_date)} ({_slot_code(setup, event.end_slot_id)})"
            rows.append([start, end, "Absence", _motive(setup, event)])
    return rows


def table_text(rows: list[list[str]]) -> str:
    lines = []
    for start, end, nature, motive in rows:
        when = f"du {start} au {end}" if end else f"le {start}"
        lines.append(f"- {nature} {when} : {motive.lower()}")
    return "\n".join(lines)


def salutation(guardian: Guardian | None) -> str:
    """How a letter addresses the guardian: Madame, Monsieur (or both when unknown)."""
    if guardian is None:
        return "Madame, Monsieur"
    return "Monsieur" if guardian.civility is Civility.M else "Madame"


def merge_context(
    school: School,
    settings: AbsenceSettings,
    pupil: _Pupil,
    guardian: Guardian | None,
    tally: StudentTally,
    events: list[AbsenceEvent],
    table: str,
    today: date,
) -> dict[str, Any]:
    first = min(e.start_date for e in events)
    last = max(e.end_date for e in events)
    student = pupil.student
    return {
        "eleve": {
            "nom": student.family_name,
            "prenom": student.first_name,
            "division": pupil.division_code or "",
            "date_naissance": student.birth_date.strftime("%d/%m/%Y"),
        },
        "responsable": {
            "formule": salutation(guardian),
            "civilite": guardian.civility.value if guardian else "",
            "nom": guardian.family_name if guardian else "",
            "prenom": guardian.first_name if guardian else "",
        },
        "etablissement": {
            "nom": school.name,
            "uai": school.uai,
            "adresse": school.address_line,
            "code_postal": school.postal_code,
            "ville": school.city,
            "telephone": school.phone or "",
        },
        "absences": {
            "demi_journees": len(tally.half_days),
            "non_justifiees": len(tally.unjustified),
            "retards": tally.lateness,
            "periode": f"du {first.strftime('%d/%m/%Y')} au {last.strftime('%d/%m/%Y')}",
        },
        TABLE_FIELD: table,
        "date_du_jour": french_date(today),
        "signataire": settings.letter_signature,
    }


def postal_lines(guardian: Guardian, address: Address | None) -> list[str] | None:
    """The guardian's address block, or None without a usable postal address."""
    lines = address_lines(address)
    if lines is None:
        return None
    return [f"{guardian.civility.value} {guardian.first_name} {guardian.family_name}", *lines]


async def guardian_postal_lines(session: AsyncSession, guardian: Guardian) -> list[str] | None:
    """``postal_lines`` with the guardian's address read (from the session when already there)."""
    address = await session.get(Address, guardian.address_id) if guardian.address_id else None
    return postal_lines(guardian, address)


def school_lines(school: School) -> list[str]:
    lines = [school.name, school.address_line, f"{school.postal_code} {school.city}".strip()]
    if school.phone:
        lines.append(f"Tél. {school.phone}")
    if school.email:
        lines.append(school.email)
    lines.append(f"UAI {school.uai}")
    return [line for line in lines if line]


async def _pupils(
    session: AsyncSession, principal: Principal, school_id: int, student_ids: list[int]
) -> dict[int, _Pupil]:
    """The students with the division of their latest enrolment begun by today (a student
    who has left is still written about, under his last division)."""
    rows = (
        await session.execute(
            select(Student, Division.code)
            .join(Enrollment, Enrollment.student_id == Student.id)
            .outerjoin(Division, Division.id == Enrollment.division_id)
            .where(
                Student.id.in_(student_ids),
                Enrollment.school_id == school_id,
                Enrollment.entry_date <= clock.today(),
                enrollment_clause(principal, Permission.ABSENCES_MANAGE),
            )
            .order_by(Student.search_name, Student.id, Enrollment.entry_date, Enrollment.id)
        )
    ).all()
    # Later enrolments come last and replace the earlier ones.
    pupils = {student.id: _Pupil(student, code) for student, code in rows}
    for student_id in student_ids:
        if student_id not in pupils:
            raise NotFound("Student", student_id)
    return pupils


async def _guardians(session: AsyncSession, student_ids: list[int]) -> dict[int, list[Guardian]]:
    """Legal guardians 1 and 2 who receive mail, per student, rank 1 first."""
    found: dict[int, list[Guardian]] = {}
    for student_id, guardian in await session.execute(
        select(GuardianLink.student_id, Guardian)
        .join(Guardian, Guardian.id == GuardianLink.guardian_id)
        .where(
            GuardianLink.student_id.in_(student_ids),
            GuardianLink.legal_rank.in_([1, 2]),
            GuardianLink.receives_mail.is_(True),
        )
        .order_by(GuardianLink.legal_rank)
    ):
        found.setdefault(student_id, []).append(guardian)
    # Read at once: each letter then finds its address in the session.
    await addresses_with_ids(
        session, (g.address_id for guardians in found.values() for g in guardians)
    )
    return found


async def _due_events(
    session: AsyncSession,
    principal: Principal,
    setup: SchoolAbsenceSetup,
    request: ContactRequest,
) -> dict[int, list[AbsenceEvent]]:
    search = EventSearch(
        school_id=setup.school_id,
        first=request.since,
        last=request.until,
        justified=False,
        notified=False,
    )
    query = event_query(principal, search, setup).where(
        AbsenceEvent.student_id.in_(request.student_ids)
    )
    due: dict[int, list[AbsenceEvent]] = {}
    for event, *_ in await session.execute(query.order_by(AbsenceEvent.start_date)):
        due.setdefault(event.student_id, []).append(event)
    return due


@dataclass
class _Batch:
    """What one command writes: the contacts, the letters to print, who could not be reached."""

    session: AsyncSession
    principal: Principal
    school: School
    settings: AbsenceSettings
    setup: SchoolAbsenceSetup
    template: LetterTemplate
    today: date
    outcome: ContactOutcome = field(default_factory=ContactOutcome)
    letters: list[Letter] = field(default_factory=list)

    def letter(self, lines: list[str], subject: str, body: str, rows: list[list[str]]) -> Letter:
        return Letter(
            school_lines=school_lines(self.school),
            recipient_lines=lines,
            place_and_date=f"{self.school.city or self.school.name}, le {french_date(self.today)}",
            subject=subject,
            body=body,
            table_mark=TABLE_MARK,
            table=LetterTable(TABLE_HEADERS, rows),
            signature=self.settings.letter_signature,
            logo=self.settings.logo,
        )

    async def contact(
        self, pupil: _Pupil, guardian: Guardian, events: list[AbsenceEvent]
    ) -> FamilyContact | None:
        channel = self.template.channel
        tally = StudentTally()
        for event in events:
            tally.add(event, self.setup)
        rows = table_rows(self.setup, events)
        table = TABLE_MARK if channel is ContactChannel.LETTER else table_text(rows)
        context = merge_context(
            self.school, self.settings, pupil, guardian, tally, events, table, self.today
        )
        try:
            subject, body = await render_each([self.template.subject, self.template.body], context)
        except TemplateTooCostly as exc:
            # Checked on sample values when saved, a template may still exceed a budget on a
            # student's real data (a loop over a long table).
            raise ValidationFailed.single(
                "templateId", "TOO_COSTLY", f"Modèle refusé : {exc}."
            ) from None
        contact = FamilyContact(
            school_id=self.school.id,
            student_id=pupil.student.id,
            guardian_id=guardian.id,
            channel=channel,
            template_id=self.template.id,
            created_by_label=self.principal.label,
        )
        if channel is ContactChannel.LETTER:
            lines = await guardian_postal_lines(self.session, guardian)
            if lines is None:
                return None
            letter = self.letter(lines, subject, body, rows)
            self.letters.append(letter)
            contact.recipient = ", ".join(lines)
            contact.document = write_letters([letter], title=subject or "Courrier")
        elif channel is ContactChannel.EMAIL:
            if not guardian.email:
                return None
            contact.recipient = guardian.email
            message = enqueue(
                self.session,
                OutboxChannel.EMAIL,
                guardian.email,
                body,
                subject=subject,
                school_id=self.school.id,
            )
            await self.session.flush()
            contact.outbox_message_id = message.id
        else:
            number = mobile_number(guardian.phone_mobile)
            if number is None:
                return None
            contact.recipient = number
            message = enqueue(
                self.session, OutboxChannel.SMS, number, body, school_id=self.school.id
            )
            await self.session.flush()
            contact.outbox_message_id = message.id
        self.session.add(contact)
        await self.session.flush()
        self.session.add_all(
            FamilyContactEvent(contact_id=contact.id, event_id=event.id) for event in events
        )
        return contact


UNREACHABLE = {
    ContactChannel.LETTER: "aucun responsable légal avec une adresse postale",
    ContactChannel.EMAIL: "aucun responsable légal avec une adresse électronique",
    ContactChannel.SMS: "aucun responsable légal avec un numéro de portable",
}


async def _template(session: AsyncSession, school_id: int, template_id: int) -> LetterTemplate:
    template = await session.scalar(
        select(LetterTemplate).where(
            LetterTemplate.id == template_id, LetterTemplate.school_id == school_id
        )
    )
    if template is None or not template.is_active:
        raise ValidationFailed.single(
            "templateId", "UNKNOWN_TEMPLATE", "Ce modèle n'existe pas dans l'établissement."
        )
    return template


@requires(Permission.ABSENCES_MANAGE)
async def contact_families(
    session: AsyncSession, principal: Principal, request: ContactRequest
) -> ContactOutcome:
    """Write to the families of these students about their events still to communicate."""
    if not request.student_ids:
        raise ValidationFailed.single("studentIds", "REQUIRED", "Choisissez au moins un élève.")
    school = await get_in_reach(
        session, principal, Permission.ABSENCES_MANAGE, School, request.school_id, School.id
    )
    set_actor(session.sync_session, principal.audit_actor(school.id))
    settings = await ensure_defaults(session, school)
    template = await _template(session, school.id, request.template_id)
    setup = await load_setup(session, school.id)
    pupils = await _pupils(session, principal, school.id, request.student_ids)
    due = await _due_events(session, principal, setup, request)
    guardians = await _guardians(session, list(pupils))
    batch = _Batch(session, principal, school, settings, setup, template, clock.today())
    now = clock.now()
    for student_id, pupil in pupils.items():
        events = due.get(student_id, [])
        if not events:
            batch.outcome.unreached.append(
                Unreached(student_id, pupil.name, "aucun événement à communiquer")
            )
            continue
        made = [
            contact
            for guardian in guardians.get(student_id, [])
            if (contact := await batch.contact(pupil, guardian, events)) is not None
        ]
        if not made:
            batch.outcome.unreached.append(
                Unreached(student_id, pupil.name, UNREACHABLE[template.channel])
            )
            continue
        batch.outcome.contacts += made
        for event in events:
            event.notified_at = now
    await session.flush()
    if batch.letters:
        batch.outcome.letters_pdf = write_letters(batch.letters)
    return batch.outcome


@requires(Permission.ABSENCES_MANAGE)
async def record_phone_call(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    student_id: int,
    comment: str,
    guardian_id: int | None = None,
    event_ids: list[int] | None = None,
) -> FamilyContact:
    """Note a call to the family; the events it was about count as notified."""
    if not comment.strip():
        raise ValidationFailed.single(
            "comment", "REQUIRED", "Résumez l'appel (avec qui, ce qui a été dit)."
        )
    school = await get_in_reach(
        session, principal, Permission.ABSENCES_MANAGE, School, school_id, School.id
    )
    set_actor(session.sync_session, principal.audit_actor(school.id))
    pupil = (await _pupils(session, principal, school.id, [student_id]))[student_id]
    recipient = ""
    if guardian_id is not None:
        guardian = next(
            (
                g
                for g in (await _guardians(session, [student_id])).get(student_id, [])
                if g.id == guardian_id
            ),
            None,
        )
        if guardian is None:
            raise ValidationFailed.single(
                "guardianId",
                "UNKNOWN_GUARDIAN",
                "Ce responsable n'est pas un responsable légal de l'élève.",
            )
        recipient = f"{guardian.civility.value} {guardian.first_name} {guardian.family_name}"
    events = []
    if event_ids:
        events = list(
            await session.scalars(
                select(AbsenceEvent).where(
                    AbsenceEvent.id.in_(event_ids),
                    AbsenceEvent.student_id == pupil.student.id,
                    AbsenceEvent.school_id == school.id,
                )
            )
        )
        if len(events) != len(set(event_ids)):
            raise ValidationFailed.single(
                "eventIds", "UNKNOWN_EVENT", "Un des événements n'appartient pas à l'élève."
            )
    contact = FamilyContact(
        school_id=school.id,
        student_id=pupil.student.id,
        guardian_id=guardian_id,
        channel=ContactChannel.PHONE,
        recipient=recipient,
        comment=comment.strip(),
        created_by_label=principal.label,
    )
    session.add(contact)
    await session.flush()
    now = clock.now()
    for event in events:
        session.add(FamilyContactEvent(contact_id=contact.id, event_id=event.id))
        event.notified_at = now
    await session.flush()
    return contact


@dataclass
class ContactLine:
    contact: FamilyContact
    # The outbox's delivery status for e-mails and SMS; None for letters and calls.
    delivery: OutboxStatus | None
    delivery_error: str | None
    event_ids: list[int]


@requires(Permission.ABSENCES_READ)
async def student_contacts(
    session: AsyncSession, principal: Principal, student_id: int
) -> list[ContactLine]:
    """The contacts with a student's family, most recent first, in the schools in reach."""
    await _pupil_in_reach(session, principal, student_id)
    rows = (
        await session.execute(
            select(FamilyContact, OutboxMessage.status, OutboxMessage.last_error)
            .outerjoin(OutboxMessage, OutboxMessage.id == FamilyContact.outbox_message_id)
            .where(
                FamilyContact.student_id == student_id,
                FamilyContact.school_id.in_(
                    select(Enrollment.school_id).where(
                        Enrollment.student_id == student_id,
                        enrollment_clause(principal, Permission.ABSENCES_READ),
                    )
                ),
            )
            .order_by(FamilyContact.created_at.desc(), FamilyContact.id.desc())
        )
    ).all()
    ids = [contact.id for contact, _s, _e in rows]
    events: dict[int, list[int]] = {}
    if ids:
        for contact_id, event_id in await session.execute(
            select(FamilyContactEvent.contact_id, FamilyContactEvent.event_id).where(
                FamilyContactEvent.contact_id.in_(ids)
            )
        ):
            events.setdefault(contact_id, []).append(event_id)
    return [
        ContactLine(contact, status, error, sorted(events.get(contact.id, [])))
        for contact, status, error in rows
    ]


@requires(Permission.ABSENCES_MANAGE)
async def phone_call_guardians(
    session: AsyncSession, principal: Principal, student_id: int
) -> list[Guardian]:
    """Whom a call about the student may be noted with: legal guardians 1 and 2, rank 1 first."""
    await student_in_reach(session, principal, student_id, Permission.ABSENCES_MANAGE)
    return list(
        await session.scalars(
            select(Guardian)
            .join(GuardianLink, GuardianLink.guardian_id == Guardian.id)
            .where(GuardianLink.student_id == student_id, GuardianLink.legal_rank.in_([1, 2]))
            .order_by(GuardianLink.legal_rank)
        )
    )


async def _pupil_in_reach(session: AsyncSession, principal: Principal, student_id: int) -> None:
    await student_in_reach(session, principal, student_id, Permission.ABSENCES_READ)


@requires(Permission.ABSENCES_READ)
async def contact_document(
    session: AsyncSession, principal: Principal, contact_id: int
) -> tuple[FamilyContact, bytes]:
    """A printed letter, as it was printed."""
    contact = await get_in_reach(
        session,
        principal,
        Permission.ABSENCES_READ,
        FamilyContact,
        contact_id,
        FamilyContact.school_id,
    )
    await _pupil_in_reach(session, principal, contact.student_id)
    if contact.document is None:
        raise NotFound("FamilyContact", contact_id)
    return contact, contact.document
