"""Scholarships: the national tables, a file from its receipt to the principal's decision and
its letter, the term's payment after the term deducted from the board charges, the lists and
the états récapitulatifs. Every amount below is computed by hand in its comment."""

from __future__ import annotations

import asyncio
import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import func, select, update

from api.auth.principal import PermissionDenied
from api.cli import main
from api.resolvers.finances.accounts import accounts_of
from api.resolvers.finances.terms import set_terms
from api.resolvers.scholarships.files import (
    FileInput,
    complete_file,
    create_file,
    decision_letter,
    grant_file,
    refuse_file,
    scholarship_files,
    update_file,
)
from api.resolvers.scholarships.payments import pay_term, term_payment_preview
from api.resolvers.scholarships.scales import load_scale, scale_for, term_shares
from api.resolvers.scholarships.summaries import academy_term_summary, scholars, term_summary
from api.resolvers.work import Work
from core.errors import StaleVersion, ValidationFailed
from db.audit import AuditActor, AuditEntry, set_actor
from db.enrollments import Enrollment
from db.finances import Charge, ChargeKind, LedgerOrigin, Reduction, ReductionKind
from db.reference import load_scholarship_scales
from db.scholarships import (
    ScholarshipAmount,
    ScholarshipCeiling,
    ScholarshipKind,
    ScholarshipPayment,
    ScholarshipStatus,
)
from db.schools import School, SchoolKind
from tests.api.test_cli import environment
from tests.world import World, uai

RECEIVED = date(2026, 9, 20)
ALL_PIECES = ["tax_notice", "bank_details", "proof_of_address"]


@pytest.fixture
async def scales(sessionmaker, world: World) -> None:
    async with sessionmaker() as session, session.begin():
        await load_scholarship_scales(session)


async def run(
    sessionmaker, world: World, login: str, fn: Any, *args: Any, school: int | None = None
) -> Any:
    principal = await world.principal(sessionmaker, login)
    async with Work(sessionmaker, principal).writing(school or world.school_a) as transaction:
        return await transaction.run(fn, *args)


async def granted(
    sessionmaker,
    world: World,
    student: str,
    income: str,
    children: int,
    *,
    school: int | None = None,
    bursar: str = "bursar_a",
    principal: str = "principal_a",
) -> Any:
    school = school or world.school_a
    card = await run(
        sessionmaker,
        world,
        bursar,
        create_file,
        school,
        world.year_id,
        world.students[student],
        FileInput(RECEIVED, None, income, children, ALL_PIECES),
        school=school,
    )
    await run(sessionmaker, world, bursar, complete_file, card.id, school=school)
    return await run(sessionmaker, world, principal, grant_file, card.id, school=school)


# --------------------------------------------------------------------------- the tables


async def test_the_shipped_tables_load_once_and_give_the_echelon(sessionmaker, world: World):
    async with sessionmaker() as session, session.begin():
        # Collège 3 échelons, lycée 6: 9 amounts; 8 rows of children × (3 + 6) = 72 ceilings.
        assert await load_scholarship_scales(session) == (9, 72)
        assert await load_scholarship_scales(session) == (9, 72)
        assert await session.scalar(select(func.count(ScholarshipAmount.id))) == 9
        assert await session.scalar(select(func.count(ScholarshipCeiling.id))) == 72
        # 2026-2027 takes the latest table not after it: 2024's.
        college = await scale_for(session, ScholarshipKind.COLLEGE, 2026)
        assert college is not None and college.first_year == 2024
        assert await scale_for(session, ScholarshipKind.COLLEGE, 2023) is None
        # 2 children, 11 000 €: above 4 208 (échelon 3), within 11 928 (échelon 2).
        assert college.echelon_for(Decimal("11000"), 2) == 2
        assert college.echelon_for(Decimal("11928"), 2) == 2
        assert college.echelon_for(Decimal("11928.01"), 2) == 1
        # 22 064,01 € with 2 children: above échelon 1's 22 064.
        assert college.echelon_for(Decimal("22064.01"), 2) is None
        # 11 children count as "8 or more": échelon 3 up to 8 943.
        assert college.echelon_for(Decimal("8943"), 11) == 3
        lycee = await scale_for(session, ScholarshipKind.LYCEE, 2026)
        assert lycee is not None
        assert lycee.amounts == {
            1: Decimal("474.00"),
            2: Decimal("582.00"),
            3: Decimal("687.00"),
            4: Decimal("792.00"),
            5: Decimal("897.00"),
            6: Decimal("1008.00"),
        }
        # 1 child, 2 814 €: within échelon 6's ceiling, the lowest.
        assert lycee.echelon_for(Decimal("2814"), 1) == 6


def test_the_year_splits_to_the_cent():
    # 315 / 3 = 105; 474 / 3 = 158; 100 / 3 = 33,33 twice and 100 − 66,66 = 33,34 last.
    assert term_shares(Decimal("315.00"), 3) == [Decimal("105.00")] * 3
    assert term_shares(Decimal("474.00"), 3) == [Decimal("158.00")] * 3
    assert term_shares(Decimal("100.00"), 3) == [
        Decimal("33.33"),
        Decimal("33.33"),
        Decimal("33.34"),
    ]


AMOUNTS_2026 = "kind,first_year,echelon,annual_amount\ncollege,2026,1,100.00\ncollege,2026,2,200.00\ncollege,2026,3,300.00\n"


def ceilings_2026(tamper: bool = False) -> str:
    lines = ["kind,first_year,dependent_children,echelon,ceiling"]
    for children in (1, 2):
        for echelon, base in ((1, 20000), (2, 10000), (3, 4000)):
            value = base + 1000 * children
            if tamper and children == 2 and echelon == 2:
                value = 25000  # above échelon 1's: ceilings no longer fall
            lines.append(f"college,2026,{children},{echelon},{value}.00")
    return "\n".join(lines) + "\n"


async def test_the_rectorat_loads_a_new_table_checked_whole(sessionmaker, world: World, scales):
    async with sessionmaker() as session, session.begin():
        with pytest.raises(ValidationFailed) as refused:
            await load_scale(
                session, [("montants.csv", AMOUNTS_2026), ("plafonds.csv", ceilings_2026(True))]
            )
        assert [e.field for e in refused.value.errors] == ["file"]
        assert "2 enfants : les plafonds baissent" in refused.value.errors[0].message
        with pytest.raises(ValidationFailed) as partial:
            await load_scale(session, [("montants.csv", AMOUNTS_2026.rsplit("college", 1)[0])])
        messages = " ".join(e.message for e in partial.value.errors)
        assert "échelons 1 à 3" in messages and "1, 2, 3… enfants" in messages
        with pytest.raises(ValidationFailed) as bad_line:
            await load_scale(
                session, [("x.csv", "kind,first_year,echelon,annual_amount\nlycee,2026,1,abc\n")]
            )
        assert bad_line.value.errors[0].message.startswith("x.csv, ligne 2 :")
    async with sessionmaker() as session, session.begin():
        loaded = await load_scale(
            session, [("montants.csv", AMOUNTS_2026), ("plafonds.csv", ceilings_2026())]
        )
        assert [(t.kind, t.first_year, t.amounts, t.ceilings, t.replaced) for t in loaded] == [
            (ScholarshipKind.COLLEGE, 2026, 3, 6, False)
        ]
        again = await load_scale(
            session, [("montants.csv", AMOUNTS_2026), ("plafonds.csv", ceilings_2026())]
        )
        assert again[0].replaced
        scale = await scale_for(session, ScholarshipKind.COLLEGE, 2026)
        assert scale is not None and scale.first_year == 2026
        # The shipped 2024 table is still there for the years it covers.
        older = await scale_for(session, ScholarshipKind.COLLEGE, 2025)
        assert older is not None and older.first_year == 2024
        # Loading the shipped tables again leaves the rectorat's alone.
        await load_scholarship_scales(session)
        assert (await scale_for(session, ScholarshipKind.COLLEGE, 2026)).amounts[1] == Decimal(  # type: ignore[union-attr]
            "100.00"
        )


# --------------------------------------------------------------------------- a file


async def test_a_file_is_instructed_completed_and_granted_by_the_principal(
    sessionmaker, world: World, scales
):
    card = await run(
        sessionmaker,
        world,
        "bursar_a",
        create_file,
        world.school_a,
        world.year_id,
        world.students["lina"],
        FileInput(RECEIVED, None, "11 000", 2, ["tax_notice"]),
    )
    # The applicant by default: legal guardian 1 (no one receives aid), Lina's mother.
    assert card.applicant_id == world.guardians["mother"]
    assert (card.kind, card.status, card.reference_income) == (
        ScholarshipKind.COLLEGE,
        ScholarshipStatus.RECEIVED,
        Decimal("11000.00"),
    )
    assert card.missing_pieces == ["bank_details"]
    with pytest.raises(ValidationFailed) as missing:
        await run(sessionmaker, world, "bursar_a", complete_file, card.id)
    assert [e.field for e in missing.value.errors] == ["pieces"]
    assert "Relevé d'identité bancaire" in missing.value.errors[0].message
    card = await run(
        sessionmaker,
        world,
        "bursar_a",
        update_file,
        card.id,
        FileInput(RECEIVED, None, "11 000", 2, ["bank_details", "tax_notice"]),
        card.version,
    )
    card = await run(sessionmaker, world, "bursar_a", complete_file, card.id)
    assert card.status is ScholarshipStatus.COMPLETE
    # The bursar instructs; the principal decides.
    with pytest.raises(PermissionDenied):
        await run(sessionmaker, world, "bursar_a", grant_file, card.id)
    card = await run(sessionmaker, world, "principal_a", grant_file, card.id, card.version)
    # 2 children, 11 000 € → échelon 2 of the 2024 collège table: 315 € a year.
    assert (card.status, card.echelon, card.annual_amount, card.scale_year) == (
        ScholarshipStatus.GRANTED,
        2,
        Decimal("315.00"),
        2024,
    )
    assert card.decided_by_label.startswith("Principal A")
    with pytest.raises(ValidationFailed) as decided:
        await run(
            sessionmaker,
            world,
            "bursar_a",
            update_file,
            card.id,
            FileInput(RECEIVED, None, "1", 2, []),
        )
    assert decided.value.errors[0].code == "DECIDED"
    # The decision letter, with the school's three terms: 315 / 3 = 105,00 € each.
    await run(sessionmaker, world, "principal_a", set_terms, world.school_a, world.year_id)
    name, pdf = await run(sessionmaker, world, "bursar_a", decision_letter, card.id)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert name == f"decision-bourse-{card.id}.pdf"
    assert "bourse de collège est accordée" in text
    assert "échelon 2" in text and "315,00" in text and "11 000,00" in text
    assert text.count("105,00") == 3
    assert "Mme Claire Martin" in text or "MME Claire Martin" in text or "Claire" in text
    async with sessionmaker() as session:
        audited = await session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.entity == "scholarship_files")
        )
    # Created, updated, completed, granted.
    assert audited == 4


async def test_errors_name_their_fields_and_nothing_is_written(sessionmaker, world: World, scales):
    with pytest.raises(ValidationFailed) as failed:
        await run(
            sessionmaker,
            world,
            "bursar_a",
            create_file,
            world.school_a,
            world.year_id,
            world.students["lina"],
            FileInput(date(2027, 1, 5), world.guardians["elan"], "12,345", 0, ["passport"]),
        )
    assert {e.field: e.code for e in failed.value.errors} == {
        "received_on": "IN_FUTURE",
        "reference_income": "INVALID_AMOUNT",
        "dependent_children": "OUT_OF_RANGE",
        "pieces": "UNKNOWN",
        "applicant_id": "NOT_LEGAL_GUARDIAN",
    }
    assert all(e.message[0].isupper() for e in failed.value.errors)
    with pytest.raises(ValidationFailed) as elsewhere:
        # Jade is in school B.
        await run(
            sessionmaker,
            world,
            "bursar_a",
            create_file,
            world.school_a,
            world.year_id,
            world.students["jade"],
            FileInput(RECEIVED),
        )
    assert elsewhere.value.errors[0].field == "student_id"
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(ScholarshipPayment)) == 0
    files = await run(
        sessionmaker, world, "bursar_a", scholarship_files, world.school_a, world.year_id
    )
    assert files == []


async def test_refusals_above_the_ceiling_or_with_a_reason(sessionmaker, world: World, scales):
    # 1 child, 17 928 € > 17 927 (échelon 1's ceiling): refused with the figures.
    refused = await granted(sessionmaker, world, "lina", "17 928", 1)
    assert refused.status is ScholarshipStatus.REFUSED and refused.echelon is None
    assert refused.refusal_reason == (
        "Revenu fiscal de référence (17\u202f928,00\u00a0€) supérieur au plafond de l'échelon 1 "
        "(17\u202f927,00\u00a0€ pour 1 enfant à charge)."
    )
    card = await run(
        sessionmaker,
        world,
        "bursar_a",
        create_file,
        world.school_a,
        world.year_id,
        world.students["noah"],
        FileInput(RECEIVED),
    )
    with pytest.raises(ValidationFailed) as no_reason:
        await run(sessionmaker, world, "principal_a", refuse_file, card.id, "   ")
    assert no_reason.value.errors[0].field == "reason"
    with pytest.raises(ValidationFailed) as incomplete:
        await run(sessionmaker, world, "principal_a", grant_file, card.id)
    assert incomplete.value.errors[0].code == "NOT_COMPLETE"
    card = await run(sessionmaker, world, "principal_a", refuse_file, card.id, "Dossier hors délai")
    assert (card.status, card.refusal_reason) == (ScholarshipStatus.REFUSED, "Dossier hors délai")
    _name, pdf = await run(sessionmaker, world, "principal_a", decision_letter, card.id)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "ne peut pas être satisfaite" in text and "Dossier hors délai" in text


async def test_a_concurrent_edit_is_refused_not_lost(sessionmaker, world: World, scales):
    card = await run(
        sessionmaker,
        world,
        "bursar_a",
        create_file,
        world.school_a,
        world.year_id,
        world.students["lina"],
        FileInput(RECEIVED, None, "9 000", 3, ALL_PIECES),
    )
    await run(
        sessionmaker,
        world,
        "bursar_a",
        update_file,
        card.id,
        FileInput(RECEIVED, None, "9 500", 3, ALL_PIECES),
        card.version,
    )
    with pytest.raises(StaleVersion):
        await run(
            sessionmaker,
            world,
            "bursar_a",
            update_file,
            card.id,
            FileInput(RECEIVED, None, "1 000", 3, ALL_PIECES),
            card.version,
        )
    with pytest.raises(StaleVersion):
        await run(sessionmaker, world, "principal_a", grant_file, card.id, card.version)
    files = await run(
        sessionmaker, world, "bursar_a", scholarship_files, world.school_a, world.year_id
    )
    assert [f.reference_income for f in files] == [Decimal("9500.00")]


async def test_a_lycee_file_takes_the_lycee_table(sessionmaker, world: World, scales):
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        await session.execute(
            update(School).where(School.id == world.school_b).values(kind=SchoolKind.LGT)
        )
    # Jade (school B, now a lycée), 1 child, 20 000 €: within 21 370 (échelon 1), above
    # 16 916 (échelon 2) → échelon 1 = 474 € a year, 158 € a term.
    card = await granted(
        sessionmaker,
        world,
        "jade",
        "20 000",
        1,
        school=world.school_b,
        bursar="principal_b",
        principal="principal_b",
    )
    assert (card.kind, card.echelon, card.annual_amount) == (
        ScholarshipKind.LYCEE,
        1,
        Decimal("474.00"),
    )
    await run(
        sessionmaker,
        world,
        "principal_b",
        set_terms,
        world.school_b,
        world.year_id,
        school=world.school_b,
    )
    _name, pdf = await run(
        sessionmaker, world, "principal_b", decision_letter, card.id, school=world.school_b
    )
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "bourse de lycée" in text and text.count("158,00") == 3


# --------------------------------------------------------------------------- the payments


async def _charge(
    sessionmaker,
    world: World,
    student: str,
    guardian: str,
    term_id: int,
    kind: ChargeKind,
    amount: str,
) -> int:
    principal = await world.principal(sessionmaker, "bursar_a")
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, principal.audit_actor(world.school_a))
        account = (await accounts_of(session, world.school_a, [world.guardians[guardian]]))[
            world.guardians[guardian]
        ]
        session.add(
            Charge(
                school_id=world.school_a,
                term_id=term_id,
                concerns_term_id=term_id,
                account_id=account.id,
                student_id=world.students[student],
                kind=kind,
                origin=LedgerOrigin.GENERATION,
                regime_code="2",
                basis="forfait",
                amount=Decimal(amount),
                actor_label="tests",
            )
        )
        return account.id


async def test_a_term_is_paid_after_it_deducted_from_the_board_first(
    sessionmaker, world: World, scales, clock
):
    terms = await run(sessionmaker, world, "principal_a", set_terms, world.school_a, world.year_id)
    first, second = terms[0].id, terms[1].id
    lina_account = await _charge(
        sessionmaker, world, "lina", "mother", first, ChargeKind.HALF_BOARD, "80.00"
    )
    elan_account = await _charge(
        sessionmaker, world, "eloise", "elan", first, ChargeKind.HALF_BOARD, "80.00"
    )
    await _charge(sessionmaker, world, "eloise", "elan", first, ChargeKind.BOARDING, "50.00")
    # Lina and Éloïse: 2 children, 11 000 € → échelon 2, 315 € a year, 105 € a term.
    await granted(sessionmaker, world, "lina", "11 000", 2)
    await granted(sessionmaker, world, "eloise", "11 000", 2)
    # Noah: 1 child, 3 000 € → échelon 3 (ceiling 3 419), 495 € a year, 165 € a term.
    await granted(sessionmaker, world, "noah", "3 000", 1)
    # The test's day is 2 December 2026: the first term ends on 31 December.
    with pytest.raises(ValidationFailed) as early:
        await run(sessionmaker, world, "bursar_a", pay_term, world.school_a, first)
    assert (early.value.errors[0].field, early.value.errors[0].code) == ("term_id", "NOT_OVER")
    clock.advance(timedelta(days=40))  # 11 January 2027
    preview = await run(
        sessionmaker, world, "bursar_a", term_payment_preview, world.school_a, first
    )
    by_name = {line.student_name: line for line in preview.lines}
    # Lina: 105 − 80 of half-board = 25 to the family.
    lina = by_name["MARTIN Lina"]
    assert (lina.share, lina.deducted, lina.paid_to_family) == (
        Decimal("105.00"),
        Decimal("80.00"),
        Decimal("25.00"),
    )
    # Éloïse: 50 of boarding first, then 55 of her 80 of half-board; nothing to the family.
    eloise = by_name["ÉLAN Éloïse"]
    assert [(d.kind, d.amount) for d in eloise.deductions] == [
        (ChargeKind.BOARDING, Decimal("50.00")),
        (ChargeKind.HALF_BOARD, Decimal("55.00")),
    ]
    assert eloise.paid_to_family == Decimal("0.00")
    # Noah: no charge, 165 to the family.
    assert by_name["MARTIN Noah"].paid_to_family == Decimal("165.00")
    # 105 + 105 + 165 = 375; deducted 80 + 105 = 185; to families 25 + 0 + 165 = 190.
    assert (preview.total, preview.total_deducted, preview.total_paid_to_family) == (
        Decimal("375.00"),
        Decimal("185.00"),
        Decimal("190.00"),
    )
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(ScholarshipPayment)) == 0
    paid = await run(sessionmaker, world, "bursar_a", pay_term, world.school_a, first)
    assert {line.state for line in paid.lines} == {"paid"}
    async with sessionmaker() as session:
        reductions = (
            await session.execute(
                select(
                    Reduction.account_id,
                    Reduction.charge_kind,
                    Reduction.amount,
                    Reduction.kind,
                    Reduction.origin,
                    Reduction.term_id,
                    Reduction.concerns_term_id,
                    Reduction.scholarship_payment_id.is_not(None),
                ).order_by(Reduction.account_id, Reduction.id)
            )
        ).all()
        assert reductions == [
            (
                lina_account,
                ChargeKind.HALF_BOARD,
                Decimal("80.00"),
                ReductionKind.SCHOLARSHIP,
                LedgerOrigin.GENERATION,
                first,
                first,
                True,
            ),
            (
                elan_account,
                ChargeKind.BOARDING,
                Decimal("50.00"),
                ReductionKind.SCHOLARSHIP,
                LedgerOrigin.GENERATION,
                first,
                first,
                True,
            ),
            (
                elan_account,
                ChargeKind.HALF_BOARD,
                Decimal("55.00"),
                ReductionKind.SCHOLARSHIP,
                LedgerOrigin.GENERATION,
                first,
                first,
                True,
            ),
        ]
        payments = (
            await session.execute(
                select(
                    ScholarshipPayment.amount,
                    ScholarshipPayment.deducted,
                    ScholarshipPayment.paid_to_family,
                ).order_by(ScholarshipPayment.amount, ScholarshipPayment.deducted)
            )
        ).all()
        assert payments == [
            (Decimal("105.00"), Decimal("80.00"), Decimal("25.00")),
            (Decimal("105.00"), Decimal("105.00"), Decimal("0.00")),
            (Decimal("165.00"), Decimal("0.00"), Decimal("165.00")),
        ]
    # Once per file and term: paying again pays nothing more.
    again = await run(sessionmaker, world, "bursar_a", pay_term, world.school_a, first)
    assert again.to_pay == []
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(ScholarshipPayment)) == 3
    # Noah leaves on 20 December: the second term (from 1 January) owes him nothing.
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        await session.execute(
            update(Enrollment)
            .where(Enrollment.id == world.enrollments["noah"])
            .values(exit_date=date(2026, 12, 20))
        )
    clock.advance(timedelta(days=90))  # 11 April 2027
    second_term = await run(sessionmaker, world, "bursar_a", pay_term, world.school_a, second)
    states = {line.student_name: (line.state, line.share) for line in second_term.lines}
    assert states["MARTIN Noah"] == ("left", Decimal("0.00"))
    assert states["MARTIN Lina"] == ("paid", Decimal("105.00"))
    # The états récapitulatifs: échelon 2, 2 students, 210; échelon 3, 1 student, 165.
    summary = await run(sessionmaker, world, "bursar_a", term_summary, first)
    assert [
        (t.echelon, t.students, t.amount, t.deducted, t.paid_to_family) for t in summary.by_echelon
    ] == [
        (2, 2, Decimal("210.00"), Decimal("185.00"), Decimal("25.00")),
        (3, 1, Decimal("165.00"), Decimal("0.00"), Decimal("165.00")),
    ]
    assert (summary.students, summary.amount) == (3, Decimal("375.00"))
    academy = await run(sessionmaker, world, "rectorat", academy_term_summary, world.year_id, 1)
    assert (academy.students, academy.amount) == (3, Decimal("375.00"))
    assert [(s.name, s.students, s.amount) for s in academy.schools] == [
        ("Collège Jean Moulin", 3, Decimal("375.00")),
        ("Collège Louise Michel", 0, Decimal("0.00")),
    ]
    second_summary = await run(
        sessionmaker, world, "rectorat", academy_term_summary, world.year_id, 2
    )
    # Lina and Éloïse only: 2 × 105.
    assert (second_summary.students, second_summary.amount) == (2, Decimal("210.00"))
    with pytest.raises(PermissionDenied):
        await run(sessionmaker, world, "bursar_a", academy_term_summary, world.year_id, 1)
    listed = await run(sessionmaker, world, "bursar_a", scholars, world.school_a, world.year_id)
    assert [(s.division_code, s.student_name, s.echelon, s.annual_amount) for s in listed] == [
        ("6A", "ÉLAN Éloïse", 2, Decimal("315.00")),
        ("6A", "MARTIN Lina", 2, Decimal("315.00")),
        ("6B", "MARTIN Noah", 3, Decimal("495.00")),
    ]
    in_6b = await run(
        sessionmaker, world, "bursar_a", scholars, world.school_a, world.year_id, world.division_a2
    )
    assert [s.student_name for s in in_6b] == ["MARTIN Noah"]


async def test_the_last_term_takes_the_remainder(sessionmaker, world: World, scales, clock):
    async with sessionmaker() as session, session.begin():
        await load_scale(session, [("m.csv", AMOUNTS_2026), ("p.csv", ceilings_2026())])
    terms = await run(sessionmaker, world, "principal_a", set_terms, world.school_a, world.year_id)
    # 1 child, 20 500 €: within 21 000 (échelon 1), above 11 000 → 100 € a year.
    card = await granted(sessionmaker, world, "lina", "20 500", 1)
    assert (card.annual_amount, card.scale_year) == (Decimal("100.00"), 2026)
    clock.advance(timedelta(days=280))  # 8 September 2027: every term is over
    shares = []
    for term in terms:
        result = await run(sessionmaker, world, "bursar_a", pay_term, world.school_a, term.id)
        shares.append(result.lines[0].share)
    # 33,33 + 33,33 + 33,34 = 100,00.
    assert shares == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    assert sum(shares) == Decimal("100.00")


async def test_other_schools_and_teachers_reach_nothing(sessionmaker, world: World, scales):
    card = await granted(sessionmaker, world, "lina", "11 000", 2)
    for login in ("principal_b", "teacher_a"):
        with pytest.raises((PermissionDenied, Exception)) as refused:
            await run(sessionmaker, world, login, decision_letter, card.id)
        assert type(refused.value).__name__ in ("NotFound", "PermissionDenied")


# --------------------------------------------------------------------------- the command


async def _sconet(database_urls, tmp_path, *args: str) -> Any:
    # The command runs its own event loop: in a thread, beside the test's.
    return await asyncio.to_thread(
        CliRunner().invoke,
        main,
        list(args),
        env=environment(database_urls, tmp_path),
        catch_exceptions=False,
    )


async def test_the_command_loads_a_table_lists_pays_and_sums_up(
    database_urls, sessionmaker, world: World, scales, tmp_path, clock
):
    amounts, ceilings = tmp_path / "montants.csv", tmp_path / "plafonds.csv"
    amounts.write_text(AMOUNTS_2026, encoding="utf-8")
    ceilings.write_text(ceilings_2026(True), encoding="utf-8")
    refused = await _sconet(
        database_urls, tmp_path, "scholarships", "load-scale", str(amounts), str(ceilings)
    )
    assert refused.exit_code == 1 and "les plafonds baissent" in refused.output
    ceilings.write_text(ceilings_2026(), encoding="utf-8")
    loaded = await _sconet(
        database_urls, tmp_path, "scholarships", "load-scale", str(amounts), str(ceilings)
    )
    assert loaded.exit_code == 0, loaded.output
    assert (
        "Barème de la bourse de collège 2026-2027 chargé : 3 montants, 6 plafonds." in loaded.output
    )
    await run(sessionmaker, world, "principal_a", set_terms, world.school_a, world.year_id)
    # 2026 table, 1 child, 15 000 €: within 21 000 (échelon 1), above 11 000 → 100 € a year.
    await granted(sessionmaker, world, "lina", "15 000", 1)
    school_uai = uai("0930001")
    listed = await _sconet(database_urls, tmp_path, "scholarships", "list", "--school", school_uai)
    assert listed.exit_code == 0, listed.output
    assert "Dossiers de bourse 2026-2027 : 1" in listed.output
    assert "MARTIN Lina" in listed.output and "échelon 1, 100,00 €" in listed.output
    early = await _sconet(
        database_urls,
        tmp_path,
        "scholarships",
        "pay",
        "--school",
        school_uai,
        "--term",
        "1",
        "--apply",
    )
    assert early.exit_code == 1 and "à terme échu" in early.output
    clock.advance(timedelta(days=40))
    preview = await _sconet(
        database_urls, tmp_path, "scholarships", "pay", "--school", school_uai, "--term", "1"
    )
    # 100 / 3 = 33,33 (the last term takes 33,34).
    assert "1er trimestre : 1 bourses à verser, 33,33 €" in preview.output, preview.output
    assert "Aperçu seulement" in preview.output
    paid = await _sconet(
        database_urls,
        tmp_path,
        "scholarships",
        "pay",
        "--school",
        school_uai,
        "--term",
        "1",
        "--apply",
    )
    assert "1 bourses versées maintenant" in paid.output, paid.output
    school = await _sconet(
        database_urls, tmp_path, "scholarships", "summary", "--school", school_uai, "--term", "1"
    )
    assert "bourse de collège, échelon 1       1        33,33 €" in school.output, school.output
    academy = await _sconet(database_urls, tmp_path, "scholarships", "summary", "--term", "1")
    assert "État récapitulatif des bourses de l'académie, 2026-2027, trimestre 1" in academy.output
    assert "Collège Louise Michel" in academy.output
