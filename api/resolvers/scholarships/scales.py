"""The national tables (barèmes): which table applies to a school year, the échelon a
household's income gives, and a new year's table loaded by the rectorat from CSV files in
the shipped format (``db/reference/scholarship_*.csv``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import FieldError, ValidationFailed
from core.money import to_cents
from db.reference import AmountRow, CeilingRow
from db.scholarships import ScholarshipAmount, ScholarshipCeiling, ScholarshipKind

# How many échelons each table has.
ECHELONS = {ScholarshipKind.COLLEGE: 3, ScholarshipKind.LYCEE: 6}
KIND_LABELS = {
    ScholarshipKind.COLLEGE: "bourse de collège",
    ScholarshipKind.LYCEE: "bourse de lycée",
}
# A table file is a few hundred rows at most: anything far larger is not one.
MAX_SCALE_ROWS = 2000
MAX_CHILDREN_ROWS = 20


@dataclass
class Scale:
    """One kind's national table for the years from ``first_year``: the annual amount of each
    échelon, and the ceilings by dependent children then échelon (the largest number of
    children stands for that many or more)."""

    kind: ScholarshipKind
    first_year: int
    amounts: dict[int, Decimal] = field(default_factory=dict)
    ceilings: dict[int, dict[int, Decimal]] = field(default_factory=dict)

    def ceilings_for(self, children: int) -> dict[int, Decimal]:
        return self.ceilings[min(children, max(self.ceilings))]

    def echelon_for(self, income: Decimal, children: int) -> int | None:
        """The highest échelon whose ceiling the income does not exceed, None above the
        ceiling of échelon 1."""
        reached = [e for e, ceiling in self.ceilings_for(children).items() if income <= ceiling]
        return max(reached) if reached else None


async def scale_for(session: AsyncSession, kind: ScholarshipKind, start_year: int) -> Scale | None:
    """The table that applies to the school year starting in ``start_year``: the latest whose
    ``first_year`` is not after it (None when the base holds none)."""
    first_year = await session.scalar(
        select(ScholarshipAmount.first_year)
        .where(ScholarshipAmount.kind == kind, ScholarshipAmount.first_year <= start_year)
        .order_by(ScholarshipAmount.first_year.desc())
        .limit(1)
    )
    if first_year is None:
        return None
    scale = Scale(kind, first_year)
    for echelon, amount in await session.execute(
        select(ScholarshipAmount.echelon, ScholarshipAmount.annual_amount).where(
            ScholarshipAmount.kind == kind, ScholarshipAmount.first_year == first_year
        )
    ):
        scale.amounts[echelon] = Decimal(str(amount))
    for children, echelon, ceiling in await session.execute(
        select(
            ScholarshipCeiling.dependent_children,
            ScholarshipCeiling.echelon,
            ScholarshipCeiling.ceiling,
        ).where(ScholarshipCeiling.kind == kind, ScholarshipCeiling.first_year == first_year)
    ):
        scale.ceilings.setdefault(children, {})[echelon] = Decimal(str(ceiling))
    if not scale.ceilings:
        return None
    return scale


# --------------------------------------------------------------------------- loading a table


@dataclass
class LoadedScale:
    kind: ScholarshipKind
    first_year: int
    amounts: int
    ceilings: int
    replaced: bool


_AMOUNT_COLUMNS = ("kind", "first_year", "echelon", "annual_amount")
_CEILING_COLUMNS = ("kind", "first_year", "dependent_children", "echelon", "ceiling")


def _file_error(name: str, line: int | None, message: str) -> FieldError:
    where = f"{name}, ligne {line}" if line is not None else name
    return FieldError("file", "INVALID_SCALE", f"{where} : {message}")


def read_scale_files(files: Iterable[tuple[str, str]]) -> tuple[list[AmountRow], list[CeilingRow]]:
    """The rows of table files (name, text) in the shipped formats: a file of amounts
    (``kind,first_year,echelon,annual_amount``) or of ceilings
    (``kind,first_year,dependent_children,echelon,ceiling``), told by its header. Every
    faulty row is reported, with its file and line."""
    amounts: list[AmountRow] = []
    ceilings: list[CeilingRow] = []
    errors: list[FieldError] = []
    for name, text in files:
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
        header = tuple(reader.fieldnames or ())
        columns: tuple[str, ...]
        if set(_AMOUNT_COLUMNS) <= set(header):
            columns = _AMOUNT_COLUMNS
        elif set(_CEILING_COLUMNS) <= set(header):
            columns = _CEILING_COLUMNS
        else:
            errors.append(
                _file_error(
                    name,
                    1,
                    "en-tête attendu « "
                    + ",".join(_AMOUNT_COLUMNS)
                    + " » (montants) ou « "
                    + ",".join(_CEILING_COLUMNS)
                    + " » (plafonds).",
                )
            )
            continue
        for row in reader:
            line = reader.line_num
            if len(amounts) + len(ceilings) >= MAX_SCALE_ROWS:
                errors.append(_file_error(name, line, f"plus de {MAX_SCALE_ROWS} lignes."))
                break
            try:
                kind = ScholarshipKind((row.get("kind") or "").strip())
            except ValueError:
                errors.append(_file_error(name, line, "kind : « college » ou « lycee »."))
                continue
            try:
                numbers = {
                    column: int((row.get(column) or "").strip())
                    for column in columns
                    if column in ("first_year", "echelon", "dependent_children")
                }
                money_column = columns[-1]
                money = Decimal((row.get(money_column) or "").strip().replace(",", "."))
            except (ValueError, InvalidOperation):
                errors.append(_file_error(name, line, "nombres attendus dans chaque colonne."))
                continue
            if not money.is_finite() or money <= 0 or money != money.quantize(Decimal("0.01")):
                errors.append(
                    _file_error(name, line, f"{money_column} : un montant positif en euros.")
                )
                continue
            if columns is _AMOUNT_COLUMNS:
                amounts.append(AmountRow(kind, numbers["first_year"], numbers["echelon"], money))
            else:
                ceilings.append(
                    CeilingRow(
                        kind,
                        numbers["first_year"],
                        numbers["dependent_children"],
                        numbers["echelon"],
                        money,
                    )
                )
    if errors:
        raise ValidationFailed(errors)
    return amounts, ceilings


def check_scales(amounts: list[AmountRow], ceilings: list[CeilingRow]) -> list[Scale]:
    """The tables the rows make, each complete and consistent: every échelon has an amount,
    higher échelons are worth more; every number of children from 1 has a ceiling for every
    échelon, lower for a higher échelon and higher for more children."""
    scales: dict[tuple[ScholarshipKind, int], Scale] = {}
    errors: list[FieldError] = []

    def scale(kind: ScholarshipKind, year: int) -> Scale:
        return scales.setdefault((kind, year), Scale(kind, year))

    for a in amounts:
        if a.echelon in scale(a.kind, a.first_year).amounts:
            errors.append(_scale_error(a.kind, a.first_year, f"échelon {a.echelon} en double."))
        scale(a.kind, a.first_year).amounts[a.echelon] = a.annual_amount
    for c in ceilings:
        row = scale(c.kind, c.first_year).ceilings.setdefault(c.dependent_children, {})
        if c.echelon in row:
            errors.append(
                _scale_error(
                    c.kind,
                    c.first_year,
                    f"plafond en double ({c.dependent_children} enfants, échelon {c.echelon}).",
                )
            )
        row[c.echelon] = c.ceiling
    if not scales:
        errors.append(FieldError("file", "EMPTY_SCALE", "Aucun barème dans ce fichier."))
    for (kind, year), table in sorted(scales.items()):
        errors += _check_scale(table, kind, year)
    if errors:
        raise ValidationFailed(errors)
    return [scales[key] for key in sorted(scales)]


def _scale_error(kind: ScholarshipKind, year: int, message: str) -> FieldError:
    return FieldError(
        "file", "INVALID_SCALE", f"Barème de la {KIND_LABELS[kind]} {year}-{year + 1} : {message}"
    )


def _check_scale(table: Scale, kind: ScholarshipKind, year: int) -> list[FieldError]:
    errors: list[FieldError] = []
    echelons = list(range(1, ECHELONS[kind] + 1))
    if not 2000 <= year <= 2100:
        return [_scale_error(kind, year, "année de début entre 2000 et 2100.")]
    if sorted(table.amounts) != echelons:
        errors.append(
            _scale_error(kind, year, f"un montant pour chacun des échelons 1 à {len(echelons)}.")
        )
    elif any(table.amounts[e] >= table.amounts[e + 1] for e in echelons[:-1]):
        errors.append(_scale_error(kind, year, "les montants croissent avec l'échelon."))
    children = sorted(table.ceilings)
    if not children or children != list(range(1, len(children) + 1)):
        errors.append(
            _scale_error(kind, year, "des plafonds pour 1, 2, 3… enfants à charge, sans trou.")
        )
        return errors
    if len(children) > MAX_CHILDREN_ROWS:
        errors.append(_scale_error(kind, year, f"au plus {MAX_CHILDREN_ROWS} lignes d'enfants."))
    for n in children:
        row = table.ceilings[n]
        if sorted(row) != echelons:
            errors.append(
                _scale_error(kind, year, f"{n} enfants : un plafond pour chaque échelon.")
            )
            continue
        if any(row[e] <= row[e + 1] for e in echelons[:-1]):
            errors.append(
                _scale_error(
                    kind, year, f"{n} enfants : les plafonds baissent d'échelon en échelon."
                )
            )
        previous = table.ceilings.get(n - 1)
        if (
            previous is not None
            and sorted(previous) == echelons
            and any(row[e] <= previous[e] for e in echelons)
        ):
            errors.append(
                _scale_error(kind, year, f"{n} enfants : chaque plafond dépasse celui de {n - 1}.")
            )
    return errors


async def load_scale(session: AsyncSession, files: list[tuple[str, str]]) -> list[LoadedScale]:
    """Load the tables of the files (``sconet scholarships load-scale``, run by the server's
    operator for the rectorat): checked whole, then each (kind, year) table replaces the one
    the base held. Decisions already taken keep their amounts and their ``scale_year``. In
    the caller's transaction."""
    amounts, ceilings = read_scale_files(files)
    loaded: list[LoadedScale] = []
    for table in check_scales(amounts, ceilings):
        held = await session.scalar(
            select(ScholarshipAmount.id)
            .where(
                ScholarshipAmount.kind == table.kind,
                ScholarshipAmount.first_year == table.first_year,
            )
            .limit(1)
        )
        for model in (ScholarshipAmount, ScholarshipCeiling):
            await session.execute(
                delete(model).where(model.kind == table.kind, model.first_year == table.first_year)
            )
        session.add_all(
            ScholarshipAmount(
                kind=table.kind, first_year=table.first_year, echelon=e, annual_amount=amount
            )
            for e, amount in table.amounts.items()
        )
        session.add_all(
            ScholarshipCeiling(
                kind=table.kind,
                first_year=table.first_year,
                dependent_children=n,
                echelon=e,
                ceiling=ceiling,
            )
            for n, row in table.ceilings.items()
            for e, ceiling in row.items()
        )
        loaded.append(
            LoadedScale(
                table.kind,
                table.first_year,
                len(table.amounts),
                sum(len(row) for row in table.ceilings.values()),
                held is not None,
            )
        )
    await session.flush()
    return loaded


def term_shares(annual: Decimal, terms: int) -> list[Decimal]:
    """The annual amount split over ``terms`` terms to the cent: each term its rounded share,
    the last the remainder, so that the year sums exactly to the annual amount."""
    if terms <= 0:
        return []
    share = to_cents(annual / terms)
    return [share] * (terms - 1) + [annual - share * (terms - 1)]
