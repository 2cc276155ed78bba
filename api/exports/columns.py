"""The columns a student list may carry: key, French header, how each value is read.

A column reads an ``ExportRecord`` (a student with the enrolment, MEF,
division, groups and legal guardians of the exported population) and gives
a string, a date or nothing. Columns revealing how to reach a family
(e-mail, phones) also name the permission they need in the school.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from api.auth.permissions import Permission
from core.errors import ValidationFailed
from db.enrollments import Enrollment, Regime
from db.guardians import Guardian
from db.nomenclatures import Mef
from db.structures import Division
from db.students import Student

CellValue = str | date | None

FRANCE = "100"

REGIME_LABELS = {
    Regime.EXTERNE: "Externe",
    Regime.DEMI_PENSIONNAIRE: "Demi-pensionnaire",
    Regime.INTERNE: "Interne",
}


@dataclass(frozen=True)
class ExportRecord:
    """One student of the population, with what the columns read."""

    student: Student
    enrollment: Enrollment
    mef: Mef
    division: Division | None
    group_codes: list[str] = field(default_factory=list)
    # Legal guardians by rank (1, 2); absent ranks are missing keys.
    guardians: dict[int, Guardian] = field(default_factory=dict)


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    read: Callable[[ExportRecord], CellValue]
    # The header of the narrow table of a printed class list, when shorter.
    short_header: str | None = None
    # Needed in the population's school on top of the export permission.
    permission: Permission | None = None
    # What the column needs beyond the main query (one more query each).
    needs_groups: bool = False
    needs_guardians: bool = False
    # Dates are real dates in XLSX and DD/MM/YYYY in CSV and PDF.
    is_date: bool = False


def _first_names(student: Student) -> str:
    return " ".join(
        n for n in (student.first_name, student.first_name_2, student.first_name_3) if n
    )


def _birth_place(student: Student) -> str | None:
    city = student.birth_city or ""
    if student.birth_country_code == FRANCE:
        code = student.birth_commune_code
        if city and code:
            return f"{city} ({code})"
        return city or code or None
    country = f"pays {student.birth_country_code}"
    return f"{city} ({country})" if city else country


def _guardian_name(rank: int) -> Callable[[ExportRecord], CellValue]:
    def read(record: ExportRecord) -> CellValue:
        guardian = record.guardians.get(rank)
        if guardian is None:
            return None
        name = (guardian.usage_name or guardian.family_name).upper()
        return f"{guardian.civility.value} {name} {guardian.first_name}"

    return read


def _guardian_email(rank: int) -> Callable[[ExportRecord], CellValue]:
    def read(record: ExportRecord) -> CellValue:
        guardian = record.guardians.get(rank)
        return guardian.email if guardian is not None else None

    return read


def _guardian_phone(rank: int) -> Callable[[ExportRecord], CellValue]:
    def read(record: ExportRecord) -> CellValue:
        guardian = record.guardians.get(rank)
        if guardian is None:
            return None
        return guardian.phone_mobile or guardian.phone_home

    return read


CATALOGUE: tuple[Column, ...] = (
    Column("nom", "Nom", lambda r: r.student.family_name),
    Column("nom_usage", "Nom d'usage", lambda r: r.student.usage_name),
    Column("prenom", "Prénom", lambda r: r.student.first_name),
    Column("prenoms", "Prénoms", lambda r: _first_names(r.student)),
    Column("sexe", "Sexe", lambda r: r.student.sex.value),
    Column(
        "date_naissance",
        "Date de naissance",
        lambda r: r.student.birth_date,
        short_header="Né(e) le",
        is_date=True,
    ),
    Column(
        "lieu_naissance",
        "Lieu de naissance",
        lambda r: _birth_place(r.student),
        permission=Permission.STUDENTS_IDENTITY_READ,
    ),
    Column("ine", "INE", lambda r: r.student.ine, permission=Permission.STUDENTS_IDENTITY_READ),
    Column("division", "Division", lambda r: r.division.code if r.division else None),
    Column("groupes", "Groupes", lambda r: ", ".join(r.group_codes) or None, needs_groups=True),
    Column("mef", "MEF", lambda r: r.mef.short_label),
    Column("code_mef", "Code MEF", lambda r: r.mef.code),
    Column("regime", "Régime", lambda r: REGIME_LABELS[r.enrollment.regime]),
    Column(
        "date_entree",
        "Date d'entrée",
        lambda r: r.enrollment.entry_date,
        short_header="Entrée",
        is_date=True,
    ),
    Column(
        "date_sortie",
        "Date de sortie",
        lambda r: r.enrollment.exit_date,
        short_header="Sortie",
        is_date=True,
    ),
    Column(
        "responsable1",
        "Responsable légal 1",
        _guardian_name(1),
        short_header="Resp. légal 1",
        needs_guardians=True,
    ),
    Column(
        "responsable2",
        "Responsable légal 2",
        _guardian_name(2),
        short_header="Resp. légal 2",
        needs_guardians=True,
    ),
    Column(
        "email_responsable1",
        "Courriel du responsable légal 1",
        _guardian_email(1),
        short_header="Courriel resp. 1",
        permission=Permission.GUARDIAN_CONTACTS_READ,
        needs_guardians=True,
    ),
    Column(
        "telephone_responsable1",
        "Téléphone du responsable légal 1",
        _guardian_phone(1),
        short_header="Tél. resp. 1",
        permission=Permission.GUARDIAN_CONTACTS_READ,
        needs_guardians=True,
    ),
)

COLUMNS: dict[str, Column] = {column.key: column for column in CATALOGUE}

DEFAULT_COLUMNS: tuple[str, ...] = (
    "nom",
    "prenom",
    "sexe",
    "date_naissance",
    "division",
    "mef",
    "regime",
)

# The fixed columns of a printed class list, before any chosen column.
CLASS_LIST_COLUMNS: tuple[str, ...] = ("nom", "prenom", "sexe", "date_naissance", "regime")


def parse_column_keys(raw: str | None) -> list[str]:
    """``"nom, prenom,ine"`` -> ``["nom", "prenom", "ine"]``; empty parts are ignored."""
    if raw is None:
        return []
    return [part.strip().lower() for part in raw.split(",") if part.strip()]


def resolve_columns(keys: Sequence[str]) -> list[Column]:
    """The columns for these keys, in order and without repeats; the default set if none.

    An unknown key fails on the field ``columns``, listing every unknown key
    and the available ones.
    """
    if not keys:
        return [COLUMNS[key] for key in DEFAULT_COLUMNS]
    normalized = [key.strip().lower() for key in keys]
    unknown = [key for key in dict.fromkeys(normalized) if key not in COLUMNS]
    if unknown:
        listed = ", ".join(f"« {key} »" for key in unknown)
        noun = "Colonnes inconnues" if len(unknown) > 1 else "Colonne inconnue"
        raise ValidationFailed.single(
            "columns",
            "UNKNOWN",
            f"{noun} : {listed}. Colonnes disponibles : {', '.join(COLUMNS)}.",
        )
    return [COLUMNS[key] for key in dict.fromkeys(normalized)]
