"""Letter templates: defaults, validation naming the field and the unknown merge field."""

from __future__ import annotations

import pytest

from api.resolvers.absences.letters import (
    MERGE_FIELDS,
    TemplateInput,
    create_template,
    render,
    sample_context,
    school_templates,
    update_template,
)
from api.resolvers.errors import NotFound, ValidationFailed
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
        render("{{ eleve.__class__.__mro__[1].__subclasses__() }}", sample_context())


def test_every_merge_field_is_in_the_sample():
    for name in MERGE_FIELDS:
        assert render("{{ " + name + " }}", sample_context()) == "x"
