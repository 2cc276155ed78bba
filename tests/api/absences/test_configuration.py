"""Changing a school's absence settings: grid, week, zone, closed days, motives, logo."""

from __future__ import annotations

import io
from datetime import date, time

import pytest
from PIL import Image

from api.resolvers.absences.configuration import (
    JustificationInput,
    MotiveInput,
    SlotInput,
    add_closed_day,
    remove_closed_day,
    save_justification,
    save_motive,
    set_logo,
    set_school_week,
    set_time_slots,
    update_absence_settings,
)
from api.resolvers.absences.settings import school_setup
from core.errors import NotFound, ValidationFailed
from db.absences import HalfDay, HolidayZone

M, A = HalfDay.MORNING, HalfDay.AFTERNOON
MONDAY = date(2026, 11, 16)


async def _run(sessionmaker, fn, *args, **kwargs):
    async with sessionmaker() as session, session.begin():
        return await fn(session, *args, **kwargs)


async def _setup(sessionmaker, principal, school):
    return await _run(sessionmaker, school_setup, principal, school)


async def test_the_grid_is_replaced_keeping_used_slots(world, desk, sessionmaker):
    cpe, school = desk.principal, world.school_a
    await desk.absence(world.students["lina"], MONDAY, "M1", MONDAY, "M2")
    m1, m2 = desk.slot("M1"), desk.slot("M2")
    grid = [
        SlotInput("M1", time(8, 30), time(9, 30), M, id=m1),
        SlotInput("M2", time(9, 30), time(10, 30), M, id=m2),
        SlotInput("S1", time(14, 0), time(15, 0), A),
    ]
    saved = await _run(sessionmaker, set_time_slots, cpe, school, grid)
    assert [s.code for s in saved] == ["M1", "M2", "S1"]
    setup = await _setup(sessionmaker, cpe, school)
    assert setup.slots[m1].starts_at == time(8, 30)
    # M2 carries Lina's absence: it cannot go.
    with pytest.raises(ValidationFailed) as refused:
        await _run(sessionmaker, set_time_slots, cpe, school, grid[:1] + grid[2:])
    assert refused.value.errors[0].code == "SLOT_IN_USE" and "M2" in refused.value.errors[0].message
    # Swapping codes works despite the unique codes.
    swapped = [
        SlotInput("M2", time(8, 30), time(9, 30), M, id=m1),
        SlotInput("M1", time(9, 30), time(10, 30), M, id=m2),
        grid[2],
    ]
    await _run(sessionmaker, set_time_slots, cpe, school, swapped)


@pytest.mark.parametrize(
    ("grid", "field", "code"),
    [
        ([], "slots", "REQUIRED"),
        ([SlotInput("M1", time(9), time(8), M)], "slots[0].endsAt", "ENDS_BEFORE_START"),
        (
            [SlotInput("M1", time(8), time(9), M), SlotInput("M2", time(8, 30), time(10), M)],
            "slots[1].startsAt",
            "OVERLAP",
        ),
        (
            [SlotInput("S1", time(8), time(9), A), SlotInput("M2", time(9), time(10), M)],
            "slots[1].halfDay",
            "MORNING_AFTER_AFTERNOON",
        ),
        (
            [SlotInput("M1", time(8), time(9), M), SlotInput("m1", time(9), time(10), M)],
            "slots[1].code",
            "DUPLICATE",
        ),
    ],
)
async def test_bad_grids_name_the_slot(world, desk, sessionmaker, grid, field, code):
    with pytest.raises(ValidationFailed) as refused:
        await _run(sessionmaker, set_time_slots, desk.principal, world.school_a, grid)
    assert (refused.value.errors[0].field, refused.value.errors[0].code) == (field, code)


async def test_week_zone_and_closed_days_change_the_counting(world, desk, sessionmaker):
    cpe, school = desk.principal, world.school_a
    week = {day: (True, True) for day in range(5)}
    await _run(sessionmaker, set_school_week, cpe, school, week)
    setup = await _setup(sessionmaker, cpe, school)
    assert setup.calendar.teaches(date(2026, 11, 18), A)  # Wednesday afternoon now taught
    await _run(sessionmaker, update_absence_settings, cpe, school, HolidayZone.A, "Le CPE")
    closed = await _run(
        sessionmaker, add_closed_day, cpe, school, MONDAY, None, "Journée pédagogique"
    )
    setup = await _setup(sessionmaker, cpe, school)
    assert setup.zone is HolidayZone.A and not setup.calendar.teaches(MONDAY, M)
    with pytest.raises(ValidationFailed) as refused:
        await _run(sessionmaker, add_closed_day, cpe, school, MONDAY, A, "Bac blanc")
    assert refused.value.errors[0].field == "day"
    with pytest.raises(ValidationFailed):
        await _run(sessionmaker, set_school_week, cpe, school, {})
    await _run(sessionmaker, remove_closed_day, cpe, closed.id)
    principal_b = await world.principal(sessionmaker, "principal_b")
    with pytest.raises(NotFound):
        await _run(sessionmaker, add_closed_day, principal_b, school, MONDAY, None, "x")


async def test_motives_and_justifications(world, desk, sessionmaker):
    cpe, school = desk.principal, world.school_a
    motive = await _run(
        sessionmaker,
        save_motive,
        cpe,
        school,
        MotiveInput("CONC", "Concours sportif", "SPO", "#00AA00", True, False),
    )
    setup = await _setup(sessionmaker, cpe, school)
    assert setup.justified(motive.id) and setup.motives[motive.id].colour == "#00aa00"
    renamed = await _run(
        sessionmaker,
        save_motive,
        cpe,
        school,
        MotiveInput("CONC", "Compétition", "NVA", "#00aa00", True, True),
        motive.id,
    )
    assert renamed.id == motive.id
    assert not (await _setup(sessionmaker, cpe, school)).justified(motive.id)
    with pytest.raises(ValidationFailed) as refused:
        await _run(
            sessionmaker,
            save_motive,
            cpe,
            school,
            MotiveInput("MAL", "", "XXX", "rouge", False, False),
        )
    assert {e.field for e in refused.value.errors} == {
        "label",
        "colour",
        "forAbsence",
        "genericCode",
    }
    with pytest.raises(ValidationFailed) as duplicate:
        await _run(
            sessionmaker,
            save_motive,
            cpe,
            school,
            MotiveInput("MAL", "Maladie 2", "MAL", "#123456"),
        )
    assert duplicate.value.errors[0].code == "DUPLICATE"
    proof = await _run(
        sessionmaker, save_justification, cpe, school, JustificationInput("ATT", "Attestation")
    )
    assert proof.code == "ATT"
    teacher = await world.principal(sessionmaker, "teacher_a")
    from api.auth.principal import PermissionDenied

    with pytest.raises(PermissionDenied):
        await _run(sessionmaker, save_justification, teacher, school, JustificationInput("X", "X"))


async def test_logo_must_be_a_small_png_or_jpeg(world, desk, sessionmaker):
    buffer = io.BytesIO()
    Image.new("RGB", (120, 60), "#000091").save(buffer, format="PNG")
    settings = await _run(sessionmaker, set_logo, desk.principal, world.school_a, buffer.getvalue())
    assert settings.logo == buffer.getvalue()
    for content in (b"not an image", b"\x89PNG" + b"0" * (600 * 1024)):
        with pytest.raises(ValidationFailed) as refused:
            await _run(sessionmaker, set_logo, desk.principal, world.school_a, content)
        assert refused.value.errors[0].field == "logo"
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, format="GIF")
    with pytest.raises(ValidationFailed):
        await _run(sessionmaker, set_logo, desk.principal, world.school_a, gif.getvalue())
