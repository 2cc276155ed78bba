"""Headcounts: the constat de rentrée (seed 002, event I) and the files built on the year's
headcounts (event E, the headcounts per structure sent to STS-WEB; event H, the rentrée
evaluation survey EVA).

The school launches its constat for a year and a counting day: the students present that day
are counted at the finest grain (MEF, division, sex, régime, age, status) into
``HeadcountLine`` rows holding codes and labels as they were, with the day's anomalies
(students without division, without a MEF of the school's profile, without INE). The snapshot
is frozen: one per school and year, never recomputed, so that renaming a MEF or moving a
student later changes nothing of it. Every reading (totals by any dimension, cross tabs, the
académie's consolidation, the comparison between years) is a sum of its lines.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    Integer,
    and_,
    case,
    cast,
    exists,
    extract,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import PermissionDenied, Principal
from api.resolvers.exchanges.runs import record_export
from api.resolvers.nomenclatures import regime_kind
from api.resolvers.schools import check_year_writable
from core import clock
from core.errors import NotFound, ValidationFailed
from db.enrollments import Enrollment, EnrollmentGroup, Regime
from db.exchanges import ExchangeFormat, ExchangeRun
from db.headcounts import HeadcountAnomaly, HeadcountLine, HeadcountSnapshot
from db.nomenclatures import Mef, SchoolMef
from db.schools import School, SchoolYear
from db.structures import Division, DivisionMef, Group, GroupDivision
from db.students import Sex, Student
from documents.constat import ConstatDocument, ConstatTable, write_constat
from exchanges.evaluation_survey import evaluation_survey_bytes, evaluation_survey_file_name
from exchanges.records import (
    DivisionHeadcountRecord,
    EvaluationSurveyRecord,
    GroupHeadcountRecord,
)

# The levels the rentrée evaluation surveys, by the MEF code's first three characters (its
# dispositif de formation). The seeds name the survey (event H), not its levels; in secondary
# schools the national rentrée evaluations are those of the entry into collège (sixième) and
# into lycée (seconde générale et technologique, seconde professionnelle). A level added by
# the ministry is one line here.
EVALUATED_LEVELS: dict[str, str] = {
    "100": "Sixième",
    "200": "Seconde générale et technologique",
    "247": "Seconde professionnelle",
}


class SnapshotDimension(enum.StrEnum):
    MEF = "mef"
    DIVISION = "division"
    SEX = "sex"
    REGIME = "regime"
    AGE = "age"
    STATUS = "status"


class AnomalyKind(enum.StrEnum):
    NO_DIVISION = "no_division"
    # A MEF out of the school's profile (SchoolMef): an enrolment always names a MEF, but one
    # the school does not offer is unknown to its nomenclature, as if it had none.
    NO_MEF = "no_mef"
    NO_INE = "no_ine"


ANOMALY_LABELS = {
    AnomalyKind.NO_DIVISION: "Sans division",
    AnomalyKind.NO_MEF: "MEF absent de la nomenclature de l'établissement",
    AnomalyKind.NO_INE: "Sans INE",
}
SEX_LABELS = {Sex.M.value: "Garçons", Sex.F.value: "Filles"}
REGIME_KIND_LABELS = {
    Regime.EXTERNE: "externe",
    Regime.DEMI_PENSIONNAIRE: "demi-pensionnaire",
    Regime.INTERNE: "interne",
}
# SIECLE's CODE_STATUT.
STATUS_LABELS = {"ST": "Scolaire", "AP": "Apprenti"}
# An enrolment typed by hand has a régime kind but no SIECLE code: the kind's usual code.
REGIME_DEFAULT_CODES = {Regime.EXTERNE: "0", Regime.DEMI_PENSIONNAIRE: "2", Regime.INTERNE: "3"}
NOT_GIVEN = "Non renseigné"


@dataclass
class HeadcountTotal:
    key: str
    label: str
    total: int
    boys: int
    girls: int


@dataclass
class CrossTabRow:
    key: str
    label: str
    cells: list[int]
    total: int


@dataclass
class CrossTab:
    column_keys: list[str]
    column_labels: list[str]
    rows: list[CrossTabRow]
    column_totals: list[int]
    total: int


@dataclass
class SchoolHeadcount:
    """A school of the académie and its constat of the year (empty while not frozen)."""

    school_id: int
    uai: str
    name: str
    snapshot_id: int | None
    counted_on: date | None
    total: int | None


@dataclass
class Consolidation:
    school_year_id: int
    by_mef: list[HeadcountTotal]
    schools: list[SchoolHeadcount]
    total: int

    @property
    def frozen(self) -> list[SchoolHeadcount]:
        return [s for s in self.schools if s.snapshot_id is not None]

    @property
    def missing(self) -> list[SchoolHeadcount]:
        return [s for s in self.schools if s.snapshot_id is None]


@dataclass
class ComparisonRow:
    key: str
    label: str
    previous: int
    current: int

    @property
    def difference(self) -> int:
        return self.current - self.previous


@dataclass
class YearComparison:
    school_year_id: int
    previous_year_id: int | None
    # Whether the constats compared are frozen (every school's, for the académie).
    current_frozen: bool
    previous_frozen: bool
    rows: list[ComparisonRow]

    @property
    def current_total(self) -> int:
        return sum(r.current for r in self.rows)

    @property
    def previous_total(self) -> int:
        return sum(r.previous for r in self.rows)

    @property
    def difference(self) -> int:
        return self.current_total - self.previous_total


# --------------------------------------------------------------------------- access


async def _school_in_reach(
    session: AsyncSession, principal: Principal, school_id: int, permission: Permission
) -> School:
    school = await session.get(School, school_id)
    if (
        school is None
        or school.academy_id != principal.academy_id
        or permission not in principal.permissions_in(school.id)
    ):
        raise NotFound("School", school_id)
    return school


async def _year(session: AsyncSession, principal: Principal, school_year_id: int) -> SchoolYear:
    year = await session.get(SchoolYear, school_year_id)
    if year is None or year.academy_id != principal.academy_id:
        raise NotFound("SchoolYear", school_year_id)
    return year


async def _readable_snapshot(
    session: AsyncSession, principal: Principal, snapshot_id: int
) -> HeadcountSnapshot:
    snapshot = await session.get(HeadcountSnapshot, snapshot_id)
    if snapshot is None:
        raise NotFound("HeadcountSnapshot", snapshot_id)
    school = await session.get(School, snapshot.school_id)
    if (
        school is None
        or school.academy_id != principal.academy_id
        or Permission.HEADCOUNTS_READ not in principal.permissions_in(school.id)
    ):
        raise NotFound("HeadcountSnapshot", snapshot_id)
    return snapshot


# --------------------------------------------------------------------------- the launch


def _present_on(school_id: int, year_id: int, day: date) -> Any:
    return and_(
        Enrollment.school_id == school_id,
        Enrollment.school_year_id == year_id,
        Enrollment.entry_date <= day,
        or_(Enrollment.exit_date.is_(None), Enrollment.exit_date >= day),
    )


def _already_frozen(year: SchoolYear, snapshot: HeadcountSnapshot | None) -> ValidationFailed:
    when = (
        f" (jour compté : {snapshot.counted_on:%d/%m/%Y}, lancé par {snapshot.actor_label})"
        if snapshot is not None
        else ""
    )
    return ValidationFailed.single(
        "school_year_id",
        "ALREADY_FROZEN",
        f"Le constat de rentrée {year.label} de l'établissement est déjà figé{when} : "
        "il ne se relance pas.",
    )


@requires(Permission.HEADCOUNTS_FREEZE)
async def launch_constat(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    school_year_id: int,
    counted_on: date | None = None,
) -> HeadcountSnapshot:
    """Freeze the school's constat de rentrée of a year: the students present on the counting
    day (today by default; a day of the year, not in the future), counted at the finest grain,
    with the day's anomalies. Once per school and year."""
    school = await _school_in_reach(session, principal, school_id, Permission.HEADCOUNTS_FREEZE)
    year = await _year(session, principal, school_year_id)
    await check_year_writable(session, school.id, year)
    existing = await session.scalar(
        select(HeadcountSnapshot).where(
            HeadcountSnapshot.school_id == school.id, HeadcountSnapshot.school_year_id == year.id
        )
    )
    if existing is not None:
        raise _already_frozen(year, existing)
    today = clock.today()
    day = counted_on or today
    if not year.starts_on <= day <= year.ends_on:
        raise ValidationFailed.single(
            "counted_on",
            "OUTSIDE_YEAR",
            f"Le jour du constat doit tomber dans l'année {year.label} "
            f"(du {year.starts_on:%d/%m/%Y} au {year.ends_on:%d/%m/%Y}).",
        )
    if day > today:
        raise ValidationFailed.single(
            "counted_on",
            "IN_FUTURE",
            "Le jour du constat ne peut pas être postérieur à aujourd'hui : on constate les "
            "élèves présents.",
        )
    present = _present_on(school.id, year.id, day)
    total = await session.scalar(select(func.count()).select_from(Enrollment).where(present))
    snapshot = HeadcountSnapshot(
        school_id=school.id,
        school_year_id=year.id,
        counted_on=day,
        taken_at=clock.now(),
        actor_label=principal.label[:120],
        total=total or 0,
    )
    session.add(snapshot)
    try:
        await session.flush()
    except IntegrityError:
        # Another launch froze it between our check and our insert.
        raise _already_frozen(year, None) from None
    await _insert_lines(session, snapshot.id, year, present)
    await _insert_anomalies(session, snapshot.id, school.id, present)
    return snapshot


async def _insert_lines(
    session: AsyncSession, snapshot_id: int, year: SchoolYear, present: Any
) -> None:
    """One INSERT ... SELECT: the day's students grouped at the finest grain."""
    # Age reached on 31 December of the year's first calendar year, as the statistics count.
    age = literal(year.start_year) - cast(extract("year", Student.birth_date), Integer)
    regime_code = func.coalesce(
        Enrollment.regime_code,
        case(
            *((Enrollment.regime == kind, code) for kind, code in REGIME_DEFAULT_CODES.items()),
            else_=None,
        ),
    )
    grain = (
        Mef.code,
        Mef.short_label,
        Division.code,
        Student.sex,
        regime_code,
        age,
        Enrollment.status_code,
    )
    await session.execute(
        insert(HeadcountLine).from_select(
            [
                "snapshot_id",
                "mef_code",
                "mef_label",
                "division_code",
                "sex",
                "regime_code",
                "age",
                "status_code",
                "count",
            ],
            select(literal(snapshot_id, Integer), *grain, func.count())
            .select_from(Enrollment)
            .join(Student, Student.id == Enrollment.student_id)
            .join(Mef, Mef.id == Enrollment.mef_id)
            .outerjoin(Division, Division.id == Enrollment.division_id)
            .where(present)
            .group_by(*grain),
        )
    )


async def _insert_anomalies(
    session: AsyncSession, snapshot_id: int, school_id: int, present: Any
) -> None:
    """One INSERT ... SELECT per kind of anomaly, naming the student as he was that day."""
    label = Student.family_name + literal(" ") + Student.first_name
    profiled = exists().where(
        SchoolMef.school_id == school_id,
        SchoolMef.school_year_id == Enrollment.school_year_id,
        SchoolMef.mef_id == Enrollment.mef_id,
    )
    conditions = {
        AnomalyKind.NO_DIVISION: Enrollment.division_id.is_(None),
        AnomalyKind.NO_MEF: ~profiled,
        AnomalyKind.NO_INE: or_(Student.ine.is_(None), Student.ine == ""),
    }
    for kind, condition in conditions.items():
        await session.execute(
            insert(HeadcountAnomaly).from_select(
                ["snapshot_id", "kind", "student_id", "label"],
                select(literal(snapshot_id, Integer), literal(kind.value), Student.id, label)
                .select_from(Enrollment)
                .join(Student, Student.id == Enrollment.student_id)
                .where(present, condition)
                .order_by(Student.family_name, Student.first_name),
            )
        )


# --------------------------------------------------------------------------- reading


@requires(Permission.HEADCOUNTS_READ)
async def school_snapshot(
    session: AsyncSession, principal: Principal, school_id: int, school_year_id: int
) -> HeadcountSnapshot | None:
    """The school's constat of the year, or None while it is not launched."""
    school = await _school_in_reach(session, principal, school_id, Permission.HEADCOUNTS_READ)
    year = await _year(session, principal, school_year_id)
    return await session.scalar(
        select(HeadcountSnapshot).where(
            HeadcountSnapshot.school_id == school.id, HeadcountSnapshot.school_year_id == year.id
        )
    )


@requires(Permission.HEADCOUNTS_READ)
async def get_snapshot(
    session: AsyncSession, principal: Principal, snapshot_id: int
) -> HeadcountSnapshot:
    return await _readable_snapshot(session, principal, snapshot_id)


def _dimension(dimension: SnapshotDimension) -> tuple[Any, Any]:
    """(key, label) expressions of a dimension over ``HeadcountLine``."""
    if dimension is SnapshotDimension.MEF:
        return HeadcountLine.mef_code, HeadcountLine.mef_label
    if dimension is SnapshotDimension.DIVISION:
        key = func.coalesce(HeadcountLine.division_code, literal(""))
        return key, key
    if dimension is SnapshotDimension.SEX:
        return HeadcountLine.sex, HeadcountLine.sex
    if dimension is SnapshotDimension.REGIME:
        key = func.coalesce(HeadcountLine.regime_code, literal(""))
        return key, key
    if dimension is SnapshotDimension.AGE:
        return HeadcountLine.age, HeadcountLine.age
    key = func.coalesce(HeadcountLine.status_code, literal(""))
    return key, key


def _label(dimension: SnapshotDimension, key: Any, label: Any) -> str:
    if dimension is SnapshotDimension.AGE:
        return f"{int(key)} ans"
    if dimension is SnapshotDimension.SEX:
        return SEX_LABELS.get(str(key), str(key))
    if not key:
        return "Sans division" if dimension is SnapshotDimension.DIVISION else NOT_GIVEN
    if dimension is SnapshotDimension.REGIME:
        kind = regime_kind(str(key))
        return f"{key} ({REGIME_KIND_LABELS[kind]})" if kind is not None else str(key)
    if dimension is SnapshotDimension.STATUS:
        return STATUS_LABELS.get(str(key), str(key))
    return str(label)


def _sorted_key(dimension: SnapshotDimension, key: Any) -> Any:
    return int(key) if dimension is SnapshotDimension.AGE else str(key)


async def _totals(
    session: AsyncSession, dimension: SnapshotDimension, *where: Any
) -> list[HeadcountTotal]:
    key, label = _dimension(dimension)
    rows = (
        await session.execute(
            select(
                key,
                func.max(label),
                func.sum(HeadcountLine.count),
                func.sum(case((HeadcountLine.sex == Sex.M.value, HeadcountLine.count), else_=0)),
                func.sum(case((HeadcountLine.sex == Sex.F.value, HeadcountLine.count), else_=0)),
            )
            .select_from(HeadcountLine)
            .join(HeadcountSnapshot, HeadcountSnapshot.id == HeadcountLine.snapshot_id)
            .where(*where)
            .group_by(key)
        )
    ).all()
    totals = [
        HeadcountTotal(
            key=str(k),
            label=_label(dimension, k, lbl),
            total=int(total or 0),
            boys=int(boys or 0),
            girls=int(girls or 0),
        )
        for k, lbl, total, boys, girls in rows
    ]
    order = {str(k): _sorted_key(dimension, k) for k, *_ in rows}
    return sorted(totals, key=lambda t: order[t.key])


@requires(Permission.HEADCOUNTS_READ)
async def snapshot_totals(
    session: AsyncSession,
    principal: Principal,
    snapshot_id: int,
    dimension: SnapshotDimension | str,
) -> list[HeadcountTotal]:
    """The snapshot's students by one dimension, with boys and girls."""
    snapshot = await _readable_snapshot(session, principal, snapshot_id)
    return await _totals(
        session, SnapshotDimension(dimension), HeadcountLine.snapshot_id == snapshot.id
    )


@requires(Permission.HEADCOUNTS_READ)
async def snapshot_cross_tab(
    session: AsyncSession,
    principal: Principal,
    snapshot_id: int,
    rows: SnapshotDimension | str,
    columns: SnapshotDimension | str,
) -> CrossTab:
    """The snapshot's students by two dimensions (MEF × sex, MEF × age...)."""
    snapshot = await _readable_snapshot(session, principal, snapshot_id)
    row_dimension, column_dimension = SnapshotDimension(rows), SnapshotDimension(columns)
    row_key, row_label = _dimension(row_dimension)
    column_key, column_label = _dimension(column_dimension)
    found = (
        await session.execute(
            select(
                row_key,
                func.max(row_label),
                column_key,
                func.max(column_label),
                func.sum(HeadcountLine.count),
            )
            .where(HeadcountLine.snapshot_id == snapshot.id)
            .group_by(row_key, column_key)
        )
    ).all()
    row_labels: dict[Any, str] = {}
    column_labels: dict[Any, str] = {}
    cells: dict[tuple[str, str], int] = {}
    for rk, rl, ck, cl, count in found:
        row_labels[rk] = _label(row_dimension, rk, rl)
        column_labels[ck] = _label(column_dimension, ck, cl)
        cells[(str(rk), str(ck))] = int(count or 0)
    row_keys = sorted(row_labels, key=lambda k: _sorted_key(row_dimension, k))
    column_keys = sorted(column_labels, key=lambda k: _sorted_key(column_dimension, k))
    table_rows = []
    for rk in row_keys:
        values = [cells.get((str(rk), str(ck)), 0) for ck in column_keys]
        table_rows.append(CrossTabRow(str(rk), row_labels[rk], values, sum(values)))
    column_totals = [sum(r.cells[i] for r in table_rows) for i in range(len(column_keys))]
    return CrossTab(
        column_keys=[str(k) for k in column_keys],
        column_labels=[column_labels[k] for k in column_keys],
        rows=table_rows,
        column_totals=column_totals,
        total=sum(column_totals),
    )


@requires(Permission.HEADCOUNTS_READ)
async def snapshot_anomalies(
    session: AsyncSession, principal: Principal, snapshot_id: int
) -> list[HeadcountAnomaly]:
    """The students the snapshot found without division, MEF of the profile or INE."""
    snapshot = await _readable_snapshot(session, principal, snapshot_id)
    return list(
        await session.scalars(
            select(HeadcountAnomaly)
            .where(HeadcountAnomaly.snapshot_id == snapshot.id)
            .order_by(HeadcountAnomaly.kind, HeadcountAnomaly.label, HeadcountAnomaly.id)
        )
    )


def _require_academy_wide(principal: Principal) -> None:
    if not principal.academy_wide(Permission.HEADCOUNTS_READ):
        raise PermissionDenied(Permission.HEADCOUNTS_READ)


@requires(Permission.HEADCOUNTS_READ)
async def academy_consolidation(
    session: AsyncSession, principal: Principal, school_year_id: int
) -> Consolidation:
    """The rectorat's view of a year: every frozen constat of the académie summed by MEF, each
    school's total, and the schools that have not frozen theirs yet."""
    _require_academy_wide(principal)
    year = await _year(session, principal, school_year_id)
    by_mef = await _totals(
        session,
        SnapshotDimension.MEF,
        HeadcountSnapshot.school_year_id == year.id,
        HeadcountSnapshot.school_id.in_(
            select(School.id).where(School.academy_id == principal.academy_id)
        ),
    )
    rows = (
        await session.execute(
            select(
                School.id,
                School.uai,
                School.name,
                HeadcountSnapshot.id,
                HeadcountSnapshot.counted_on,
                HeadcountSnapshot.total,
            )
            .outerjoin(
                HeadcountSnapshot,
                and_(
                    HeadcountSnapshot.school_id == School.id,
                    HeadcountSnapshot.school_year_id == year.id,
                ),
            )
            .where(School.academy_id == principal.academy_id)
            .order_by(School.uai)
        )
    ).all()
    schools = [SchoolHeadcount(*row) for row in rows]
    return Consolidation(
        school_year_id=year.id,
        by_mef=by_mef,
        schools=schools,
        total=sum(s.total or 0 for s in schools),
    )


@requires(Permission.HEADCOUNTS_READ)
async def year_comparison(
    session: AsyncSession,
    principal: Principal,
    school_year_id: int,
    school_id: int | None = None,
) -> YearComparison:
    """A school's constat by MEF (the académie's without ``school_id``) for the year and the
    year before, side by side with the difference."""
    year = await _year(session, principal, school_year_id)
    previous = await session.scalar(
        select(SchoolYear).where(
            SchoolYear.academy_id == principal.academy_id,
            SchoolYear.start_year == year.start_year - 1,
        )
    )
    if school_id is None:
        _require_academy_wide(principal)
        in_scope: Any = HeadcountSnapshot.school_id.in_(
            select(School.id).where(School.academy_id == principal.academy_id)
        )
    else:
        school = await _school_in_reach(session, principal, school_id, Permission.HEADCOUNTS_READ)
        in_scope = HeadcountSnapshot.school_id == school.id
    current_totals = await _totals(
        session, SnapshotDimension.MEF, in_scope, HeadcountSnapshot.school_year_id == year.id
    )
    previous_totals = (
        await _totals(
            session,
            SnapshotDimension.MEF,
            in_scope,
            HeadcountSnapshot.school_year_id == previous.id,
        )
        if previous is not None
        else []
    )
    labels = {t.key: t.label for t in previous_totals} | {t.key: t.label for t in current_totals}
    now = {t.key: t.total for t in current_totals}
    before = {t.key: t.total for t in previous_totals}
    frozen_years = set(
        await session.scalars(select(HeadcountSnapshot.school_year_id).where(in_scope).distinct())
    )
    return YearComparison(
        school_year_id=year.id,
        previous_year_id=previous.id if previous is not None else None,
        current_frozen=year.id in frozen_years,
        previous_frozen=previous is not None and previous.id in frozen_years,
        rows=[
            ComparisonRow(key, labels[key], before.get(key, 0), now.get(key, 0))
            for key in sorted(labels)
        ],
    )


# --------------------------------------------------------------------------- the PDF


@requires(Permission.HEADCOUNTS_READ)
async def constat_document(
    session: AsyncSession, principal: Principal, snapshot_id: int
) -> tuple[str, bytes]:
    """The constat de rentrée as a PDF (file name, bytes): its totals by MEF, division, sex,
    régime, age and status, and its anomalies."""
    snapshot = await _readable_snapshot(session, principal, snapshot_id)
    school = await session.get(School, snapshot.school_id)
    year = await session.get(SchoolYear, snapshot.school_year_id)
    assert school is not None and year is not None
    titles = {
        SnapshotDimension.MEF: "Par MEF",
        SnapshotDimension.DIVISION: "Par division",
        SnapshotDimension.SEX: "Par sexe",
        SnapshotDimension.REGIME: "Par régime",
        SnapshotDimension.AGE: f"Par âge (au 31 décembre {year.start_year})",
        SnapshotDimension.STATUS: "Par statut",
    }
    tables = []
    for dimension, title in titles.items():
        totals = await _totals(session, dimension, HeadcountLine.snapshot_id == snapshot.id)
        tables.append(ConstatTable(title, [(t.label, t.boys, t.girls, t.total) for t in totals]))
    anomalies = await snapshot_anomalies(session, principal, snapshot.id)
    document = ConstatDocument(
        school_name=school.name,
        uai=school.uai,
        year_label=year.label,
        counted_on=snapshot.counted_on,
        taken_at=snapshot.taken_at,
        actor_label=snapshot.actor_label,
        total=snapshot.total,
        tables=tables,
        anomalies=[(ANOMALY_LABELS[AnomalyKind(a.kind)], a.label) for a in anomalies],
    )
    return f"constat-de-rentree-{school.uai}-{year.start_year}.pdf", write_constat(document)


# --------------------------------------------------------------------------- the files


@requires(Permission.STRUCTURES_READ)
async def structure_headcounts(
    session: AsyncSession, principal: Principal, school_id: int, school_year_id: int
) -> tuple[list[DivisionHeadcountRecord], list[GroupHeadcountRecord]]:
    """Each division's students (in all and per MEF) and each group's, for STS-WEB: the
    year's enrolments not ended."""
    school = await _school_in_reach(session, principal, school_id, Permission.STRUCTURES_READ)
    year = await _year(session, principal, school_year_id)
    present = and_(
        Enrollment.school_id == school.id,
        Enrollment.school_year_id == year.id,
        Enrollment.exit_date.is_(None),
    )
    divisions = (
        await session.execute(
            select(Division.id, Division.code, Division.label)
            .where(Division.school_id == school.id, Division.school_year_id == year.id)
            .order_by(Division.code)
        )
    ).all()
    division_ids = [d.id for d in divisions]
    per_mef: dict[int, dict[str, int]] = {d.id: {} for d in divisions}
    for division_id, code in await session.execute(
        select(DivisionMef.division_id, Mef.code)
        .join(Mef, Mef.id == DivisionMef.mef_id)
        .where(DivisionMef.division_id.in_(division_ids))
    ):
        per_mef[division_id][code] = 0
    for enrolled_in, code, count in await session.execute(
        select(Enrollment.division_id, Mef.code, func.count())
        .join(Mef, Mef.id == Enrollment.mef_id)
        .where(present, Enrollment.division_id.in_(division_ids))
        .group_by(Enrollment.division_id, Mef.code)
    ):
        assert enrolled_in is not None  # only enrolments in a division are selected
        per_mef[enrolled_in][code] = int(count)
    groups = (
        await session.execute(
            select(Group.id, Group.code, Group.label)
            .where(Group.school_id == school.id, Group.school_year_id == year.id)
            .order_by(Group.code)
        )
    ).all()
    group_ids = [g.id for g in groups]
    group_counts: dict[int, int] = {
        group_id: int(count)
        for group_id, count in await session.execute(
            select(EnrollmentGroup.group_id, func.count())
            .join(Enrollment, Enrollment.id == EnrollmentGroup.enrollment_id)
            .where(present, EnrollmentGroup.group_id.in_(group_ids))
            .group_by(EnrollmentGroup.group_id)
        )
    }
    group_divisions: dict[int, list[str]] = {g.id: [] for g in groups}
    for group_id, code in await session.execute(
        select(GroupDivision.group_id, Division.code)
        .join(Division, Division.id == GroupDivision.division_id)
        .where(GroupDivision.group_id.in_(group_ids))
        .order_by(Division.code)
    ):
        group_divisions[group_id].append(code)
    return (
        [
            DivisionHeadcountRecord(
                code=d.code,
                label=d.label,
                headcount=sum(per_mef[d.id].values()),
                mef_headcounts=tuple(sorted(per_mef[d.id].items())),
            )
            for d in divisions
        ],
        [
            GroupHeadcountRecord(
                code=g.code,
                label=g.label,
                headcount=group_counts.get(g.id, 0),
                division_codes=tuple(group_divisions[g.id]),
            )
            for g in groups
        ],
    )


@requires(Permission.STUDENTS_EXPORT)
async def evaluation_survey_students(
    session: AsyncSession, principal: Principal, school_id: int, school_year_id: int
) -> list[EvaluationSurveyRecord]:
    """The students the rentrée evaluation concerns: the year's enrolments not ended whose
    MEF is of an evaluated level (``EVALUATED_LEVELS``), by division and name."""
    school = await _school_in_reach(session, principal, school_id, Permission.STUDENTS_EXPORT)
    year = await _year(session, principal, school_year_id)
    rows = await session.execute(
        select(
            Student.ine,
            Student.family_name,
            Student.first_name,
            Student.sex,
            Student.birth_date,
            Mef.code,
            Division.code,
        )
        .select_from(Enrollment)
        .join(Student, Student.id == Enrollment.student_id)
        .join(Mef, Mef.id == Enrollment.mef_id)
        .outerjoin(Division, Division.id == Enrollment.division_id)
        .where(
            Enrollment.school_id == school.id,
            Enrollment.school_year_id == year.id,
            Enrollment.exit_date.is_(None),
            func.substr(Mef.code, 1, 3).in_(list(EVALUATED_LEVELS)),
        )
        .order_by(Division.code, Student.family_name, Student.first_name, Student.id)
    )
    return [
        EvaluationSurveyRecord(
            uai=school.uai,
            ine=ine or None,
            family_name=family,
            first_name=first,
            sex=Sex(sex).value,
            birth_date=born,
            mef_code=mef,
            division_code=division,
        )
        for ine, family, first, sex, born, mef, division in rows
    ]


@requires(Permission.STUDENTS_EXPORT)
async def export_evaluation_survey(
    session: AsyncSession, principal: Principal, school_id: int, school_year_id: int
) -> ExchangeRun:
    """Write the EVA file of the year's evaluated students and record it in the exchange
    history (with the file); students without INE are in it, INE empty."""
    students = await evaluation_survey_students(session, principal, school_id, school_year_id)
    school = await _school_in_reach(session, principal, school_id, Permission.STUDENTS_EXPORT)
    year = await _year(session, principal, school_year_id)
    without_ine = sum(1 for s in students if s.ine is None)
    run = await record_export(
        session,
        principal,
        ExchangeFormat.EVALUATION_SURVEY,
        school,
        year,
        evaluation_survey_file_name(school.uai, year.start_year),
        evaluation_survey_bytes(students),
        {"students": {"written": len(students)}},
    )
    run.report = {"without_ine": without_ine}
    await session.flush()
    return run
