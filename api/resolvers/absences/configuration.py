"""Changing a school's absence settings: its grid of slots, the half-days it teaches each
weekday, its holiday zone, closed days, motives, justifications, and what its letters carry
(logo, signature). Everything is audited; a slot that events use cannot be removed.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time

from PIL import Image, UnidentifiedImageError
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import get_in_reach
from api.resolvers.absences.colours import check_motive_colour
from api.resolvers.absences.settings import ensure_defaults
from core.errors import FieldError, ValidationFailed
from db.absences import (
    AbsenceEvent,
    AbsenceMotive,
    AbsenceSettings,
    ClosedDay,
    GenericMotive,
    HalfDay,
    HolidayZone,
    Justification,
    RollCall,
    SchoolWeekday,
    TimeSlot,
)
from db.audit import set_actor
from db.schools import School

CODE = re.compile(r"^[A-Z0-9_-]{1,10}$")
LOGO_MAX_BYTES = 512 * 1024
LOGO_FORMATS = {"PNG", "JPEG"}
# A few hundred kilobytes of PNG can hold 12000 x 12000 pixels (400 MB once decoded): the
# size in pixels is bounded too, read from the header before anything is decoded.
LOGO_MAX_SIDE = 6000
LOGO_MAX_PIXELS = 24_000_000
# Letters print the logo at most 4 x 2.5 cm: 600 x 375 pixels is 380 dpi. A larger one is
# stored downscaled to this once, so that no letter has to scale it again.
LOGO_STORED_SIZE = (600, 375)
# Pillow's own guard against decompression bombs, for any image this process opens.
Image.MAX_IMAGE_PIXELS = LOGO_MAX_PIXELS


@dataclass
class SlotInput:
    code: str
    starts_at: time
    ends_at: time
    half_day: HalfDay
    # The slot kept (its events stay on it); None: a new slot.
    id: int | None = None


@dataclass
class MotiveInput:
    code: str
    label: str
    generic_code: str
    colour: str
    for_absence: bool = True
    for_lateness: bool = True
    is_active: bool = True


@dataclass
class JustificationInput:
    code: str
    label: str
    is_active: bool = True


async def _settings(
    session: AsyncSession, principal: Principal, school_id: int
) -> tuple[School, AbsenceSettings]:
    school = await get_in_reach(
        session, principal, Permission.ABSENCES_MANAGE, School, school_id, School.id
    )
    set_actor(session.sync_session, principal.audit_actor(school.id))
    return school, await ensure_defaults(session, school)


@dataclass(frozen=True)
class ConfigurationForms:
    """What the settings page fills its forms with, beside the school's setup."""

    settings: AbsenceSettings | None
    week: dict[int, SchoolWeekday]  # by weekday, Monday = 0
    closed_days: list[ClosedDay]
    generic_motives: list[GenericMotive]


@requires(Permission.ABSENCES_MANAGE)
async def configuration_forms(
    session: AsyncSession, principal: Principal, school_id: int
) -> ConfigurationForms:
    school = await get_in_reach(
        session, principal, Permission.ABSENCES_MANAGE, School, school_id, School.id
    )
    week = await session.scalars(select(SchoolWeekday).where(SchoolWeekday.school_id == school.id))
    closed = await session.scalars(
        select(ClosedDay).where(ClosedDay.school_id == school.id).order_by(ClosedDay.day)
    )
    generic = await session.scalars(select(GenericMotive).order_by(GenericMotive.code))
    return ConfigurationForms(
        await session.get(AbsenceSettings, school.id),
        {row.weekday: row for row in week},
        list(closed),
        list(generic),
    )


def _check_slots(slots: Sequence[SlotInput]) -> None:
    errors: list[FieldError] = []
    if not slots:
        errors.append(FieldError("slots", "REQUIRED", "La grille compte au moins un créneau."))
    codes = [slot.code.strip().upper() for slot in slots]
    for n, slot in enumerate(slots):
        where = f"slots[{n}]"
        if not CODE.match(codes[n]):
            errors.append(FieldError(f"{where}.code", "INVALID", "Code de 1 à 10 caractères."))
        elif codes[n] in codes[:n]:
            errors.append(
                FieldError(f"{where}.code", "DUPLICATE", f"Le code {codes[n]} est en double.")
            )
        if slot.starts_at >= slot.ends_at:
            errors.append(
                FieldError(
                    f"{where}.endsAt", "ENDS_BEFORE_START", f"{codes[n]} finit avant de commencer."
                )
            )
    ordered = sorted(range(len(slots)), key=lambda n: slots[n].starts_at)
    for before, after in itertools.pairwise(ordered):
        if slots[after].starts_at < slots[before].ends_at:
            errors.append(
                FieldError(
                    f"slots[{after}].startsAt",
                    "OVERLAP",
                    f"{codes[after]} commence avant la fin de {codes[before]}.",
                )
            )
        if slots[before].half_day is HalfDay.AFTERNOON and slots[after].half_day is HalfDay.MORNING:
            errors.append(
                FieldError(
                    f"slots[{after}].halfDay",
                    "MORNING_AFTER_AFTERNOON",
                    f"{codes[after]} est du matin mais suit un créneau de l'après-midi.",
                )
            )
    if errors:
        raise ValidationFailed(errors)


async def _slot_in_use(session: AsyncSession, slot_id: int) -> bool:
    used = await session.scalar(
        select(func.count())
        .select_from(AbsenceEvent)
        .where(or_(AbsenceEvent.start_slot_id == slot_id, AbsenceEvent.end_slot_id == slot_id))
    )
    called = await session.scalar(
        select(func.count()).select_from(RollCall).where(RollCall.slot_id == slot_id)
    )
    return bool(used or called)


@requires(Permission.ABSENCES_MANAGE)
async def set_time_slots(
    session: AsyncSession, principal: Principal, school_id: int, slots: Sequence[SlotInput]
) -> list[TimeSlot]:
    """Replace the school's grid: slots given with an id are changed, others created, and
    those left out removed, unless events or roll calls use them."""
    school, _settings_row = await _settings(session, principal, school_id)
    _check_slots(slots)
    existing = {
        slot.id: slot
        for slot in await session.scalars(select(TimeSlot).where(TimeSlot.school_id == school.id))
    }
    for n, entry in enumerate(slots):
        if entry.id is not None and entry.id not in existing:
            raise ValidationFailed.single(
                f"slots[{n}].id", "UNKNOWN_SLOT", "Ce créneau n'existe pas dans la grille."
            )
    kept = {entry.id for entry in slots if entry.id is not None}
    for slot_id, slot in existing.items():
        if slot_id in kept:
            continue
        if await _slot_in_use(session, slot_id):
            raise ValidationFailed.single(
                "slots",
                "SLOT_IN_USE",
                f"Le créneau {slot.code} porte des absences ou des appels : "
                "modifiez ses horaires plutôt que de le supprimer.",
            )
        await session.delete(slot)
    # Codes are unique per school: free the codes of kept slots before renaming any.
    await session.flush()
    for slot_id in kept:
        existing[slot_id].code = f"~{slot_id}"
    await session.flush()
    saved = []
    for entry in slots:
        slot = existing[entry.id] if entry.id is not None else TimeSlot(school_id=school.id)
        slot.code = entry.code.strip().upper()
        slot.starts_at, slot.ends_at, slot.half_day = entry.starts_at, entry.ends_at, entry.half_day
        session.add(slot)
        saved.append(slot)
    await session.flush()
    return sorted(saved, key=lambda s: s.starts_at)


@requires(Permission.ABSENCES_MANAGE)
async def set_school_week(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    week: dict[int, tuple[bool, bool]],
) -> list[SchoolWeekday]:
    """The half-days taught each weekday (0 is Monday): (morning, afternoon)."""
    school, _settings_row = await _settings(session, principal, school_id)
    if any(not 0 <= day <= 6 for day in week):
        raise ValidationFailed.single("weekdays", "INVALID", "Jour de la semaine invalide.")
    if not any(morning or afternoon for morning, afternoon in week.values()):
        raise ValidationFailed.single(
            "weekdays", "NO_CLASS", "L'établissement enseigne au moins une demi-journée."
        )
    rows = {
        row.weekday: row
        for row in await session.scalars(
            select(SchoolWeekday).where(SchoolWeekday.school_id == school.id)
        )
    }
    for day in range(7):
        morning, afternoon = week.get(day, (False, False))
        row = rows.get(day) or SchoolWeekday(school_id=school.id, weekday=day)
        row.morning, row.afternoon = morning, afternoon
        session.add(row)
        rows[day] = row
    await session.flush()
    return [rows[day] for day in range(7)]


@requires(Permission.ABSENCES_MANAGE)
async def update_absence_settings(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    holiday_zone: HolidayZone,
    letter_signature: str,
) -> AbsenceSettings:
    _school, settings = await _settings(session, principal, school_id)
    if len(letter_signature) > 120:
        raise ValidationFailed.single(
            "letterSignature", "TOO_LONG", "La signature compte au plus 120 caractères."
        )
    settings.holiday_zone = HolidayZone(holiday_zone)
    settings.letter_signature = letter_signature.strip()
    await session.flush()
    return settings


def _not_an_image() -> ValidationFailed:
    return ValidationFailed.single(
        "logo", "NOT_AN_IMAGE", "Le logo doit être une image PNG ou JPEG."
    )


def _too_many_pixels(size: str) -> ValidationFailed:
    return ValidationFailed.single(
        "logo",
        "TOO_MANY_PIXELS",
        f"Le logo mesure au plus {LOGO_MAX_SIDE} pixels de côté et "
        f"{LOGO_MAX_PIXELS // 1_000_000} millions de pixels{size} : réduisez-le.",
    )


def check_logo(content: bytes) -> None:
    """Refuse what is not a PNG or JPEG logo of bounded bytes and pixels, without decoding."""
    if len(content) > LOGO_MAX_BYTES:
        raise ValidationFailed.single("logo", "TOO_LARGE", "Le logo pèse au plus 512 ko.")
    try:
        with Image.open(io.BytesIO(content)) as image:
            image_format = image.format
            width, height = image.size
            if width > LOGO_MAX_SIDE or height > LOGO_MAX_SIDE or width * height > LOGO_MAX_PIXELS:
                raise _too_many_pixels(f" (celui-ci : {width} × {height})")
            image.verify()
    except Image.DecompressionBombError:
        raise _too_many_pixels("") from None
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise _not_an_image() from None
    if image_format not in LOGO_FORMATS:
        raise _not_an_image()


def stored_logo(content: bytes) -> bytes:
    """The logo as kept: checked, and downscaled once if it is larger than letters print it."""
    check_logo(content)
    with Image.open(io.BytesIO(content)) as image:
        if image.width <= LOGO_STORED_SIZE[0] and image.height <= LOGO_STORED_SIZE[1]:
            return content
        image_format = image.format or "PNG"
        try:
            smaller = image.convert("RGBA" if image_format == "PNG" else "RGB")
            smaller.thumbnail(LOGO_STORED_SIZE, Image.Resampling.LANCZOS)
        except (OSError, SyntaxError, ValueError):
            # verify() passed but the pixels do not decode (a truncated file).
            raise _not_an_image() from None
    output = io.BytesIO()
    if image_format == "JPEG":
        smaller.save(output, format="JPEG", quality=90)
    else:
        smaller.save(output, format="PNG", optimize=True)
    return output.getvalue()


@requires(Permission.ABSENCES_MANAGE)
async def set_logo(
    session: AsyncSession, principal: Principal, school_id: int, content: bytes | None
) -> AbsenceSettings:
    """The logo printed on the school's letters; None removes it."""
    _school, settings = await _settings(session, principal, school_id)
    if content is not None:
        # Decoding and scaling take a moment of CPU: never in the event loop.
        content = await asyncio.to_thread(stored_logo, content)
    settings.logo = content
    await session.flush()
    return settings


def _check_code_label(code: str, label: str) -> list[FieldError]:
    errors = []
    if not CODE.match(code):
        errors.append(FieldError("code", "INVALID", "Code de 1 à 10 majuscules ou chiffres."))
    if not label.strip() or len(label) > 80:
        errors.append(
            FieldError("label", "REQUIRED", "Libellé obligatoire (80 caractères au plus).")
        )
    return errors


@requires(Permission.ABSENCES_MANAGE)
async def save_motive(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    entry: MotiveInput,
    motive_id: int | None = None,
) -> AbsenceMotive:
    """Create a motive, or change the one with ``motive_id``; each is tied to a generic motive."""
    school, _settings_row = await _settings(session, principal, school_id)
    code = entry.code.strip().upper()
    errors = _check_code_label(code, entry.label)
    errors += check_motive_colour(entry.colour)
    if not (entry.for_absence or entry.for_lateness):
        errors.append(
            FieldError("forAbsence", "REQUIRED", "Le motif s'applique aux absences ou aux retards.")
        )
    generic = await session.scalar(
        select(GenericMotive.id).where(GenericMotive.code == entry.generic_code)
    )
    if generic is None:
        errors.append(
            FieldError("genericCode", "UNKNOWN", "Choisissez un motif générique national.")
        )
    if errors:
        raise ValidationFailed(errors)
    motive = (
        await get_in_reach(
            session,
            principal,
            Permission.ABSENCES_MANAGE,
            AbsenceMotive,
            motive_id,
            AbsenceMotive.school_id,
        )
        if motive_id is not None
        else AbsenceMotive(school_id=school.id)
    )
    if motive.school_id != school.id:
        raise ValidationFailed.single(
            "id", "OTHER_SCHOOL", "Ce motif est d'un autre établissement."
        )
    await _unique(session, AbsenceMotive, school.id, code, motive_id)
    motive.code, motive.label = code, entry.label.strip()
    motive.generic_motive_id = generic  # type: ignore[assignment]
    motive.colour = entry.colour.lower()
    motive.for_absence, motive.for_lateness = entry.for_absence, entry.for_lateness
    motive.is_active = entry.is_active
    session.add(motive)
    await session.flush()
    return motive


@requires(Permission.ABSENCES_MANAGE)
async def motive_justifies(
    session: AsyncSession, principal: Principal, motive: AbsenceMotive
) -> bool:
    """Whether the absences given ``motive`` are justified: its generic motive is legitimate."""
    generic = await session.get(GenericMotive, motive.generic_motive_id)
    return bool(generic and generic.legitimate)


async def _unique(
    session: AsyncSession,
    model: type[AbsenceMotive] | type[Justification],
    school_id: int,
    code: str,
    row_id: int | None,
) -> None:
    other = await session.scalar(
        select(model.id).where(model.school_id == school_id, model.code == code)
    )
    if other is not None and other != row_id:
        raise ValidationFailed.single("code", "DUPLICATE", f"Le code {code} est déjà pris.")


@requires(Permission.ABSENCES_MANAGE)
async def save_justification(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    entry: JustificationInput,
    justification_id: int | None = None,
) -> Justification:
    school, _settings_row = await _settings(session, principal, school_id)
    code = entry.code.strip().upper()
    errors = _check_code_label(code, entry.label)
    if errors:
        raise ValidationFailed(errors)
    justification = (
        await get_in_reach(
            session,
            principal,
            Permission.ABSENCES_MANAGE,
            Justification,
            justification_id,
            Justification.school_id,
        )
        if justification_id is not None
        else Justification(school_id=school.id)
    )
    if justification.school_id != school.id:
        raise ValidationFailed.single(
            "id", "OTHER_SCHOOL", "Ce justificatif est d'un autre établissement."
        )
    await _unique(session, Justification, school.id, code, justification_id)
    justification.code, justification.label = code, entry.label.strip()
    justification.is_active = entry.is_active
    session.add(justification)
    await session.flush()
    return justification


@requires(Permission.ABSENCES_MANAGE)
async def add_closed_day(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    day: date,
    half_day: HalfDay | None,
    label: str,
) -> ClosedDay:
    """A day (or half-day) without class beyond the national calendar."""
    school, _settings_row = await _settings(session, principal, school_id)
    if not label.strip():
        raise ValidationFailed.single("label", "REQUIRED", "Indiquez la raison de la fermeture.")
    clash = await session.scalar(
        select(ClosedDay.id).where(
            ClosedDay.school_id == school.id,
            ClosedDay.day == day,
            or_(ClosedDay.half_day.is_(None), ClosedDay.half_day == half_day)
            if half_day is not None
            else ClosedDay.day == day,
        )
    )
    if clash is not None:
        raise ValidationFailed.single(
            "day", "DUPLICATE", "Une fermeture est déjà enregistrée ce jour-là."
        )
    closed = ClosedDay(school_id=school.id, day=day, half_day=half_day, label=label.strip()[:80])
    session.add(closed)
    await session.flush()
    return closed


@requires(Permission.ABSENCES_MANAGE)
async def remove_closed_day(session: AsyncSession, principal: Principal, closed_day_id: int) -> int:
    closed = await get_in_reach(
        session,
        principal,
        Permission.ABSENCES_MANAGE,
        ClosedDay,
        closed_day_id,
        ClosedDay.school_id,
    )
    set_actor(session.sync_session, principal.audit_actor(closed.school_id))
    await session.delete(closed)
    await session.flush()
    return closed_day_id
