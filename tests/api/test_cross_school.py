"""No caller reaches another school's rows by id, through any query or mutation.

The table below holds one call per id-taking field; the first test checks it
against the schema, so that a new field taking an id fails here until it is
covered.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from graphql import GraphQLInputObjectType, GraphQLList, GraphQLNonNull
from sqlalchemy import select

from api.resolvers.absences.configuration import add_closed_day
from api.resolvers.absences.events import AbsenceEntry, record_absence
from api.resolvers.absences.family_contacts import record_phone_call
from api.resolvers.absences.letters import school_templates
from api.resolvers.absences.settings import school_setup
from api.resolvers.exchanges.runs import preview_import
from api.resolvers.finances.accounts import accounts_of
from api.resolvers.finances.notices import issue_notices
from api.resolvers.finances.payments import PaymentMethod, ReceiptInput, record_receipt
from api.resolvers.finances.reductions import GraceReductionInput, grant_grace_reduction
from api.resolvers.finances.reminders import send_reminders
from api.resolvers.finances.terms import set_terms
from api.resolvers.grades import AssessmentInput, create_assessment, grading_periods
from api.resolvers.ine_conflicts import flag_conflicts
from api.resolvers.scholarships.files import FileInput, create_file
from api.resolvers.teleservices.codes import regenerate_code
from api.resolvers.teleservices.services import set_service
from api.resolvers.work import Work
from api.schema import schema
from db.absences import AbsenceMotive, Justification
from db.audit import set_actor
from db.exchanges import ExchangeFormat
from db.finances import Charge, ChargeKind, LedgerOrigin
from db.immatriculation import ProbableDuplicate
from db.reference import load_absence_references, load_scholarship_scales
from db.structures import TeachingAssignment
from db.students import IneConflict
from db.teleservices import Teleservice
from tests.api.exchanges.siecle.files import students_zip
from tests.conftest import TEST_SECRET_KEY, Prepared
from tests.world import World, build_world, uai

# field -> (operation, variables built from the world, school A's ids)
CALLS: dict[str, tuple[str, Any]] = {
    "student": (
        "query($id: Int!) { student(id: $id) { id familyName } }",
        lambda w: {"id": w.students["lina"]},
    ),
    "division": (
        "query($id: Int!) { division(id: $id) { id code } }",
        lambda w: {"id": w.division_a1},
    ),
    "group": ("query($id: Int!) { group(id: $id) { id code } }", lambda w: {"id": w.group_a}),
    "divisions": (
        "query($id: Int!) { divisions(schoolId: $id) { id } }",
        lambda w: {"id": w.school_a},
    ),
    "groups": ("query($id: Int!) { groups(schoolId: $id) { id } }", lambda w: {"id": w.school_a}),
    "copyStructures": (
        "mutation($s: Int!, $f: Int!, $t: Int!) { copyStructures(schoolId: $s, "
        "fromSchoolYearId: $f, toSchoolYearId: $t) { copy { createdDivisions } "
        "errors { field } } }",
        lambda w: {"s": w.school_a, "f": w.year_id, "t": w.closed_year_id},
    ),
    "mefs": ("query($id: Int!) { mefs(schoolId: $id) { id } }", lambda w: {"id": w.school_a}),
    "subjects": (
        "query($id: Int!) { subjects(schoolId: $id) { id } }",
        lambda w: {"id": w.school_a},
    ),
    "financeTerms": (
        "query($s: Int!, $y: Int!) { financeTerms(schoolId: $s, schoolYearId: $y) { id } }",
        lambda w: {"s": w.school_a, "y": w.year_id},
    ),
    "setFinanceTerms": (
        "mutation($s: Int!, $y: Int!) { setFinanceTerms(schoolId: $s, schoolYearId: $y) "
        "{ terms { id } errors { field } } }",
        lambda w: {"s": w.school_a, "y": w.year_id},
    ),
    "closeFinanceTerm": (
        "mutation($t: Int!) { closeFinanceTerm(termId: $t) { term { id } errors { field } } }",
        lambda w: {"t": w.finance_rows["term"]},
    ),
    "financeSettings": (
        "query($s: Int!, $y: Int!) { financeSettings(schoolId: $s, schoolYearId: $y) "
        "{ schoolId } }",
        lambda w: {"s": w.school_a, "y": w.year_id},
    ),
    "setFinanceSettings": (
        "mutation($s: Int!, $y: Int!) { setFinanceSettings(schoolId: $s, schoolYearId: $y, "
        'settings: {prorationRule: "weeks", serviceWeekdays: "1245", '
        "orderReductionMinDays: 7}) { settings { schoolId } errors { field } } }",
        lambda w: {"s": w.school_a, "y": w.year_id},
    ),
    "tariffs": (
        "query($s: Int!, $y: Int!) { tariffs(schoolId: $s, schoolYearId: $y) { id } }",
        lambda w: {"s": w.school_a, "y": w.year_id},
    ),
    "tariffRegimes": (
        "query($s: Int!, $y: Int!) { tariffRegimes(schoolId: $s, schoolYearId: $y) { code } }",
        lambda w: {"s": w.school_a, "y": w.year_id},
    ),
    "setTariffs": (
        "mutation($s: Int!, $y: Int!, $t: Int!) { setTariffs(schoolId: $s, schoolYearId: $y, "
        'tariffs: [{termId: $t, regimeCode: "2", basis: "flat_term", amount: "1,00"}]) '
        "{ tariffs { id } errors { field } } }",
        lambda w: {"s": w.school_a, "y": w.year_id, "t": w.finance_rows["term"]},
    ),
    "regimePeriods": (
        "query($e: Int!) { regimePeriods(enrollmentId: $e) { id } }",
        lambda w: {"e": w.enrollments["lina"]},
    ),
    "recordRegimeChange": (
        'mutation($e: Int!) { recordRegimeChange(enrollmentId: $e, effectiveOn: "2026-10-01", '
        'regimeCode: "3") { period { id } errors { field } } }',
        lambda w: {"e": w.enrollments["lina"]},
    ),
    "chargePreview": (
        "query($t: Int!) { chargePreview(termId: $t) { termId lines { studentId } } }",
        lambda w: {"t": w.finance_rows["term"]},
    ),
    "applyCharges": (
        "mutation($t: Int!) { applyCharges(termId: $t) { application { generationId } "
        "errors { field } } }",
        lambda w: {"t": w.finance_rows["term"]},
    ),
    "familyNotices": (
        "query($t: Int!) { familyNotices(termId: $t) { id balance } }",
        lambda w: {"t": w.finance_rows["term"]},
    ),
    "familyNotice": (
        "query($id: Int!) { familyNotice(id: $id) { id frozenLines } }",
        lambda w: {"id": w.finance_rows["notice"]},
    ),
    "issueNotices": (
        "mutation($t: Int!, $a: Int) { issueNotices(termId: $t, accountId: $a) "
        "{ issue { alreadyIssued } errors { field } } }",
        lambda w: {"t": w.finance_rows["term"], "a": w.finance_rows["account"]},
    ),
    "accountsToRemind": (
        "query($t: Int!) { accountsToRemind(termId: $t) { accountId balance } }",
        lambda w: {"t": w.finance_rows["term"]},
    ),
    "sendReminders": (
        "mutation($t: Int!) { sendReminders(termId: $t) { outcome { emails } errors { field } } }",
        lambda w: {"t": w.finance_rows["term"]},
    ),
    "paymentReminders": (
        "query($s: Int!) { paymentReminders(schoolId: $s) { id balance } }",
        lambda w: {"s": w.school_a},
    ),
    "transferPreview": (
        "query($t: Int!) { transferPreview(termId: $t) { net } }",
        lambda w: {"t": w.finance_rows["term"]},
    ),
    "chargeTransfer": (
        "query($t: Int!) { chargeTransfer(termId: $t) { id fileText } }",
        lambda w: {"t": w.finance_rows["term"]},
    ),
    "transferTerm": (
        "mutation($t: Int!) { transferTerm(termId: $t) { transfer { id } errors { field } } }",
        lambda w: {"t": w.finance_rows["term"]},
    ),
    "scholarshipFiles": (
        "query($s: Int!, $y: Int!) { scholarshipFiles(schoolId: $s, schoolYearId: $y) { id } }",
        lambda w: {"s": w.school_a, "y": w.year_id},
    ),
    "scholarshipFile": (
        "query($id: Int!) { scholarshipFile(id: $id) { id referenceIncome } }",
        lambda w: {"id": w.finance_rows["scholarship_file"]},
    ),
    "scholars": (
        "query($s: Int!, $y: Int!) { scholars(schoolId: $s, schoolYearId: $y) { fileId } }",
        lambda w: {"s": w.school_a, "y": w.year_id},
    ),
    "scholarshipTermPayment": (
        "query($s: Int!, $t: Int!) { scholarshipTermPayment(schoolId: $s, termId: $t) "
        "{ lines { fileId } } }",
        lambda w: {"s": w.school_a, "t": w.finance_rows["term"]},
    ),
    "scholarshipTermSummary": (
        "query($t: Int!) { scholarshipTermSummary(termId: $t) { students } }",
        lambda w: {"t": w.finance_rows["term"]},
    ),
    "academyScholarshipSummary": (
        "query($y: Int!) { academyScholarshipSummary(schoolYearId: $y, termRank: 1) { students } }",
        lambda w: {"y": w.year_id},
    ),
    "createScholarshipFile": (
        "mutation($s: Int!, $y: Int!, $st: Int!) { createScholarshipFile(schoolId: $s, "
        'schoolYearId: $y, studentId: $st, input: {receivedOn: "2026-09-20", pieces: []}) '
        "{ file { id } errors { field } } }",
        lambda w: {"s": w.school_a, "y": w.year_id, "st": w.students["noah"]},
    ),
    "updateScholarshipFile": (
        'mutation($id: Int!) { updateScholarshipFile(id: $id, input: {receivedOn: "2026-09-20", '
        'referenceIncome: "1", pieces: []}) { file { id } errors { field } } }',
        lambda w: {"id": w.finance_rows["scholarship_file"]},
    ),
    "completeScholarshipFile": (
        "mutation($id: Int!) { completeScholarshipFile(id: $id) { file { id } errors { field } } }",
        lambda w: {"id": w.finance_rows["scholarship_file"]},
    ),
    "grantScholarshipFile": (
        "mutation($id: Int!) { grantScholarshipFile(id: $id) { file { id } errors { field } } }",
        lambda w: {"id": w.finance_rows["scholarship_file"]},
    ),
    "refuseScholarshipFile": (
        'mutation($id: Int!) { refuseScholarshipFile(id: $id, reason: "Non") '
        "{ file { id } errors { field } } }",
        lambda w: {"id": w.finance_rows["scholarship_file"]},
    ),
    "payScholarshipTerm": (
        "mutation($s: Int!, $t: Int!) { payScholarshipTerm(schoolId: $s, termId: $t) "
        "{ payment { termId } errors { field } } }",
        lambda w: {"s": w.school_a, "t": w.finance_rows["term"]},
    ),
    "familyAccounts": (
        "query($s: Int!) { familyAccounts(schoolId: $s) { totalCount accounts { id } } }",
        lambda w: {"s": w.school_a},
    ),
    "familyAccount": (
        "query($id: Int!) { familyAccount(id: $id) { balance } }",
        lambda w: {"id": w.finance_rows["account"]},
    ),
    "recordPayment": (
        "mutation($a: Int!) { recordPayment(input: {accountId: $a, method: CASH, "
        'amount: "10.00", receivedOn: "2026-12-01"}) { payment { id } errors { field } } }',
        lambda w: {"a": w.finance_rows["account"]},
    ),
    "reversePayment": (
        'mutation($p: Int!) { reversePayment(paymentId: $p, reason: "Impayé") '
        "{ payment { id } errors { field } } }",
        lambda w: {"p": w.finance_rows["payment"]},
    ),
    "refundCredit": (
        "mutation($a: Int!) { refundCredit(input: {accountId: $a, method: CASH, "
        'amount: "1.00", paidOn: "2026-12-01"}) { payment { id } errors { field } } }',
        lambda w: {"a": w.finance_rows["account"]},
    ),
    "grantOrderReduction": (
        "mutation($a: Int!, $s: Int!) { grantOrderReduction(input: {accountId: $a, "
        'studentId: $s, motive: ILLNESS, firstDay: "2026-11-02", lastDay: "2026-11-27"}) '
        "{ reductions { id } errors { field } } }",
        lambda w: {"a": w.finance_rows["account"], "s": w.students["lina"]},
    ),
    "grantGraceReduction": (
        "mutation($a: Int!, $s: Int!, $t: Int!) { grantGraceReduction(input: {accountId: $a, "
        'studentId: $s, termId: $t, chargeKind: HALF_BOARD, amount: "1.00", reason: "Aide"}) '
        "{ reduction { id } errors { field } } }",
        lambda w: {
            "a": w.finance_rows["account"],
            "s": w.students["lina"],
            "t": w.finance_rows["term"],
        },
    ),
    "closeServiceReduction": (
        "mutation($s: Int!) { closeServiceReduction(input: {schoolId: $s, "
        'firstDay: "2026-11-02", lastDay: "2026-11-06"}) { closure { reductions } '
        "errors { field } } }",
        lambda w: {"s": w.school_a},
    ),
    "reverseReduction": (
        'mutation($r: Int!) { reverseReduction(reductionId: $r, reason: "Erreur") '
        "{ reduction { id } errors { field } } }",
        lambda w: {"r": w.finance_rows["reduction"]},
    ),
    "headcounts": (
        "query($id: Int!) { headcounts(by: MEF, schoolId: $id) { total } }",
        lambda w: {"id": w.school_a},
    ),
    "headcountSnapshot": (
        "query($s: Int!, $y: Int!) { headcountSnapshot(schoolId: $s, schoolYearId: $y) { id } }",
        lambda w: {"s": w.school_a, "y": w.year_id},
    ),
    "headcountConsolidation": (
        "query($y: Int!) { headcountConsolidation(schoolYearId: $y) { total } }",
        lambda w: {"y": w.year_id},
    ),
    "headcountComparison": (
        "query($s: Int!, $y: Int!) { headcountComparison(schoolYearId: $y, schoolId: $s) "
        "{ currentTotal } }",
        lambda w: {"s": w.school_a, "y": w.year_id},
    ),
    "launchConstat": (
        "mutation($s: Int!, $y: Int!) { launchConstat(schoolId: $s, schoolYearId: $y) "
        "{ snapshot { id } errors { code } } }",
        lambda w: {"s": w.school_a, "y": w.year_id},
    ),
    "exportEvaluationSurvey": (
        "mutation($s: Int!, $y: Int!) { exportEvaluationSurvey(schoolId: $s, schoolYearId: $y) "
        "{ run { id } errors { code } } }",
        lambda w: {"s": w.school_a, "y": w.year_id},
    ),
    "students": (
        "query($d: Int!, $g: Int!, $s: Int!) { a: students(filter: {divisionId: $d}) { totalCount } "
        "b: students(filter: {groupId: $g}) { totalCount } c: students(filter: {schoolId: $s}) { totalCount } }",
        lambda w: {"d": w.division_a1, "g": w.group_a, "s": w.school_a},
    ),
    "auditTrail": (
        "query($s: Int!, $id: Int!) { a: auditTrail(filter: {schoolId: $s}) { nodes { id } } "
        'b: auditTrail(filter: {entity: "students", entityId: $id}) { nodes { id } } }',
        lambda w: {"s": w.school_a, "id": w.students["lina"]},
    ),
    "absenceSetup": (
        "query($s: Int!) { absenceSetup(schoolId: $s) { slots { id } } }",
        lambda w: {"s": w.school_a},
    ),
    "absenceRecord": (
        "query($id: Int!) { absenceRecord(studentId: $id) { halfDays events { id } } }",
        lambda w: {"id": w.students["lina"]},
    ),
    "absenceEvents": (
        "query($s: Int!, $st: Int!, $d: Int!) { a: absenceEvents(filter: {schoolId: $s}) "
        "{ lines { event { id } } } b: absenceEvents(filter: {schoolId: $s, studentId: $st, "
        "divisionId: $d}) { lines { event { id } } } }",
        lambda w: {"s": w.school_a, "st": w.students["lina"], "d": w.division_a1},
    ),
    "divisionAbsences": (
        'query($d: Int!) { divisionAbsences(divisionId: $d, firstDay: "2026-11-16", days: 5) '
        "{ rows { studentId } } }",
        lambda w: {"d": w.division_a1},
    ),
    "studentsToContact": (
        "query($s: Int!) { studentsToContact(schoolId: $s) { studentId } }",
        lambda w: {"s": w.school_a},
    ),
    "absenceStatistics": (
        'query($s: Int!, $d: Int!) { absenceStatistics(schoolId: $s, since: "2026-09-01", '
        'until: "2027-07-04", by: STUDENT, divisionId: $d) { label halfDays } }',
        lambda w: {"s": w.school_a, "d": w.division_a1},
    ),
    "monthlyAbsenceIndicator": (
        "query($s: Int!) { monthlyAbsenceIndicator(year: 2026, month: 11, schoolId: $s) "
        "{ total { students } } }",
        lambda w: {"s": w.school_a},
    ),
    "recordAbsence": (
        "mutation($s: Int!, $id: Int!) { recordAbsence(input: {studentId: $id, schoolId: $s, "
        'startDate: "2026-11-16", startSlotId: 1, endDate: "2026-11-16", endSlotId: 1}) '
        "{ event { id } errors { code } } }",
        lambda w: {"s": w.school_a, "id": w.students["lina"]},
    ),
    "recordLateness": (
        "mutation($s: Int!, $id: Int!) { recordLateness(input: {studentId: $id, schoolId: $s, "
        'day: "2026-11-16", slotId: 1, minutesLate: 5}) { event { id } errors { code } } }',
        lambda w: {"s": w.school_a, "id": w.students["lina"]},
    ),
    "takeRollCall": (
        "mutation($s: Int!, $d: Int!, $id: Int!) { takeRollCall(input: {schoolId: $s, "
        'day: "2026-11-16", slotId: 1, divisionId: $d, absentStudentIds: [$id]}) '
        "{ rollCall { id } errors { code } } }",
        lambda w: {"s": w.school_a, "d": w.division_a1, "id": w.students["lina"]},
    ),
    "regulariseAbsenceEvent": (
        'mutation($id: Int!) { regulariseAbsenceEvent(id: $id, input: {comment: "x"}) { event { id } errors { code } } }',
        lambda w: {"id": w.absence_rows["event"]},
    ),
    "setTimeSlots": (
        "mutation($s: Int!, $id: Int!) { setTimeSlots(schoolId: $s, slots: [{id: $id, "
        'code: "M1", startsAt: "07:00", endsAt: "08:00", halfDay: MORNING}]) '
        "{ slots { id } errors { code } } }",
        lambda w: {"s": w.school_a, "id": w.absence_rows["slot"]},
    ),
    "setSchoolWeek": (
        "mutation($s: Int!) { setSchoolWeek(schoolId: $s, weekdays: [{weekday: 0, "
        "morning: true, afternoon: false}]) { weekdays { weekday } errors { code } } }",
        lambda w: {"s": w.school_a},
    ),
    "updateAbsenceSettings": (
        "mutation($s: Int!) { updateAbsenceSettings(schoolId: $s, holidayZone: A) "
        "{ holidayZone errors { code } } }",
        lambda w: {"s": w.school_a},
    ),
    "saveAbsenceMotive": (
        "mutation($s: Int!, $id: Int!) { a: saveAbsenceMotive(schoolId: $s, input: {code: "
        '"PIR", label: "Pirate", genericCode: "NVA", colour: "#000000"}) { motive { id } '
        "errors { code } } b: saveAbsenceMotive(schoolId: $s, id: $id, input: {code: "
        '"PIR", label: "Pirate", genericCode: "NVA", colour: "#000000"}) { motive { id } '
        "errors { code } } }",
        lambda w: {"s": w.school_a, "id": w.absence_rows["motive"]},
    ),
    "saveJustification": (
        "mutation($s: Int!, $id: Int!) { a: saveJustification(schoolId: $s, input: {code: "
        '"PIR", label: "Pirate"}) { justification { id } errors { code } } '
        "b: saveJustification(schoolId: $s, id: $id, input: {code: "
        '"PIR", label: "Pirate"}) { justification { id } errors { code } } }',
        lambda w: {"s": w.school_a, "id": w.absence_rows["justification"]},
    ),
    "addClosedDay": (
        'mutation($s: Int!) { addClosedDay(schoolId: $s, day: "2026-12-01", label: "x") '
        "{ closedDay { id } errors { code } } }",
        lambda w: {"s": w.school_a},
    ),
    "removeClosedDay": (
        "mutation($id: Int!) { removeClosedDay(id: $id) { removedId errors { code } } }",
        lambda w: {"id": w.absence_rows["closed_day"]},
    ),
    "letterTemplates": (
        "query($s: Int!) { letterTemplates(schoolId: $s) { id body } }",
        lambda w: {"s": w.school_a},
    ),
    "saveLetterTemplate": (
        "mutation($s: Int!, $id: Int!) { a: saveLetterTemplate(schoolId: $s, input: {code: "
        '"PIR", label: "x", channel: LETTER, body: "x"}) { template { id } errors { code } } '
        "b: saveLetterTemplate(schoolId: $s, id: $id, input: {code: "
        '"PIR", label: "x", channel: LETTER, body: "x"}) { template { id } errors { code } } }',
        lambda w: {"s": w.school_a, "id": w.absence_rows["template"]},
    ),
    "contactFamilies": (
        "mutation($s: Int!, $t: Int!, $st: Int!) { contactFamilies(input: {schoolId: $s, "
        "templateId: $t, studentIds: [$st]}) { contacts { id } lettersUrl errors { code } } }",
        lambda w: {"s": w.school_a, "t": w.absence_rows["template"], "st": w.students["lina"]},
    ),
    "recordPhoneCall": (
        "mutation($s: Int!, $st: Int!, $e: Int!) { recordPhoneCall(schoolId: $s, studentId: "
        '$st, comment: "x", eventIds: [$e]) { contact { id } errors { code } } }',
        lambda w: {"s": w.school_a, "st": w.students["lina"], "e": w.absence_rows["event"]},
    ),
    "teleservices": (
        "query($s: Int!) { teleservices(schoolId: $s) { service isOpen } }",
        lambda w: {"s": w.school_a},
    ),
    "gradesPublication": (
        "query($s: Int!) { gradesPublication(schoolId: $s) { publication pairs { divisionId } } }",
        lambda w: {"s": w.school_a},
    ),
    "teleserviceAccesses": (
        "query($s: Int!, $d: Int!) { a: teleserviceAccesses(kind: CAR, population: {schoolId: $s}) "
        "{ studentId } b: teleserviceAccesses(kind: CAE, population: {schoolId: $s, divisionId: $d}) "
        "{ studentId } }",
        lambda w: {"s": w.school_a, "d": w.division_a1},
    ),
    "activationCodes": (
        "query($s: Int!, $st: Int!, $g: Int!) { activationCodes(schoolId: $s, studentId: $st, "
        "guardianId: $g) { code } }",
        lambda w: {"s": w.school_a, "st": w.students["lina"], "g": w.guardians["mother"]},
    ),
    "rentreeState": (
        "query($s: Int!) { rentreeState(schoolId: $s) { schoolId plannedEnrollments } }",
        lambda w: {"s": w.school_a},
    ),
    "switchRentree": (
        "mutation($s: Int!) { switchRentree(schoolId: $s) { rentree { id } alreadySwitched "
        "errors { code } } }",
        lambda w: {"s": w.school_a},
    ),
    "setTeleservice": (
        "mutation($s: Int!) { setTeleservice(schoolId: $s, service: ABSENCES, isOpen: true) "
        "{ services { isOpen } errors { code } } }",
        lambda w: {"s": w.school_a},
    ),
    "setGradesPublication": (
        "mutation($s: Int!) { setGradesPublication(schoolId: $s, publication: DEADLINES) "
        "{ errors { code } } }",
        lambda w: {"s": w.school_a},
    ),
    "addPublicationDeadline": (
        'mutation($s: Int!, $m: Int!, $d: Int!) { addPublicationDeadline(schoolId: $s, day: "2026-12-18", '
        "mefIds: [$m], divisionIds: [$d]) { count errors { code } } }",
        lambda w: {"s": w.school_a, "m": w.mef_6, "d": w.division_a1},
    ),
    "removePublicationDeadline": (
        'mutation($s: Int!, $m: Int!, $d: Int!) { removePublicationDeadline(schoolId: $s, day: "2026-12-18", '
        "mefIds: [$m], divisionIds: [$d]) { count errors { code } } }",
        lambda w: {"s": w.school_a, "m": w.mef_6, "d": w.division_a1},
    ),
    "generateActivationCodes": (
        "mutation($s: Int!) { generateActivationCodes(kind: CAR, population: {schoolId: $s}) "
        "{ created errors { code } } }",
        lambda w: {"s": w.school_a},
    ),
    "regenerateActivationCode": (
        "mutation($s: Int!, $st: Int!, $g: Int!) { regenerateActivationCode(schoolId: $s, "
        "studentId: $st, guardianId: $g) { codeId errors { code } } }",
        lambda w: {"s": w.school_a, "st": w.students["lina"], "g": w.guardians["mother"]},
    ),
    "revokeTeleserviceAccess": (
        "mutation($s: Int!, $st: Int!, $g: Int!) { revokeTeleserviceAccess(schoolId: $s, "
        "studentId: $st, guardianId: $g) { count errors { code } } }",
        lambda w: {"s": w.school_a, "st": w.students["lina"], "g": w.guardians["mother"]},
    ),
    "notifyActivationCodes": (
        "mutation($s: Int!) { notifyActivationCodes(kind: CAR, population: {schoolId: $s}) "
        "{ codes lettersPdfBase64 errors { code } } }",
        lambda w: {"s": w.school_a},
    ),
    "notifyActivationCode": (
        "mutation($id: Int!) { notifyActivationCode(codeId: $id) { codes lettersPdfBase64 errors { code } } }",
        lambda w: {"id": w.absence_rows["activation_code"]},
    ),
    "assessment": (
        "query($id: Int!) { assessment(id: $id) { assessment { title } marks { value } } }",
        lambda w: {"id": w.absence_rows["assessment"]},
    ),
    "assessments": (
        "query($d: Int!) { assessments(divisionId: $d) { id title } }",
        lambda w: {"d": w.division_a1},
    ),
    "gradingPeriods": (
        "query($s: Int!, $y: Int!) { gradingPeriods(schoolId: $s, schoolYearId: $y) { id } }",
        lambda w: {"s": w.school_a, "y": w.year_id},
    ),
    "periodAverages": (
        "query($p: Int!, $d: Int!) { periodAverages(periodId: $p, divisionId: $d) { studentName overall } }",
        lambda w: {"p": w.absence_rows["period"], "d": w.division_a1},
    ),
    "createAssessment": (
        'mutation($d: Int!, $s: Int!) { createAssessment(input: {title: "x", subjectId: $s, '
        'day: "2026-11-16", scale: "20", coefficient: "1", publishedOn: "2026-11-20", '
        "divisionId: $d}) { assessment { id } errors { code } } }",
        lambda w: {"d": w.division_a1, "s": w.subject},
    ),
    "enterMarks": (
        "mutation($a: Int!, $st: Int!) { enterMarks(assessmentId: $a, marks: [{studentId: $st, "
        'status: GRADED, value: "0"}]) { marks { value } errors { code } } }',
        lambda w: {"a": w.absence_rows["assessment"], "st": w.students["lina"]},
    ),
    "familyContacts": (
        "query($st: Int!) { familyContacts(studentId: $st) { contact { id recipient } } }",
        lambda w: {"st": w.students["lina"]},
    ),
    "staffRights": (
        "query($s: Int!) { staffRights(schoolId: $s) { userId } }",
        lambda w: {"s": w.school_a},
    ),
    "setStaffRights": (
        "mutation($s: Int!, $u: Int!) { setStaffRights(input: {schoolId: $s, userId: $u, "
        "rights: [STUDENTS_EXPORT]}) { staffRights { userId } errors { code } } }",
        lambda w: {"s": w.school_a, "u": w.users["teacher_a"]},
    ),
    "resetSecondFactor": (
        "mutation($id: Int!) { resetSecondFactor(userId: $id) { reset { login } errors { code } } }",
        lambda w: {"id": w.users["cpe_a"]},
    ),
    "settleIneConflict": (
        "mutation($id: Int!) { settleIneConflict(id: $id) { id } }",
        lambda w: {"id": w.absence_rows["ine_conflict"]},
    ),
    "settleProbableDuplicate": (
        "mutation($id: Int!) { settleProbableDuplicate(id: $id, resolution: SAME) "
        "{ duplicate { id } errors { code } } }",
        lambda w: {"id": w.absence_rows["probable_duplicate"]},
    ),
    "liaisonDashboard": (
        "query($s: Int!) { liaisonDashboard(schoolId: $s) { toSend waiting { studentName } } }",
        lambda w: {"s": w.school_a},
    ),
    "updateStudent": (
        'mutation($id: Int!) { updateStudent(id: $id, input: {firstName: "Pirate"}) { student { id } errors { code } } }',
        lambda w: {"id": w.students["lina"]},
    ),
    "createStudent": (
        'mutation($s: Int!, $y: Int!, $m: Int!) { createStudent(input: {familyName: "X", firstName: "Y", sex: M, birthDate: "2015-01-01", birthCommuneCode: "93048"}, '
        'enrollment: {schoolId: $s, schoolYearId: $y, mefId: $m, regime: EXTERNE, entryDate: "2026-09-01"}) { student { id } errors { code } } }',
        lambda w: {"s": w.school_a, "y": w.year_id, "m": w.mef_6},
    ),
    "linkGuardian": (
        "mutation($s: Int!, $g: Int!) { linkGuardian(studentId: $s, guardianId: $g, link: {responsibility: OTHER, relationship: OTHER}) { link { id } errors { code } } }",
        lambda w: {"s": w.students["eloise"], "g": w.guardians["mother"]},
    ),
    "updateGuardianLink": (
        "mutation($id: Int!) { updateGuardianLink(id: $id, input: {paysFees: true}) { link { id } errors { code } } }",
        lambda w: {"id": w.links["lina_mother"]},
    ),
    "unlinkGuardian": (
        "mutation($id: Int!) { unlinkGuardian(id: $id) { studentId errors { code } } }",
        lambda w: {"id": w.links["lina_mother"]},
    ),
    "updateGuardian": (
        'mutation($id: Int!) { updateGuardian(id: $id, input: {email: "pirate@example.fr"}) { guardian { id } errors { code } } }',
        lambda w: {"id": w.guardians["elan"]},
    ),
    "enrol": (
        'mutation($s: Int!, $school: Int!, $y: Int!, $m: Int!) { enrol(studentId: $s, input: {schoolId: $school, schoolYearId: $y, mefId: $m, regime: EXTERNE, entryDate: "2026-09-01"}) { enrollment { id } errors { code } } }',
        lambda w: {"s": w.students["lina"], "school": w.school_a, "y": w.year_id, "m": w.mef_6},
    ),
    "moveStudent": (
        "mutation($id: Int!, $d: Int!) { moveStudent(enrollmentId: $id, divisionId: $d) { enrollment { id } errors { code } } }",
        lambda w: {"id": w.enrollments["lina"], "d": w.division_a2},
    ),
    # School B's principal naming school A as the receiving school: A's id, as unknown.
    "transferCandidates": (
        'query($s: Int!) { transferCandidates(schoolId: $s, ine: "0987654321B") { studentId } }',
        lambda w: {"s": w.school_a},
    ),
    "takeStudentFile": (
        "mutation($s: Int!, $id: Int!, $m: Int!) { takeStudentFile(schoolId: $s, studentId: $id, "
        'input: {mefId: $m, regime: EXTERNE, entryDate: "2026-12-07"}) '
        "{ enrollment { id } errors { code } } }",
        lambda w: {"s": w.school_a, "id": w.students["jade"], "m": w.mef_6},
    ),
    "recordDeparture": (
        'mutation($id: Int!) { recordDeparture(enrollmentId: $id, exitDate: "2026-12-01", exitReason: MOVE) { enrollment { id } errors { code } } }',
        lambda w: {"id": w.enrollments["lina"]},
    ),
    "createDivision": (
        'mutation($s: Int!, $m: Int!) { createDivision(input: {schoolId: $s, code: "Z9", mefIds: [$m]}) { division { id } errors { code } } }',
        lambda w: {"s": w.school_a, "m": w.mef_6},
    ),
    "updateDivision": (
        'mutation($id: Int!) { updateDivision(id: $id, input: {label: "pirate"}) { division { id } errors { code } } }',
        lambda w: {"id": w.division_a1},
    ),
    "createGroup": (
        'mutation($s: Int!) { createGroup(input: {schoolId: $s, code: "Z9"}) { group { id } errors { code } } }',
        lambda w: {"s": w.school_a},
    ),
    "updateGroup": (
        'mutation($id: Int!) { updateGroup(id: $id, input: {label: "pirate"}) { group { id } errors { code } } }',
        lambda w: {"id": w.group_a},
    ),
    # Issue 12: exchanges, nomenclature profiles, teaching, the registrar's commands, the
    # académie's set-up.
    "exchangeRuns": (
        "query($s: Int!) { exchangeRuns(schoolId: $s) { id } }",
        lambda w: {"s": w.school_a},
    ),
    "exchangeRun": (
        "query($id: Int!) { exchangeRun(id: $id) { id fileBase64 } }",
        lambda w: {"id": w.absence_rows["exchange_run"]},
    ),
    "previewImport": (
        'mutation($s: Int!) { previewImport(format: STUDENTS, fileName: "e.xml", '
        'contentBase64: "eA==", schoolId: $s) { run { id } errors { code } } }',
        lambda w: {"s": w.school_a},
    ),
    "applyImport": (
        "mutation($id: Int!) { applyImport(runId: $id) { run { id } errors { code } } }",
        lambda w: {"id": w.absence_rows["exchange_run"]},
    ),
    "exportFile": (
        "mutation($s: Int!, $y: Int!) { exportFile(kind: STUDENTS, schoolId: $s, "
        "schoolYearId: $y) { run { id } errors { code } } }",
        lambda w: {"s": w.school_a, "y": w.year_id},
    ),
    "schoolNomenclatures": (
        "query($s: Int!) { schoolNomenclatures(schoolId: $s) { mefs { mef { id } } } }",
        lambda w: {"s": w.school_a},
    ),
    "addSchoolMef": (
        "mutation($s: Int!, $m: Int!) { addSchoolMef(schoolId: $s, mefId: $m) "
        "{ mef { id } errors { code } } }",
        lambda w: {"s": w.school_a, "m": w.mef_5},
    ),
    "removeSchoolMef": (
        "mutation($s: Int!, $m: Int!) { removeSchoolMef(schoolId: $s, mefId: $m) "
        "{ mef { id } errors { code } } }",
        lambda w: {"s": w.school_a, "m": w.mef_5},
    ),
    "setSchoolNextMef": (
        "mutation($s: Int!, $m: Int!, $n: Int!) { setSchoolNextMef(schoolId: $s, mefId: $m, "
        "nextMefId: $n) { profiledMef { mef { id } } errors { code } } }",
        lambda w: {"s": w.school_a, "m": w.mef_6, "n": w.mef_5},
    ),
    "addSchoolSubject": (
        "mutation($s: Int!, $j: Int!) { addSchoolSubject(schoolId: $s, subjectId: $j) "
        "{ subject { id } errors { code } } }",
        lambda w: {"s": w.school_a, "j": w.subject},
    ),
    "removeSchoolSubject": (
        "mutation($s: Int!, $j: Int!) { removeSchoolSubject(schoolId: $s, subjectId: $j) "
        "{ subject { id } errors { code } } }",
        lambda w: {"s": w.school_a, "j": w.subject},
    ),
    "teachers": (
        "query($s: Int!) { teachers(schoolId: $s) { id } }",
        lambda w: {"s": w.school_a},
    ),
    "teachingAssignments": (
        "query($s: Int!, $y: Int!) { teachingAssignments(schoolId: $s, schoolYearId: $y) { id } }",
        lambda w: {"s": w.school_a, "y": w.year_id},
    ),
    "assignTeaching": (
        "mutation($s: Int!, $t: Int!, $d: Int!) { assignTeaching(input: {schoolId: $s, "
        "teacherId: $t, divisionId: $d}) { assignment { id } errors { code } } }",
        lambda w: {"s": w.school_a, "t": w.users["teacher_a"], "d": w.division_a2},
    ),
    "unassignTeaching": (
        "mutation($id: Int!) { unassignTeaching(id: $id) { assignment { id } errors { code } } }",
        lambda w: {"id": w.absence_rows["teaching"]},
    ),
    "createTeacher": (
        'mutation($s: Int!) { createTeacher(input: {schoolId: $s, familyName: "Pirate", '
        'firstName: "Paul", email: "p@example.fr"}) { teacher { id } errors { code } } }',
        lambda w: {"s": w.school_a},
    ),
    "changeMef": (
        "mutation($e: Int!, $m: Int!) { changeMef(enrollmentId: $e, mefId: $m) "
        "{ enrollment { id } errors { code } } }",
        lambda w: {"e": w.enrollments["lina"], "m": w.mef_5},
    ),
    "changeRegime": (
        "mutation($e: Int!) { changeRegime(enrollmentId: $e, regime: EXTERNE) "
        "{ enrollment { id } errors { code } } }",
        lambda w: {"e": w.enrollments["lina"]},
    ),
    "cancelDeparture": (
        "mutation($e: Int!) { cancelDeparture(enrollmentId: $e) { enrollment { id } errors { code } } }",
        lambda w: {"e": w.enrollments["lina"]},
    ),
    "deleteDivision": (
        "mutation($id: Int!) { deleteDivision(id: $id) { deletedId errors { code } } }",
        lambda w: {"id": w.division_a2},
    ),
    "deleteGroup": (
        "mutation($id: Int!) { deleteGroup(id: $id) { deletedId errors { code } } }",
        lambda w: {"id": w.group_a},
    ),
    "updateSchool": (
        'mutation($id: Int!) { updateSchool(id: $id, input: {name: "Piraté"}) '
        "{ school { id } errors { code } } }",
        lambda w: {"id": w.school_a},
    ),
    "updateSchoolYear": (
        'mutation($id: Int!) { updateSchoolYear(id: $id, input: {endsOn: "2027-08-30"}) '
        "{ schoolYear { id } errors { code } } }",
        lambda w: {"id": w.year_id},
    ),
    "createPrincipal": (
        'mutation($s: Int!) { createPrincipal(input: {schoolId: $s, login: "pirate", '
        'displayName: "Pirate", email: "p@example.fr"}) { invitation { expiresAt } errors { code } } }',
        lambda w: {"s": w.school_a},
    ),
    "schoolPassage": (
        "query($s: Int!) { schoolPassage(schoolId: $s) { rows { studentId } } }",
        lambda w: {"s": w.school_a},
    ),
    "divisionPassage": (
        "query($d: Int!) { divisionPassage(divisionId: $d) { rows { studentId } } }",
        lambda w: {"d": w.division_a1},
    ),
    "plannedEnrollments": (
        "query($s: Int!) { plannedEnrollments(schoolId: $s) { id } }",
        lambda w: {"s": w.school_a},
    ),
    "decide": (
        "mutation($id: Int!) { decide(enrollmentId: $id, input: {outcome: PROMOTED}) "
        "{ decision { id } errors { code } } }",
        lambda w: {"id": w.enrollments["lina"]},
    ),
    "removeDecision": (
        "mutation($id: Int!) { removeDecision(enrollmentId: $id) "
        "{ decision { id } errors { code } } }",
        lambda w: {"id": w.enrollments["lina"]},
    ),
    "decideDivision": (
        "mutation($d: Int!, $id: Int!) { decideDivision(divisionId: $d, default: "
        "{outcome: PROMOTED}, exceptions: [{enrollmentId: $id, outcome: REPEATING}]) "
        "{ counts { created } errors { code } } }",
        lambda w: {"d": w.division_a1, "id": w.enrollments["lina"]},
    ),
    "place": (
        "mutation($id: Int!, $d: Int!) { place(enrollmentIds: [$id], divisionId: $d) "
        "{ enrollments { id } errors { code } } }",
        lambda w: {"id": w.enrollments["lina"], "d": w.division_a1},
    ),
    "addNewcomer": (
        'mutation($s: Int!, $m: Int!) { addNewcomer(schoolId: $s, input: {familyName: "Pirate", '
        'firstName: "Jean", sex: M, birthDate: "2014-01-01", mefId: $m, regime: EXTERNE, '
        'birthCommuneCode: "93048"}) { enrollment { id } created errors { code } } }',
        lambda w: {"s": w.school_a, "m": w.mef_5},
    ),
    "inviteStaff": (
        "mutation($id: Int!) { inviteStaff(userId: $id) { invitation { expiresAt } errors { code } } }",
        lambda w: {"id": w.users["teacher_a"]},
    ),
}


async def school_a_absences(world: World, sessionmaker) -> None:
    """School A's absence rows, for the fields taking their ids: settings, a template, a
    closed day, an event and a contact with Lina's family."""
    cpe = await world.principal(sessionmaker, "cpe_a")
    async with sessionmaker() as session, session.begin():
        await load_absence_references(session)
        setup = await school_setup(session, cpe, world.school_a)
        slot = setup.grid.slots[0].id
        template = (await school_templates(session, cpe, world.school_a))[0]
        closed = await add_closed_day(session, cpe, world.school_a, date(2026, 12, 2), None, "x")
        event = await record_absence(
            session,
            cpe,
            AbsenceEntry(
                world.students["lina"],
                world.school_a,
                date(2026, 11, 16),
                slot,
                date(2026, 11, 16),
                slot,
            ),
        )
        await record_phone_call(
            session, cpe, world.school_a, world.students["lina"], "Appel", event_ids=[event.id]
        )
        motive = await session.scalar(
            select(AbsenceMotive.id).where(AbsenceMotive.school_id == world.school_a)
        )
        justification = await session.scalar(
            select(Justification.id).where(Justification.school_id == world.school_a)
        )
    principal = await world.principal(sessionmaker, "principal_a")
    async with sessionmaker() as session, session.begin():
        await set_service(session, principal, world.school_a, Teleservice.GRADES, True)
        code = await regenerate_code(
            session,
            principal,
            world.school_a,
            world.students["lina"],
            world.guardians["mother"],
            TEST_SECRET_KEY,
        )
    async with sessionmaker() as session, session.begin():
        assessment = await create_assessment(
            session,
            principal,
            AssessmentInput(
                title="Contrôle",
                subject_id=world.subject,
                day=date(2026, 11, 16),
                scale=Decimal(20),
                coefficient=Decimal(1),
                published_on=date(2026, 11, 20),
                division_id=world.division_a1,
            ),
        )
        set_actor(session.sync_session, principal.audit_actor(world.school_a))
        period = (await grading_periods(session, world.school_a, world.year_id))[0]
        await flag_conflicts(
            session, "1234567890A", world.students["lina"], [world.students["noah"]]
        )
        conflict = await session.scalar(select(IneConflict.id))
        duplicate = ProbableDuplicate(
            student_id=world.students["noah"], other_student_id=world.students["jade"]
        )
        session.add(duplicate)
        await session.flush()
    registrar = await world.principal(sessionmaker, "registrar_a")
    async with Work(sessionmaker, registrar).writing(world.school_a) as transaction:
        run = await transaction.run(
            preview_import,
            ExchangeFormat.STUDENTS,
            world.school_a,
            *students_zip(uai("0930001"), 1),
        )
    async with sessionmaker() as session:
        teaching = await session.scalar(
            select(TeachingAssignment.id).where(TeachingAssignment.school_id == world.school_a)
        )
    world.absence_rows = {  # type: ignore[attr-defined]
        "exchange_run": run.id,
        "teaching": teaching,
        "activation_code": code.id,
        "assessment": assessment.id,
        "period": period.id,
        "ine_conflict": conflict,
        "probable_duplicate": duplicate.id,
        "slot": slot,
        "template": template.id,
        "closed_day": closed.id,
        "event": event.id,
        "motive": motive,
        "justification": justification,
    }


async def school_a_finances(world: World, sessionmaker) -> None:
    """School A's finance rows, for the fields taking their ids (``world.finance_rows``)."""
    principal = await world.principal(sessionmaker, "principal_a")
    async with sessionmaker() as session, session.begin():
        terms = await set_terms(session, principal, world.school_a, world.year_id)
        set_actor(session.sync_session, principal.audit_actor(world.school_a))
        account = (await accounts_of(session, world.school_a, [world.guardians["mother"]]))[
            world.guardians["mother"]
        ]
        # Lina's half-board for the first term, as the generation writes it.
        session.add(
            Charge(
                school_id=world.school_a,
                term_id=terms[0].id,
                concerns_term_id=terms[0].id,
                account_id=account.id,
                student_id=world.students["lina"],
                kind=ChargeKind.HALF_BOARD,
                origin=LedgerOrigin.GENERATION,
                regime_code="2",
                basis="forfait du trimestre",
                amount=Decimal("180.00"),
                actor_label="tests",
            )
        )
    async with Work(sessionmaker, principal).writing(world.school_a) as transaction:
        payment = await transaction.run(
            record_receipt,
            ReceiptInput(account.id, PaymentMethod.CASH, Decimal("100"), date(2026, 11, 2)),
        )
        reduction = await transaction.run(
            grant_grace_reduction,
            GraceReductionInput(
                account.id,
                world.students["lina"],
                terms[0].id,
                ChargeKind.HALF_BOARD,
                Decimal("10"),
                "Aide",
            ),
        )
    async with sessionmaker() as session, session.begin():
        issue = await issue_notices(session, principal, terms[0].id)
        await send_reminders(session, principal, terms[0].id)
        await load_scholarship_scales(session)
        scholarship = await create_file(
            session,
            principal,
            world.school_a,
            world.year_id,
            world.students["lina"],
            FileInput(date(2026, 9, 20), None, "11 000", 2, ["tax_notice", "bank_details"]),
        )
    world.finance_rows = {  # type: ignore[attr-defined]
        "term": terms[0].id,
        "account": account.id,
        "notice": issue.notices[0].id,
        "scholarship_file": scholarship.id,
        "payment": payment.id,
        "reduction": reduction.id,
    }


async def _school_a_rows(sessionmaker) -> World:
    world = await build_world(sessionmaker)
    await school_a_absences(world, sessionmaker)
    await school_a_finances(world, sessionmaker)
    return world


# Hundreds of tests on the same rows, which take seconds to write through the domain: written
# once per test process and engine, copied for each test (see tests/conftest.py).
pytestmark = pytest.mark.prepared(Prepared("cross_school", _school_a_rows))


@pytest.fixture(autouse=True)
def world(prepared: World) -> World:
    """The test world with school A's absence, grading, exchange and finance rows
    (``world.absence_rows``, ``world.finance_rows``): a fresh copy for each test, on each
    engine."""
    return prepared


def _takes_an_id(arg_type: Any, seen: set[str] | None = None) -> bool:
    while isinstance(arg_type, GraphQLNonNull | GraphQLList):
        arg_type = arg_type.of_type
    if isinstance(arg_type, GraphQLInputObjectType):
        seen = seen or set()
        if arg_type.name in seen:
            return False
        seen.add(arg_type.name)
        return any(
            _is_id_name(name) or _takes_an_id(field.type, seen)
            for name, field in arg_type.fields.items()
        )
    return False


def _is_id_name(name: str) -> bool:
    return name == "id" or name.endswith("Id") or name.endswith("Ids")


def test_every_id_taking_field_is_covered():
    graphql_schema = schema._schema
    id_fields = set()
    for root in (graphql_schema.query_type, graphql_schema.mutation_type):
        for name, field in root.fields.items():
            if any(_is_id_name(arg) or _takes_an_id(a.type) for arg, a in field.args.items()):
                id_fields.add(name)
    assert id_fields == set(CALLS), (
        f"not covered: {id_fields - set(CALLS)}; stale: {set(CALLS) - id_fields}"
    )


def _reached_nothing(body: dict[str, Any]) -> bool:
    """True when the answer holds no row: null, an empty list, a zero count, or an error."""
    if body.get("data") is None:
        return bool(body.get("errors"))
    for value in body["data"].values():
        if isinstance(value, dict) and "errors" in value:
            if not value["errors"] or any(
                v not in (None, []) for k, v in value.items() if k != "errors"
            ):
                return False
        elif isinstance(value, dict) and "nodes" in value:
            if value["nodes"]:
                return False
        elif isinstance(value, dict) and "totalCount" in value:
            if value["totalCount"] != 0:
                return False
        elif value not in (None, []):
            return False
    return True


@pytest.mark.parametrize("field", sorted(CALLS))
async def test_school_b_reaches_nothing_of_school_a(gql, world: World, sessionmaker, field):
    operation, variables = CALLS[field]
    before = await _snapshot(sessionmaker)
    body = await gql("principal_b", operation, variables(world))
    assert _reached_nothing(body), body
    assert await _snapshot(sessionmaker) == before


@pytest.fixture
async def client_of_school_b(gql, world: World, sessionmaker) -> str:
    """An API client of school B holding every scope: its access token."""
    from api.auth.client_scopes import ALL_SCOPES
    from api.resolvers.clients import ClientSettings, register_client
    from tests.world import uai

    admin = await world.principal(sessionmaker, "admin")
    async with sessionmaker() as session, session.begin():
        registered = await register_client(
            session,
            admin,
            ClientSettings(name="ENT B", school_uais=[uai("0940002")], scopes=list(ALL_SCOPES)),
        )
    response = await gql.http.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": registered.client.client_id,
            "client_secret": registered.secret,
        },
    )
    token: str = response.json()["access_token"]
    return token


@pytest.mark.parametrize("field", sorted(CALLS))
async def test_a_client_of_school_b_reaches_nothing_of_school_a(
    gql, world: World, sessionmaker, client_of_school_b, field
):
    operation, variables = CALLS[field]
    before = await _snapshot(sessionmaker)
    response = await gql.http.post(
        "/graphql",
        json={"query": operation, "variables": variables(world)},
        headers={"Authorization": f"Bearer {client_of_school_b}"},
    )
    assert response.status_code == 200, response.text
    assert _reached_nothing(response.json()), response.json()
    assert await _snapshot(sessionmaker) == before


@pytest.mark.parametrize(
    "field", ["student", "updateStudent", "moveStudent", "recordDeparture", "updateGuardian"]
)
async def test_a_teacher_reaches_nothing_outside_taught_classes(gql, world: World, field):
    operation, variables = CALLS[field]
    values = variables(world)
    # Noah is in 6B, which teacher_a does not teach.
    if "id" in values and field in ("student", "updateStudent"):
        values["id"] = world.students["noah"]
    if field in ("moveStudent", "recordDeparture"):
        values["id"] = world.enrollments["noah"]
    body = await gql("teacher_a", operation, values)
    assert body.get("errors") or _reached_nothing(body), body


async def _snapshot(sessionmaker) -> list[Any]:
    from sqlalchemy import select

    from db.audit import AuditEntry

    async with sessionmaker() as session:
        return list(await session.scalars(select(AuditEntry.id)))
