"""The families portal (Sconet Télé-services): parents and students, outside the staff trust zone.

This process never reaches the admin database: it imports nothing from ``db``
or ``api.resolvers`` and reads only the télé-services database (package
``tsdb``), which replication fills with what families may see; it writes there
the families' accounts. Pages: ``portals.familles.pages``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route

from api.settings import Settings
from databases.engines import make_engine, make_sessionmaker, reachable
from families.work import Work
from portals.common.access_log import AccessLog
from portals.common.assets import static_mounts
from portals.common.body_limit import BodyLimit
from portals.common.client_address import TrustedProxies
from portals.common.failures import Failures
from portals.common.health import health_endpoint
from portals.common.security_headers import SecurityHeaders
from portals.common.text_input import RefuseNulCharacters
from portals.familles import pages
from portals.familles.rendering import HERE, OWN_URL, error_page


def familles_routes() -> list[BaseRoute]:
    return [
        Route("/", pages.home, methods=["GET"]),
        Route("/connexion", pages.login, methods=["POST"]),
        Route("/deconnexion", pages.logout, methods=["POST"]),
        Route("/creer-un-compte", pages.create, methods=["GET", "POST"]),
        Route("/ajouter-un-code", pages.add_code, methods=["GET", "POST"]),
        Route("/confirmer", pages.confirm, methods=["GET"]),
        Route("/mot-de-passe-oublie", pages.forgotten, methods=["GET", "POST"]),
        Route("/nouveau-mot-de-passe", pages.new_password, methods=["GET", "POST"]),
        Route("/compte", pages.account_page, methods=["GET", "POST"]),
        Route("/enfants", pages.family, methods=["GET"]),
        Route("/enfants/{child_id:int}", pages.child, methods=["GET"]),
        Route("/situation-financiere", pages.finances, methods=["GET"]),
        Route("/situation-financiere/avis/{notice_id:int}", pages.notice, methods=["GET"]),
        *(Route(path, pages.information, methods=["GET"]) for path in pages.INFORMATION_PAGES),
        Route(
            "/sante",
            health_endpoint(lambda request: reachable(request.app.state.ts_engine)),
            methods=["GET"],
        ),
        *static_mounts(OWN_URL, HERE / "static", "familles-static"),
    ]


def create_familles_app(settings: Settings) -> Starlette:
    """The families portal application, on the télé-services database only."""
    engine = make_engine(settings.ts_database_url)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = Starlette(
        routes=familles_routes(),
        middleware=[
            Middleware(AccessLog),
            Middleware(TrustedProxies, proxies=settings.trusted_proxies),
            Middleware(SecurityHeaders, https_only=settings.cookie_secure),
            Middleware(BodyLimit, error_page=error_page),
            Middleware(RefuseNulCharacters, error_page=error_page),
            Middleware(Failures, error_page=error_page),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.ts_engine = engine
    app.state.families = Work(make_sessionmaker(engine))
    return app
