"""Letter templates: a school's models of letters, e-mails and SMS to families, and their
merge fields, filled from Base élèves.

Templates are Jinja text in a sandbox with strict undefined names, so that a mistyped field
is refused when the template is saved, naming it, rather than printed empty on a hundred
letters. ``{{ tableau_absences }}`` is the table of the absences concerned (a real table on a
letter, one line per event in an e-mail or SMS).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import get_in_reach
from api.resolvers.absences.template_sandbox import (
    TemplateTooCostly,
    in_a_thread,
    parse,
    render_here,
)
from core.errors import FieldError, ValidationFailed
from db.absences import ContactChannel, LetterTemplate
from db.audit import set_actor
from db.schools import School

TABLE_FIELD = "tableau_absences"
# Where the table goes in a letter's rendered text: a line of its own.
TABLE_MARK = "\x00tableau\x00"
SMS_MAX_LENGTH = 306  # two concatenated SMS
CODE_PATTERN = re.compile(r"^[A-Z0-9_-]{1,10}$")

# Every merge field, with what it holds (the portal's help lists them).
MERGE_FIELDS: dict[str, str] = {
    "eleve.nom": "Nom de famille de l'élève",
    "eleve.prenom": "Prénom de l'élève",
    "eleve.division": "Division (classe) de l'élève",
    "eleve.date_naissance": "Date de naissance de l'élève (JJ/MM/AAAA)",
    "responsable.formule": "« Madame », « Monsieur » ou « Madame, Monsieur »",
    "responsable.civilite": "Civilité abrégée du responsable (M., Mme)",
    "responsable.nom": "Nom du responsable",
    "responsable.prenom": "Prénom du responsable",
    "etablissement.nom": "Nom de l'établissement",
    "etablissement.uai": "UAI de l'établissement",
    "etablissement.adresse": "Adresse de l'établissement",
    "etablissement.code_postal": "Code postal de l'établissement",
    "etablissement.ville": "Commune de l'établissement",
    "etablissement.telephone": "Téléphone de l'établissement",
    "absences.demi_journees": "Demi-journées d'absence signalées",
    "absences.non_justifiees": "Dont demi-journées non justifiées",
    "absences.retards": "Retards signalés",
    "absences.periode": "Période couverte (du JJ/MM/AAAA au JJ/MM/AAAA)",
    TABLE_FIELD: "Tableau des absences et retards concernés",
    "date_du_jour": "Date d'édition (ex. 2 décembre 2026)",
    "signataire": "Signataire des courriers de l'établissement",
}

DEFAULT_TEMPLATES = (
    (
        "LETABS",
        "Lettre d'absences non justifiées",
        ContactChannel.LETTER,
        "Absences de {{ eleve.prenom }} {{ eleve.nom }}",
        "{{ responsable.formule }},\n\n"
        "Nous constatons que votre enfant {{ eleve.prenom }} {{ eleve.nom }}, élève de "
        "{{ eleve.division }}, a été absent(e) ou en retard sans justification valable :\n\n"
        "{{ tableau_absences }}\n\n"
        "Soit {{ absences.non_justifiees }} demi-journée(s) d'absence non justifiée(s). "
        "Nous vous remercions de bien vouloir nous en faire connaître le motif, par écrit, "
        "dans les meilleurs délais. L'assiduité est une obligation pour tout élève "
        "(article L511-1 du Code de l'éducation).\n\n"
        "Nous vous prions d'agréer, {{ responsable.formule }}, l'expression de nos salutations "
        "distinguées.",
    ),
    (
        "MELABS",
        "Courriel d'absences",
        ContactChannel.EMAIL,
        "{{ etablissement.nom }} : absences de {{ eleve.prenom }}",
        "{{ responsable.formule }},\n\n"
        "{{ eleve.prenom }} {{ eleve.nom }} ({{ eleve.division }}) a été absent(e) ou en retard "
        "sans justification :\n\n{{ tableau_absences }}\n\n"
        "Merci de nous en faire connaître le motif. Pour toute question : "
        "{{ etablissement.telephone }}.\n\nLa vie scolaire, {{ etablissement.nom }}",
    ),
    (
        "SMSABS",
        "SMS d'absence",
        ContactChannel.SMS,
        "",
        "{{ etablissement.nom }} : {{ eleve.prenom }} a été absent(e) "
        "{{ absences.non_justifiees }} demi-journée(s) sans justification. "
        "Merci de contacter la vie scolaire.",
    ),
)


@dataclass
class TemplateInput:
    code: str
    label: str
    channel: ContactChannel
    subject: str
    body: str
    is_active: bool = True


def sample_context() -> dict[str, Any]:
    """Values of every merge field, to try a template on when it is saved."""
    context: dict[str, Any] = {}
    for name in MERGE_FIELDS:
        head, _, tail = name.partition(".")
        if tail:
            context.setdefault(head, {})[tail] = "x"
        else:
            context[head] = "x"
    return context


def unknown_fields(text: str) -> list[str]:
    """Merge fields the text uses that do not exist, as written (``eleve.prenon``)."""
    tree = parse(text)
    unknown = [
        f"{node.node.name}.{node.attr}"
        for node in tree.find_all(nodes.Getattr)
        if isinstance(node.node, nodes.Name) and f"{node.node.name}.{node.attr}" not in MERGE_FIELDS
    ]
    heads = {name.partition(".")[0] for name in MERGE_FIELDS}
    unknown += sorted(meta.find_undeclared_variables(tree) - heads)
    return unknown


def _check_text(field: str, text: str) -> FieldError | None:
    """Parse and try the text on sample values, within the sandbox's budgets (in a thread)."""
    try:
        unknown = unknown_fields(text)
        if not unknown:
            render_here(text, sample_context())
    except TemplateSyntaxError as exc:
        return FieldError(
            field, "SYNTAX", f"Modèle mal formé ligne {exc.lineno} : vérifiez les {{{{ }}}}."
        )
    except TemplateTooCostly as exc:
        return FieldError(field, "TOO_COSTLY", f"Modèle refusé : {exc}.")
    except (UndefinedError, SecurityError) as exc:
        return FieldError(field, "INVALID", f"Modèle invalide : {exc}.")
    except (TemplateError, ArithmeticError, TypeError, ValueError, LookupError):
        # Python's own wording (``division by zero``) means nothing to the staff.
        return FieldError(field, "INVALID", "Modèle invalide : il échoue sur des valeurs d'essai.")
    if unknown:
        return FieldError(
            field, "UNKNOWN_FIELD", f"Champ de fusion inconnu : {', '.join(unknown)}."
        )
    return None


async def validate_template(entry: TemplateInput) -> None:
    """Refuse a template naming each faulty field; its texts are tried off the event loop."""
    errors = []
    if not CODE_PATTERN.match(entry.code):
        errors.append(FieldError("code", "INVALID", "Code de 1 à 10 majuscules, chiffres, - ou _."))
    if not entry.label.strip():
        errors.append(FieldError("label", "REQUIRED", "Le libellé est obligatoire."))
    if not entry.body.strip():
        errors.append(FieldError("body", "REQUIRED", "Le texte du modèle est obligatoire."))
    if entry.channel is ContactChannel.PHONE:
        errors.append(FieldError("channel", "INVALID", "Un appel téléphonique n'a pas de modèle."))
    if entry.channel is ContactChannel.EMAIL and not entry.subject.strip():
        errors.append(FieldError("subject", "REQUIRED", "L'objet du courriel est obligatoire."))
    for field, text in (("subject", entry.subject), ("body", entry.body)):
        error = await in_a_thread(_check_text, field, text)
        if error:
            errors.append(error)
    if entry.channel is ContactChannel.SMS:
        if TABLE_FIELD in entry.body:
            errors.append(
                FieldError("body", "TABLE_IN_SMS", "Un SMS ne peut pas contenir de tableau.")
            )
        if len(entry.body) > SMS_MAX_LENGTH:
            errors.append(
                FieldError(
                    "body", "TOO_LONG", f"Un SMS compte au plus {SMS_MAX_LENGTH} caractères."
                )
            )
    if errors:
        raise ValidationFailed(errors)


async def _school(session: AsyncSession, principal: Principal, school_id: int) -> School:
    school = await get_in_reach(
        session, principal, Permission.ABSENCES_MANAGE, School, school_id, School.id
    )
    set_actor(session.sync_session, principal.audit_actor(school.id))
    return school


async def ensure_default_templates(session: AsyncSession, school_id: int) -> None:
    """A school that has never had templates gets the default ones (caller sets the actor)."""
    if await session.scalar(
        select(LetterTemplate.id).where(LetterTemplate.school_id == school_id).limit(1)
    ):
        return
    for code, label, channel, subject, body in DEFAULT_TEMPLATES:
        session.add(
            LetterTemplate(
                school_id=school_id,
                code=code,
                label=label,
                channel=channel,
                subject=subject,
                body=body,
            )
        )
    await session.flush()


@requires(Permission.ABSENCES_MANAGE)
async def school_templates(
    session: AsyncSession, principal: Principal, school_id: int
) -> list[LetterTemplate]:
    """The school's templates, active first, by code (the defaults the first time)."""
    school = await _school(session, principal, school_id)
    await ensure_default_templates(session, school.id)
    return list(
        await session.scalars(
            select(LetterTemplate)
            .where(LetterTemplate.school_id == school.id)
            .order_by(LetterTemplate.is_active.desc(), LetterTemplate.code)
        )
    )


async def _unique_code(
    session: AsyncSession, school_id: int, code: str, template_id: int | None
) -> None:
    other = await session.scalar(
        select(LetterTemplate.id).where(
            LetterTemplate.school_id == school_id, LetterTemplate.code == code
        )
    )
    if other is not None and other != template_id:
        raise ValidationFailed.single("code", "DUPLICATE", "Un autre modèle porte déjà ce code.")


@requires(Permission.ABSENCES_MANAGE)
async def create_template(
    session: AsyncSession, principal: Principal, school_id: int, entry: TemplateInput
) -> LetterTemplate:
    school = await _school(session, principal, school_id)
    entry = _cleaned(entry)
    await validate_template(entry)
    await _unique_code(session, school.id, entry.code, None)
    template = LetterTemplate(school_id=school.id, **vars(entry))
    session.add(template)
    await session.flush()
    return template


@requires(Permission.ABSENCES_MANAGE)
async def update_template(
    session: AsyncSession, principal: Principal, template_id: int, entry: TemplateInput
) -> LetterTemplate:
    template = await get_in_reach(
        session,
        principal,
        Permission.ABSENCES_MANAGE,
        LetterTemplate,
        template_id,
        LetterTemplate.school_id,
    )
    set_actor(session.sync_session, principal.audit_actor(template.school_id))
    entry = _cleaned(entry)
    await validate_template(entry)
    await _unique_code(session, template.school_id, entry.code, template.id)
    for name, value in vars(entry).items():
        setattr(template, name, value)
    await session.flush()
    return template


def _cleaned(entry: TemplateInput) -> TemplateInput:
    return TemplateInput(
        code=entry.code.strip().upper(),
        label=entry.label.strip(),
        channel=ContactChannel(entry.channel),
        subject=entry.subject.strip(),
        body=entry.body.replace("\r\n", "\n").strip(),
        is_active=entry.is_active,
    )
