"""/journal: the audit trail of the working school (or the académie for the rectorat).

Who consulted, exported, created, changed or deleted what, when and from
which address; filterable by period, action, type of object and user.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from starlette.responses import Response

from api.resolvers.audit import AuditEntry, AuditFilter, AuditPage, audit_trail
from api.resolvers.audit_names import (
    REFERENCES,
    SubjectName,
    audit_subject_names,
    person_name,
)
from api.resolvers.vocabulary import REDACTED, is_redacted
from core import clock
from core.errors import FieldError, ValidationFailed
from portals.etablissement import destinations
from portals.etablissement.labels import field_label, value_label
from portals.etablissement.web import Page, page_handler, parse_id

PAGE_SIZE = 50
ACADEMY_SCOPE = "academie"

ACTIONS = {
    "read": "Consultation",
    "export": "Export",
    "create": "Création",
    "update": "Modification",
    "delete": "Suppression",
    "logout_all": "Fermeture de toutes les sessions",
    "search": "Recherche",
    "transfer": "Changement d'établissement",
}

ENTITIES = {
    "students": "Élève",
    "guardians": "Responsable",
    "guardian_links": "Lien élève-responsable",
    "addresses": "Adresse",
    "enrollments": "Scolarité",
    "enrollment_groups": "Inscription dans un groupe",
    "enrollment_options": "Option suivie",
    "passage_decisions": "Décision de passage",
    "divisions": "Division",
    "division_mefs": "MEF d'une division",
    "groups": "Groupe",
    "group_divisions": "Division d'un groupe",
    "teaching_assignments": "Service d'enseignement",
    "mefs": "MEF",
    "schools": "Établissement",
    "staff_users": "Compte utilisateur",
    "role_grants": "Habilitation",
    "absence_events": "Absence ou retard",
    "absence_motives": "Motif d'absence",
    "absence_settings": "Paramètres des absences",
    "justifications": "Justificatif",
    "letter_templates": "Modèle de courrier",
    "family_contacts": "Contact avec la famille",
    "family_contact_events": "Absence signalée à la famille",
    "roll_calls": "Appel",
    "time_slots": "Créneau horaire",
    "school_weekdays": "Jour de classe",
    "closed_days": "Jour de fermeture",
    "activation_codes": "Code d'activation",
    "school_teleservices": "Télé-service",
    "grades_settings": "Publication des notes",
    "publication_deadlines": "Date de publication des notes",
    "grading_periods": "Période de notation",
    "assessments": "Évaluation",
    "marks": "Note",
    "delegations": "Délégation",
    "api_clients": "Client de l'API",
    "api_client_schools": "Établissement d'un client de l'API",
    "academies": "Académie",
    "school_years": "Année scolaire",
    "school_mefs": "MEF proposé par l'établissement",
    "school_subjects": "Matière proposée par l'établissement",
    "absence_statistics": "Statistiques d'absences",
    "absence_indicator": "Indicateur mensuel d'absentéisme",
    "headcount_snapshots": "Constat de rentrée",
    "rentrees": "Rentrée (bascule d'année)",
    # Finances and scholarships (issue 14).
    "finance_settings": "Règles financières de l'année",
    "finance_terms": "Trimestre (finances)",
    "tariffs": "Tarif d'hébergement",
    "regime_periods": "Période de régime",
    "family_accounts": "Compte famille",
    "charge_generations": "Génération des droits constatés",
    "reductions": "Remise",
    "payments": "Paiement",
    "payment_reminders": "Relance",
    "family_notices": "Avis aux familles",
    "charge_transfers": "Transfert de créances",
    "scholarship_files": "Dossier de bourse",
    "scholarship_payments": "Versement de bourse",
}

POPULATIONS = {"division": "division", "group": "groupe", "mef": "MEF", "school": "établissement"}
MAX_DETAIL_ITEMS = 12


def _parse_day(raw: str | None, field: str, label: str, errors: list[FieldError]) -> date | None:
    text = (raw or "").strip()
    if not text:
        return None
    for parse in (date.fromisoformat, lambda t: datetime.strptime(t, "%d/%m/%Y").date()):
        try:
            return parse(text)
        except ValueError:
            continue
    errors.append(FieldError(field, "INVALID", f"{label} doit être une date (JJ/MM/AAAA)."))
    return None


@dataclass(frozen=True)
class JournalCriteria:
    """The filter form, as read from the query string (French parameter names)."""

    du: str = ""
    au: str = ""
    action: str = ""
    objet: str = ""
    utilisateur: str = ""
    numero: int | None = None
    perimetre: str = ""

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> JournalCriteria:
        action = query.get("action", "")
        entity = query.get("objet", "")
        return cls(
            du=query.get("du", "").strip()[:10],
            au=query.get("au", "").strip()[:10],
            action=action if action in ACTIONS else "",
            objet=entity if entity in ENTITIES else "",
            utilisateur=" ".join(query.get("utilisateur", "").split())[:120],
            numero=parse_id(query.get("numero")),
            perimetre=ACADEMY_SCOPE if query.get("perimetre") == ACADEMY_SCOPE else "",
        )

    def params(self) -> dict[str, Any]:
        return {
            "du": self.du,
            "au": self.au,
            "action": self.action,
            "objet": self.objet,
            "utilisateur": self.utilisateur,
            "numero": self.numero,
            "perimetre": self.perimetre,
        }


ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _paris(at: datetime) -> datetime:
    # SQLite gives back naive UTC values, PostgreSQL aware ones.
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(clock.PARIS)


def _value(column: str, value: Any) -> str:
    """A recorded value as a French reader reads it; secrets (even in rows written before
    they were masked at the source) never."""
    if value is None or value == "":
        return "∅"
    if is_redacted(column):
        return REDACTED
    if isinstance(value, bool):
        return "oui" if value else "non"
    text = value_label(column, str(value))
    if ISO_DAY.fullmatch(text):
        return date.fromisoformat(text).strftime("%d/%m/%Y")
    if ISO_MOMENT.match(text):
        try:
            return _paris(datetime.fromisoformat(text)).strftime("%d/%m/%Y à %H:%M")
        except ValueError:
            return text
    return text


Names = Mapping[tuple[str, int], SubjectName]


@dataclass(frozen=True)
class JournalRow:
    entry: AuditEntry
    names: Names

    @property
    def name(self) -> SubjectName | None:
        return self.names.get((self.entry.entity, self.entry.entity_id or 0))

    def _value(self, column: str, value: Any) -> str:
        target = REFERENCES.get(column)
        if target and isinstance(value, int) and (target, value) in self.names:
            return self.names[(target, value)].name
        return _value(column, value)

    @property
    def when(self) -> str:
        return _paris(self.entry.at).strftime("%d/%m/%Y à %H:%M:%S")

    @property
    def action(self) -> str:
        return ACTIONS.get(self.entry.action, self.entry.action)

    @property
    def subject(self) -> str:
        entry = self.entry
        label = ENTITIES.get(entry.entity, entry.entity)
        if self.name is not None:
            if self.name.of_student:
                return f"{label} de l'élève {self.name.name}"
            return f"{label} {self.name.name}"
        # A person since deleted: named by the values the entry itself recorded.
        recorded = entry.before or entry.after or {}
        if entry.entity in ("students", "guardians") and recorded.get("family_name"):
            name = person_name(str(recorded["family_name"]), str(recorded.get("first_name", "")))
            return f"{label} {name}"
        return f"{label} n° {entry.entity_id}" if entry.entity_id else label

    @property
    def details(self) -> list[str]:
        """What changed (field : before → after), or what was read or exported."""
        entry = self.entry
        before, after = entry.before or {}, entry.after or {}
        if entry.action == "read":
            return ["Fiche complète"] if after.get("fields") == "record" else []
        if entry.action == "export":
            columns = ", ".join(str(c) for c in after.get("columns", []))
            population = POPULATIONS.get(str(after.get("population")), "")
            lines = [
                f"{after.get('label', '')} ({population})".strip(),
                f"Format {str(after.get('format', '')).upper()}, "
                f"{after.get('rows', 0)} ligne(s), année {after.get('school_year', '')}",
            ]
            if columns:
                lines.append(f"Colonnes : {columns}")
            return lines
        if entry.action == "search":
            return _search_details(after)
        if entry.action == "transfer":
            return _transfer_details(after)
        keys = sorted(set(before) | set(after), key=field_label)
        if entry.action == "update":
            lines = [
                f"{field_label(k)} : {self._value(k, before.get(k))}"
                f" → {self._value(k, after.get(k))}"
                for k in keys
            ]
        elif entry.action == "delete":
            lines = [f"{field_label(k)} : {self._value(k, before.get(k))}" for k in keys]
        else:
            # A creation lists what was given: the empty fields would push it out of view.
            lines = [
                f"{field_label(k)} : {self._value(k, after.get(k))}"
                for k in keys
                if after.get(k) not in (None, "", False)
            ]
        if len(lines) > MAX_DETAIL_ITEMS:
            hidden = len(lines) - MAX_DETAIL_ITEMS
            lines = [*lines[:MAX_DETAIL_ITEMS], f"… et {hidden} autre(s) champ(s)"]
        return lines


def _search_details(after: Mapping[str, Any]) -> list[str]:
    """A search beyond the school's own students: its criteria as typed, and how many it
    found (a student arriving from another school)."""
    found = len(after.get("results", []))
    if after.get("by") == "ine":
        criteria = f"par INE : {after.get('ine', '')}"
    else:
        criteria = (
            f"par nom, prénom et date de naissance : {after.get('family_name', '')} "
            f"{after.get('first_name', '')}, {_value('birth_date', after.get('birth_date'))}"
        )
    return [f"Élève arrivant d'un autre établissement, {criteria}", f"{found} résultat(s)"]


def _transfer_details(after: Mapping[str, Any]) -> list[str]:
    where = f"{after.get('school_name', '')} ({after.get('school_uai', '')})"
    if after.get("direction") == "out":
        return [f"Départ vers {where}", f"Sortie le {_value('exit_date', after.get('exit_date'))}"]
    return [f"Arrivée de {where}", f"Entrée le {_value('entry_date', after.get('entry_date'))}"]


@page_handler(destinations.JOURNAL)
async def journal(page: Page) -> Response:
    query = page.request.query_params
    criteria = JournalCriteria.from_query(query)
    after = query.get("apres") or None
    academy_allowed = page.may_academy_wide(audit_trail)
    # Without a school to work on (the académie administrator), the académie's own trail.
    whole_academy = academy_allowed and (criteria.perimetre == ACADEMY_SCOPE or page.school is None)
    errors: list[FieldError] = []
    from_date = _parse_day(criteria.du, "du", "Le début de la période", errors)
    to_date = _parse_day(criteria.au, "au", "La fin de la période", errors)
    school = page.school
    result: AuditPage | None = None
    if not errors and (whole_academy or school is not None):
        filters = AuditFilter(
            school_id=None if whole_academy or school is None else school.id,
            actor=criteria.utilisateur or None,
            action=criteria.action or None,
            entity=criteria.objet or None,
            entity_id=criteria.numero,
            from_date=from_date,
            to_date=to_date,
        )
        try:
            result = await page.work.read(audit_trail, filters, first=PAGE_SIZE, after=after)
        except ValidationFailed as exc:
            errors = exc.errors
    entries = result.entries if result else []
    names = await page.work.read(audit_subject_names, entries)
    base = criteria.params()
    next_url = (
        page.url("/journal", **base, apres=result.end_cursor)
        if result is not None and result.has_next_page
        else None
    )
    return page.render(
        "journal.html",
        criteria=criteria,
        academy_allowed=academy_allowed,
        whole_academy=whole_academy,
        action_options=list(ACTIONS.items()),
        entity_options=sorted(ENTITIES.items(), key=lambda item: item[1]),
        rows=[JournalRow(entry, names) for entry in entries],
        result=result,
        errors=errors,
        field_errors={e.field: e.message for e in errors},
        paged=bool(after),
        first_url=page.url("/journal", **base),
        next_url=next_url,
    )
