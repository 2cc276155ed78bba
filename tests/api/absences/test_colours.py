"""Motive colours can be read (WCAG 2.1): the contrast computation, every default, the refusal
of a colour too light for the white page, and the letters' colour chosen for 4.5:1."""

from __future__ import annotations

import itertools

import pytest

from api.resolvers.absences.colours import (
    BLACK,
    DARK_TEXT,
    WHITE,
    check_motive_colour,
    contrast_ratio,
    relative_luminance,
    text_colour,
)
from api.resolvers.absences.configuration import MotiveInput, save_motive
from api.resolvers.absences.settings import DEFAULT_MOTIVES, NO_MOTIVE_COLOUR, school_setup
from core.errors import ValidationFailed

# The first defaults, and what white letters reached on them (the figures of issue 11).
OLD_DEFAULTS = {"#f3a35c": 2.06, "#e4794a": 2.94, "#68a532": 2.99, "#009081": 3.96}


def test_relative_luminance_is_the_wcag_formula():
    assert relative_luminance("#ffffff") == pytest.approx(1.0)
    assert relative_luminance("#000000") == 0.0
    # Pure primaries weigh 0.2126, 0.7152 and 0.0722.
    assert relative_luminance("#ff0000") == pytest.approx(0.2126)
    assert relative_luminance("#00ff00") == pytest.approx(0.7152)
    assert relative_luminance("#0000FF") == pytest.approx(0.0722)
    # Below 0.04045 a channel is linear (/12.92), above it follows the 2.4 power curve.
    assert relative_luminance("#0a0a0a") == pytest.approx(10 / 255 / 12.92)
    assert relative_luminance("#808080") == pytest.approx(((128 / 255 + 0.055) / 1.055) ** 2.4)
    with pytest.raises(ValueError):
        relative_luminance("rouge")


def test_contrast_ratio():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#000000") == pytest.approx(21.0)
    assert contrast_ratio("#c04f1d", "#c04f1d") == pytest.approx(1.0)
    # The DSFR's grey on white, a known 4.54:1 (#767676 is the classic lightest AA grey).
    assert round(contrast_ratio("#767676", "#ffffff"), 2) == 4.54
    for colour, ratio in OLD_DEFAULTS.items():
        assert round(contrast_ratio(WHITE, colour), 2) == ratio


def test_every_default_stands_out_and_carries_readable_letters():
    colours = {code: colour for code, _label, _generic, colour, *_ in DEFAULT_MOTIVES}
    assert len(colours) == 8
    for code, colour in colours.items():
        assert contrast_ratio(colour, WHITE) >= 3, code
        assert check_motive_colour(colour) == [], code
        ink = text_colour(colour)
        assert ink in (WHITE, DARK_TEXT), code  # never needs pure black
        assert contrast_ratio(ink, colour) >= 4.5, code
    # Together with the colour of events without a motive, no two luminances are close:
    # the motives are told apart in grey too.
    shown = [*colours.values(), NO_MOTIVE_COLOUR]
    assert contrast_ratio(NO_MOTIVE_COLOUR, WHITE) >= 3
    assert contrast_ratio(text_colour(NO_MOTIVE_COLOUR), NO_MOTIVE_COLOUR) >= 4.5
    closest = min(contrast_ratio(a, b) for a, b in itertools.combinations(shown, 2))
    assert closest >= 1.2


def test_the_first_defaults_would_fail():
    for colour in ("#f3a35c", "#e4794a", "#68a532"):
        assert [e.code for e in check_motive_colour(colour)] == ["LOW_CONTRAST"]
    # Convocation passed 3:1 but not white letters: its letters are now dark.
    assert check_motive_colour("#009081") == []
    assert text_colour("#009081") == DARK_TEXT


def test_text_colour_reaches_4_5_on_every_colour_a_school_may_choose():
    steps = range(0, 256, 15)
    checked = 0
    for red, green, blue in itertools.product(steps, steps, steps):
        colour = f"#{red:02x}{green:02x}{blue:02x}"
        if check_motive_colour(colour):
            continue
        checked += 1
        assert contrast_ratio(text_colour(colour), colour) >= 4.5, colour
    assert checked > 1000
    # Mid colours where neither white nor the DSFR grey reach 4.5:1 get black letters.
    assert contrast_ratio(WHITE, "#6a6af4") < 4.5 and contrast_ratio(DARK_TEXT, "#6a6af4") < 4.5
    assert text_colour("#6a6af4") == BLACK
    # A very light colour stored before the check gets the most contrasted letters.
    assert text_colour("#ffff00") == DARK_TEXT
    assert text_colour("#000091") == WHITE


def test_the_refusal_names_the_colour_in_french():
    [error] = check_motive_colour("#e4794a")
    assert error.field == "colour" and error.code == "LOW_CONTRAST"
    assert error.message.startswith("Couleur trop claire")
    assert "2,94:1" in error.message and "au moins 3:1" in error.message
    # 2.99999:1 is refused, and not shown as 3,00:1.
    [almost] = check_motive_colour("#b178ff")
    assert "de 2,99:1" in almost.message
    assert [e.code for e in check_motive_colour("#12345")] == ["INVALID"]


async def test_a_school_cannot_save_a_colour_too_light(world, desk, sessionmaker):
    cpe, school = desk.principal, world.school_a
    async with sessionmaker() as session, session.begin():
        with pytest.raises(ValidationFailed) as refused:
            await save_motive(
                session, cpe, school, MotiveInput("JAU", "Jaune", "SPO", "#FFE552", True, False)
            )
    assert [(e.field, e.code) for e in refused.value.errors] == [("colour", "LOW_CONTRAST")]
    async with sessionmaker() as session, session.begin():
        setup = await school_setup(session, cpe, school)
    assert "JAU" not in {m.code for m in setup.motives.values()}
    # The darkest colour that passes is saved.
    async with sessionmaker() as session, session.begin():
        saved = await save_motive(
            session, cpe, school, MotiveInput("GRI", "Gris", "SPO", "#949494", True, False)
        )
    assert saved.colour == "#949494" and contrast_ratio("#949494", WHITE) >= 3


async def test_graphql_refuses_a_colour_too_light(gql, world, desk):
    mutation = """mutation($s: Int!, $c: String!) {
      saveAbsenceMotive(schoolId: $s, input: {code: "JAU", label: "Jaune", genericCode: "SPO",
        colour: $c}) { motive { code colour textColour } errors { field code message } }
    }"""
    body = await gql("cpe_a", mutation, {"s": world.school_a, "c": "#f3a35c"})
    payload = body["data"]["saveAbsenceMotive"]
    assert payload["motive"] is None
    [error] = payload["errors"]
    assert error["field"] == "colour" and error["code"] == "LOW_CONTRAST"
    assert error["message"].startswith("Couleur trop claire") and "2,06:1" in error["message"]
    body = await gql("cpe_a", mutation, {"s": world.school_a, "c": "#009081"})
    assert body["data"]["saveAbsenceMotive"] == {
        "motive": {"code": "JAU", "colour": "#009081", "textColour": "#161616"},
        "errors": [],
    }
    setup = await gql(
        "cpe_a",
        "query($s: Int!) { absenceSetup(schoolId: $s) { motives { code colour textColour } } }",
        {"s": world.school_a},
    )
    motives = {m["code"]: m for m in setup["data"]["absenceSetup"]["motives"]}
    assert motives["MAL"] == {"code": "MAL", "colour": "#c04f1d", "textColour": "#ffffff"}
    assert motives["MED"]["textColour"] == "#161616"
