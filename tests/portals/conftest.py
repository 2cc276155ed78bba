"""Fixtures of the portal tests: the test world, the staff app, and a signed-in browser-like client."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from api.app import create_app
from api.demo import generate_demo
from db.accounts import RoleGrant, StaffUser
from db.enrollments import Enrollment
from db.finances import Payment, Reduction, ReductionKind
from db.grades import Assessment
from db.scholarships import ScholarshipFile, ScholarshipStatus
from db.schools import SchoolYear, SchoolYearState
from db.structures import Division
from db.students import Student
from tests.servers import start_within
from tests.world import PASSWORD, World, build_world

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


class Portal:
    """An HTTP client on the staff app that keeps cookies like a browser."""

    def __init__(self, http: httpx.AsyncClient, world: World) -> None:
        self.http = http
        self.world = world

    async def login(
        self, login: str, password: str = PASSWORD, target: str = "/"
    ) -> httpx.Response:
        form = await self.http.get("/connexion")
        assert form.status_code == 200
        return await self.http.post(
            "/connexion",
            data={
                "login": login,
                "password": password,
                "csrf_token": csrf_of(form.text),
                "suivant": target,
            },
        )

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.http.get(url, **kwargs)

    async def post_form(self, page_url: str, action: str, data: dict[str, str]) -> httpx.Response:
        """Submits a form the way a browser does: with the CSRF token of the page holding it."""
        page = await self.http.get(page_url)
        assert page.status_code == 200, page.text
        return await self.http.post(action, data={"csrf_token": csrf_of(page.text), **data})


@pytest.fixture
async def world(sessionmaker) -> World:
    return await build_world(sessionmaker, extra_students_a1=55)


@pytest.fixture
async def app(settings) -> AsyncIterator[Any]:
    application = create_app(settings)
    yield application
    await application.state.services.engine.dispose()


def make_client(app: Any) -> httpx.AsyncClient:
    # https, so that Secure cookies (the default on PostgreSQL settings) are sent back.
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 4321))
    return httpx.AsyncClient(transport=transport, base_url="https://testserver")


@pytest.fixture
async def portal(app, world) -> AsyncIterator[Portal]:
    async with make_client(app) as http:
        yield Portal(http, world)


@pytest.fixture
async def other_portal(app, world) -> AsyncIterator[Portal]:
    """A second browser, for a second user at the same time."""
    async with make_client(app) as http:
        yield Portal(http, world)


DEMO_TODAY = date(2026, 11, 25)


@pytest.fixture
async def demo(sessionmaker) -> dict[str, Any]:
    """The demo académie (one school): ids of demo.principal's school, a division, a student."""
    await generate_demo(sessionmaker, scale=1, today=DEMO_TODAY)
    async with sessionmaker() as session:
        school_id = await session.scalar(
            select(RoleGrant.school_id)
            .join(StaffUser, StaffUser.id == RoleGrant.user_id)
            .where(StaffUser.login == "demo.principal")
        )
        division_id = await session.scalar(
            select(Division.id)
            .join(SchoolYear, SchoolYear.id == Division.school_year_id)
            .where(Division.school_id == school_id, SchoolYear.state == SchoolYearState.CURRENT)
            .order_by(Division.code)
        )
        student = await session.scalar(
            select(Student)
            .join(Enrollment, Enrollment.student_id == Student.id)
            .where(Enrollment.division_id == division_id, Enrollment.exit_date.is_(None))
            .order_by(Student.search_name)
        )
        # A family account whose statement holds every kind of line the demo writes (a
        # charge, a remise d'ordre, a receipt), and scholarship files granted and received.
        account = await session.scalar(
            select(Reduction.account_id)
            .join(Payment, Payment.account_id == Reduction.account_id)
            .where(Reduction.school_id == school_id, Reduction.kind == ReductionKind.ORDER)
            .order_by(Reduction.account_id)
            .limit(1)
        )
        files = {
            status: file_id
            for status, file_id in (
                await session.execute(
                    select(ScholarshipFile.status, ScholarshipFile.id)
                    .where(ScholarshipFile.school_id == school_id)
                    .order_by(ScholarshipFile.id.desc())
                )
            ).all()
        }
        # A published assessment of the division, with its marks (``api.demo.grades``).
        assessment = await session.scalar(
            select(Assessment.id)
            .where(Assessment.division_id == division_id, Assessment.published_on <= DEMO_TODAY)
            .order_by(Assessment.id)
            .limit(1)
        )
    assert student is not None and account is not None and assessment is not None
    return {
        "school": school_id,
        "division": division_id,
        "student": student.id,
        "family_name": student.family_name,
        "first_name": student.first_name,
        "finance_account": account,
        "granted_file": files[ScholarshipStatus.GRANTED],
        "received_file": files[ScholarshipStatus.RECEIVED],
        "assessment": assessment,
    }


# --------------------------------------------------------------------------- browser

CHROMIUM = Path(os.environ.get("SCONET_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_PRESENT = CHROMIUM.exists()
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(os.environ.get("SCONET_TEST_SCREENSHOTS", "/tmp"))


@pytest.fixture
async def live_server(app) -> AsyncIterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await start_within(server, task)
        # "localhost" is a secure context: Secure cookies work over plain http there.
        yield f"http://localhost:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Any]:
    """One headless Chromium per test process: starting it costs seconds, a fresh context
    (cookies, storage, cache of its own) for each test costs a fraction of one."""
    if not CHROMIUM_PRESENT:
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail(f"Chromium is missing at {CHROMIUM}")
        pytest.skip(f"Chromium is missing at {CHROMIUM} (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()


@contextlib.asynccontextmanager
async def browser_context(chromium: Any, **options: Any) -> AsyncIterator[Any]:
    """A context of its own in the shared Chromium, closed (with its pages) on leaving."""
    context = await chromium.new_context(**options)
    try:
        yield context
    finally:
        await context.close()


async def new_page(context: Any) -> Any:
    page = await context.new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.fixture
async def browser_page(live_server, chromium):
    async with browser_context(
        chromium, base_url=live_server, locale="fr-FR", viewport={"width": 1280, "height": 900}
    ) as context:
        yield await new_page(context)
