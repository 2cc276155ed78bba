"""Télé-services over GraphQL: open a service, generate, show, notify and revoke codes."""

from __future__ import annotations

import base64
import io

from pypdf import PdfReader

OPEN = "mutation($s: Int!) { setTeleservice(schoolId: $s, service: GRADES, isOpen: true) { services { service isOpen } errors { code } } }"
GENERATE = "mutation($s: Int!) { generateActivationCodes(kind: CAR, population: {schoolId: $s}) { created alreadyGiven locked errors { field code message } } }"
ACCESSES = "query($s: Int!) { teleserviceAccesses(kind: CAR, population: {schoolId: $s}, access: GIVEN) { studentName guardianName legalRank hasCode locked } }"
HISTORY = "query($s: Int!, $st: Int!, $g: Int!) { activationCodes(schoolId: $s, studentId: $st, guardianId: $g) { id code isValid notifiedAt } }"
NOTIFY = "mutation($s: Int!) { notifyActivationCodes(kind: CAR, population: {schoolId: $s}) { emails letters codes lettersPdfBase64 errors { field code message } } }"


async def test_codes_over_graphql(gql, world):
    s = world.school_a
    closed = await gql("principal_a", GENERATE, {"s": s})
    assert closed["data"]["generateActivationCodes"]["errors"][0]["code"] == "TELESERVICES_CLOSED"
    opened = await gql("principal_a", OPEN, {"s": s})
    assert {"service": "GRADES", "isOpen": True} in opened["data"]["setTeleservice"]["services"]
    made = await gql("principal_a", GENERATE, {"s": s})
    assert made["data"]["generateActivationCodes"]["created"] == 4
    lines = (await gql("principal_a", ACCESSES, {"s": s}))["data"]["teleserviceAccesses"]
    assert len(lines) == 4 and all(line["hasCode"] and not line["locked"] for line in lines)
    variables = {"s": s, "st": world.students["lina"], "g": world.guardians["father"]}
    [code] = (await gql("principal_a", HISTORY, variables))["data"]["activationCodes"]
    assert code["isValid"] and len(code["code"]) == 16 and code["notifiedAt"] is None
    sent = (await gql("principal_a", NOTIFY, {"s": s}))["data"]["notifyActivationCodes"]
    assert (sent["emails"], sent["letters"], sent["codes"]) == (2, 1, 4)
    letter = PdfReader(io.BytesIO(base64.b64decode(sent["lettersPdfBase64"])))
    assert code["code"] in letter.pages[0].extract_text()
    lines = (await gql("principal_a", ACCESSES, {"s": s}))["data"]["teleserviceAccesses"]
    assert all(line["locked"] for line in lines)
    # The registrar holds the Télé-services right by default; a teacher does not.
    assert (await gql("registrar_a", ACCESSES, {"s": s}))["data"]["teleserviceAccesses"]
    refused = await gql("teacher_a", ACCESSES, {"s": s})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
