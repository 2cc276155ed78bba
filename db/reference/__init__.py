"""Reference data shipped with the project: national nomenclatures and a few communes.

``mefs.csv`` and ``subjects.csv`` hold real SIECLE codes and labels (taken
from a ``BEE_NOMENCLATURES`` export, plus the four collège levels), with the
age a student reaches at each level and the level that follows. They seed a
new académie (``sconet demo``) and are what the académie would otherwise
receive from the BAN. ``communes.csv`` lists real communes (INSEE code,
postal code) of Créteil's three départements and a few birthplaces.
``nomenclature_entries.csv`` holds the coded lists (régimes, exit motives, kinship,
professions, statuses, bourses, modalités d'élection, responsibility levels...) of the
2019-2020 national nomenclature, each code with the category the product reads from it;
they are in force from that year until an import brings a later one.
``generic_motives.csv`` and ``holiday_periods.csv`` are the national absence
references (see ``db.reference.absences``). ``scholarship_amounts.csv`` and
``scholarship_ceilings.csv`` are the national scholarship tables by year (see
``db.reference.scholarships``).
"""

from db.reference.absences import (
    load_absence_references,
    read_generic_motives,
    read_holiday_periods,
)
from db.reference.loader import (
    Commune,
    EntryRow,
    MefRow,
    SubjectRow,
    load_reference_entries,
    load_reference_nomenclatures,
    read_communes,
    read_mefs,
    read_nomenclature_entries,
    read_subjects,
)
from db.reference.scholarships import (
    AmountRow,
    CeilingRow,
    load_scholarship_scales,
    read_scholarship_amounts,
    read_scholarship_ceilings,
)

__all__ = [
    "AmountRow",
    "CeilingRow",
    "Commune",
    "EntryRow",
    "MefRow",
    "SubjectRow",
    "load_absence_references",
    "load_reference_entries",
    "load_reference_nomenclatures",
    "load_scholarship_scales",
    "read_communes",
    "read_generic_motives",
    "read_holiday_periods",
    "read_mefs",
    "read_nomenclature_entries",
    "read_scholarship_amounts",
    "read_scholarship_ceilings",
    "read_subjects",
]
