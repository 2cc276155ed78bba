"""Absences and lateness (vie scolaire): each school's grid and calendar, motives, events.

A school defines its own time slots (M1 08:00-08:55 ... S4), which belong
to the morning or the afternoon half-day, the weekdays it teaches on (a
collège often has no Wednesday afternoon) and the holiday zone whose
calendar applies. Motives are the school's own, each tied to a national
generic motive so that académie and national statistics add up.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Audited, Base, Timestamped, Versioned, enum_column, utcnow


class HalfDay(enum.StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"


class EventKind(enum.StrEnum):
    ABSENCE = "absence"
    LATENESS = "lateness"


class EventSource(enum.StrEnum):
    """Who recorded the event: vie scolaire on the grid, a teacher's roll call, a third party."""

    VIE_SCOLAIRE = "vie_scolaire"
    ROLL_CALL = "roll_call"
    CLIENT = "client"


class HolidayZone(enum.StrEnum):
    A = "A"
    B = "B"
    C = "C"
    CORSE = "Corse"


class AbsenceSettings(Audited, Timestamped, Base):
    """A school's absence settings; created with the defaults on first use."""

    __tablename__ = "absence_settings"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    holiday_zone: Mapped[HolidayZone] = mapped_column(enum_column(HolidayZone, 8))
    # The school's logo on its letters (PNG or JPEG, at most 512 kB).
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Who signs the letters ("La conseillère principale d'éducation").
    letter_signature: Mapped[str] = mapped_column(String(120), default="")


class TimeSlot(Audited, Base):
    """One period of the school's entry grid (a "demi-période" of the seed's screens)."""

    __tablename__ = "time_slots"
    __table_args__ = (
        UniqueConstraint("school_id", "code"),
        CheckConstraint("starts_at < ends_at", name="starts_before_it_ends"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    code: Mapped[str] = mapped_column(String(8))
    starts_at: Mapped[time]
    ends_at: Mapped[time]
    half_day: Mapped[HalfDay] = mapped_column(enum_column(HalfDay, 10))


class SchoolWeekday(Audited, Base):
    """Whether the school teaches on a weekday's morning and afternoon (0 is Monday)."""

    __tablename__ = "school_weekdays"
    __table_args__ = (CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_0_to_6"),)

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    weekday: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    morning: Mapped[bool]
    afternoon: Mapped[bool]


class HolidayPeriod(Base):
    """School holidays of a zone, from the ministry's calendar: no class from ``first_day``
    to ``last_day`` included (the official "fin des cours" Saturday to the Sunday before
    "reprise")."""

    __tablename__ = "holiday_periods"
    __table_args__ = (UniqueConstraint("zone", "first_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    zone: Mapped[HolidayZone] = mapped_column(enum_column(HolidayZone, 8))
    label: Mapped[str] = mapped_column(String(80))
    first_day: Mapped[date]
    last_day: Mapped[date]


class ClosedDay(Audited, Base):
    """A day or half-day a school does not teach beyond the national calendar
    (exam centre, pedagogical day)."""

    __tablename__ = "closed_days"
    __table_args__ = (UniqueConstraint("school_id", "day", "half_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    day: Mapped[date]
    # Empty: the whole day.
    half_day: Mapped[HalfDay | None] = mapped_column(enum_column(HalfDay, 10))
    label: Mapped[str] = mapped_column(String(80))


class GenericMotive(Base):
    """A national generic motive (nomenclature): what académie and national statistics count.

    ``legitimate`` motives make an absence justified in the sense of the
    national indicator (Code de l'éducation, art. L131-8); the others leave it
    unjustified whatever paper the family brings.
    """

    __tablename__ = "generic_motives"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    label: Mapped[str] = mapped_column(String(120))
    legitimate: Mapped[bool]


class AbsenceMotive(Audited, Timestamped, Base):
    __tablename__ = "absence_motives"
    __table_args__ = (
        UniqueConstraint("school_id", "code"),
        CheckConstraint("for_absence OR for_lateness", name="applies_to_something"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    code: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(80))
    generic_motive_id: Mapped[int] = mapped_column(ForeignKey("generic_motives.id"))
    # "#rrggbb", the event's colour on the grid.
    colour: Mapped[str] = mapped_column(String(7))
    for_absence: Mapped[bool] = mapped_column(default=True)
    for_lateness: Mapped[bool] = mapped_column(default=True)
    is_active: Mapped[bool] = mapped_column(default=True)


class Justification(Audited, Timestamped, Base):
    """A kind of proof the school accepts (medical certificate, parents' note...)."""

    __tablename__ = "justifications"
    __table_args__ = (UniqueConstraint("school_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    code: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(80))
    is_active: Mapped[bool] = mapped_column(default=True)


class AbsenceEvent(Audited, Versioned, Timestamped, Base):
    """An absence from (day, slot) to (day, slot), or a lateness at one slot.

    Regularisation (motive, justification) updates the event; the audit log
    keeps every previous state.
    """

    __tablename__ = "absence_events"
    __table_args__ = (
        Index("ix_absence_events_student_start", "student_id", "start_date"),
        Index("ix_absence_events_school_start", "school_id", "start_date"),
        CheckConstraint("start_date <= end_date", name="starts_before_it_ends"),
        CheckConstraint(
            "(kind = 'lateness') = (minutes_late IS NOT NULL)", name="minutes_for_lateness_only"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind, 10))
    start_date: Mapped[date]
    start_slot_id: Mapped[int] = mapped_column(ForeignKey("time_slots.id"))
    end_date: Mapped[date]
    end_slot_id: Mapped[int] = mapped_column(ForeignKey("time_slots.id"))
    minutes_late: Mapped[int | None]
    motive_id: Mapped[int | None] = mapped_column(ForeignKey("absence_motives.id"))
    justification_id: Mapped[int | None] = mapped_column(ForeignKey("justifications.id"))
    justified_at: Mapped[datetime | None]
    source: Mapped[EventSource] = mapped_column(enum_column(EventSource, 16))
    noted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    noted_by_label: Mapped[str] = mapped_column(String(120))
    comment: Mapped[str | None] = mapped_column(Text)
    # The last time the family was told (letter, e-mail, SMS).
    notified_at: Mapped[datetime | None]


class RollCall(Audited, Base):
    """A teacher's roll call (appel) of a division or group at one slot, absentees or not."""

    __tablename__ = "roll_calls"
    __table_args__ = (
        # NULLs never collide: each constraint holds for its own kind of roll call.
        UniqueConstraint("division_id", "day", "slot_id"),
        UniqueConstraint("group_id", "day", "slot_id"),
        CheckConstraint("(division_id IS NULL) <> (group_id IS NULL)", name="division_or_group"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    division_id: Mapped[int | None] = mapped_column(ForeignKey("divisions.id"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"))
    day: Mapped[date]
    slot_id: Mapped[int] = mapped_column(ForeignKey("time_slots.id"))
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContactChannel(enum.StrEnum):
    LETTER = "letter"
    EMAIL = "email"
    SMS = "sms"
    # A phone call made by the vie scolaire, recorded by hand.
    PHONE = "phone"


class LetterTemplate(Audited, Timestamped, Base):
    """A school's model of letter, e-mail or SMS to families, with merge fields
    (``{{ eleve.prenom }}``, ``{{ tableau_absences }}``...) filled from Base élèves."""

    __tablename__ = "letter_templates"
    __table_args__ = (UniqueConstraint("school_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    code: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(80))
    channel: Mapped[ContactChannel] = mapped_column(enum_column(ContactChannel, 8))
    # The e-mail's subject or the letter's "Objet" line.
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(default=True)


class FamilyContact(Audited, Base):
    """A communication with a student's family about absences, kept on the student's follow-up:
    a letter printed, an e-mail or SMS queued (its delivery is the outbox message's), a call."""

    __tablename__ = "family_contacts"
    __table_args__ = (Index("ix_family_contacts_student", "student_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    guardian_id: Mapped[int | None] = mapped_column(ForeignKey("guardians.id"))
    channel: Mapped[ContactChannel] = mapped_column(enum_column(ContactChannel, 8))
    template_id: Mapped[int | None] = mapped_column(ForeignKey("letter_templates.id"))
    # The address, e-mail or number used, as it was then.
    recipient: Mapped[str] = mapped_column(String(300))
    outbox_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"))
    # The letter as printed, so that it can be printed again identically.
    document: Mapped[bytes | None] = mapped_column(LargeBinary)
    comment: Mapped[str | None] = mapped_column(Text)
    created_by_label: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FamilyContactEvent(Audited, Base):
    """The events a contact told the family about."""

    __tablename__ = "family_contact_events"

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("family_contacts.id", ondelete="CASCADE"), primary_key=True
    )
    event_id: Mapped[int] = mapped_column(
        ForeignKey("absence_events.id", ondelete="CASCADE"), primary_key=True, index=True
    )
