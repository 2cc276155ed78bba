"""The staff second factor: enrolment, codes at login (portal and API), recovery codes,
throttling, the académie's requirement and resets."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from api.auth.principal import PermissionDenied
from api.resolvers import second_factor
from core.errors import NotFound, ValidationFailed
from db.accounts import StaffSession, StaffUser
from db.audit import AuditEntry
from tests.conftest import TEST_SECRET_KEY
from tests.portals.conftest import csrf_of, make_client
from tests.world import PASSWORD


async def enrol(sessionmaker, user_id: int) -> tuple[str, list[str]]:
    """Enrols a user as the portal does; returns the secret and the recovery codes."""
    async with sessionmaker() as session, session.begin():
        enrolment = await second_factor.start_enrolment(session, TEST_SECRET_KEY, user_id)
    async with sessionmaker() as session, session.begin():
        codes = await second_factor.confirm_enrolment(
            session, TEST_SECRET_KEY, user_id, pyotp.TOTP(enrolment.secret).now()
        )
    return enrolment.secret, codes


def next_code(secret: str) -> str:
    """The code of the next time step (accepted: one step of drift), never a replay."""
    return pyotp.TOTP(secret).at(time.time() + 30)


async def test_enrolment_seals_the_secret_and_gives_ten_recovery_codes(world, sessionmaker):
    user_id = world.users["cpe_a"]
    async with sessionmaker() as session, session.begin():
        enrolment = await second_factor.start_enrolment(session, TEST_SECRET_KEY, user_id)
        again = await second_factor.start_enrolment(session, TEST_SECRET_KEY, user_id)
    assert again.secret == enrolment.secret
    assert enrolment.uri.startswith("otpauth://totp/") and "cpe_a" in enrolment.uri
    assert enrolment.qr_svg.startswith("<svg") and "<script" not in enrolment.qr_svg
    async with sessionmaker() as session, session.begin():
        with pytest.raises(ValidationFailed) as wrong:
            await second_factor.confirm_enrolment(session, TEST_SECRET_KEY, user_id, "000000")
        assert wrong.value.errors[0].field == "code"
    async with sessionmaker() as session, session.begin():
        codes = await second_factor.confirm_enrolment(
            session, TEST_SECRET_KEY, user_id, pyotp.TOTP(enrolment.secret).now()
        )
    assert len(codes) == len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)
    async with sessionmaker() as session:
        user = await session.get(StaffUser, user_id)
        assert user.totp_enrolled_at is not None
        assert enrolment.secret not in user.totp_secret_encrypted
        logged = (
            await session.scalars(
                select(AuditEntry.after).where(
                    AuditEntry.entity == "staff_users", AuditEntry.entity_id == user_id
                )
            )
        ).all()
        assert any(entry.get("totp_secret_encrypted") == "[masqué]" for entry in logged)
        assert all(enrolment.secret not in str(entry) for entry in logged)


async def test_a_code_is_accepted_once_and_a_recovery_code_once(world, sessionmaker):
    user_id = world.users["cpe_a"]
    secret, codes = await enrol(sessionmaker, user_id)
    code = next_code(secret)
    for expected in (True, False):
        async with sessionmaker() as session, session.begin():
            assert (
                await second_factor.second_factor_passes(session, TEST_SECRET_KEY, user_id, code)
                is expected
            )
    for expected in (True, False):
        async with sessionmaker() as session, session.begin():
            assert (
                await second_factor.second_factor_passes(
                    session, TEST_SECRET_KEY, user_id, codes[3].upper()
                )
                is expected
            )
    stale = pyotp.TOTP(secret).at(time.time() - 300)
    async with sessionmaker() as session, session.begin():
        assert not await second_factor.second_factor_passes(
            session, TEST_SECRET_KEY, user_id, stale
        )


async def test_who_may_reset_whom(world, sessionmaker):
    await enrol(sessionmaker, world.users["cpe_a"])
    await enrol(sessionmaker, world.users["principal_b"])
    cases = [
        ("principal_b", "cpe_a", NotFound),
        ("teacher_a", "cpe_a", PermissionDenied),
        ("principal_a", "principal_b", NotFound),
        ("principal_a", "admin", NotFound),
    ]
    for actor, target, refusal in cases:
        principal = await world.principal(sessionmaker, actor)
        async with sessionmaker() as session, session.begin():
            with pytest.raises(refusal):
                await second_factor.reset_second_factor(session, principal, world.users[target])
    for actor, target in (("principal_a", "cpe_a"), ("admin", "principal_b")):
        principal = await world.principal(sessionmaker, actor)
        async with sessionmaker() as session, session.begin():
            await second_factor.reset_second_factor(session, principal, world.users[target])
        async with sessionmaker() as session:
            user = await session.get(StaffUser, world.users[target])
            assert user.totp_enrolled_at is None and user.totp_secret_encrypted is None


async def test_only_the_academy_administrator_requires_a_second_factor(world, sessionmaker):
    principal_a = await world.principal(sessionmaker, "principal_a")
    async with sessionmaker() as session, session.begin():
        with pytest.raises(PermissionDenied):
            await second_factor.set_second_factor_required(session, principal_a, True)
    admin = await world.principal(sessionmaker, "admin")
    async with sessionmaker() as session, session.begin():
        academy = await second_factor.set_second_factor_required(session, admin, True)
        assert academy.second_factor_required


async def _api_login(http, login, **extra):
    return await http.post("/api/session", json={"login": login, "password": PASSWORD, **extra})


async def test_the_api_asks_for_the_code(app, world, sessionmaker):
    secret, codes = await enrol(sessionmaker, world.users["cpe_a"])
    async with make_client(app) as http:
        missing = await _api_login(http, "cpe_a")
        assert missing.status_code == 401 and missing.json()["error"] == "SECOND_FACTOR_REQUIRED"
        code = next_code(secret)
        assert (await _api_login(http, "cpe_a", otp=code)).status_code == 200
        replay = await _api_login(http, "cpe_a", otp=code)
        assert replay.status_code == 401 and replay.json()["error"] == "invalid_second_factor"
        assert (await _api_login(http, "cpe_a", recoveryCode=codes[0])).status_code == 200
        assert (await _api_login(http, "cpe_a", recoveryCode=codes[0])).status_code == 401
        admin = await world.principal(sessionmaker, "admin")
        async with sessionmaker() as session, session.begin():
            await second_factor.set_second_factor_required(session, admin, True)
        unenrolled = await _api_login(http, "registrar_a")
        assert unenrolled.status_code == 403
        assert unenrolled.json()["error"] == "second_factor_enrolment_required"


async def test_codes_are_throttled(app, world, sessionmaker):
    secret, _codes = await enrol(sessionmaker, world.users["cpe_a"])
    async with make_client(app) as http:
        for _ in range(4):
            wrong = await _api_login(http, "cpe_a", otp="000000")
            assert wrong.status_code == 401
        blocked = await _api_login(http, "cpe_a", otp=next_code(secret))
        assert blocked.status_code == 429


async def test_portal_login_with_the_code(app, world, sessionmaker):
    secret, _codes = await enrol(sessionmaker, world.users["cpe_a"])
    async with make_client(app) as http:
        form = await http.get("/connexion")
        step = await http.post(
            "/connexion",
            data={
                "login": "cpe_a",
                "password": PASSWORD,
                "csrf_token": csrf_of(form.text),
                "suivant": "/eleves",
            },
        )
        assert step.status_code == 303
        assert step.headers["location"] == "/connexion/code?suivant=%2Feleves"
        pending_token = http.cookies.get("sconet_session")
        # Between the two steps the session acts as nobody.
        assert (await http.get("/eleves")).status_code == 303
        page = await http.get(step.headers["location"])
        assert "Vérification en deux étapes" in page.text
        wrong = await http.post(
            "/connexion/code",
            data={"csrf_token": csrf_of(page.text), "code": "000000", "suivant": "/eleves"},
        )
        assert "Code incorrect" in wrong.text
        done = await http.post(
            "/connexion/code",
            data={
                "csrf_token": csrf_of(page.text),
                "code": next_code(secret),
                "suivant": "/eleves",
            },
        )
        assert done.status_code == 303 and done.headers["location"] == "/eleves"
        assert http.cookies.get("sconet_session") != pending_token
        assert (await http.get("/eleves")).status_code == 200
    async with sessionmaker() as session:
        stages = (await session.scalars(select(StaffSession.stage))).all()
        assert stages == ["active"]


async def _pending_code_page(http, login: str) -> str:
    """Signs in with the password; the page asking for the code."""
    form = await http.get("/connexion")
    step = await http.post(
        "/connexion",
        data={"login": login, "password": PASSWORD, "csrf_token": csrf_of(form.text)},
    )
    assert step.headers["location"].startswith("/connexion/code")
    return (await http.get(step.headers["location"])).text


async def test_portal_code_guesses_stay_counted_until_the_account_must_wait(
    app, world, sessionmaker
):
    """Each refused code is counted although its sign-in step is refused: the fifth try
    waits, right code or not."""
    secret, _codes = await enrol(sessionmaker, world.users["cpe_a"])
    async with make_client(app) as http:
        page = await _pending_code_page(http, "cpe_a")
        for _ in range(4):
            wrong = await http.post(
                "/connexion/code", data={"csrf_token": csrf_of(page), "code": "000000"}
            )
            assert wrong.status_code == 200 and "Code incorrect" in wrong.text
        blocked = await http.post(
            "/connexion/code", data={"csrf_token": csrf_of(page), "code": next_code(secret)}
        )
        assert blocked.status_code == 429 and "Trop de tentatives" in blocked.text
        assert (await http.get("/eleves")).status_code == 303


async def test_portal_recovery_code_renewal_counts_wrong_codes(app, world, sessionmaker):
    secret, _codes = await enrol(sessionmaker, world.users["cpe_a"])
    async with make_client(app) as http:
        page = await _pending_code_page(http, "cpe_a")
        signed_in = await http.post(
            "/connexion/code", data={"csrf_token": csrf_of(page), "code": next_code(secret)}
        )
        assert signed_in.status_code == 303
        token = csrf_of((await http.get("/compte")).text)
        for _ in range(4):
            wrong = await http.post(
                "/compte/codes-de-secours", data={"csrf_token": token, "code": "000000"}
            )
            assert wrong.status_code == 400 and "Code incorrect" in wrong.text
        blocked = await http.post(
            "/compte/codes-de-secours", data={"csrf_token": token, "code": "000000"}
        )
        assert blocked.status_code == 400 and "Trop de tentatives" in blocked.text


async def test_portal_enrolment_required_by_the_academy(app, world, sessionmaker):
    admin = await world.principal(sessionmaker, "admin")
    async with sessionmaker() as session, session.begin():
        await second_factor.set_second_factor_required(session, admin, True)
    async with make_client(app) as http:
        form = await http.get("/connexion")
        step = await http.post(
            "/connexion",
            data={"login": "registrar_a", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        )
        assert step.headers["location"].startswith("/connexion/enrolement")
        assert (await http.get("/")).status_code == 303
        page = await http.get(step.headers["location"])
        assert "L'académie exige" in page.text and "<svg" in page.text
        secret = re.search(r'id="cle-otp">([A-Z2-7]+)<', page.text).group(1)
        done = await http.post(
            "/connexion/enrolement",
            data={
                "csrf_token": csrf_of(page.text),
                "code": pyotp.TOTP(secret).now(),
                "suivant": "/",
            },
        )
        assert done.status_code == 200 and "Vos codes de secours" in done.text
        assert len(re.findall(r"<code>[a-z2-9]{5}-[a-z2-9]{5}</code>", done.text)) == 10
        assert (await http.get("/")).status_code == 200
