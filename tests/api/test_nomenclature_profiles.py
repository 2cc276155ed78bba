"""A school's profile of the nomenclatures: its MEFs, subjects and the MEF after each one."""

from __future__ import annotations

from sqlalchemy import select

from db.nomenclatures import Mef, SchoolMef, Subject
from db.reference import load_reference_nomenclatures

PROFILE = """
query($s: Int!) {
  schoolNomenclatures(schoolId: $s) {
    schoolId
    mefs { mef { code shortLabel } nextMef { shortLabel } schoolNext }
    subjects { code }
  }
}
"""
ADD_MEF = """
mutation($s: Int!, $m: Int!) {
  addSchoolMef(schoolId: $s, mefId: $m) { mef { code } errors { field code message } }
}
"""
REMOVE_MEF = """
mutation($s: Int!, $m: Int!) {
  removeSchoolMef(schoolId: $s, mefId: $m) { mef { code } errors { field code message } }
}
"""
SET_NEXT = """
mutation($s: Int!, $m: Int!, $n: Int) {
  setSchoolNextMef(schoolId: $s, mefId: $m, nextMefId: $n) {
    profiledMef { mef { shortLabel } nextMef { shortLabel } schoolNext }
    errors { field code message }
  }
}
"""
ADD_SUBJECT = """
mutation($s: Int!, $m: Int!) {
  addSchoolSubject(schoolId: $s, subjectId: $m) { subject { code } errors { field code message } }
}
"""
REMOVE_SUBJECT = """
mutation($s: Int!, $m: Int!) {
  removeSchoolSubject(schoolId: $s, subjectId: $m) { subject { code } errors { field code message } }
}
"""
ENTRIES = """
query($l: NomenclatureList!, $y: Int!) {
  nomenclatureEntries(listName: $l, year: $y) { code year longLabel category }
}
"""


async def _ids(sessionmaker, model, *codes):
    async with sessionmaker() as session:
        rows = await session.execute(select(model.code, model.id).where(model.code.in_(codes)))
        return dict(rows.all())


async def test_the_principal_reads_and_changes_the_profile(gql, world, sessionmaker):
    async with sessionmaker() as session, session.begin():
        await load_reference_nomenclatures(session)
    ids = await _ids(sessionmaker, Mef, "10210001110", "10310019110", "20010018110")
    s = world.school_a
    body = await gql("principal_a", PROFILE, {"s": s})
    profile = body["data"]["schoolNomenclatures"]
    assert [(m["mef"]["shortLabel"], m["nextMef"]["shortLabel"]) for m in profile["mefs"]] == [
        ("6EME", "5EME"),
        ("5EME", "4EME"),  # the reference's national next MEF, loaded above
    ]
    assert profile["subjects"] == [{"code": "030201"}]

    added = await gql("principal_a", ADD_MEF, {"s": s, "m": ids["10310019110"]})
    assert added["data"]["addSchoolMef"] == {"mef": {"code": "10310019110"}, "errors": []}
    again = await gql("principal_a", ADD_MEF, {"s": s, "m": ids["10310019110"]})
    [error] = again["data"]["addSchoolMef"]["errors"]
    assert (error["field"], error["code"]) == ("mefId", "ALREADY_PROFILED")
    unknown = await gql("principal_a", ADD_MEF, {"s": s, "m": 999_999})
    assert unknown["data"]["addSchoolMef"]["errors"][0]["code"] == "NOT_FOUND"

    # 3EME goes on to 2NDE nationally; this school sends its students to 4EME (say).
    chosen = await gql(
        "principal_a", SET_NEXT, {"s": s, "m": ids["10310019110"], "n": ids["10210001110"]}
    )
    assert chosen["data"]["setSchoolNextMef"]["profiledMef"] == {
        "mef": {"shortLabel": "3EME"},
        "nextMef": {"shortLabel": "4EME"},
        "schoolNext": True,
    }
    same = await gql(
        "principal_a", SET_NEXT, {"s": s, "m": ids["10310019110"], "n": ids["10310019110"]}
    )
    assert same["data"]["setSchoolNextMef"]["errors"][0]["field"] == "nextMefId"
    national = await gql("principal_a", SET_NEXT, {"s": s, "m": ids["10310019110"], "n": None})
    assert national["data"]["setSchoolNextMef"]["profiledMef"] == {
        "mef": {"shortLabel": "3EME"},
        "nextMef": {"shortLabel": "2-GT"},
        "schoolNext": False,
    }
    async with sessionmaker() as session:
        row = await session.get(SchoolMef, (s, world.year_id, ids["10310019110"]))
        assert row is not None and row.next_mef_id is None

    # 6EME has students and divisions: it stays.
    refused = await gql("principal_a", REMOVE_MEF, {"s": s, "m": world.mef_6})
    [error] = refused["data"]["removeSchoolMef"]["errors"]
    assert (error["field"], error["code"]) == ("mefId", "IN_USE")
    removed = await gql("principal_a", REMOVE_MEF, {"s": s, "m": ids["10310019110"]})
    assert removed["data"]["removeSchoolMef"]["errors"] == []

    subjects = await _ids(sessionmaker, Subject, "020700", "030201")
    added = await gql("principal_a", ADD_SUBJECT, {"s": s, "m": subjects["020700"]})
    assert added["data"]["addSchoolSubject"]["errors"] == []
    in_use = await gql("principal_a", REMOVE_SUBJECT, {"s": s, "m": subjects["030201"]})
    assert in_use["data"]["removeSchoolSubject"]["errors"][0]["code"] == "IN_USE"
    gone = await gql("principal_a", REMOVE_SUBJECT, {"s": s, "m": subjects["020700"]})
    assert gone["data"]["removeSchoolSubject"]["errors"] == []


async def test_only_the_schools_principal_profiles_it(gql, world):
    for login in ("registrar_a", "teacher_a", "rectorat", "admin"):
        body = await gql(login, PROFILE, {"s": world.school_a})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", login
        change = await gql(login, ADD_MEF, {"s": world.school_a, "m": world.mef_6})
        assert change["errors"][0]["extensions"]["code"] == "FORBIDDEN", login
    # Another school's principal: as if the school did not exist.
    other = await gql("principal_b", PROFILE, {"s": world.school_a})
    assert other["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    change = await gql("principal_b", REMOVE_MEF, {"s": world.school_a, "m": world.mef_5})
    assert change["data"]["removeSchoolMef"]["errors"][0]["field"] == "schoolId"


async def test_the_lists_in_force_are_read_by_staff(gql, world, sessionmaker):
    async with sessionmaker() as session, session.begin():
        await load_reference_nomenclatures(session)
    body = await gql("teacher_a", ENTRIES, {"l": "KINSHIP", "y": 2026})
    rows = body["data"]["nomenclatureEntries"]
    assert rows[0] == {"code": "10", "year": 2019, "longLabel": "MERE", "category": "mother"}
    assert len(rows) == 11
