"""Roles give default rights, the principal's decisions add or withdraw them (DELEGCE)."""

from __future__ import annotations

from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.rights import RIGHT_PERMISSIONS, effective_rights, staff_permissions
from db.accounts import Role
from db.delegations import Right


def test_a_withdrawn_right_removes_its_permissions_and_a_granted_one_adds_them():
    rights = effective_rights({Role.CPE}, {Right.STUDENTS_EXPORT: False, Right.FINANCES: True})
    assert Right.STUDENTS_EXPORT not in rights
    assert Right.FINANCES in rights and Right.ABSENCES_ENTRY in rights


def test_the_principal_keeps_every_right_whatever_is_recorded():
    assert effective_rights({Role.PRINCIPAL}, {Right.STUDENTS_UPDATE: False}) == frozenset(Right)


def test_a_teacher_reaches_only_the_classes_taught_until_a_right_is_delegated():
    permissions, teaching_only = staff_permissions({(7, Role.TEACHER)})
    assert (7, Permission.STUDENTS_READ) in teaching_only
    assert (7, Permission.ABSENCES_WRITE) in teaching_only
    assert Permission.GUARDIAN_CONTACTS_READ not in permissions[7]
    permissions, teaching_only = staff_permissions(
        {(7, Role.TEACHER)}, [(7, Right.STUDENTS_CONSULT, True)]
    )
    # Consultation opens every student to him, not every class's roll call or marks.
    assert (7, Permission.STUDENTS_READ) not in teaching_only
    assert (7, Permission.ABSENCES_WRITE) in teaching_only
    assert (7, Permission.GRADES_WRITE) in teaching_only
    assert RIGHT_PERMISSIONS[Right.STUDENTS_CONSULT] <= permissions[7]
    _permissions, teaching_only = staff_permissions(
        {(7, Role.TEACHER)}, [(7, Right.ABSENCES_ENTRY, True)]
    )
    assert (7, Permission.ABSENCES_WRITE) not in teaching_only


def test_rights_are_per_school():
    principal = Principal(
        kind="staff",
        id=1,
        label="x",
        academy_id=1,
        grants=frozenset({(1, Role.CPE), (2, Role.CPE)}),
        school_permissions=staff_permissions(
            {(1, Role.CPE), (2, Role.CPE)}, [(2, Right.STUDENTS_EXPORT, False)]
        )[0],
    )
    assert principal.school_ids(Permission.STUDENTS_EXPORT) == {1}
    assert principal.school_ids(Permission.STUDENTS_READ) == {1, 2}
    assert not principal.academy_wide(Permission.STUDENTS_READ)


def test_academy_roles_hold_their_permissions_in_every_school():
    principal = Principal(
        kind="staff", id=1, label="x", academy_id=1, grants=frozenset({(None, Role.ACADEMY_ADMIN)})
    )
    assert principal.academy_wide(Permission.CLIENTS_MANAGE)
    assert Permission.CLIENTS_MANAGE in principal.permissions_in(42)
    assert not principal.has(Permission.STUDENTS_READ)
