"""STS-WEB's structures and SIECLE's nomenclatures through the exchanges, end to end: written
in the real format, previewed, applied, recorded."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from api.auth.principal import PermissionDenied
from api.resolvers.exchanges.runs import apply_import, preview_import
from api.resolvers.work import Work
from db.exchanges import ExchangeFormat, ExchangeState
from db.nomenclatures import Mef, NomenclatureEntry
from db.structures import Division
from exchanges.records import (
    CodedEntryRecord,
    DivisionRecord,
    FileHeader,
    MefRecord,
    ServiceRecord,
    SubjectRecord,
    TeacherRecord,
)
from exchanges.siecle_writing import nomenclatures_bytes
from exchanges.sts_writing import structures_bytes
from exchanges.xml_writing import structures_file_name, zipped
from tests.world import World, uai


async def _run(sessionmaker, principal, school_id, format, name, content, apply=True):
    async with Work(sessionmaker, principal).writing(school_id) as transaction:
        run = await transaction.run(preview_import, format, school_id, name, content)
    if not apply or run.state != ExchangeState.PREVIEWED:
        return run
    async with Work(sessionmaker, principal).writing(school_id) as transaction:
        return await transaction.run(apply_import, run.id)


async def test_an_sts_file_adds_a_division_its_service_and_its_teacher(
    sessionmaker, world: World
) -> None:
    header = FileHeader("STS_EDT", None, uai("0930001"), 2026, date(2026, 9, 1))
    data = structures_bytes(
        header,
        [
            DivisionRecord(
                "6A", "6e A", 28, ("10010012110",), (ServiceRecord("030201", ("9001",)),)
            ),
            DivisionRecord("6B", "6e B", None, ("10010012110",), ()),
            DivisionRecord(
                "6C", "6e C", 24, ("10010012110",), (ServiceRecord("030201", ("9001",)),)
            ),
        ],
        [],
        [TeacherRecord("9001", "epp", "Mme", "NGUYEN", "Anh", "anh.nguyen@example.fr")],
    )
    principal = await world.principal(sessionmaker, "principal_a")
    run = await _run(
        sessionmaker,
        principal,
        world.school_a,
        ExchangeFormat.STRUCTURES,
        *zipped(structures_file_name(uai("0930001"), 2026), data),
    )
    assert run.state == ExchangeState.APPLIED, run.report
    assert run.counts["division"]["created"] == 1
    assert run.counts["teacher"]["created"] == 1
    async with sessionmaker() as session:
        codes = set(
            await session.scalars(select(Division.code).where(Division.school_id == world.school_a))
        )
    # ESP2 (a group) is not in the file but has a student: kept; 6A and 6B stay, 6C is new.
    assert codes == {"6A", "6B", "6C"}


async def test_a_nomenclature_file_is_the_academys(sessionmaker, world: World) -> None:
    header = FileHeader("BEE_NOMENCLATURES", "3.1", uai("0930001"), 2026, date(2026, 6, 1))
    data = nomenclatures_bytes(
        header,
        [
            MefRecord(
                "10310019110",
                "3EME",
                "3EME",
                "3ème",
                "10310019110",
                "21131010019",
                date(2010, 9, 1),
                None,
            )
        ],
        [SubjectRecord("030201", "ESP2", "ESPAGNOL LV2", "ESPAGNOL LV2", "Espagnol LV2")],
        [],
        [CodedEntryRecord("regime", "2", "DP DAN", "DEMI-PENSIONNAIRE DANS L'ETABLISSEMENT")],
    )
    admin = await world.principal(sessionmaker, "admin")
    run = await _run(
        sessionmaker, admin, None, ExchangeFormat.NOMENCLATURES, *zipped("Nomenclature.xml", data)
    )
    assert run.state == ExchangeState.APPLIED, run.report
    assert run.counts["mef"]["created"] == 1 and run.counts["subject"]["updated"] == 1
    async with sessionmaker() as session:
        mef = await session.scalar(select(Mef).where(Mef.code == "10310019110"))
        assert mef is not None and mef.statistics_code == "21131010019"
        entry = await session.scalar(
            select(NomenclatureEntry).where(
                NomenclatureEntry.list == "regime", NomenclatureEntry.year == 2026
            )
        )
        assert entry is not None and entry.category == "demi_pensionnaire"
    # A school's principal may not change the académie's nomenclatures.
    principal = await world.principal(sessionmaker, "principal_a")
    with pytest.raises(PermissionDenied):
        await _run(
            sessionmaker,
            principal,
            None,
            ExchangeFormat.NOMENCLATURES,
            *zipped("Nomenclature.xml", data),
        )
