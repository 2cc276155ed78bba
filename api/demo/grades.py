"""The demo's marks, so that the grades pages and the families portal show a real first
trimester: in the first school (where the demo's staff accounts work), in every division of
the current year, two assessments in each of three core subjects (French, mathematics,
history-geography), and one in the demo teacher's group; each student marked out of the
scale, a few absent or exempt. The other schools have none: through the domain, marks cost
about 20 ms an assessment, and the demo of a large académie (the benchmarks') should not
grow with them. Publication dates come a week or
two after the assessment: those before the demo's day are published (families see them
once the télé-services' grades service is open), the latest are not yet.

Like the finances (``api.demo.finances``), each assessment and its marks go through the
domain functions the teacher (``demo.enseignant`` for his classes) or the principal uses, in
the demo's transaction: the same checks, the audit log under their author. One
``enter_marks`` per assessment writes its whole class at once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.principal import Principal
from api.demo import data
from api.demo.model import Build, SchoolPlan
from api.demo.writer import Progress
from api.resolvers.grades import AssessmentInput, MarkInput, create_assessment, enter_marks
from core import clock
from db.grades import MarkStatus

# Core subjects every demo school teaches (collège and lycée).
SUBJECTS = (data.FRANCAIS, "061300", "043700")
HISTORY = "043700"
TITLES = {
    data.FRANCAIS: ("Dictée", "Rédaction"),
    "061300": ("Contrôle de calcul", "Devoir maison"),
    HISTORY: ("Interrogation de cours", "Étude de document"),
}
GROUP_TITLE = "Version"
# (scale, coefficient) of the first and second assessment of each subject.
SCALES = ((Decimal(20), Decimal(1)), (Decimal(10), Decimal("0.5")))
ABSENT_SHARE = 0.04
EXEMPT_SHARE = 0.01


@dataclass
class GradesCounts:
    assessments: int = 0
    marks: int = 0


def _present(rows: list[dict[str, Any]], day: date) -> list[int]:
    """The students of these enrolments who were at school on the day."""
    return [
        row["student_id"]
        for row in rows
        if row["entry_date"] <= day and (row["exit_date"] is None or row["exit_date"] >= day)
    ]


def _mark(rng: random.Random, student_id: int, scale: Decimal, level: float) -> MarkInput:
    """A student's mark around his level (out of 1), or absent, or exempt."""
    draw = rng.random()
    if draw < ABSENT_SHARE:
        return MarkInput(student_id, MarkStatus.ABSENT)
    if draw < ABSENT_SHARE + EXEMPT_SHARE:
        return MarkInput(student_id, MarkStatus.EXEMPT)
    share = min(max(rng.gauss(level, 0.15), 0.0), 1.0)
    # To the half point, as teachers mark.
    value = (Decimal(str(round(share * float(scale) * 2))) / 2).quantize(Decimal("0.01"))
    return MarkInput(student_id, MarkStatus.GRADED, value)


class _School:
    def __init__(
        self,
        session: AsyncSession,
        build: Build,
        school: SchoolPlan,
        head: Principal,
        teacher: Principal | None,
        rng: random.Random,
        today: date,
        counts: GradesCounts,
    ) -> None:
        self.session, self.build, self.school = session, build, school
        self.head, self.teacher, self.rng, self.today = head, teacher, rng, today
        self.counts = counts
        # Each student's level, the same in every subject give or take.
        self.levels: dict[int, float] = {}
        # The school's current enrolments, by division and by group.
        self.by_division: dict[int, list[dict[str, Any]]] = {}
        current = {
            row["id"]: row
            for row in build.rows["enrollments"]
            if row["school_id"] == school.id and row["school_year_id"] == build.current_year_id
        }
        for row in current.values():
            self.by_division.setdefault(row["division_id"], []).append(row)
        self.by_group: dict[int, list[dict[str, Any]]] = {}
        for link in build.rows["enrollment_groups"]:
            if link["enrollment_id"] in current:
                self.by_group.setdefault(link["group_id"], []).append(
                    current[link["enrollment_id"]]
                )

    def _days(self) -> list[date]:
        """Two school days of the trimester so far, the second at least two weeks later."""
        start = date(self.build.start_year, 9, 14)
        last = min(self.today, date(self.build.start_year, 11, 30))
        span = (last - start).days
        if span < 21:
            return [start] if span >= 0 else []
        first = start + timedelta(days=self.rng.randint(0, span // 2 - 7))
        second = first + timedelta(days=self.rng.randint(14, span - (first - start).days))
        return [_weekday(first), _weekday(second)]

    async def write(self) -> None:
        taught = self._taught()
        for division in self.school.divisions:
            for subject_code in SUBJECTS:
                author = taught.get(("d", division.id, subject_code), self.head)
                for index, day in enumerate(self._days()):
                    await self._assessment(
                        author,
                        TITLES[subject_code][index],
                        subject_code,
                        day,
                        SCALES[index],
                        division_id=division.id,
                    )
        for (kind, group_id, subject_code), author in taught.items():
            if kind == "g":
                days = self._days()
                if days:
                    await self._assessment(
                        author,
                        GROUP_TITLE,
                        subject_code,
                        days[-1],
                        SCALES[0],
                        group_id=group_id,
                    )

    def _taught(self) -> dict[tuple[str, int, str], Principal]:
        """The demo teacher's services in this school: his classes are his to grade."""
        if self.teacher is None:
            return {}
        codes = {id_: code for code, id_ in self.build.catalog.subject_ids.items()}
        found: dict[tuple[str, int, str], Principal] = {}
        for row in self.build.rows["teaching_assignments"]:
            if row["user_id"] != self.teacher.id or row["subject_id"] is None:
                continue
            kind, target = (
                ("d", row["division_id"]) if row["division_id"] else ("g", row["group_id"])
            )
            found[(kind, target, codes[row["subject_id"]])] = self.teacher
        return found

    async def _assessment(
        self,
        author: Principal,
        title: str,
        subject_code: str,
        day: date,
        scale_coefficient: tuple[Decimal, Decimal],
        *,
        division_id: int | None = None,
        group_id: int | None = None,
    ) -> None:
        scale, coefficient = scale_coefficient
        members = _present(
            self.by_division.get(division_id, [])
            if division_id is not None
            else self.by_group.get(group_id or 0, []),
            day,
        )
        if not members:
            return
        assessment = await create_assessment(
            self.session,
            author,
            AssessmentInput(
                title=title,
                subject_id=self.build.subject_id(subject_code),
                day=day,
                scale=scale,
                coefficient=coefficient,
                published_on=day + timedelta(days=self.rng.choice((7, 10, 14))),
                division_id=division_id,
                group_id=group_id,
            ),
        )
        marks = []
        for student_id in members:
            level = self.levels.setdefault(
                student_id, min(max(self.rng.gauss(0.62, 0.15), 0.2), 0.95)
            )
            marks.append(_mark(self.rng, student_id, scale, level))
        await enter_marks(self.session, author, assessment.id, marks)
        # Written (each function flushes): out of the session, or every later flush would
        # look again at all the rows written so far, the term's finances included.
        self.session.expunge_all()
        self.counts.assessments += 1
        self.counts.marks += len(marks)


def _weekday(day: date) -> date:
    """The day, or the Friday before when it falls on a weekend."""
    return day - timedelta(days=max(day.weekday() - 4, 0))


async def write_grades(
    session: AsyncSession,
    build: Build,
    principals: dict[str, Principal],
    seed: int,
    progress: Progress | None = None,
) -> GradesCounts:
    """Every school's first trimester of marks, through the domain (see the docstring)."""
    # Its own generator: the rest of the demo is the same with or without its marks.
    rng = random.Random(f"grades-{seed}")
    today = min(build.today, clock.today())
    counts = GradesCounts()
    if today < date(build.start_year, 9, 14):
        return counts
    session.expunge_all()
    school = build.schools[0]
    head, teacher = principals["demo.principal"], principals["demo.enseignant"]
    await _School(session, build, school, head, teacher, rng, today, counts).write()
    if progress is not None:
        progress("Notes", 1, 1)
    return counts
