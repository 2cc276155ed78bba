"""What the exchange files carry, as plain records: the contract between the readers and
writers of ``exchanges`` and the domain's imports and exports.

Codes stay as the files give them (SIECLE codes: CODE_MEF, CODE_REGIME, CODE_PARENTE...);
dates are ``date``; booleans are ``bool``; empty elements are ``None``. ``line`` is where the
record starts in its file (0 for a record built in memory), so that a refusal can name it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class FileHeader:
    """PARAMETRES: which school the file belongs to (UAJ) and for which school year."""

    root: str  # BEE_ELEVES, BEE_RESPONSABLES, BEE_NOMENCLATURES, STS_EDT, IMPORT_ELEVES
    version: str | None
    uai: str | None
    school_year: int | None  # the starting year: 2025 for 2025-2026
    exported_on: date | None


@dataclass
class RecordProblem:
    """A record the reader could not take: which element, its id, which field, and why (in
    French, shown to the secretariat as is)."""

    element: str
    record_id: str | None
    field: str | None
    message: str
    line: int


# BEE_NOMENCLATURES


@dataclass(frozen=True)
class MefRecord:
    code: str
    formation: str
    long_label: str
    edition_label: str | None
    attachment_code: str | None
    statistics_code: str | None
    opens_on: date | None
    closes_on: date | None
    line: int = 0


@dataclass(frozen=True)
class SubjectRecord:
    code: str
    management_code: str
    short_label: str
    long_label: str
    edition_label: str | None
    line: int = 0


@dataclass(frozen=True)
class ProgrammeRecord:
    """A subject of a MEF's programme (PROGRAMMES/PROGRAMME)."""

    mef_code: str
    subject_code: str
    election_modality: str
    weekly_hours: Decimal | None
    line: int = 0


@dataclass(frozen=True)
class CodedEntryRecord:
    """One code of a coded list (REGIMES/REGIME, MOTIFS_SORTIE/MOTIF_SORTIE...).

    ``list`` is a value of ``db.nomenclatures.NomenclatureList`` ("regime", "exit_motive",
    "kinship", "profession", "student_status", "scholarship_type", "election_modality", ...).
    ``national`` is BOURSE_NATIONALE for scholarship types, else None.
    """

    list: str
    code: str
    short_label: str
    long_label: str
    edition_label: str | None = None
    sort_order: int | None = None
    national: bool | None = None
    line: int = 0


# BEE_ELEVES, BEE_RESPONSABLES (and the addresses both carry)


@dataclass(frozen=True)
class AddressRecord:
    siecle_id: str  # ADRESSE_ID
    line1: str | None = None
    line2: str | None = None
    line3: str | None = None
    line4: str | None = None
    postal_code: str | None = None
    commune_code: str | None = None  # CODE_COMMUNE_INSEE
    city: str | None = None  # LIBELLE_POSTAL
    foreign_city: str | None = None  # COMMUNE_ETRANGERE
    country_code: str = "100"
    line: int = 0


@dataclass(frozen=True)
class PreviousSchoolingRecord:
    """SCOLARITE_AN_DERNIER."""

    mef_code: str | None = None
    division_code: str | None = None
    uai: str | None = None  # CODE_RNE
    name: str | None = None  # SIGLE, DENOM_PRINC and DENOM_COMPL as one name
    commune_code: str | None = None


@dataclass(frozen=True)
class StudentRecord:
    siecle_id: str  # ELEVE_ID
    elenoet: str | None
    ine: str | None  # ID_NATIONAL
    family_name: str
    usage_name: str | None
    first_name: str
    first_name_2: str | None
    first_name_3: str | None
    sex: str | None  # "M" or "F" (CODE_SEXE 1 / 2); None when missing, for the domain to refuse
    birth_date: date | None
    birth_commune_code: str | None  # CODE_COMMUNE_INSEE_NAISS
    birth_department_code: str | None
    birth_city: str | None  # VILLE_NAISS, for a birth abroad
    birth_country_code: str | None  # CODE_PAYS
    nationality_code: str | None  # CODE_PAYS_NAT
    mef_code: str | None
    regime_code: str | None
    status_code: str | None
    repeating: bool
    entry_date: date | None
    exit_date: date | None
    exit_motive_code: str | None
    accepts_sms: bool
    address_siecle_id: str | None  # ADRESSE_ID, in the file with addresses
    previous: PreviousSchoolingRecord | None
    modified_on: date | None = None
    line: int = 0


@dataclass(frozen=True)
class OptionRecord:
    rank: int  # NUM_OPTION
    election_modality: str  # CODE_MODALITE_ELECT
    subject_code: str  # CODE_MATIERE


@dataclass(frozen=True)
class StudentOptionsRecord:
    """OPTIONS/OPTION: a student's elected subjects."""

    student_siecle_id: str
    options: tuple[OptionRecord, ...]
    line: int = 0


@dataclass(frozen=True)
class MembershipRecord:
    code: str  # CODE_STRUCTURE
    kind: str  # TYPE_STRUCTURE: "D" division, "G" group


@dataclass(frozen=True)
class StudentStructuresRecord:
    """STRUCTURES/STRUCTURES_ELEVE: the division and groups of a student."""

    student_siecle_id: str
    memberships: tuple[MembershipRecord, ...]
    line: int = 0


@dataclass(frozen=True)
class PersonRecord:
    """PERSONNES/PERSONNE of BEE_RESPONSABLES: a guardian or a contact."""

    siecle_id: str  # PERSONNE_ID
    civility: str | None  # "M." or "Mme" (LC_CIVILITE M / MME)
    family_name: str
    usage_name: str | None
    first_name: str
    phone_home: str | None
    phone_mobile: str | None
    phone_work: str | None
    email: str | None
    accepts_sms: bool
    profession_code: str | None
    address_siecle_id: str | None
    line: int = 0


@dataclass(frozen=True)
class ResponsibilityRecord:
    """RESPONSABLES/RESPONSABLE_ELEVE: a person's responsibility for a student."""

    student_siecle_id: str
    person_siecle_id: str
    level: int  # NIVEAU_RESPONSABILITE: 1 legal, 2 in charge, 3 contact
    kinship_code: str | None  # CODE_PARENTE
    pays_fees: bool
    receives_aid: bool
    lives_with: bool  # HEBERGE_ELEVE
    contact_first: bool  # A_CONTACTER_EN_PRIORITE
    line: int = 0


# STS_EDT (STS-WEB's structures export)


@dataclass(frozen=True)
class ServiceRecord:
    """A subject taught to a division or a group, and by whom (teachers' STS ids)."""

    subject_code: str
    teacher_ids: tuple[str, ...]


@dataclass(frozen=True)
class DivisionRecord:
    code: str
    label: str
    planned_headcount: int | None
    mef_codes: tuple[str, ...]
    services: tuple[ServiceRecord, ...]
    line: int = 0


@dataclass(frozen=True)
class GroupRecord:
    code: str
    label: str
    division_codes: tuple[str, ...]
    services: tuple[ServiceRecord, ...]
    line: int = 0


@dataclass(frozen=True)
class TeacherRecord:
    """INDIVIDUS/INDIVIDU of TYPE "epp" (or another staff type)."""

    sts_id: str
    kind: str  # TYPE
    civility: str | None
    family_name: str
    first_name: str
    email: str | None = None
    # DISCIPLINES/DISCIPLINE[@CODE]: STS-WEB's discipline codes (L1300...), not subject codes.
    discipline_codes: tuple[str, ...] = field(default_factory=tuple)
    line: int = 0


# The académie's list of schools (CSV)


@dataclass(frozen=True)
class SchoolRecord:
    uai: str
    name: str
    kind: str  # college, lgt, lp, erea
    sector: str  # public, private_under_contract; empty: not given
    address_line: str
    postal_code: str
    city: str
    holiday_zone: str | None
    phone: str | None = None
    email: str | None = None
    line: int = 0


StudentsFileItem = StudentRecord | StudentOptionsRecord | StudentStructuresRecord | AddressRecord
GuardiansFileItem = PersonRecord | ResponsibilityRecord | AddressRecord
NomenclatureFileItem = MefRecord | SubjectRecord | ProgrammeRecord | CodedEntryRecord
StructuresFileItem = DivisionRecord | GroupRecord | TeacherRecord


# The BEA's immatriculation files (docs/immatriculation.md)


@dataclass(frozen=True)
class IneRequestRecord:
    """A student sent to the académie base for an INE (BEE_DEMANDES_INE/DEMANDE): what the
    base needs to identify him, and the request's id its answer names (DEMANDE_ID)."""

    request_id: str
    student_siecle_id: str | None  # ELEVE_ID, when SIECLE knows him
    family_name: str
    usage_name: str | None
    first_name: str
    first_name_2: str | None
    first_name_3: str | None
    sex: str  # "M" or "F"
    birth_date: date
    birth_commune_code: str | None
    birth_city: str | None
    birth_country_code: str
    mef_code: str | None
    line: int = 0


@dataclass(frozen=True)
class IneReturnRecord:
    """The base's answer to one request (BEA_IMMATRICULATIONS/IMMATRICULATION): RESULTAT is
    ATTRIBUE (with ID_NATIONAL), DEJA_CONNU (a probable duplicate) or REJETE (with MESSAGE)."""

    request_id: str
    result: str
    ine: str | None
    message: str | None
    line: int = 0


@dataclass(frozen=True)
class IneAcknowledgementRecord:
    """The school's accusé de réception of one answer (BEE_ACCUSES_INE/ACCUSE): ETAT is
    PRIS_EN_COMPTE, REFUSE (with MESSAGE) or DEJA_TRAITE."""

    request_id: str
    state: str
    ine: str | None
    message: str | None
    line: int = 0


@dataclass(frozen=True)
class DivisionHeadcountRecord:
    """A division's students for STS-WEB's calculated headcounts: in all, and per MEF (the
    division's own MEFs, even empty, and any other MEF one of its students follows)."""

    code: str
    label: str
    headcount: int
    mef_headcounts: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class GroupHeadcountRecord:
    code: str
    label: str
    headcount: int
    division_codes: tuple[str, ...]


@dataclass(frozen=True)
class EvaluationSurveyRecord:
    """One student of the levels the rentrée evaluation (EVA) surveys."""

    uai: str
    ine: str | None
    family_name: str
    first_name: str
    sex: str
    birth_date: date
    mef_code: str
    division_code: str | None
