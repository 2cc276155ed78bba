"""Which of a student's enrolments in a school was in force on a day or during a period.

A student enrolled several years in the same school has one enrolment per year, and an
earlier year's enrolment is often left without an exit date when the next one begins. An
enrolment is in force from its entry date until its exit date or the next enrolment's
entry date in the same school, whichever comes first; joining on student and school alone
would pair every event with every year's enrolment (and its division).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, exists, or_
from sqlalchemy.orm import InstrumentedAttribute, aliased

from db.enrollments import Enrollment

DayExpression = date | ColumnElement[date] | InstrumentedAttribute[date]
# Aliased once: an alias made per call registers new columns (and their event listeners) on
# every request, which SQLAlchemy keeps.
_LATER = aliased(Enrollment, name="later_enrolment")


def in_force(first: DayExpression, last: DayExpression | None = None) -> ColumnElement[bool]:
    """``Enrollment`` rows in force on ``first`` or at some point up to ``last``.

    The days may be columns (an event's start date), so that the condition can serve as a
    join. At most one enrolment of a student in a school is in force on a given day.
    """
    last = first if last is None else last
    later = _LATER
    # A later enrolment begun by the first day ends this one before the period starts.
    superseded = exists().where(
        later.student_id == Enrollment.student_id,
        later.school_id == Enrollment.school_id,
        later.entry_date <= first,
        or_(
            later.entry_date > Enrollment.entry_date,
            and_(later.entry_date == Enrollment.entry_date, later.id > Enrollment.id),
        ),
    )
    return and_(
        Enrollment.entry_date <= last,
        or_(Enrollment.exit_date.is_(None), Enrollment.exit_date >= first),
        ~superseded,
    )
