"""A school's logo is bounded in pixels, not only in bytes, and stored at the size letters
print it: a small file of huge dimensions is refused before it is decoded, a large photo is
downscaled once, and letters carry the stored logo."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image
from pypdf import PdfReader

from api.resolvers.absences.configuration import LOGO_MAX_BYTES, set_logo
from api.resolvers.absences.family_contacts import ContactRequest, contact_families
from api.resolvers.absences.letters import school_templates
from core.errors import ValidationFailed
from tests.api.absences.scenario import NOVEMBER, november


async def _run(sessionmaker, fn, *args):
    async with sessionmaker() as session, session.begin():
        return await fn(session, *args)


def _png(size: tuple[int, int], mode: str = "RGB", color: object = "#000091") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def huge_png() -> bytes:
    # 144 million pixels in a few kilobytes: what was accepted, then slowed every letter.
    content = _png((12000, 12000), mode="1", color=1)
    assert len(content) < LOGO_MAX_BYTES
    return content


# Pillow warns of a possible bomb above the limit while it reads the header; the logo's
# own check then refuses it.
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("size", [(6001, 100), (100, 6001), (5000, 5000)])
async def test_a_logo_too_large_in_pixels_is_refused_naming_the_limit(
    world, desk, sessionmaker, size
):
    with pytest.raises(ValidationFailed) as refused:
        await _run(sessionmaker, set_logo, desk.principal, world.school_a, _png(size, "1", 1))
    [error] = refused.value.errors
    assert (error.field, error.code) == ("logo", "TOO_MANY_PIXELS")
    assert "6000 pixels de côté et 24 millions de pixels" in error.message
    assert f"{size[0]} × {size[1]}" in error.message


async def test_a_bomb_of_pixels_is_refused_before_it_is_decoded(
    world, desk, sessionmaker, huge_png
):
    started = time.monotonic()
    with pytest.raises(ValidationFailed) as refused:
        await _run(sessionmaker, set_logo, desk.principal, world.school_a, huge_png)
    [error] = refused.value.errors
    assert error.code == "TOO_MANY_PIXELS" and "6000 pixels de côté" in error.message
    # Decoding it would take seconds and hundreds of megabytes; reading its header does not.
    assert time.monotonic() - started < 3.0


async def test_a_large_logo_is_stored_downscaled_and_printed_on_letters(world, desk, sessionmaker):
    settings = await _run(
        sessionmaker, set_logo, desk.principal, world.school_a, _png((3000, 2000))
    )
    with Image.open(io.BytesIO(settings.logo)) as stored:
        assert stored.format == "PNG"
        assert stored.size in ((562, 375), (563, 375))
    small = _png((120, 60))
    kept = await _run(sessionmaker, set_logo, desk.principal, world.school_a, small)
    # A logo already small enough is kept as sent.
    assert kept.logo == small

    photo = io.BytesIO()
    Image.new("RGB", (1200, 1200), "#e1000f").save(photo, format="JPEG")
    settings = await _run(sessionmaker, set_logo, desk.principal, world.school_a, photo.getvalue())
    with Image.open(io.BytesIO(settings.logo)) as stored:
        assert (stored.format, stored.size) == ("JPEG", (375, 375))

    await november(world, desk)
    async with sessionmaker() as session, session.begin():
        templates = {
            t.code: t for t in await school_templates(session, desk.principal, world.school_a)
        }
    lina = world.students["lina"]
    outcome = await _run(
        sessionmaker,
        contact_families,
        desk.principal,
        ContactRequest(world.school_a, templates["LETABS"].id, [lina], *NOVEMBER),
    )
    pages = PdfReader(io.BytesIO(outcome.letters_pdf)).pages
    assert len(pages) == 2
    for page in pages:
        [logo] = page.images
        assert logo.image is not None and logo.image.size == (375, 375)
        assert "Lina Martin" in page.extract_text()
