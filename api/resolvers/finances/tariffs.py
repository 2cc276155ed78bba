"""A school's finance settings and tariffs for a year, as its board voted them: how a part
of a term is prorated, the days the services run, the minimum length of a remise d'ordre,
and what each régime that gives a charge costs per term (a flat rate) or per meal."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.resolvers.finances.reach import school_in_reach, year_of_academy
from api.resolvers.nomenclatures import entries
from api.resolvers.schools import check_year_writable
from core.errors import FieldError, ValidationFailed
from core.money import parse_amount
from db.audit import set_actor
from db.enrollments import Regime
from db.finances import (
    Charge,
    ChargeKind,
    FinanceSettings,
    FinanceTerm,
    ProrationRule,
    Tariff,
    TariffBasis,
)
from db.nomenclatures import NomenclatureList
from db.reference.loader import read_nomenclature_entries

# The kind of charge a régime's kind gives (externe gives none).
CHARGE_KINDS = {
    Regime.DEMI_PENSIONNAIRE.value: ChargeKind.HALF_BOARD,
    Regime.INTERNE.value: ChargeKind.BOARDING,
}
# Demi-pensionnaire au ticket: tickets are sold one by one, never charged per term.
TICKET = "29"
# The régime standing for each kind when a host school has no tariff of the student's own
# code (an "interne hébergé" is charged as the host's internes are).
KIND_CODES = {ChargeKind.HALF_BOARD: "2", ChargeKind.BOARDING: "3"}
PRORATION_LABELS = {
    ProrationRule.SERVICE_DAYS: "jours de service",
    ProrationRule.CALENDAR_DAYS: "jours calendaires",
    ProrationRule.WEEKS: "semaines commencées",
}
BASIS_LABELS = {TariffBasis.FLAT_TERM: "forfait trimestriel", TariffBasis.PER_MEAL: "au repas"}


@dataclass
class ChargedRegime:
    """A régime of the year's nomenclature that gives a charge: its code, label and kind."""

    code: str
    label: str
    kind: ChargeKind
    # Days a week it gives meals (DP 4 jours: 4); None: every service day.
    days_a_week: int | None


def days_a_week(code: str) -> int | None:
    """DP 1–6 jours (21–26) and interne 1–6 jours (31–36): the number of days; others
    follow the service days."""
    if len(code) == 2 and code[0] in "23" and code[1] in "123456":
        return int(code[1])
    return None


async def regime_kinds(session: AsyncSession, start_year: int) -> dict[str, tuple[str, str]]:
    """Every régime code of the year → (kind, label), from the imported nomenclature, or the
    one shipped with the product when the académie has imported none."""
    listed = await entries(session, NomenclatureList.REGIME, start_year)
    if listed:
        return {
            e.code: (e.category or "", e.long_label or e.short_label)
            for e in listed
            if e.category in set(Regime)
        }
    return {
        row.code: (row.category or "", row.long_label)
        for row in read_nomenclature_entries()
        if row.list == NomenclatureList.REGIME and row.category in set(Regime)
    }


async def charged_regimes(session: AsyncSession, start_year: int) -> list[ChargedRegime]:
    """The régimes a tariff can be set for: demi-pensionnaire and interne kinds, but the
    ticket."""
    return [
        ChargedRegime(code, label.capitalize(), CHARGE_KINDS[kind], days_a_week(code))
        for code, (kind, label) in (await regime_kinds(session, start_year)).items()
        if kind in CHARGE_KINDS and code != TICKET
    ]


@requires(Permission.FINANCES_READ)
async def tariff_regimes(
    session: AsyncSession, principal: Principal, school_id: int, school_year_id: int
) -> list[ChargedRegime]:
    await school_in_reach(session, principal, school_id, Permission.FINANCES_READ)
    year = await year_of_academy(session, principal, school_year_id)
    return await charged_regimes(session, year.start_year)


def default_settings(school_id: int, school_year_id: int) -> FinanceSettings:
    return FinanceSettings(
        school_id=school_id,
        school_year_id=school_year_id,
        proration_rule=ProrationRule.SERVICE_DAYS,
        service_weekdays="12345",
        order_reduction_min_days=14,
        board_decision=None,
        version=0,
    )


async def settings_of(
    session: AsyncSession, school_ids: Iterable[int], school_year_id: int
) -> dict[int, FinanceSettings]:
    """Each school's settings of the year; a school without any has the defaults (not
    stored: an unsaved row)."""
    ids = list(set(school_ids))
    found = {
        s.school_id: s
        for s in await session.scalars(
            select(FinanceSettings).where(
                FinanceSettings.school_id.in_(ids),
                FinanceSettings.school_year_id == school_year_id,
            )
        )
    }
    return {i: found.get(i) or default_settings(i, school_year_id) for i in ids}


@requires(Permission.FINANCES_READ)
async def finance_settings(
    session: AsyncSession, principal: Principal, school_id: int, school_year_id: int
) -> FinanceSettings:
    """The school's settings of the year (the defaults, version 0, until saved)."""
    await school_in_reach(session, principal, school_id, Permission.FINANCES_READ)
    await year_of_academy(session, principal, school_year_id)
    return (await settings_of(session, [school_id], school_year_id))[school_id]


@dataclass
class SettingsInput:
    """The settings as typed: the proration rule's value, the ISO weekdays ("1245"), the
    minimum days of a remise d'ordre, the board's decision."""

    proration_rule: str
    service_weekdays: str
    order_reduction_min_days: int
    board_decision: str | None = None


def _checked_settings(data: SettingsInput) -> tuple[ProrationRule, str, int, str | None]:
    errors: list[FieldError] = []
    rule: ProrationRule | None = None
    try:
        rule = ProrationRule(data.proration_rule)
    except ValueError:
        errors.append(
            FieldError(
                "proration_rule",
                "INVALID_CHOICE",
                "Règle de prorata : jours de service, jours calendaires ou semaines.",
            )
        )
    weekdays = "".join(sorted(set((data.service_weekdays or "").strip())))
    if not weekdays or any(d not in "1234567" for d in weekdays):
        errors.append(
            FieldError(
                "service_weekdays",
                "INVALID_WEEKDAYS",
                "Jours de service : au moins un jour de la semaine (1 lundi … 7 dimanche).",
            )
        )
    if not 1 <= data.order_reduction_min_days <= 90:
        errors.append(
            FieldError(
                "order_reduction_min_days",
                "OUT_OF_RANGE",
                "Durée minimale d'une remise d'ordre : de 1 à 90 jours.",
            )
        )
    decision = (data.board_decision or "").strip() or None
    if decision is not None and len(decision) > 120:
        errors.append(
            FieldError(
                "board_decision", "TOO_LONG", "Délibération du conseil : 120 caractères au plus."
            )
        )
    if errors:
        raise ValidationFailed(errors)
    assert rule is not None
    return rule, weekdays, data.order_reduction_min_days, decision


@requires(Permission.FINANCES_MANAGE)
async def set_finance_settings(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    school_year_id: int,
    data: SettingsInput,
) -> FinanceSettings:
    school = await school_in_reach(session, principal, school_id, Permission.FINANCES_MANAGE)
    year = await year_of_academy(session, principal, school_year_id)
    await check_year_writable(session, school.id, year)
    rule, weekdays, min_days, decision = _checked_settings(data)
    set_actor(session.sync_session, principal.audit_actor(school.id))
    settings = await session.get(FinanceSettings, (school.id, year.id))
    if settings is None:
        settings = FinanceSettings(school_id=school.id, school_year_id=year.id)
        session.add(settings)
    settings.proration_rule = rule
    settings.service_weekdays = weekdays
    settings.order_reduction_min_days = min_days
    settings.board_decision = decision
    await session.flush()
    return settings


async def _year_terms(session: AsyncSession, school_id: int, year_id: int) -> list[FinanceTerm]:
    return list(
        await session.scalars(
            select(FinanceTerm)
            .where(FinanceTerm.school_id == school_id, FinanceTerm.school_year_id == year_id)
            .order_by(FinanceTerm.rank)
        )
    )


@requires(Permission.FINANCES_READ)
async def tariffs(
    session: AsyncSession, principal: Principal, school_id: int, school_year_id: int
) -> list[Tariff]:
    """The school's tariffs of the year, by term then régime code."""
    await school_in_reach(session, principal, school_id, Permission.FINANCES_READ)
    await year_of_academy(session, principal, school_year_id)
    terms = {t.id: t.rank for t in await _year_terms(session, school_id, school_year_id)}
    found = await session.scalars(select(Tariff).where(Tariff.term_id.in_(list(terms))))
    return sorted(found, key=lambda t: (terms[t.term_id], int(t.regime_code)))


@dataclass
class TariffInput:
    """One cell of the grid: a régime's price in a term. An empty amount removes the
    tariff (refused once a charge was computed from it)."""

    term_id: int
    regime_code: str
    basis: str
    amount: str


@requires(Permission.FINANCES_MANAGE)
async def set_tariffs(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    school_year_id: int,
    cells: list[TariffInput],
) -> list[Tariff]:
    """Set the given tariffs of the year (the others stay). A closed term's tariffs no
    longer change: its charges are done."""
    school = await school_in_reach(session, principal, school_id, Permission.FINANCES_MANAGE)
    year = await year_of_academy(session, principal, school_year_id)
    await check_year_writable(session, school.id, year)
    if len(cells) > 400:
        raise ValidationFailed.single("tariffs", "TOO_MANY", "400 tarifs au plus à la fois.")
    terms = {t.id: t for t in await _year_terms(session, school.id, year.id)}
    regimes = {r.code: r for r in await charged_regimes(session, year.start_year)}
    existing = {
        (t.term_id, t.regime_code): t
        for t in await session.scalars(select(Tariff).where(Tariff.term_id.in_(list(terms))))
    }
    errors: list[FieldError] = []
    wanted: dict[tuple[int, str], tuple[TariffBasis, Any] | None] = {}
    for index, cell in enumerate(cells):
        field = f"tariffs.{index}"
        term = terms.get(cell.term_id)
        if term is None:
            errors.append(FieldError(f"{field}.term_id", "NOT_FOUND", "Trimestre inconnu."))
            continue
        code = (cell.regime_code or "").strip()
        if code not in regimes:
            errors.append(
                FieldError(
                    f"{field}.regime_code",
                    "NOT_CHARGED",
                    f"Régime {code or '?'} : seuls les régimes de demi-pension et d'internat "
                    "(hors ticket) ont un tarif.",
                )
            )
            continue
        raw = (cell.amount or "").strip() if isinstance(cell.amount, str) else cell.amount
        if raw == "":
            wanted[(term.id, code)] = None
        else:
            try:
                amount = parse_amount(raw, f"{field}.amount")
            except ValidationFailed as failed:
                errors.extend(failed.errors)
                continue
            try:
                basis = TariffBasis(cell.basis)
            except ValueError:
                errors.append(
                    FieldError(
                        f"{field}.basis",
                        "INVALID_CHOICE",
                        "Base du tarif : forfait trimestriel ou prix du repas.",
                    )
                )
                continue
            wanted[(term.id, code)] = (basis, amount)
        known = existing.get((term.id, code))
        now = wanted[(term.id, code)]
        changes = (known is None) != (now is None) or (
            known is not None and now is not None and (known.basis, known.amount) != now
        )
        if changes and term.closed_at is not None:
            errors.append(
                FieldError(
                    f"{field}.amount",
                    "TERM_CLOSED",
                    f"Le {term.label} est clos : ses tarifs ne changent plus.",
                )
            )
    removed = [
        existing[key].id for key, value in wanted.items() if value is None and key in existing
    ]
    if removed:
        used = set(
            await session.scalars(
                select(Charge.tariff_id).where(Charge.tariff_id.in_(removed)).distinct()
            )
        )
        for index, cell in enumerate(cells):
            known = existing.get((cell.term_id, (cell.regime_code or "").strip()))
            if (
                known is not None
                and known.id in used
                and wanted.get((known.term_id, known.regime_code), ()) is None
            ):
                errors.append(
                    FieldError(
                        f"tariffs.{index}.amount",
                        "IN_USE",
                        "Ce tarif a servi aux droits constatés : il se modifie, il ne "
                        "s'efface pas.",
                    )
                )
    if errors:
        raise ValidationFailed(errors)
    set_actor(session.sync_session, principal.audit_actor(school.id))
    for key, value in wanted.items():
        if value is None and key in existing:
            # One by one through the ORM: the audit log records each removal.
            await session.delete(existing[key])
    for (term_id, code), value in wanted.items():
        if value is None:
            continue
        basis, amount = value
        known = existing.get((term_id, code))
        if known is None:
            session.add(
                Tariff(
                    school_id=school.id,
                    term_id=term_id,
                    regime_code=code,
                    basis=basis,
                    amount=amount,
                )
            )
        elif (known.basis, known.amount) != (basis, amount):
            known.basis, known.amount = basis, amount
    await session.flush()
    return await tariffs(session, principal, school.id, year.id)
