"""Letter templates: defaults, validation naming the field and the unknown merge field."""

from __future__ import annotations

import asyncio
import time

import pytest

from api.resolvers.absences import template_sandbox
from api.resolvers.absences.letters import (
    MERGE_FIELDS,
    TemplateInput,
    create_template,
    sample_context,
    school_templates,
    update_template,
)
from api.resolvers.absences.template_sandbox import Budget, render, render_here
from core.errors import NotFound, ValidationFailed
from db.absences import ContactChannel


async def _create(sessionmaker, principal, school_id, entry):
    async with sessionmaker() as session, session.begin():
        return await create_template(session, principal, school_id, entry)


def _entry(**changes):
    values = dict(
        code="conv",
        label="Convocation",
        channel=ContactChannel.LETTER,
        subject="Convocation de {{ eleve.prenom }}",
        body="{{ responsable.formule }},\n\n{{ tableau_absences }}\n\n{{ signataire }}",
    )
    return TemplateInput(**(values | changes))


async def test_defaults_then_create_and_update(world, desk, sessionmaker):
    async with sessionmaker() as session, session.begin():
        defaults = await school_templates(session, desk.principal, world.school_a)
    assert [t.code for t in defaults] == ["LETABS", "MELABS", "SMSABS"]
    created = await _create(sessionmaker, desk.principal, world.school_a, _entry())
    assert created.code == "CONV"
    with pytest.raises(ValidationFailed) as duplicate:
        await _create(sessionmaker, desk.principal, world.school_a, _entry())
    assert duplicate.value.errors[0].field == "code"
    async with sessionmaker() as session, session.begin():
        updated = await update_template(
            session, desk.principal, created.id, _entry(label="Convocation CPE", is_active=False)
        )
    assert updated.label == "Convocation CPE" and not updated.is_active
    principal_b = await world.principal(sessionmaker, "principal_b")
    async with sessionmaker() as session, session.begin():
        with pytest.raises(NotFound):
            await update_template(session, principal_b, created.id, _entry())


@pytest.mark.parametrize(
    ("changes", "field", "code", "fragment"),
    [
        ({"body": "Bonjour {{ eleve.prenon }}"}, "body", "UNKNOWN_FIELD", "prenon"),
        ({"subject": "{{ foo }}"}, "subject", "UNKNOWN_FIELD", "foo"),
        ({"body": "Bonjour {{ eleve.prenom "}, "body", "SYNTAX", "ligne 1"),
        ({"code": "trop long code"}, "code", "INVALID", "Code"),
        ({"body": "  "}, "body", "REQUIRED", "obligatoire"),
        (
            {"channel": ContactChannel.SMS, "body": "{{ tableau_absences }}"},
            "body",
            "TABLE_IN_SMS",
            "tableau",
        ),
        ({"channel": ContactChannel.SMS, "body": "x" * 400}, "body", "TOO_LONG", "306"),
        ({"channel": ContactChannel.EMAIL, "subject": ""}, "subject", "REQUIRED", "objet"),
    ],
)
async def test_bad_templates_name_the_field(
    world, desk, sessionmaker, changes, field, code, fragment
):
    with pytest.raises(ValidationFailed) as refused:
        await _create(sessionmaker, desk.principal, world.school_a, _entry(**changes))
    error = next(e for e in refused.value.errors if e.field == field)
    assert error.code == code and fragment in error.message


def test_the_sandbox_refuses_reaching_python_internals():
    with pytest.raises(Exception):  # noqa: B017
        render_here("{{ eleve.__class__.__mro__[1].__subclasses__() }}", sample_context())


def test_every_merge_field_is_in_the_sample():
    for name in MERGE_FIELDS:
        assert render_here("{{ " + name + " }}", sample_context()) == "x"


# Three nested loops over a 700-character text: 343 million turns, once 8 s of a blocked server.
NESTED_LOOPS = (
    "{% set s = '" + "a" * 700 + "' %}"
    "{% for a in s %}{% for b in s %}{% for c in s %}{% endfor %}{% endfor %}{% endfor %}"
)


async def _refusal(sessionmaker, desk, world, body):
    with pytest.raises(ValidationFailed) as refused:
        await _create(sessionmaker, desk.principal, world.school_a, _entry(body=body))
    [error] = refused.value.errors
    assert error.field == "body"
    return error


async def test_nested_loops_are_refused_at_once_naming_the_limit(world, desk, sessionmaker):
    started = time.monotonic()
    error = await _refusal(sessionmaker, desk, world, NESTED_LOOPS)
    assert error.code == "TOO_COSTLY"
    assert (
        error.message == "Modèle refusé : le modèle dépasse 10\u202f000 tours de boucle ou appels."
    )
    # The step budget ends it in milliseconds (the bound leaves room for a busy machine).
    assert time.monotonic() - started < 3.0


@pytest.mark.parametrize(
    "body",
    [
        "{{ eleve.nom * 100000000 }}",
        "{% set s = eleve.nom * 40000 %}{% set s = s ~ s %}{% set s = s ~ s %}{{ s }}",
        "{% set s = eleve.nom * 40000 %}{% set b %}{{ s }}{{ s }}{% endset %}",
        "{% for i in eleve.nom * 5000 %}{{ eleve.nom * 40 }}{% endfor %}",
        "{% macro m(n) %}{% if n %}{{ m(n - 1) }}{{ m(n - 1) }}{% endif %}{% endmacro %}"
        "{{ m(60) }}",
    ],
)
async def test_output_bombs_are_refused_naming_the_limit(world, desk, sessionmaker, body):
    error = await _refusal(sessionmaker, desk, world, body)
    assert error.code == "TOO_COSTLY"
    assert error.message.startswith("Modèle refusé : le modèle ")
    assert "50\u202f000 caractères" in error.message or "10\u202f000 tours" in error.message


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("{{ eleve.nom.ljust(1000000000) }}", "la méthode ljust n'est pas permise"),
        ("{{ '%0999999999d' % 1 }}", "la mise en forme par % n'est pas permise"),
        ("{% set n = 2 ** 60 %}" + "{% set n = n * n %}" * 7 + "{{ n }}", "trop grand"),
    ],
)
async def test_operations_that_build_a_huge_value_in_one_go_are_refused(
    world, desk, sessionmaker, body, fragment
):
    error = await _refusal(sessionmaker, desk, world, body)
    assert error.code == "INVALID" and fragment in error.message


async def test_a_template_with_loops_and_methods_still_renders(world, desk, sessionmaker):
    body = (
        "{{ responsable.formule }},\n{% for jour in ['lundi', 'mardi'] %}"
        "{{ jour|upper }};{% endfor %}\n"
        "{{ eleve.nom.upper() ~ ' ' ~ eleve.prenom|title }}\n{{ tableau_absences }}"
    )
    created = await _create(sessionmaker, desk.principal, world.school_a, _entry(body=body))
    rendered = await render(created.body, sample_context() | {"responsable": {"formule": "Madame"}})
    assert rendered == "Madame,\nLUNDI;MARDI;\nX X\nx"


async def test_checking_a_heavy_template_leaves_the_server_answering(
    world, desk, sessionmaker, monkeypatch
):
    # A budget that lets the check run until its time limit, to see the loop meanwhile.
    monkeypatch.setattr(template_sandbox, "BUDGET", Budget(steps=10**9, seconds=1.5))
    heavy = "{% set s = '" + "a" * 250 + "' %}" + NESTED_LOOPS.partition("%}")[2]
    gaps: list[float] = []

    async def other_requests() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.01)
            gaps.append(time.monotonic() - last)
            last = time.monotonic()

    serving = asyncio.create_task(other_requests())
    try:
        error = await asyncio.wait_for(_refusal(sessionmaker, desk, world, heavy), 30)
    finally:
        serving.cancel()
    assert error.code == "TOO_COSTLY" and "1,5 s" in error.message
    # The loop answered every few milliseconds during the 1.5 s check, never stalled by it.
    assert len(gaps) > 20 and max(gaps) < 0.5
