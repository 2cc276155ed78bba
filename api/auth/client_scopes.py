"""OAuth scopes of third-party clients and the permissions each opens in the client's schools.

A client's principal holds, in each of its schools, the permissions of the
scopes its token carries (and its registration still allows): the same
guards, row scoping and field permissions as for staff then apply.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from api.auth.permissions import Permission as P

SCOPE_PERMISSIONS: dict[str, frozenset[P]] = {
    "students:read": frozenset({P.STUDENTS_READ, P.STRUCTURES_READ, P.NOMENCLATURES_READ}),
    "students:identity": frozenset({P.STUDENTS_IDENTITY_READ}),
    "guardians:contacts": frozenset({P.GUARDIAN_CONTACTS_READ}),
    "structures:read": frozenset({P.STRUCTURES_READ, P.NOMENCLATURES_READ}),
    "absences:read": frozenset({P.ABSENCES_READ}),
    "absences:write": frozenset({P.ABSENCES_READ, P.ABSENCES_WRITE}),
    "statistics:read": frozenset({P.STATISTICS_READ}),
    "finances:read": frozenset({P.FINANCES_READ, P.FINANCE_SUMMARIES_READ}),
    # OneRoster 1.2 (``/ims/oneroster/rostering/v1p2``): the specification's scopes. On
    # OneRoster only (see ``Surface``) they open the same permissions as students:read, so the
    # same rows and field permissions apply; which OneRoster records each shows is decided by
    # ``roster_scope_allows``.
    "roster-core.readonly": frozenset({P.STUDENTS_READ, P.STRUCTURES_READ, P.NOMENCLATURES_READ}),
    "roster.readonly": frozenset({P.STUDENTS_READ, P.STRUCTURES_READ, P.NOMENCLATURES_READ}),
    "roster-demographics.readonly": frozenset({P.STUDENTS_READ}),
    # A school's grades software: it grades any class of the client's schools (see
    # api.resolvers.grades); the classes, subjects and students come with their own scopes.
    "grades:read": frozenset({P.GRADES_READ}),
    "grades:write": frozenset({P.GRADES_READ, P.GRADES_WRITE}),
}

SCOPE_LABELS_FR: dict[str, str] = {
    "students:read": "Élèves, scolarités, divisions et groupes (lecture)",
    "students:identity": "Identité complète des élèves : INE, lieu de naissance",
    "guardians:contacts": "Coordonnées des responsables : adresses, téléphones, courriels",
    "structures:read": "Divisions et groupes (lecture)",
    "absences:read": "Absences et retards (lecture)",
    "absences:write": "Absences et retards (saisie)",
    "statistics:read": "Statistiques",
    "finances:read": "Finances des élèves : tarifs, droits constatés, remises, paiements (lecture)",
    "roster-core.readonly": (
        "OneRoster : établissements, années et périodes, formations, classes et groupes, "
        "élèves, enseignants, inscriptions (lecture)"
    ),
    "roster.readonly": "OneRoster : comme ci-dessus, avec les responsables des élèves (lecture)",
    "roster-demographics.readonly": "OneRoster : données démographiques des élèves (lecture)",
    "grades:read": "Notes : devoirs, notes et moyennes par période (lecture)",
    "grades:write": "Notes : création des devoirs et saisie des notes, dans toutes les classes",
}

ROSTER_CORE = "roster-core.readonly"
ROSTER = "roster.readonly"
ROSTER_DEMOGRAPHICS = "roster-demographics.readonly"


class RosterPart:
    """What a OneRoster scope shows: the core records, guardians, demographics."""

    CORE = "core"
    GUARDIANS = "guardians"
    DEMOGRAPHICS = "demographics"


ROSTER_PART_SCOPES: dict[str, frozenset[str]] = {
    RosterPart.CORE: frozenset({ROSTER_CORE, ROSTER}),
    RosterPart.GUARDIANS: frozenset({ROSTER}),
    RosterPart.DEMOGRAPHICS: frozenset({ROSTER_DEMOGRAPHICS}),
}

ALL_SCOPES = tuple(SCOPE_PERMISSIONS)


class Surface(StrEnum):
    """Where a client's token is used. The OneRoster scopes open the OneRoster binding only:
    through GraphQL, students:read would show a roster-core client the guardians that
    roster.readonly alone may see, and a demographics client every student's record."""

    GRAPHQL = "graphql"
    ONEROSTER = "oneroster"


ONEROSTER_ONLY = frozenset({ROSTER_CORE, ROSTER, ROSTER_DEMOGRAPHICS})


class UnknownScope(ValueError):
    def __init__(self, scope: str) -> None:
        super().__init__(scope)
        self.scope = scope


def parse_scopes(text: str | Iterable[str]) -> frozenset[str]:
    """Scopes from a space-separated string (as in OAuth) or a list; unknown ones are refused."""
    words = text.split() if isinstance(text, str) else [w for s in text for w in s.split()]
    for word in words:
        if word not in SCOPE_PERMISSIONS:
            raise UnknownScope(word)
    return frozenset(words)


def scope_permissions(scopes: Iterable[str], surface: Surface) -> frozenset[P]:
    """The permissions the scopes open where the token is used."""
    usable = [
        s
        for s in scopes
        if s in SCOPE_PERMISSIONS and (surface is Surface.ONEROSTER or s not in ONEROSTER_ONLY)
    ]
    return frozenset().union(*(SCOPE_PERMISSIONS[s] for s in usable))


def roster_scope_allows(kind: str, scopes: frozenset[str], part: str) -> bool:
    """Whether a caller sees this part of the OneRoster records. A client needs one of the
    specification's scopes for it (its other scopes open GraphQL, not OneRoster); staff see
    what their permissions open."""
    if kind != "client":
        return True
    return bool(scopes & ROSTER_PART_SCOPES[part])
