"""Import of the national nomenclatures for a year: plan, apply, refusals, lists in force."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from importlib import resources

import pytest
from sqlalchemy import select

from api.auth.principal import PermissionDenied
from api.resolvers.nomenclature_import import import_nomenclatures
from api.resolvers.nomenclatures import (
    entries,
    entry_category,
    exit_reason_of,
    regime_kind,
    relationship_of,
)
from core.errors import ValidationFailed
from db.enrollments import ExitReason, Regime
from db.guardians import Relationship
from db.nomenclatures import Mef, MefSubject, NomenclatureEntry, NomenclatureList, Subject
from db.reference import load_reference_nomenclatures, read_nomenclature_entries
from exchanges.records import (
    CodedEntryRecord,
    MefRecord,
    ProgrammeRecord,
    RecordProblem,
    SubjectRecord,
)

SIXIEME = "10010012110"  # in the test world, 6EME -> 5EME
SECONDE = "20010018110"  # in the shipped reference, followed by 1G (20110019110)
PREMIERE = "20110019110"


def _mef(code: str, formation: str, long_label: str, line: int = 0, **extra) -> MefRecord:
    values = {
        "edition_label": None,
        "attachment_code": code,
        "statistics_code": None,
        "opens_on": date(2019, 9, 1),
        "closes_on": None,
    } | extra
    return MefRecord(code=code, formation=formation, long_label=long_label, line=line, **values)


def _file() -> list:
    return [
        _mef(SIXIEME, "6EME", "6EME", 10),
        _mef(SECONDE, "2NDE GT", "2NDE GENERALE ET TECHNOLOGIQUE", 20),
        _mef(PREMIERE, "1G", "1ERE GENERALE", 30),
        SubjectRecord("030201", "ESP2", "ESPAGNOL LV2", "ESPAGNOL LV2", None, line=40),
        SubjectRecord("020700", "FRANC", "FRANCAIS", "FRANCAIS", "Français", line=41),
        ProgrammeRecord(SIXIEME, "020700", "S", Decimal("4.5"), line=50),
        ProgrammeRecord(SECONDE, "030201", "O", Decimal("2.5"), line=51),
        CodedEntryRecord("regime", "0", "EXTERN", "EXTERNE LIBRE", line=60),
        CodedEntryRecord("regime", "2", "DP DAN", "DEMI-PENSIONNAIRE DANS L'ETABLISSEMENT"),
        CodedEntryRecord("regime", "31", "INT 1J", "INTERNE 1 JOUR"),
        CodedEntryRecord("kinship", "51", "ASE", "AIDE SOCIALE A L'ENFANCE", sort_order=8),
        CodedEntryRecord("scholarship_type", "8", "COLL.", "BOURSE DES COLLEGES", national=True),
        CodedEntryRecord("exit_motive", "24", "AUT APPREN", "AUTRE SUITE ETUDES : APPRENTISSAGE"),
    ]


async def _import(sessionmaker, principal, records, year=2026, apply=False):
    async with sessionmaker() as session, session.begin():
        return await import_nomenclatures(session, principal, year, records, apply=apply)


def test_categories_follow_the_siecle_codes() -> None:
    assert [regime_kind(c) for c in ("0", "1", "2", "6", "24", "29", "3", "4", "5", "38")] == [
        Regime.EXTERNE,
        Regime.EXTERNE,
        Regime.DEMI_PENSIONNAIRE,
        Regime.DEMI_PENSIONNAIRE,
        Regime.DEMI_PENSIONNAIRE,
        Regime.DEMI_PENSIONNAIRE,
        Regime.INTERNE,
        Regime.INTERNE,
        Regime.INTERNE,
        Regime.INTERNE,
    ]
    assert regime_kind("7") is None and regime_kind("2A") is None
    assert exit_reason_of("11") is ExitReason.CHANGE_OF_SCHOOL
    assert exit_reason_of("24") is ExitReason.APPRENTICESHIP
    assert exit_reason_of("25") is ExitReason.ABROAD
    assert exit_reason_of("30") is ExitReason.WORK
    assert exit_reason_of("43") is exit_reason_of("ZZ") is ExitReason.OTHER
    assert relationship_of("51") is Relationship.ASE
    assert relationship_of("37") is Relationship.SIBLING
    assert relationship_of("30") is Relationship.OTHER_FAMILY_MEMBER  # an older code
    assert relationship_of("99") is Relationship.OTHER
    assert entry_category("scholarship_type", "1", True) == "national"
    assert entry_category("scholarship_type", "2", False) is None
    assert entry_category("profession", "10") is None


def test_shipped_lists_are_the_real_2019_ones_with_the_products_categories() -> None:
    rows = read_nomenclature_entries()
    keys = [(r.list, r.year, r.code) for r in rows]
    assert len(keys) == len(set(keys))
    lists = {r.list for r in rows}
    assert (
        {
            "regime",
            "exit_motive",
            "kinship",
            "profession",
            "student_status",
            "scholarship_type",
            "election_modality",
            "responsibility_level",
        }
        <= lists
        <= set(NomenclatureList)
    )
    for row in rows:
        assert row.category == entry_category(row.list, row.code, row.category == "national")
        assert row.short_label and row.long_label and len(row.short_label) <= 40
    regimes = {r.code: r for r in rows if r.list == "regime"}
    assert {"0", "1", "2", "3", "4", "5", "6", "21", "29", "38"} <= set(regimes)
    assert all(r.category for r in regimes.values())
    kinship = {r.code: r.edition_label for r in rows if r.list == "kinship"}
    assert kinship["10"] == "Mère" and kinship["51"] == "Aide sociale à l'enfance"
    # The CSV is the project's own file, read as a package resource.
    text = resources.files("db.reference").joinpath("nomenclature_entries.csv").read_text("utf-8")
    assert len(list(csv.DictReader(io.StringIO(text)))) == len(rows)


async def test_plan_then_apply_counts_and_writes(sessionmaker, world) -> None:
    admin = await world.principal(sessionmaker, "admin")
    plan = await _import(sessionmaker, admin, _file())
    assert plan.applied is False and plan.refused == []
    # 6EME is in the world (its labels change: attachment and dates), 2NDE and 1G are new.
    assert (plan.mefs.created, plan.mefs.updated, plan.mefs.unchanged) == (2, 1, 0)
    assert (plan.subjects.created, plan.subjects.updated, plan.subjects.unchanged) == (1, 0, 1)
    assert (plan.programmes.created, plan.programmes.updated, plan.programmes.unchanged) == (
        2,
        0,
        1,
    )
    assert plan.entries.created == 6
    updated = next(c for c in plan.changes if c.element == "MEF" and c.action == "updated")
    assert updated.code == SIXIEME and set(updated.fields) == {"attachment_code", "opens_on"}
    async with sessionmaker() as session:  # a preview writes nothing
        assert await session.scalar(select(Mef.id).where(Mef.code == SECONDE)) is None

    applied = await _import(sessionmaker, admin, _file(), apply=True)
    assert applied.applied is True and applied.mefs == plan.mefs
    async with sessionmaker() as session:
        seconde = await session.scalar(select(Mef).where(Mef.code == SECONDE))
        premiere = await session.scalar(select(Mef).where(Mef.code == PREMIERE))
        sixieme = await session.scalar(select(Mef).where(Mef.code == SIXIEME))
        assert seconde is not None and premiere is not None and sixieme is not None
        # The national next MEF comes from the shipped reference; the world's own is kept.
        assert seconde.next_mef_id == premiere.id and seconde.typical_age == 15
        assert sixieme.next_mef_id == world.mef_5 and sixieme.attachment_code == SIXIEME
        programme = (
            await session.execute(
                select(Subject.code, MefSubject.election_modality, MefSubject.weekly_hours)
                .join(Subject, Subject.id == MefSubject.subject_id)
                .where(MefSubject.mef_id == sixieme.id)
            )
        ).all()
        assert programme == [("020700", "S", Decimal("4.50"))]
        categories = {
            code: category
            for code, category in await session.execute(
                select(NomenclatureEntry.code, NomenclatureEntry.category).where(
                    NomenclatureEntry.year == 2026
                )
            )
        }
        assert categories == {
            "0": "externe",
            "2": "demi_pensionnaire",
            "31": "interne",
            "51": "ase",
            "8": "national",
            "24": "apprenticeship",
        }

    again = await _import(sessionmaker, admin, _file(), apply=True)
    assert (again.mefs.unchanged, again.subjects.unchanged, again.entries.unchanged) == (3, 2, 6)
    assert again.programmes.unchanged == 3 and again.changes == []

    # The next file drops 6EME's programme line and renames a régime: replaced, updated.
    renamed = CodedEntryRecord("regime", "0", "EXTERNE", "EXTERNE")
    changed = [
        renamed if isinstance(r, CodedEntryRecord) and r.code == "0" else r
        for r in _file()
        if not (isinstance(r, ProgrammeRecord) and r.mef_code == SIXIEME)
    ]
    last = await _import(sessionmaker, admin, changed, apply=True)
    assert last.refused == []
    assert (last.programmes.updated, last.entries.updated, last.entries.unchanged) == (1, 1, 5)
    async with sessionmaker() as session:
        rows = await session.scalars(select(MefSubject).where(MefSubject.mef_id == sixieme.id))
        assert rows.all() == []


async def test_bad_records_are_refused_by_element_id_and_field(sessionmaker, world) -> None:
    admin = await world.principal(sessionmaker, "admin")
    problem = RecordProblem("MEF", "123", "CODE_MEF", "Élément illisible.", 5)
    records = [
        problem,
        _mef("1001", "X", "X", 7),
        _mef(SECONDE, "", "2NDE", 8),
        _mef(PREMIERE, "1G", "1G", 9, closes_on=date(2018, 1, 1)),
        _mef(SIXIEME, "6EME", "6EME", 10),
        _mef(SIXIEME, "6EME", "6EME", 11),
        SubjectRecord("abc", "X", "X", "X", None, line=12),
        ProgrammeRecord(SECONDE, "020700", "S", None, line=13),
        ProgrammeRecord(SIXIEME, "999999", "S", None, line=14),
        CodedEntryRecord("regime", "7", "?", "INCONNU", line=15),
        CodedEntryRecord("planets", "1", "X", "X", line=16),
        CodedEntryRecord("kinship", "10", "M" * 41, "MERE", line=17),
        CodedEntryRecord("kinship", "20", "PERE", "PERE", line=18),
    ]
    plan = await _import(sessionmaker, admin, records, apply=True)
    found = {(p.element, p.record_id, p.field, p.line) for p in plan.refused}
    assert found == {
        ("MEF", "123", "CODE_MEF", 5),
        ("MEF", "1001", "CODE_MEF", 7),
        ("MEF", SECONDE, "FORMATION", 8),
        ("MEF", PREMIERE, "DATE_FERMETURE", 9),
        ("MEF", SIXIEME, "CODE_MEF", 11),
        ("MATIERE", "abc", "CODE_MATIERE", 12),
        ("PROGRAMME", f"{SECONDE}/020700", "CODE_MEF", 13),
        ("PROGRAMME", f"{SIXIEME}/999999", "CODE_MATIERE", 14),
        ("REGIME", "7", "CODE_REGIME", 15),
        ("NOMENCLATURE", "1", None, 16),
        ("LIEN_PARENTE", "10", "LIBELLE_COURT", 17),
    }
    messages = {p.field: p.message for p in plan.refused}
    assert messages["FORMATION"] == "FORMATION est vide."
    assert "dépasse 40 caractères" in messages["LIBELLE_COURT"]
    # The rest went on.
    assert plan.mefs.unchanged + plan.mefs.updated == 1 and plan.entries.created == 1
    with pytest.raises(ValidationFailed) as failed:
        await _import(sessionmaker, admin, [], year=1990)
    assert failed.value.errors[0].field == "year"


async def test_only_the_academy_administrator_imports(sessionmaker, world) -> None:
    for login in ("principal_a", "rectorat", "registrar_a"):
        principal = await world.principal(sessionmaker, login)
        with pytest.raises(PermissionDenied):
            await _import(sessionmaker, principal, _file())


async def test_a_list_is_read_from_the_latest_year_that_has_it(sessionmaker, world) -> None:
    admin = await world.principal(sessionmaker, "admin")
    async with sessionmaker() as session, session.begin():
        await load_reference_nomenclatures(session)
    await _import(
        sessionmaker,
        admin,
        [CodedEntryRecord("regime", "0", "EXTERN", "EXTERNE LIBRE 2024")],
        year=2024,
        apply=True,
    )
    async with sessionmaker() as session:
        assert await entries(session, NomenclatureList.REGIME, 2018) == []
        in_2019 = await entries(session, NomenclatureList.REGIME, 2019)
        assert len(in_2019) == 22 and in_2019[0].code == "0"
        assert [e.code for e in await entries(session, "regime", 2023)] == [e.code for e in in_2019]
        in_2026 = await entries(session, NomenclatureList.REGIME, 2026)
        assert [(e.code, e.long_label) for e in in_2026] == [("0", "EXTERNE LIBRE 2024")]
        # Kinship has no 2024 list: 2019's is still in force, in the nomenclature's order.
        kinship = await entries(session, NomenclatureList.KINSHIP, 2026)
        assert [e.code for e in kinship][:3] == ["10", "20", "38"]
        assert kinship[-1].code == "90"
