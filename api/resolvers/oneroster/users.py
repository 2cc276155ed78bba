"""OneRoster users: students, teachers and (under ``roster.readonly``) guardians.

A student's record never carries his INE; his birth data are demographics. A guardian's
e-mail and phones show only to a caller holding the guardian contacts permission in one of
his children's schools. Guardians are ``parent`` (legal guardians), ``guardian`` (a person in
charge) or ``relatedPerson`` (a contact only), after SIECLE's responsibility level.
``enabledUser`` is the string ``"true"`` (1.2's binding has string booleans, not JSON ones):
a user on the roster may sign in wherever the client lets him.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, case, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.client_scopes import RosterPart
from api.auth.permissions import Permission
from api.resolvers.oneroster.courses import grades_of
from api.resolvers.oneroster.population import Population, on_roster
from api.resolvers.oneroster.reach import RosterReach, as_utc, iso, latest, start_of
from api.resolvers.oneroster.sourced_ids import (
    GUARDIAN_KEY_COLUMNS,
    STUDENT_KEY_COLUMNS,
    guardian_key_of,
    guid_ref,
    student_key_of,
)
from api.resolvers.oneroster.staff import Teachers
from core import clock
from db.audit import AuditEntry
from db.enrollments import Enrollment
from db.guardians import Guardian, GuardianLink
from db.students import Student

RESPONSIBILITY_ROLES = {1: "parent", 2: "guardian", 3: "relatedPerson"}


GUARDIAN_COLUMNS = (
    Guardian.id,
    Guardian.siecle_id,
    Guardian.family_name,
    Guardian.usage_name,
    Guardian.first_name,
    Guardian.email,
    Guardian.phone_home,
    Guardian.phone_mobile,
    Guardian.phone_work,
    Guardian.updated_at,
)
LINK_COLUMNS = (
    GuardianLink.id,
    GuardianLink.student_id,
    GuardianLink.guardian_id,
    GuardianLink.responsibility_level,
    GuardianLink.updated_at,
)


@dataclass
class Family:
    """The guardians of the students on the roster (rows), their links and sourcedIds."""

    guardians: dict[int, Any]
    links: list[Any]
    sourced_ids: dict[int, str]


@dataclass
class Shaping:
    """When what shapes a user's record beyond his own rows last changed, by student and by
    guardian id: a student's enrolments in reach, ended ones too (his roles), his links and his
    guardians' sourcedIds (his agents); a guardian's links to children in reach, their
    sourcedIds and enrolments, ended ones too (his agents and roles). Deleted rows and changes
    of sourcedIds are found in the audit log. A full read and a delta thus date a record alike:
    the delta sends again whoever such a change touched, dated by it."""

    students: dict[int, datetime] = field(default_factory=dict)
    guardians: dict[int, datetime] = field(default_factory=dict)

    @staticmethod
    def note(of: dict[int, datetime], row_id: int, at: datetime) -> None:
        """``at`` in UTC, as every moment gathered here."""
        previous = of.get(row_id)
        of[row_id] = at if previous is None or at > previous else previous


def _writes_any(columns: tuple[str, ...]) -> Any:
    """An audited update that wrote one of these columns: its former values hold it as a key
    (``"code":``; a quote inside a value is escaped, so no value matches)."""
    text = cast(AuditEntry.before, String)
    return or_(*(text.contains(f'"{name}":', autoescape=True) for name in columns))


async def roster_shaping(
    session: AsyncSession, reach: RosterReach, year_ids: list[int], family: Family | None
) -> Shaping:
    """2 grouped queries, 5 queries with the family, whatever the number of users."""
    shaping = Shaping()
    in_reach = on_roster(reach, year_ids, ended_too=True)
    today = clock.today()
    # Each student's enrolments in reach: the latest written, the latest ended (it left the
    # roster at the start of its exit date), the latest deleted.
    enrolled: dict[int, datetime] = {}
    for student_id, written, ended in await session.execute(
        select(
            Enrollment.student_id,
            func.max(Enrollment.updated_at),
            func.max(case((Enrollment.exit_date <= today, Enrollment.exit_date))),
        )
        .where(in_reach)
        .group_by(Enrollment.student_id)
    ):
        enrolled[student_id] = latest(written, start_of(ended) if ended else None)
    # The students' own dates, before those of their guardians' sourcedIds enter below.
    shaping.students.update(enrolled)
    student_of = AuditEntry.before["student_id"].as_integer()
    guardian_of = AuditEntry.before["guardian_id"].as_integer()
    kinds = [and_(AuditEntry.entity == "enrollments", AuditEntry.school_id.in_(reach.school_ids()))]
    if family is not None:
        kinds.append(
            and_(
                AuditEntry.entity == "guardian_links",
                student_of.in_(select(Enrollment.student_id).where(in_reach)),
            )
        )
    deleted_links: list[tuple[int, int, datetime]] = []
    for entity, student_id, guardian_id, at in await session.execute(
        select(AuditEntry.entity, student_of, guardian_of, func.max(AuditEntry.at))
        .where(AuditEntry.action == "delete", or_(*kinds))
        .group_by(AuditEntry.entity, student_of, guardian_of)
    ):
        if entity == "enrollments":
            enrolled[student_id] = latest(enrolled.get(student_id), at)
            shaping.students[student_id] = enrolled[student_id]
        else:
            deleted_links.append((student_id, guardian_id, as_utc(at)))
    if family is None:
        return shaping
    for student_id, guardian_id, at in deleted_links:
        shaping.note(shaping.students, student_id, at)
        shaping.note(shaping.guardians, guardian_id, at)
    on_the_roster = select(Enrollment.student_id).where(on_roster(reach, year_ids))
    guardians = select(GuardianLink.guardian_id).where(GuardianLink.student_id.in_(on_the_roster))
    children = select(GuardianLink.student_id).where(GuardianLink.guardian_id.in_(guardians))
    # When the sourcedId of each child of these guardians, and of each guardian, last changed:
    # the writes of a key column (rare), newest first, undone one by one from the row as it
    # stands until the key differs (a first name written changes no INE-keyed id).
    writes: dict[tuple[str, int], list[tuple[datetime, dict[str, Any]]]] = defaultdict(list)
    for entity, entity_id, at, before in await session.execute(
        select(AuditEntry.entity, AuditEntry.entity_id, AuditEntry.at, AuditEntry.before)
        .where(
            AuditEntry.action == "update",
            or_(
                and_(
                    AuditEntry.entity == "students",
                    AuditEntry.entity_id.in_(children),
                    _writes_any(STUDENT_KEY_COLUMNS),
                ),
                and_(
                    AuditEntry.entity == "guardians",
                    AuditEntry.entity_id.in_(guardians),
                    _writes_any(GUARDIAN_KEY_COLUMNS),
                ),
            ),
        )
        .order_by(AuditEntry.id.desc())
    ):
        writes[(entity, entity_id)].append((as_utc(at), before or {}))
    rewritten = sorted(i for entity, i in writes if entity == "students")
    current: dict[tuple[str, int], dict[str, Any]] = {
        ("students", row.id): row._asdict()
        for row in (
            await session.execute(
                select(Student.id, *(getattr(Student, c) for c in STUDENT_KEY_COLUMNS)).where(
                    Student.id.in_(rewritten)
                )
            )
            if rewritten
            else []
        )
    }
    current |= {
        ("guardians", gid): {c: getattr(family.guardians[gid], c) for c in GUARDIAN_KEY_COLUMNS}
        for entity, gid in writes
        if entity == "guardians" and gid in family.guardians
    }
    rekeyed: dict[tuple[str, int], datetime] = {}
    for ref, entries in writes.items():
        key_of = student_key_of if ref[0] == "students" else guardian_key_of
        state = current.get(ref)
        if state is None:
            continue
        for at, before in entries:
            former = {**state, **before}
            if key_of(reach.keys, former) != key_of(reach.keys, state):
                rekeyed[ref] = at
                break
            state = former
    renamed = {row_id: at for (entity, row_id), at in rekeyed.items() if entity == "guardians"}
    for link in family.links if renamed else ():
        if link.guardian_id in renamed:
            shaping.note(shaping.students, link.student_id, renamed[link.guardian_id])
    # A child's date, as his guardians see it: his enrolments and his sourcedId.
    for (entity, row_id), at in rekeyed.items():
        if entity == "students" and row_id in enrolled:
            enrolled[row_id] = max(enrolled[row_id], at)
    # Every link of a guardian on the roster to a child who is or was in reach (on the roster,
    # gone, his enrolment deleted): the child's enrolments and sourcedId, the link's row.
    for guardian_id, student_id, link_written in await session.execute(
        select(GuardianLink.guardian_id, GuardianLink.student_id, GuardianLink.updated_at).where(
            GuardianLink.guardian_id.in_(guardians)
        )
    ):
        if student_id in enrolled:
            shaping.note(
                shaping.guardians, guardian_id, max(as_utc(link_written), enrolled[student_id])
            )
    return shaping


async def roster_family(session: AsyncSession, reach: RosterReach, year_ids: list[int]) -> Family:
    return await family_of(
        session, reach, select(Enrollment.student_id).where(on_roster(reach, year_ids))
    )


async def family_of(session: AsyncSession, reach: RosterReach, students: Any) -> Family:
    """The guardians linked now to ``students`` (their ids, or a statement selecting them)."""
    links = list(
        await session.execute(
            select(*LINK_COLUMNS)
            .where(GuardianLink.student_id.in_(students))
            .order_by(GuardianLink.id)
        )
    )
    guardians = {
        guardian.id: guardian
        for guardian in await session.execute(
            select(*GUARDIAN_COLUMNS).where(
                Guardian.id.in_(
                    select(GuardianLink.guardian_id).where(GuardianLink.student_id.in_(students))
                )
            )
        )
    }
    keys = {gid: guardian_key_of(reach.keys, guardian) for gid, guardian in guardians.items()}
    return Family(guardians, links, keys)


def _role(role: str, school_uai: str, reach: RosterReach, primary: bool) -> dict[str, Any]:
    return {
        "roleType": "primary" if primary else "secondary",
        "role": role,
        "org": guid_ref("org", reach.keys.school(school_uai)),
    }


def _split(display_name: str) -> tuple[str, str]:
    """A staff account's "First Family" name (as STS-WEB imports write it)."""
    first, _, family = display_name.partition(" ")
    return (first, family) if family else ("", first)


def student_records(
    reach: RosterReach, population: Population, family: Family | None, shaping: Shaping
) -> list[dict[str, Any]]:
    keys = reach.keys
    enrollments = population.enrollments_of()
    agents_of: dict[int, list[Any]] = defaultdict(list)
    if family is not None:
        for link in family.links:
            agents_of[link.student_id].append(link)
    records = []
    for student_id, student in population.students.items():
        own = sorted(
            enrollments[student_id],
            key=lambda e: (reach.all_years[e.year_id].state != "current", e.entry_date),
        )
        schools = list(dict.fromkeys(e.school_id for e in own))
        changed: list[datetime | None] = [student.updated_at, *(e.updated_at for e in own)]
        record: dict[str, Any] = {
            "sourcedId": population.sourced_ids[student_id],
            "status": "active",
            "enabledUser": "true",
            "username": "",
            "userIds": (
                [{"type": "SIECLE", "identifier": student.siecle_id}] if student.siecle_id else []
            ),
            "givenName": student.first_name,
            "familyName": student.family_name,
            "middleName": " ".join(n for n in (student.first_name_2, student.first_name_3) if n),
            "roles": [
                {
                    **_role("student", reach.schools[s].uai, reach, i == 0),
                    "beginDate": min(e.entry_date for e in own if e.school_id == s).isoformat(),
                }
                for i, s in enumerate(schools)
            ],
            "primaryOrg": guid_ref("org", keys.school(reach.schools[schools[0]].uai)),
            "grades": grades_of(own[0].typical_age),
        }
        if student.usage_name:
            record["preferredLastName"] = student.usage_name
        if family is not None:
            links = agents_of[student_id]
            record["agents"] = [
                guid_ref("user", family.sourced_ids[link.guardian_id]) for link in links
            ]
            changed.extend(link.updated_at for link in links)
        changed.append(shaping.students.get(student_id))
        record["dateLastModified"] = iso(latest(*changed))
        records.append(record)
    return records


def teacher_records(reach: RosterReach, teachers: Teachers) -> list[dict[str, Any]]:
    keys = reach.keys
    records = []
    for user_id, user in teachers.users.items():
        schools = sorted(teachers.schools_of[user_id], key=lambda s: reach.schools[s].uai)
        given, family_name = _split(user.display_name)
        record: dict[str, Any] = {
            "sourcedId": keys.teacher(user.sts_id, user.login),
            "status": "active",
            "dateLastModified": iso(user.updated_at),
            "enabledUser": "true",
            "username": user.login,
            "userIds": [{"type": "STS", "identifier": user.sts_id}] if user.sts_id else [],
            "givenName": given,
            "familyName": family_name,
            "roles": [
                _role("teacher", reach.schools[s].uai, reach, i == 0) for i, s in enumerate(schools)
            ],
            "primaryOrg": guid_ref("org", keys.school(reach.schools[schools[0]].uai)),
        }
        if user.email:
            record["email"] = user.email
        records.append(record)
    return records


def guardian_records(
    reach: RosterReach, population: Population, family: Family, shaping: Shaping
) -> list[dict[str, Any]]:
    keys = reach.keys
    schools_of_student: dict[int, list[int]] = defaultdict(list)
    for enrollment in population.enrollments:
        if enrollment.school_id not in schools_of_student[enrollment.student_id]:
            schools_of_student[enrollment.student_id].append(enrollment.school_id)
    links_of: dict[int, list[Any]] = defaultdict(list)
    for link in family.links:
        links_of[link.guardian_id].append(link)
    principal = reach.principal
    records = []
    for guardian_id, guardian in family.guardians.items():
        links = links_of[guardian_id]
        role = RESPONSIBILITY_ROLES.get(min(link.responsibility_level for link in links), "parent")
        schools = list(
            dict.fromkeys(s for link in links for s in schools_of_student[link.student_id])
        )
        schools.sort(key=lambda s: reach.schools[s].uai)
        record: dict[str, Any] = {
            "sourcedId": family.sourced_ids[guardian_id],
            "status": "active",
            "dateLastModified": iso(
                latest(
                    guardian.updated_at,
                    shaping.guardians.get(guardian_id),
                    *(link.updated_at for link in links),
                )
            ),
            "enabledUser": "true",
            "username": "",
            "userIds": (
                [{"type": "SIECLE", "identifier": guardian.siecle_id}] if guardian.siecle_id else []
            ),
            "givenName": guardian.first_name,
            "familyName": guardian.family_name,
            "roles": [
                _role(role, reach.schools[s].uai, reach, i == 0) for i, s in enumerate(schools)
            ],
            "agents": [guid_ref("user", population.sourced_ids[link.student_id]) for link in links],
            "primaryOrg": guid_ref("org", keys.school(reach.schools[schools[0]].uai)),
        }
        if guardian.usage_name:
            record["preferredLastName"] = guardian.usage_name
        if any(Permission.GUARDIAN_CONTACTS_READ in principal.permissions_in(s) for s in schools):
            if guardian.email:
                record["email"] = guardian.email
            if guardian.phone_mobile:
                record["sms"] = guardian.phone_mobile
            phone = guardian.phone_home or guardian.phone_mobile or guardian.phone_work
            if phone:
                record["phone"] = phone
        records.append(record)
    return records


def user_records(
    reach: RosterReach,
    population: Population,
    teachers: Teachers,
    family: Family | None,
    shaping: Shaping,
) -> list[dict[str, Any]]:
    records = student_records(reach, population, family, shaping)
    records.extend(teacher_records(reach, teachers))
    if family is not None and reach.allows(RosterPart.GUARDIANS):
        records.extend(guardian_records(reach, population, family, shaping))
    return records
