"""French labels of the codes the portal shows (the code itself stays in English)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from db.enrollments import ExitReason, Regime
from db.guardians import Relationship
from db.schools import SchoolKind
from db.students import Sex

SEX = {Sex.M: "Masculin", Sex.F: "Féminin"}
SEX_SHORT = {Sex.M: "M", Sex.F: "F"}

REGIME = {
    Regime.EXTERNE: "Externe",
    Regime.DEMI_PENSIONNAIRE: "Demi-pensionnaire",
    Regime.INTERNE: "Interne",
}

EXIT_REASON = {
    ExitReason.END_OF_CYCLE: "Fin de cycle",
    ExitReason.CHANGE_OF_SCHOOL: "Changement d'établissement",
    ExitReason.MOVE: "Déménagement",
    ExitReason.ORIENTATION: "Orientation",
    ExitReason.APPRENTICESHIP: "Apprentissage",
    ExitReason.WORK: "Entrée dans la vie active",
    ExitReason.HOME_SCHOOLING: "Instruction dans la famille",
    ExitReason.ABROAD: "Départ à l'étranger",
    ExitReason.OTHER: "Autre motif",
}

RELATIONSHIP = {
    Relationship.MOTHER: "Mère",
    Relationship.FATHER: "Père",
    Relationship.OTHER_FAMILY_MEMBER: "Autre membre de la famille",
    Relationship.EDUCATOR: "Éducateur",
    Relationship.ASSISTANT_FAMILY: "Assistant familial",
    Relationship.ASE: "Aide sociale à l'enfance",
    Relationship.TUTOR: "Tuteur",
    Relationship.STUDENT_SELF: "Élève lui-même",
    Relationship.OTHER: "Autre lien",
}

SCHOOL_KIND = {
    SchoolKind.COLLEGE: "Collège",
    SchoolKind.LGT: "Lycée général et technologique",
    SchoolKind.LP: "Lycée professionnel",
}

COUNTRY = {"100": "France"}


def responsibility(legal_rank: int | None) -> str:
    if legal_rank == 1:
        return "Représentant légal 1"
    if legal_rank == 2:
        return "Représentant légal 2"
    return "Autre responsable"


def country(code: str | None) -> str:
    if not code:
        return ""
    return COUNTRY.get(code, f"Pays (code INSEE {code})")


def date_fr(value: date | datetime | None) -> str:
    """DD/MM/YYYY, or an empty string."""
    if value is None:
        return ""
    return value.strftime("%d/%m/%Y")


def label_of(mapping: Mapping[Any, str], value: object) -> str:
    if value is None:
        return ""
    return mapping.get(value, str(getattr(value, "value", value)))
