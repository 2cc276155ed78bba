"""``sconet transfer find|take`` against the test world's database: the command acts for the
receiving school as its principal would, shows only what the domain returns, and names its
options in the domain's refusals. School B receives Éloïse (school A, 6A)."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import select

from api.cli import main
from db.audit import AuditEntry
from db.enrollments import Enrollment, ExitReason
from tests.api.test_cli import environment
from tests.world import World, uai


async def _sconet(database_urls, tmp_path: Path, *args: str) -> Result:
    # The command runs its own event loop: in a thread, beside the test's.
    return await asyncio.to_thread(
        CliRunner().invoke,
        main,
        list(args),
        env=environment(database_urls, tmp_path),
        catch_exceptions=False,
    )


def _take(world: World, *changes: str) -> list[str]:
    return [
        "transfer", "take", "--school", uai("0940002"),
        "--student", str(world.students["eloise"]),
        "--mef", "10010012110", "--division", "6X", "--regime", "demi_pensionnaire",
        "--entry-date", "2026-12-07", *changes,
    ]  # fmt: skip


async def test_find_shows_what_identifies_him_and_is_audited(
    database_urls, sessionmaker, world: World, tmp_path: Path
) -> None:
    school_a = ["transfer", "find", "--school", uai("0930001")]
    by_ine = await _sconet(database_urls, tmp_path, *school_a, "--ine", "0987654321b")
    assert by_ine.exit_code == 0, by_ine.output
    assert by_ine.output == (
        f"n° {world.students['jade']} : Bernard Jade, né(e) le 20/01/2015, sexe F, 6EME, "
        f"Collège Louise Michel ({uai('0940002')})\n"
    )
    by_name = await _sconet(
        database_urls,
        tmp_path,
        *["transfer", "find", "--school", uai("0940002"), "--name", "ELAN"],
        *["--first-name", "eloise", "--birth-date", "2015-06-30"],
    )
    assert by_name.exit_code == 0, by_name.output
    assert by_name.output.startswith(f"n° {world.students['eloise']} : Élan Éloïse")
    # The school's own students are not searched: nobody.
    own = await _sconet(database_urls, tmp_path, *school_a, "--ine", "1234567890A")
    assert own.exit_code == 0
    assert own.output == "Aucun élève trouvé dans les autres établissements de l'académie.\n"
    # The domain's refusals name the command's options.
    empty = await _sconet(database_urls, tmp_path, *school_a)
    assert empty.exit_code == 1 and "--ine : Indiquez l'INE de l'élève" in empty.output
    partial = await _sconet(database_urls, tmp_path, *school_a, "--name", "Élan")
    assert partial.exit_code == 1
    assert "--first-name : Le prénom est obligatoire" in partial.output
    assert "--birth-date : La date de naissance est obligatoire" in partial.output
    bad_date = await _sconet(
        database_urls, tmp_path, *school_a, "--name", "Élan", "--birth-date", "30/06/2015"
    )
    assert bad_date.exit_code == 2 and "AAAA-MM-JJ" in bad_date.output
    # Every search that ran is in the receiving school's audit trail, under the command line.
    async with sessionmaker() as session:
        entries = list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "search").order_by(AuditEntry.id)
            )
        )
    assert [(e.school_id, e.after["by"], e.after["results"]) for e in entries] == [
        (world.school_a, "ine", [world.students["jade"]]),
        (world.school_b, "name", [world.students["eloise"]]),
        (world.school_a, "ine", []),
    ]
    assert {e.actor_kind for e in entries} == {"system"} and all(e.actor_label for e in entries)


async def test_take_enrols_him_and_closes_his_former_enrolment(
    database_urls, sessionmaker, world: World, tmp_path: Path
) -> None:
    taken = await _sconet(database_urls, tmp_path, *_take(world))
    assert taken.exit_code == 0, taken.output
    assert "à compter du 07/12/2026" in taken.output
    assert f"venant de Collège Jean Moulin ({uai('0930001')})" in taken.output
    eloise = world.students["eloise"]
    async with sessionmaker() as session:
        rows = list(
            await session.scalars(
                select(Enrollment).where(Enrollment.student_id == eloise).order_by(Enrollment.id)
            )
        )
        former, new = rows
        assert (former.school_id, former.exit_date, former.exit_reason) == (
            world.school_a,
            date(2026, 12, 6),
            ExitReason.CHANGE_OF_SCHOOL,
        )
        assert (new.school_id, new.division_id, new.mef_id) == (
            world.school_b,
            world.division_b1,
            world.mef_6,
        )
        assert new.entry_date == date(2026, 12, 7) and new.exit_date is None
        trails = {
            (e.school_id, e.after["direction"])
            for e in await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "transfer")
            )
        }
    assert trails == {(world.school_a, "out"), (world.school_b, "in")}

    again = await _sconet(database_urls, tmp_path, *_take(world))
    assert again.exit_code == 1
    assert "--student : L'élève est déjà inscrit dans l'établissement" in again.output


async def test_take_refusals_name_the_option_and_change_nothing(
    database_urls, sessionmaker, world: World, tmp_path: Path
) -> None:
    async def enrollments() -> list[tuple[int, date | None]]:
        async with sessionmaker() as session:
            rows = await session.execute(
                select(Enrollment.id, Enrollment.exit_date).where(
                    Enrollment.student_id == world.students["eloise"]
                )
            )
            return sorted((row[0], row[1]) for row in rows)

    before = await enrollments()
    for changes, message in (
        (["--mef", "20010018110"], "--mef : le MEF 20010018110 n'est pas proposé"),
        (["--division", "6A"], "--division : pas de division 6A"),
        (["--entry-date", "2027-09-01"], "--entry-date : La date d'entrée ne peut pas être"),
        (["--year", "1990"], "--year : l'année 1990-1991 n'existe pas"),
    ):
        result = await _sconet(database_urls, tmp_path, *_take(world, *changes))
        assert result.exit_code == 1, (changes, result.output)
        assert message in result.output, (changes, result.output)
    # Jade is school B's own student: nothing to take from elsewhere.
    own = _take(world)
    own[own.index("--student") + 1] = str(world.students["jade"])
    result = await _sconet(database_urls, tmp_path, *own)
    assert result.exit_code == 1 and "Student" in result.output
    unknown = await _sconet(database_urls, tmp_path, *_take(world, "--school", uai("0939999")))
    assert unknown.exit_code == 1 and f"Aucun établissement {uai('0939999')}" in unknown.output
    assert await enrollments() == before
