"""Import of the national nomenclatures (BEE_NOMENCLATURES, event B) for a school year.

The file's reader (``exchanges``) gives records; this module checks them, compares them
with the database and returns a plan: what would be created, updated or left unchanged,
and the records refused with the element, id and field at fault. The same function, asked
to apply, writes the plan in the caller's transaction. MEFs and subjects are upserted by
code (never deleted: students and structures of past years keep theirs); the programme of
each MEF of the file is replaced by the file's when the file carries programmes; the coded
lists are written for the year (upserted by list, year and code), each code with the
category the product reads from it (``api.resolvers.nomenclatures.entry_category``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.resolvers.nomenclatures import entry_category, forget_entries
from core.errors import ValidationFailed
from db.nomenclatures import (
    Mef,
    MefSubject,
    NomenclatureEntry,
    NomenclatureList,
    Subject,
)
from db.reference import read_mefs
from exchanges.records import (
    CodedEntryRecord,
    MefRecord,
    NomenclatureFileItem,
    ProgrammeRecord,
    RecordProblem,
    SubjectRecord,
)

# The element of each coded list in BEE_NOMENCLATURES and the attribute holding its code,
# so that a refusal names them as the file does.
LIST_ELEMENTS: dict[NomenclatureList, tuple[str, str]] = {
    NomenclatureList.REGIME: ("REGIME", "CODE_REGIME"),
    NomenclatureList.EXIT_MOTIVE: ("MOTIF_SORTIE", "CODE_MOTIF_SORTIE"),
    NomenclatureList.KINSHIP: ("LIEN_PARENTE", "CODE_PARENTE"),
    NomenclatureList.PROFESSION: ("PROFESSION", "CODE_PROFESSION"),
    NomenclatureList.STUDENT_STATUS: ("STATUT_ELEVE", "CODE_STATUT"),
    NomenclatureList.SCHOLARSHIP_TYPE: ("BOURSE", "CODE_BOURSE"),
    NomenclatureList.ELECTION_MODALITY: ("MODALITE_ELECTION", "CODE_MODALITE_ELECT"),
    NomenclatureList.COURSE_MODALITY: ("MODALITE_COURS", "CODE_MODALITE_COURS"),
    NomenclatureList.PROVENANCE: ("PROVENANCE", "CODE_PROVENANCE"),
    NomenclatureList.RESPONSIBILITY_LEVEL: ("N_NIVEAU_RESPONSABILITE", "NIVEAU_RESPONSABILITE"),
    NomenclatureList.CIVILITY: ("CIVILITE", "CODE_CIVILITE"),
    NomenclatureList.CONTRACT: ("CONTRAT", "CODE_CONTRAT"),
    NomenclatureList.SCHOOL_TYPE: ("TYPE_ETABLISSEMENT", "CODE_TYPE_ETAB"),
}
FIRST_YEAR, LAST_YEAR = 2000, 2100
MEF_CODE = re.compile(r"\d{11}")
SUBJECT_CODE = re.compile(r"[0-9A-Z]{6}")
# A nomenclature file holds a few thousand records; more is not one.
MAX_RECORDS = 100_000

_MEF_FIELDS = (
    "short_label",
    "long_label",
    "edition_label",
    "attachment_code",
    "statistics_code",
    "opens_on",
    "closes_on",
)
_SUBJECT_FIELDS = ("management_code", "short_label", "long_label", "edition_label")
_ENTRY_FIELDS = ("short_label", "long_label", "edition_label", "category", "sort_order")


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class NomenclatureChange:
    """One line of the preview: an element created or updated, and the fields that change."""

    element: str  # MEF, MATIERE, PROGRAMME, REGIME, MOTIF_SORTIE...
    code: str
    action: str  # "created" or "updated"
    fields: list[str] = field(default_factory=list)


@dataclass
class NomenclaturePlan:
    """What an import changes, or changed once applied. ``programmes`` counts MEFs whose
    programme is created, replaced or unchanged; ``entries`` counts codes of every list."""

    year: int
    mefs: Counts = field(default_factory=Counts)
    subjects: Counts = field(default_factory=Counts)
    programmes: Counts = field(default_factory=Counts)
    entries: Counts = field(default_factory=Counts)
    changes: list[NomenclatureChange] = field(default_factory=list)
    refused: list[RecordProblem] = field(default_factory=list)
    applied: bool = False


class _Checker:
    """Checks each record's fields, collecting a refusal per fault (the record is then left
    out) instead of stopping at the first."""

    def __init__(self) -> None:
        self.refused: list[RecordProblem] = []

    def refuse(
        self, element: str, record_id: str | None, field: str | None, message: str, line: int
    ) -> None:
        self.refused.append(RecordProblem(element, record_id, field, message, line))

    def text(
        self,
        element: str,
        record_id: str,
        line: int,
        name: str,
        value: str | None,
        max_length: int,
        required: bool = True,
    ) -> bool:
        value = (value or "").strip()
        if not value and required:
            self.refuse(element, record_id, name, f"{name} est vide.", line)
            return False
        if len(value) > max_length:
            self.refuse(
                element,
                record_id,
                name,
                f"{name} dépasse {max_length} caractères ({len(value)}).",
                line,
            )
            return False
        return True


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _mef_values(record: MefRecord) -> dict[str, Any]:
    return {
        "short_label": record.formation.strip(),
        "long_label": record.long_label.strip(),
        "edition_label": _clean(record.edition_label),
        "attachment_code": _clean(record.attachment_code),
        "statistics_code": _clean(record.statistics_code),
        "opens_on": record.opens_on,
        "closes_on": record.closes_on,
    }


def _check_mef(check: _Checker, record: MefRecord) -> bool:
    code, line = record.code.strip(), record.line
    if not MEF_CODE.fullmatch(code):
        check.refuse("MEF", code or None, "CODE_MEF", "CODE_MEF doit compter 11 chiffres.", line)
        return False
    ok = check.text("MEF", code, line, "FORMATION", record.formation, 20)
    ok &= check.text("MEF", code, line, "LIBELLE_LONG", record.long_label, 120)
    ok &= check.text("MEF", code, line, "LIBELLE_EDITION", record.edition_label, 120, False)
    for name, value in (
        ("MEF_RATTACHEMENT", record.attachment_code),
        ("CODE_MEFSTAT", record.statistics_code),
    ):
        if _clean(value) is not None and not re.fullmatch(r"\d{11}", (value or "").strip()):
            check.refuse("MEF", code, name, f"{name} doit compter 11 chiffres.", line)
            ok = False
    if record.opens_on and record.closes_on and record.closes_on < record.opens_on:
        check.refuse(
            "MEF",
            code,
            "DATE_FERMETURE",
            "DATE_FERMETURE précède DATE_OUVERTURE.",
            line,
        )
        ok = False
    return ok


def _check_subject(check: _Checker, record: SubjectRecord) -> bool:
    code, line = record.code.strip(), record.line
    if not SUBJECT_CODE.fullmatch(code):
        check.refuse(
            "MATIERE",
            code or None,
            "CODE_MATIERE",
            "CODE_MATIERE doit compter 6 chiffres ou lettres majuscules.",
            line,
        )
        return False
    ok = check.text("MATIERE", code, line, "CODE_GESTION", record.management_code, 10)
    ok &= check.text("MATIERE", code, line, "LIBELLE_COURT", record.short_label, 40)
    ok &= check.text("MATIERE", code, line, "LIBELLE_LONG", record.long_label, 120)
    ok &= check.text("MATIERE", code, line, "LIBELLE_EDITION", record.edition_label, 120, False)
    return ok


def _check_entry(check: _Checker, record: CodedEntryRecord) -> NomenclatureList | None:
    try:
        list_name = NomenclatureList(record.list)
    except ValueError:
        check.refuse(
            "NOMENCLATURE",
            record.code or None,
            None,
            f"Liste de codes inconnue : {record.list[:40]}.",
            record.line,
        )
        return None
    element, code_name = LIST_ELEMENTS[list_name]
    code, line = record.code.strip(), record.line
    if not check.text(element, code or "?", line, code_name, code, 10):
        return None
    ok = check.text(element, code, line, "LIBELLE_COURT", record.short_label, 40)
    ok &= check.text(element, code, line, "LIBELLE_LONG", record.long_label, 120)
    ok &= check.text(element, code, line, "LIBELLE_EDITION", record.edition_label, 120, False)
    if record.sort_order is not None and not 0 <= record.sort_order < 100_000:
        check.refuse(element, code, "TRI", "TRI doit être un entier de 0 à 99999.", line)
        ok = False
    if list_name is NomenclatureList.REGIME and entry_category(list_name, code) is None:
        check.refuse(
            element,
            code,
            code_name,
            f"Régime {code} : son genre (externe, demi-pensionnaire, interne) est inconnu.",
            line,
        )
        ok = False
    return list_name if ok else None


def _differences(row: Any, values: dict[str, Any], names: Iterable[str]) -> list[str]:
    return [name for name in names if getattr(row, name) != values[name]]


def _hours(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


@requires(Permission.NOMENCLATURES_IMPORT)
async def import_nomenclatures(
    session: AsyncSession,
    principal: Principal,
    year: int,
    records: Iterable[NomenclatureFileItem | RecordProblem],
    *,
    apply: bool = False,
) -> NomenclaturePlan:
    """The plan of importing ``records`` as the nomenclatures of the school year starting in
    ``year``; with ``apply``, also written in the caller's transaction (not committed).

    Problems the reader met (``RecordProblem``) are reported with the refusals. A record
    refused is left out and the rest goes on; a programme line naming a MEF or subject
    refused or unknown is refused too. A new MEF takes its duration, age and following MEF
    from the shipped reference when the reference knows its code.
    """
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationFailed.single(
            "year", "OUT_OF_RANGE", f"L'année doit être comprise entre {FIRST_YEAR} et {LAST_YEAR}."
        )
    check = _Checker()
    mefs: dict[str, MefRecord] = {}
    subjects: dict[str, SubjectRecord] = {}
    programmes: list[ProgrammeRecord] = []
    coded: dict[tuple[NomenclatureList, str], CodedEntryRecord] = {}
    for count, record in enumerate(records, start=1):
        if count > MAX_RECORDS:
            raise ValidationFailed.single(
                "file", "TOO_LARGE", f"Le fichier dépasse {MAX_RECORDS} enregistrements."
            )
        if isinstance(record, RecordProblem):
            check.refused.append(record)
        elif isinstance(record, MefRecord):
            code = record.code.strip()
            if code in mefs:
                check.refuse("MEF", code, "CODE_MEF", "MEF en double dans le fichier.", record.line)
            elif _check_mef(check, record):
                mefs[code] = record
        elif isinstance(record, SubjectRecord):
            code = record.code.strip()
            if code in subjects:
                check.refuse(
                    "MATIERE",
                    code,
                    "CODE_MATIERE",
                    "Matière en double dans le fichier.",
                    record.line,
                )
            elif _check_subject(check, record):
                subjects[code] = record
        elif isinstance(record, ProgrammeRecord):
            programmes.append(record)
        elif isinstance(record, CodedEntryRecord):
            list_name = _check_entry(check, record)
            if list_name is None:
                continue
            key = (list_name, record.code.strip())
            if key in coded:
                element, code_name = LIST_ELEMENTS[list_name]
                check.refuse(
                    element, key[1], code_name, "Code en double dans le fichier.", record.line
                )
            else:
                coded[key] = record
    plan = NomenclaturePlan(year=year, refused=check.refused)

    stored_mefs = {m.code: m for m in await session.scalars(select(Mef))}
    stored_subjects = {s.code: s for s in await session.scalars(select(Subject))}
    reference = {row.code: row for row in read_mefs()}
    new_mefs: dict[str, Mef] = {}
    for code, mef_record in mefs.items():
        values = _mef_values(mef_record)
        row = stored_mefs.get(code)
        if row is None:
            plan.mefs.created += 1
            plan.changes.append(NomenclatureChange("MEF", code, "created"))
            known = reference.get(code)
            new_mefs[code] = Mef(
                code=code,
                duration_years=known.duration_years if known else 1,
                typical_age=known.typical_age if known else None,
                **values,
            )
            continue
        changed = _differences(row, values, _MEF_FIELDS)
        if changed:
            plan.mefs.updated += 1
            plan.changes.append(NomenclatureChange("MEF", code, "updated", changed))
            if apply:
                for name in changed:
                    setattr(row, name, values[name])
        else:
            plan.mefs.unchanged += 1

    new_subjects: dict[str, Subject] = {}
    for code, subject_record in subjects.items():
        values = {
            "management_code": subject_record.management_code.strip(),
            "short_label": subject_record.short_label.strip(),
            "long_label": subject_record.long_label.strip(),
            "edition_label": _clean(subject_record.edition_label),
        }
        subject_row = stored_subjects.get(code)
        if subject_row is None:
            plan.subjects.created += 1
            plan.changes.append(NomenclatureChange("MATIERE", code, "created"))
            new_subjects[code] = Subject(code=code, **values)
            continue
        changed = _differences(subject_row, values, _SUBJECT_FIELDS)
        if changed:
            plan.subjects.updated += 1
            plan.changes.append(NomenclatureChange("MATIERE", code, "updated", changed))
            if apply:
                for name in changed:
                    setattr(subject_row, name, values[name])
        else:
            plan.subjects.unchanged += 1

    mef_codes = set(stored_mefs) | set(new_mefs)
    subject_codes = set(stored_subjects) | set(new_subjects)
    wanted: dict[str, dict[tuple[str, str], Decimal | None]] = {}
    for line in programmes:
        mef_code, subject_code = line.mef_code.strip(), line.subject_code.strip()
        modality = line.election_modality.strip()
        line_id = f"{mef_code}/{subject_code}"
        if mef_code not in mef_codes:
            check.refuse("PROGRAMME", line_id, "CODE_MEF", f"MEF {mef_code} inconnu.", line.line)
        elif subject_code not in subject_codes:
            check.refuse(
                "PROGRAMME",
                line_id,
                "CODE_MATIERE",
                f"Matière {subject_code} inconnue.",
                line.line,
            )
        elif not re.fullmatch(r"[A-Z]", modality):
            check.refuse(
                "PROGRAMME",
                line_id,
                "CODE_MODALITE_ELECT",
                "CODE_MODALITE_ELECT doit être une lettre majuscule.",
                line.line,
            )
        elif line.weekly_hours is not None and not 0 <= line.weekly_hours < 1000:
            check.refuse(
                "PROGRAMME",
                line_id,
                "HORAIRE",
                "HORAIRE doit être compris entre 0 et 999.",
                line.line,
            )
        elif (subject_code, modality) in wanted.setdefault(mef_code, {}):
            check.refuse(
                "PROGRAMME",
                line_id,
                "CODE_MODALITE_ELECT",
                "Ligne de programme en double dans le fichier.",
                line.line,
            )
        else:
            wanted[mef_code][(subject_code, modality)] = _hours(line.weekly_hours)
    replaced: list[str] = []
    if programmes:
        # Every MEF of the file takes the file's programme, empty when it has no line.
        for code in mefs:
            wanted.setdefault(code, {})
        stored_programmes: dict[str, dict[tuple[str, str], Decimal | None]] = {}
        for mef_code, subject_code, modality, hours in await session.execute(
            select(Mef.code, Subject.code, MefSubject.election_modality, MefSubject.weekly_hours)
            .join(Mef, Mef.id == MefSubject.mef_id)
            .join(Subject, Subject.id == MefSubject.subject_id)
            .where(Mef.code.in_(list(wanted)))
        ):
            stored_programmes.setdefault(mef_code, {})[(subject_code, modality)] = _hours(hours)
        for code, lines in sorted(wanted.items()):
            before = stored_programmes.get(code, {})
            if before == lines:
                plan.programmes.unchanged += 1
                continue
            replaced.append(code)
            if not before:
                plan.programmes.created += 1
                plan.changes.append(NomenclatureChange("PROGRAMME", code, "created"))
            else:
                plan.programmes.updated += 1
                plan.changes.append(
                    NomenclatureChange(
                        "PROGRAMME",
                        code,
                        "updated",
                        sorted(f"{s}/{m}" for s, m in set(before.items()) ^ set(lines.items())),
                    )
                )

    stored_entries = {
        (row.list, row.code): row
        for row in await session.scalars(
            select(NomenclatureEntry).where(NomenclatureEntry.year == year)
        )
    }
    new_entries: list[NomenclatureEntry] = []
    for (list_name, code), entry_record in coded.items():
        element = LIST_ELEMENTS[list_name][0]
        values = {
            "short_label": entry_record.short_label.strip(),
            "long_label": entry_record.long_label.strip(),
            "edition_label": _clean(entry_record.edition_label),
            "category": entry_category(list_name, code, entry_record.national),
            "sort_order": entry_record.sort_order,
        }
        entry_row = stored_entries.get((list_name.value, code))
        if entry_row is None:
            plan.entries.created += 1
            plan.changes.append(NomenclatureChange(element, code, "created"))
            new_entries.append(
                NomenclatureEntry(list=list_name.value, year=year, code=code, **values)
            )
            continue
        changed = _differences(entry_row, values, _ENTRY_FIELDS)
        if changed:
            plan.entries.updated += 1
            plan.changes.append(NomenclatureChange(element, code, "updated", changed))
            if apply:
                for name in changed:
                    setattr(entry_row, name, values[name])
        else:
            plan.entries.unchanged += 1

    if not apply:
        return plan
    session.add_all([*new_mefs.values(), *new_subjects.values(), *new_entries])
    await session.flush()
    mef_ids = {
        **{c: m.id for c, m in stored_mefs.items()},
        **{c: m.id for c, m in new_mefs.items()},
    }
    for code, mef in new_mefs.items():
        known = reference.get(code)
        if known is not None and known.next_code in mef_ids:
            mef.next_mef_id = mef_ids[known.next_code]
    subject_ids = {
        **{c: s.id for c, s in stored_subjects.items()},
        **{c: s.id for c, s in new_subjects.items()},
    }
    if replaced:
        await session.execute(
            delete(MefSubject).where(MefSubject.mef_id.in_([mef_ids[c] for c in replaced]))
        )
        session.add_all(
            MefSubject(
                mef_id=mef_ids[code],
                subject_id=subject_ids[subject_code],
                election_modality=modality,
                weekly_hours=hours,
            )
            for code in replaced
            for (subject_code, modality), hours in wanted[code].items()
        )
    await session.flush()
    forget_entries(session)
    plan.applied = True
    return plan
