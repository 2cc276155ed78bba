"""Imports' preview, application, refusal and history, whatever the format: driven here by a
small format of the test's own (a header line "UAJ;YEAR", then one record per line)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import func, select

from api.auth.permissions import Permission
from api.auth.principal import PermissionDenied, Principal
from api.resolvers.exchanges import runs
from api.resolvers.work import Work
from core.errors import ValidationFailed
from db.exchanges import ExchangeFile, ExchangeFormat, ExchangeState
from db.schools import School
from exchanges.errors import ExchangeFileError
from exchanges.records import FileHeader, RecordProblem
from tests.world import World, uai

APPLIED: list[str] = []


@dataclass
class LinesPlan:
    names: list[str] = field(default_factory=list)
    problems: list[RecordProblem] = field(default_factory=list)

    def counts(self) -> dict[str, dict[str, int]]:
        return {"students": {"created": len(self.names), "refused": len(self.problems)}}

    def changes(self) -> Iterable[dict[str, Any]]:
        return ({"kind": "students", "action": "créé", "label": n} for n in self.names)


@dataclass
class LinesReading:
    header: FileHeader
    lines: list[str]

    def __iter__(self) -> Iterator[str]:
        return iter(self.lines)

    def close(self) -> None:
        pass


def read_lines(content: bytes, file_name: str) -> LinesReading:
    lines = content.decode().splitlines()
    if not lines or ";" not in lines[0]:
        raise ExchangeFileError("Première ligne illisible.", 1)
    school, year = lines[0].split(";")
    return LinesReading(FileHeader("LINES", "1", school, int(year), None), lines[1:])


async def plan_lines(
    session: Any, principal: Principal, school: School | None, year: Any, items: Iterator[str]
) -> LinesPlan:
    plan = LinesPlan()
    for number, name in enumerate(items, start=2):
        if name.strip():
            plan.names.append(name)
        else:
            plan.problems.append(RecordProblem("LIGNE", None, "nom", "Nom vide.", number))
    return plan


async def apply_lines(session: Any, principal: Principal, plan: Any) -> None:
    if "ÉCHEC" in plan.names:
        raise RuntimeError("injected failure")
    APPLIED.extend(plan.names)


@pytest.fixture(autouse=True)
def lines_format(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    APPLIED.clear()
    monkeypatch.setitem(
        runs.IMPORT_FORMATS,
        ExchangeFormat.STUDENTS,
        runs.ImportFormat(
            ExchangeFormat.STUDENTS,
            "Lignes",
            Permission.STUDENTS_WRITE,
            True,
            read_lines,
            plan_lines,
            apply_lines,
        ),
    )
    yield


def file_of(school_uai: str, *names: str, year: int = 2026) -> bytes:
    return "\n".join([f"{school_uai};{year}", *names]).encode()


async def _preview(sessionmaker: Any, principal: Principal, school_id: int, content: bytes) -> Any:
    async with Work(sessionmaker, principal).writing(school_id) as transaction:
        return await transaction.run(
            runs.preview_import, ExchangeFormat.STUDENTS, school_id, "eleves.txt", content
        )


async def test_preview_writes_nothing_then_apply_writes_all(sessionmaker, world: World) -> None:
    principal = await world.principal(sessionmaker, "registrar_a")
    content = file_of(uai("0930001"), "Lina", "", "Noah")
    run = await _preview(sessionmaker, principal, world.school_a, content)
    assert run.state == ExchangeState.PREVIEWED
    assert run.counts == {"students": {"created": 2, "refused": 1}}
    assert run.report["problems"] == [
        {"element": "LIGNE", "record_id": None, "field": "nom", "message": "Nom vide.", "line": 3}
    ]
    assert APPLIED == []
    async with Work(sessionmaker, principal).writing(world.school_a) as transaction:
        applied = await transaction.run(runs.apply_import, run.id)
    assert applied.state == ExchangeState.APPLIED and APPLIED == ["Lina", "Noah"]
    async with sessionmaker() as session:
        # The file is kept while the import waits, not after.
        assert await session.scalar(select(func.count()).select_from(ExchangeFile)) == 0
    with pytest.raises(ValidationFailed):
        async with Work(sessionmaker, principal).writing(world.school_a) as transaction:
            await transaction.run(runs.apply_import, run.id)


async def test_another_schools_file_is_refused_whole(sessionmaker, world: World) -> None:
    principal = await world.principal(sessionmaker, "registrar_a")
    run = await _preview(sessionmaker, principal, world.school_a, file_of(uai("0940002"), "Jade"))
    assert run.state == ExchangeState.REFUSED
    assert uai("0940002") in run.report["refusal"]["message"]
    unknown_year = await _preview(
        sessionmaker, principal, world.school_a, file_of(uai("0930001"), "Lina", year=2019)
    )
    assert unknown_year.state == ExchangeState.REFUSED
    assert "2019-2020" in unknown_year.report["refusal"]["message"]
    unreadable = await _preview(sessionmaker, principal, world.school_a, b"rien")
    assert unreadable.report["refusal"] == {"message": "Première ligne illisible.", "line": 1}
    async with Work(sessionmaker, principal) as work:
        history = await work.read(runs.exchange_history, world.school_a)
    assert [r.state for r in history] == [ExchangeState.REFUSED] * 3


async def test_failure_while_applying_leaves_the_preview_waiting(
    sessionmaker, world: World
) -> None:
    principal = await world.principal(sessionmaker, "principal_a")
    run = await _preview(
        sessionmaker, principal, world.school_a, file_of(uai("0930001"), "Lina", "ÉCHEC")
    )
    with pytest.raises(RuntimeError):
        async with Work(sessionmaker, principal).writing(world.school_a) as transaction:
            await transaction.run(runs.apply_import, run.id)
    async with Work(sessionmaker, principal) as work:
        again = await work.read(runs.get_run, run.id)
    assert again.state == ExchangeState.PREVIEWED


async def test_a_new_preview_abandons_the_older_one(sessionmaker, world: World) -> None:
    principal = await world.principal(sessionmaker, "registrar_a")
    first = await _preview(sessionmaker, principal, world.school_a, file_of(uai("0930001"), "A"))
    second = await _preview(sessionmaker, principal, world.school_a, file_of(uai("0930001"), "B"))
    async with Work(sessionmaker, principal) as work:
        states = {r.id: r.state for r in await work.read(runs.exchange_history, world.school_a)}
    assert states == {first.id: ExchangeState.ABANDONED, second.id: ExchangeState.PREVIEWED}


@pytest.mark.parametrize("login", ["teacher_a", "principal_b", "cpe_a"])
async def test_only_who_may_write_the_school_imports(
    sessionmaker, world: World, login: str
) -> None:
    principal = await world.principal(sessionmaker, login)
    with pytest.raises(PermissionDenied):
        await _preview(sessionmaker, principal, world.school_a, file_of(uai("0930001"), "A"))


async def test_history_is_the_schools_own(sessionmaker, world: World) -> None:
    registrar = await world.principal(sessionmaker, "registrar_a")
    run = await _preview(sessionmaker, registrar, world.school_a, file_of(uai("0930001"), "A"))
    other = await world.principal(sessionmaker, "principal_b")
    async with Work(sessionmaker, other) as work:
        assert await work.read(runs.exchange_history, world.school_b) == []
        with pytest.raises(Exception, match="introuvable"):
            await work.read(runs.get_run, run.id)
