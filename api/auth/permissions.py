"""Permissions: the unit every guard checks.

A permission is declared once beside what it guards: domain functions with
``@requires(...)`` (see ``api.auth.guard``), Strawberry fields with a field
permission (see ``api.schema.permissions``). Who holds which permission in
which school is decided by ``api.auth.rights`` (roles and delegations) and,
for API clients, by their OAuth scopes; which rows a permission reaches is
decided by ``api.auth.scopes``.
"""

from __future__ import annotations

import enum


class Permission(enum.StrEnum):
    STUDENTS_READ = "students:read"
    # INE and birth place: identity data beyond what a class list needs.
    STUDENTS_IDENTITY_READ = "students:identity:read"
    STUDENTS_WRITE = "students:write"
    STUDENTS_EXPORT = "students:export"
    # INE immatriculation: the liaisons' dashboard with the académie base (BEA) for a school's
    # secretariat and principal; académie-wide, the rectorat's, who settles probable
    # duplicates. Sending and importing the files write students: students:write.
    IMMATRICULATION = "immatriculation:manage"
    # A student arriving from another school of the académie: finding him there by INE, or by
    # name and birth date (identity only, bounded, audited), then taking his file.
    TRANSFERS_SEARCH = "transfers:search"
    TRANSFERS_RECEIVE = "transfers:receive"
    GUARDIAN_CONTACTS_READ = "guardians:contacts:read"
    STRUCTURES_READ = "structures:read"
    STRUCTURES_WRITE = "structures:write"
    STATISTICS_READ = "statistics:read"
    # The constat de rentrée: a school's frozen headcounts (with its anomalies, which name
    # students), the académie's consolidation and the comparison between years.
    HEADCOUNTS_READ = "headcounts:read"
    # Launching a school's constat de rentrée: it freezes the year's headcounts for good.
    HEADCOUNTS_FREEZE = "headcounts:freeze"
    NOMENCLATURES_READ = "nomenclatures:read"
    # The académie loads the national nomenclatures (BEE_NOMENCLATURES) for a school year.
    NOMENCLATURES_IMPORT = "nomenclatures:import"
    # The principal profiles the MEFs and subjects the school uses, and the MEF after each.
    NOMENCLATURES_PROFILE = "nomenclatures:profile"
    ABSENCES_READ = "absences:read"
    ABSENCES_WRITE = "absences:write"
    # A school's absence settings, letter templates and communications to families.
    ABSENCES_MANAGE = "absences:manage"
    TELESERVICES_MANAGE = "teleservices:manage"
    # Assessments and marks: teachers for the classes taught, the principal for the school.
    GRADES_READ = "grades:read"
    GRADES_WRITE = "grades:write"
    # The student's finances: tariffs, terms, family accounts, charges, reductions,
    # payments, notices and the transfer to the accounts (read / the bursar's work).
    FINANCES_READ = "finances:read"
    FINANCES_MANAGE = "finances:manage"
    # Remises gracieuses: the principal's decision, with a reason.
    FINANCES_GRACE = "finances:grace"
    # Scholarship files: read, instructed by the bursar, granted or refused by the principal.
    SCHOLARSHIPS_READ = "scholarships:read"
    SCHOLARSHIPS_MANAGE = "scholarships:manage"
    SCHOLARSHIPS_DECIDE = "scholarships:decide"
    # The académie's summaries (états récapitulatifs): counts and amounts, no student.
    FINANCE_SUMMARIES_READ = "finances:summaries:read"
    AUDIT_READ = "audit:read"
    # The history of a school's (or the académie's) imports and exports, their reports and
    # files; running an import needs the permission of what it writes.
    EXCHANGES_READ = "exchanges:read"
    # The principal's DELEGCE screen: rights of the school's staff.
    DELEGATIONS_MANAGE = "delegations:manage"
    # Staff accounts: the school's for its principal, principals and académie accounts for
    # the académie administrator.
    ACCOUNTS_MANAGE = "accounts:manage"
    SECOND_FACTOR_RESET = "second_factor:reset"
    # The académie's set-up: its schools (with their first principal) and school years.
    SCHOOLS_MANAGE = "schools:manage"
    CLIENTS_MANAGE = "clients:manage"
    # The rentrée switch: the year in preparation becomes the school's current year (its
    # principal), or every school's (the académie).
    RENTREE_SWITCH = "rentree:switch"
