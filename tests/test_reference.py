"""The reference nomenclatures shipped in db/reference and their loader."""

from __future__ import annotations

import re
from itertools import pairwise

from sqlalchemy import select, update
from sqlalchemy.orm import aliased

from db.absences import GenericMotive, HolidayPeriod
from db.nomenclatures import Mef, Subject
from db.reference import (
    load_absence_references,
    load_reference_nomenclatures,
    read_communes,
    read_generic_motives,
    read_holiday_periods,
    read_mefs,
    read_subjects,
)


def test_reference_mefs_are_well_formed() -> None:
    mefs = read_mefs()
    codes = [m.code for m in mefs]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"\d{11}", code) for code in codes)
    by_code = {m.code: m for m in mefs}
    for mef in mefs:
        assert mef.short_label and mef.long_label
        if mef.next_code is not None:
            following = by_code[mef.next_code]
            # one year later in the course, one year older
            assert mef.typical_age is not None and following.typical_age == mef.typical_age + 1
    # the collège levels and the lycée chain, with real codes
    chain = ["10010012110", "10110001110", "10210001110", "10310019110", "20010018110"]
    for code, following in pairwise(chain):
        assert by_code[code].next_code == following
    assert by_code["20010018110"].next_code == "20110019110"
    assert [by_code[c].typical_age for c in chain] == [11, 12, 13, 14, 15]
    assert by_code["10010012110"].short_label == "6EME"
    assert by_code["20110019110"].short_label == "1G"
    assert by_code["21131016110"].next_code == "21231017110"  # 1-STMG -> T-STMG
    assert by_code["31131209210"].next_code == "31131209220"  # BTS 1st -> 2nd year
    assert by_code["31131209220"].typical_age == 19
    assert by_code["90199999990"].typical_age is None  # VIE ACTIVE is no level


def test_reference_subjects_and_communes_are_well_formed() -> None:
    subjects = read_subjects()
    codes = [s.code for s in subjects]
    assert len(codes) == len(set(codes)) > 100
    assert all(re.fullmatch(r"[0-9A-Z]{6}", code) for code in codes)
    by_code = {s.code: s for s in subjects}
    assert by_code["020700"].management_code == "FRANC"
    assert by_code["030602"].long_label == "ESPAGNOL LV2"
    communes = read_communes()
    assert len({c.insee_code for c in communes}) == len(communes)
    for commune in communes:
        assert re.fullmatch(r"\d{5}", commune.postal_code)
        assert re.fullmatch(r"\d[\dAB]\d{3}", commune.insee_code)
        department = commune.department.lstrip("0") if len(commune.department) == 3 else ""
        assert commune.insee_code.startswith(department.zfill(2)), commune
    assert {"077", "093", "094"} <= {c.department for c in communes}


async def _mef_table(sessionmaker) -> dict[str, tuple[int, str, int | None, str | None]]:
    following = aliased(Mef)
    async with sessionmaker() as session:
        rows = await session.execute(
            select(Mef.code, Mef.id, Mef.short_label, Mef.typical_age, following.code).outerjoin(
                following, following.id == Mef.next_mef_id
            )
        )
        return {code: (id_, label, age, next_code) for code, id_, label, age, next_code in rows}


async def test_loader_loads_real_codes_and_is_idempotent(sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        counts = await load_reference_nomenclatures(session)
    assert counts == (len(read_mefs()), len(read_subjects()))
    first = await _mef_table(sessionmaker)
    assert len(first) == len(read_mefs())
    assert first["10010012110"][1:3] == ("6EME", 11)
    assert first["10310019110"][3] == "20010018110"
    assert first["20010018110"][3] == "20110019110"
    assert first["90199999990"][3] is None

    async with sessionmaker() as session, session.begin():
        assert await load_reference_nomenclatures(session) == counts
    assert await _mef_table(sessionmaker) == first  # same ids, labels and links
    async with sessionmaker() as session:
        subject_count = len((await session.scalars(select(Subject.id))).all())
    assert subject_count == len(read_subjects())


async def test_loader_repairs_labels_and_keeps_unknown_links(sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        await load_reference_nomenclatures(session)
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(Mef).where(Mef.code == "10010012110").values(short_label="SIXIEME")
        )
        await session.execute(
            update(Subject).where(Subject.code == "020700").values(long_label="?")
        )
        # A link the reference does not know (1G has no next there) is the académie's own.
        tl = await session.scalar(select(Mef.id).where(Mef.code == "20213019110"))
        await session.execute(update(Mef).where(Mef.code == "20110019110").values(next_mef_id=tl))
    async with sessionmaker() as session, session.begin():
        await load_reference_nomenclatures(session)
    table = await _mef_table(sessionmaker)
    assert table["10010012110"][1] == "6EME"
    assert table["20110019110"][3] == "20213019110"
    async with sessionmaker() as session:
        assert await session.scalar(select(Subject.long_label).where(Subject.code == "020700")) == (
            "FRANCAIS"
        )


def test_absence_references_are_well_formed() -> None:
    motives = read_generic_motives()
    assert len({m.code for m in motives}) == len(motives)
    assert {m.code for m in motives if not m.legitimate} == {"NVA", "INC"}
    periods = read_holiday_periods()
    for period in periods:
        assert period.first_day <= period.last_day
        # Holidays start on the Saturday classes end.
        assert period.first_day.weekday() in (4, 5), period
    for year in (2025, 2026):
        for zone in ("A", "B", "C"):
            labels = [p.label for p in periods if p.school_year == year and p.zone == zone]
            assert len(labels) == 6, (year, zone)


async def test_absence_references_load_idempotently(sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        counts = await load_absence_references(session)
    async with sessionmaker() as session, session.begin():
        assert await load_absence_references(session) == counts
    async with sessionmaker() as session:
        motives = (await session.scalars(select(GenericMotive.code))).all()
        periods = (await session.scalars(select(HolidayPeriod.id))).all()
    assert (len(motives), len(periods)) == counts


async def test_the_coded_lists_are_loaded_with_their_year_and_kept_once(sessionmaker) -> None:
    from db.nomenclatures import NomenclatureEntry
    from db.reference import load_reference_entries, read_nomenclature_entries

    shipped = len(read_nomenclature_entries())
    async with sessionmaker() as session, session.begin():
        await load_reference_nomenclatures(session)  # loads the coded lists too
        session.add(
            NomenclatureEntry(
                list="regime", year=2025, code="0", short_label="EXT", long_label="EXTERNE"
            )
        )
        await session.execute(
            update(NomenclatureEntry)
            .where(NomenclatureEntry.list == "kinship", NomenclatureEntry.code == "10")
            .values(long_label="?")
        )
    async with sessionmaker() as session, session.begin():
        assert await load_reference_entries(session) == shipped
    async with sessionmaker() as session:
        rows = (await session.execute(select(NomenclatureEntry.year, NomenclatureEntry.list))).all()
        assert len(rows) == shipped + 1 and {year for year, _ in rows} == {2019, 2025}
        assert (
            await session.scalar(
                select(NomenclatureEntry.long_label).where(
                    NomenclatureEntry.list == "kinship", NomenclatureEntry.code == "10"
                )
            )
            == "MERE"
        )
