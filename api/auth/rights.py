"""What each role gives by default, what each delegable right opens, and the sum of both.

The principal of a school decides, per staff member, which rights
(``db.delegations.Right``: an application and its mode) they hold there; a
role only gives the defaults the principal starts from. Some permissions
come with a role and cannot be delegated: the principal's own management
permissions, the teacher's access to the classes taught, the académie roles.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from api.auth.permissions import Permission as P
from db.accounts import Role
from db.delegations import Right

_READER = frozenset({P.STUDENTS_READ, P.STRUCTURES_READ, P.NOMENCLATURES_READ})
_CONSULTATION = _READER | {P.STUDENTS_IDENTITY_READ, P.GUARDIAN_CONTACTS_READ, P.STATISTICS_READ}

RIGHT_PERMISSIONS: dict[Right, frozenset[P]] = {
    Right.STUDENTS_CONSULT: _CONSULTATION,
    # The secretariat keeps the base up to date and launches the constat de rentrée from it.
    Right.STUDENTS_UPDATE: _CONSULTATION
    | {
        P.STUDENTS_WRITE,
        P.STRUCTURES_WRITE,
        P.EXCHANGES_READ,
        P.IMMATRICULATION,
        P.TRANSFERS_SEARCH,
        P.TRANSFERS_RECEIVE,
        P.HEADCOUNTS_READ,
        P.HEADCOUNTS_FREEZE,
    },
    Right.STUDENTS_EXPORT: _CONSULTATION | {P.STUDENTS_EXPORT, P.EXCHANGES_READ},
    Right.ABSENCES_ENTRY: _READER
    | {P.ABSENCES_READ, P.ABSENCES_WRITE, P.ABSENCES_MANAGE, P.GUARDIAN_CONTACTS_READ},
    Right.TELESERVICES: _READER | {P.TELESERVICES_MANAGE},
    Right.FINANCES: _READER
    | {P.FINANCES_READ, P.FINANCES_MANAGE, P.GUARDIAN_CONTACTS_READ, P.FINANCE_SUMMARIES_READ},
    Right.SCHOLARSHIPS: _READER
    | {
        P.SCHOLARSHIPS_READ,
        P.SCHOLARSHIPS_MANAGE,
        P.GUARDIAN_CONTACTS_READ,
        P.FINANCE_SUMMARIES_READ,
    },
}

RIGHT_LABELS_FR: dict[Right, str] = {
    Right.STUDENTS_CONSULT: "Base élèves — consultation",
    Right.STUDENTS_UPDATE: "Base élèves — mise à jour",
    Right.STUDENTS_EXPORT: "Base élèves — consultation export",
    Right.ABSENCES_ENTRY: "Absences — saisie",
    Right.TELESERVICES: "Télé-services",
    Right.FINANCES: "Finances",
    Right.SCHOLARSHIPS: "Bourses",
}

# Rights a school role starts with; the principal may grant more or withdraw these.
ROLE_DEFAULT_RIGHTS: dict[Role, frozenset[Right]] = {
    Role.PRINCIPAL: frozenset(Right),
    Role.REGISTRAR: frozenset(
        {Right.STUDENTS_CONSULT, Right.STUDENTS_UPDATE, Right.STUDENTS_EXPORT, Right.TELESERVICES}
    ),
    Role.CPE: frozenset({Right.STUDENTS_CONSULT, Right.STUDENTS_EXPORT, Right.ABSENCES_ENTRY}),
    Role.BURSAR: frozenset({Right.STUDENTS_CONSULT, Right.FINANCES, Right.SCHOLARSHIPS}),
    Role.TEACHER: frozenset(),
    Role.RECTORAT: frozenset(),
    Role.ACADEMY_ADMIN: frozenset(),
}

# Permissions that come with the role itself and no delegation removes.
ROLE_FIXED_PERMISSIONS: dict[Role, frozenset[P]] = {
    Role.PRINCIPAL: frozenset(
        {
            P.AUDIT_READ,
            P.DELEGATIONS_MANAGE,
            P.ACCOUNTS_MANAGE,
            P.SECOND_FACTOR_RESET,
            P.GRADES_READ,
            P.GRADES_WRITE,
            P.NOMENCLATURES_PROFILE,
            P.RENTREE_SWITCH,
            P.FINANCES_GRACE,
            P.SCHOLARSHIPS_DECIDE,
        }
    ),
    Role.REGISTRAR: frozenset(),
    Role.CPE: frozenset(),
    Role.BURSAR: frozenset(),
    # Only the divisions and groups taught (see api.auth.scopes): their roll call, their marks.
    Role.TEACHER: _READER | {P.ABSENCES_READ, P.ABSENCES_WRITE, P.GRADES_READ, P.GRADES_WRITE},
    # The académie assigns INEs (BEA): the rectorat sees identity data. It consolidates the
    # schools' constats de rentrée.
    Role.RECTORAT: _READER
    | {
        P.STUDENTS_IDENTITY_READ,
        P.STATISTICS_READ,
        P.AUDIT_READ,
        P.IMMATRICULATION,
        P.HEADCOUNTS_READ,
        P.RENTREE_SWITCH,
        P.FINANCE_SUMMARIES_READ,
    },
    Role.ACADEMY_ADMIN: frozenset(
        {
            P.NOMENCLATURES_READ,
            P.NOMENCLATURES_IMPORT,
            P.ACCOUNTS_MANAGE,
            P.SECOND_FACTOR_RESET,
            P.CLIENTS_MANAGE,
            P.AUDIT_READ,
            P.EXCHANGES_READ,
            P.SCHOOLS_MANAGE,
            P.RENTREE_SWITCH,
        }
    ),
}

ACADEMY_ROLES = frozenset({Role.RECTORAT, Role.ACADEMY_ADMIN})
# The principal holds every right in his school: his own cannot be withdrawn.
UNDELEGABLE_ROLES = frozenset({Role.PRINCIPAL})

ROLE_LABELS_FR: dict[Role, str] = {
    Role.PRINCIPAL: "Chef d'établissement",
    Role.REGISTRAR: "Secrétariat",
    Role.CPE: "CPE (vie scolaire)",
    Role.TEACHER: "Enseignant",
    Role.BURSAR: "Gestionnaire",
    Role.RECTORAT: "Rectorat",
    Role.ACADEMY_ADMIN: "Administrateur académique",
}

Grant = tuple[int | None, Role]
# (school id, right, granted) as stored in ``delegations``.
Decision = tuple[int, Right, bool]


def effective_rights(roles: Iterable[Role], decisions: Mapping[Right, bool]) -> frozenset[Right]:
    """The rights held in one school: the roles' defaults, then the principal's decisions."""
    held_roles = frozenset(roles)
    rights: set[Right] = set().union(*(ROLE_DEFAULT_RIGHTS[role] for role in held_roles))
    if held_roles & UNDELEGABLE_ROLES:
        return frozenset(rights)
    for right, granted in decisions.items():
        if granted:
            rights.add(right)
        else:
            rights.discard(right)
    return frozenset(rights)


def staff_permissions(
    grants: Iterable[Grant], decisions: Iterable[Decision] = ()
) -> tuple[dict[int | None, frozenset[P]], frozenset[tuple[int, P]]]:
    """Permissions per school (``None``: the whole académie), and the (school, permission)
    pairs that come from teaching alone: there the teacher reaches only the classes taught.
    A right delegated to a teacher opens its own permissions school-wide, not the others
    (Base élèves consultation lets him read every student, not take every class's roll call)."""
    roles_by_school: dict[int | None, set[Role]] = {}
    for school_id, role in grants:
        roles_by_school.setdefault(school_id, set()).add(role)
    decided: dict[int, dict[Right, bool]] = {}
    for school_id, right, granted in decisions:
        decided.setdefault(school_id, {})[right] = granted
    for school_id in decided:
        roles_by_school.setdefault(school_id, set())
    permissions: dict[int | None, frozenset[P]] = {}
    teaching_only: set[tuple[int, P]] = set()
    for school_id, roles in roles_by_school.items():
        rights = (
            effective_rights(roles, decided.get(school_id, {}))
            if school_id is not None
            else frozenset()
        )
        held: set[P] = set().union(
            *(RIGHT_PERMISSIONS[right] for right in rights),
            *(ROLE_FIXED_PERMISSIONS[role] for role in roles),
        )
        if held:
            permissions[school_id] = frozenset(held)
        if school_id is not None and Role.TEACHER in roles:
            elsewhere: set[P] = set().union(
                *(RIGHT_PERMISSIONS[right] for right in rights),
                *(ROLE_FIXED_PERMISSIONS[role] for role in roles if role is not Role.TEACHER),
            )
            teaching_only |= {
                (school_id, p) for p in ROLE_FIXED_PERMISSIONS[Role.TEACHER] - elsewhere
            }
    return permissions, frozenset(teaching_only)
