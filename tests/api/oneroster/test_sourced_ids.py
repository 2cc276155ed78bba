"""sourcedIds: keyed hashes of natural keys, stable across rebuilds and years, revealing
nothing."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from api.resolvers.oneroster.sourced_ids import NaturalKeys, SourcedIdKey
from api.settings import load_settings
from db.audit import AuditActor, set_actor
from db.enrollments import Enrollment, Regime
from db.schools import SchoolYear, SchoolYearState
from db.students import Sex, Student
from tests.api.oneroster.roster import KEY, by_id, client, records

CORE = "roster-core.readonly"


def test_ids_depend_on_the_natural_key_and_the_key_only():
    keys = NaturalKeys(KEY, "24")
    assert keys.school("0930001P") == NaturalKeys(KEY, "24").school("0930001P")
    assert keys.school("0930001P") != NaturalKeys(SourcedIdKey(b"x" * 32), "24").school("0930001P")
    # The INE wins over everything else, and is not written in any recognisable form.
    lina = keys.student("1234567890A", "42", "Martin", "Lina", date(2015, 3, 14))
    assert lina == keys.student("1234567890a", None, "Autre", "Nom", date(2001, 1, 1))
    assert "1234567890" not in lina
    # Kinds never collide: a division and a group of the same code are two classes.
    assert keys.division("0930001P", 2026, "6A") != keys.group("0930001P", 2026, "6A")
    # Before his INE, a student is known by his SIECLE id, else by name and birth date.
    assert keys.student(None, "42", "Martin", "Lina", "2015-03-14") != keys.student(
        None, None, "Martin", "Lina", "2015-03-14"
    )
    assert keys.student(None, None, "Martin", "Lina", date(2015, 3, 14)) == keys.student(
        None, None, "MARTIN", "lina", "2015-03-14"
    )


def test_the_key_comes_from_its_setting_or_the_secret_key(tmp_path):
    base = {"SCONET_VAR_DIR": str(tmp_path), "SCONET_SECRET_KEY": "s" * 40}
    derived = SourcedIdKey.from_settings(load_settings(base))
    assert derived.secret != b"s" * 40
    assert derived == SourcedIdKey.from_settings(load_settings(base))
    own = SourcedIdKey.from_settings(load_settings(base | {"SCONET_ONEROSTER_KEY": "o" * 32}))
    assert own.secret == b"o" * 32
    other_secret = SourcedIdKey.from_settings(
        load_settings(base | {"SCONET_SECRET_KEY": "t" * 40, "SCONET_ONEROSTER_KEY": "o" * 32})
    )
    assert other_secret == own  # a dedicated key survives a change of the secret key


async def test_a_student_keeps_his_id_when_re_imported_and_the_next_year(world, sessionmaker):
    principal = client(world, CORE)
    before = {
        u["givenName"]: u["sourcedId"] for u in await records(sessionmaker, principal, "users")
    }
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        # Lina's file entered again (a new row, a new database id, the same INE), and enrolled
        # in the year in preparation.
        again = Student(
            family_name="Martin",
            first_name="Lina",
            sex=Sex.F,
            birth_date=date(2015, 3, 14),
            ine="1234567890A",
        )
        next_year = SchoolYear(
            academy_id=world.academy_id, start_year=2027, state=SchoolYearState.IN_PREPARATION
        )
        session.add_all([again, next_year])
        await session.flush()
        session.add(
            Enrollment(
                student_id=again.id,
                school_id=world.school_a,
                school_year_id=next_year.id,
                mef_id=world.mef_5,
                regime=Regime.EXTERNE,
                entry_date=date(2027, 9, 1),
            )
        )
        first = await session.scalar(select(Student).where(Student.id == world.students["lina"]))
        assert first is not None and first.id != again.id
    users = await records(sessionmaker, principal, "users")
    linas = [u for u in users if u["givenName"] == "Lina"]
    assert [u["sourcedId"] for u in linas] == [before["Lina"]]
    sessions = by_id(await records(sessionmaker, principal, "academicSessions"))
    assert sorted(s["title"] for s in sessions.values()) == ["2026-2027", "2027-2028"]
