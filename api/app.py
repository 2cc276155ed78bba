"""The staff application: GraphQL API, API sessions, exports and the staff portal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route

from api.endpoints.api_session import (
    create_api_session,
    delete_all_api_sessions,
    delete_api_session,
)
from api.endpoints.graphql import GraphQLEndpoint
from api.endpoints.oauth import oauth_routes
from api.exports.absence_routes import absence_export_routes
from api.exports.routes import export_routes
from api.oneroster.csv_routes import oneroster_csv_routes
from api.oneroster.routes import oneroster_routes
from api.resolvers.oneroster.sourced_ids import SourcedIdKey, use_key
from api.services import Services, services_of
from api.settings import Settings, load_settings
from databases.engines import make_engine, make_sessionmaker, reachable
from portals.common.access_log import AccessLog
from portals.common.body_limit import BodyLimit
from portals.common.client_address import TrustedProxies
from portals.common.failures import Failures
from portals.common.health import health_endpoint
from portals.common.security_headers import SecurityHeaders
from portals.common.text_input import RefuseNulCharacters
from portals.etablissement.routes import portal_exception_handlers, portal_routes
from portals.etablissement.web import anonymous_error


def build_services(settings: Settings) -> Services:
    engine = make_engine(settings.database_url)
    return Services(settings=settings, engine=engine, sessionmaker=make_sessionmaker(engine))


def api_routes() -> list[BaseRoute]:
    return [
        Route("/graphql", GraphQLEndpoint(), methods=["GET", "POST"]),
        Route("/api/session", create_api_session, methods=["POST"]),
        Route("/api/session", delete_api_session, methods=["DELETE"]),
        Route("/api/sessions", delete_all_api_sessions, methods=["DELETE"]),
        *oauth_routes(),
        Route(
            "/sante",
            health_endpoint(lambda request: reachable(services_of(request).engine)),
            methods=["GET"],
        ),
    ]


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or load_settings()
    settings.api_issuer()  # production without SCONET_PUBLIC_URL: refuse to start
    services = build_services(settings)
    use_key(SourcedIdKey.from_settings(settings))

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await services.engine.dispose()

    app = Starlette(
        routes=[
            *api_routes(),
            *export_routes(),
            *absence_export_routes(),
            *oneroster_routes(),
            *oneroster_csv_routes(),
            *portal_routes(),
        ],
        exception_handlers=portal_exception_handlers(),
        middleware=[
            Middleware(AccessLog),
            Middleware(TrustedProxies, proxies=services.settings.trusted_proxies),
            Middleware(SecurityHeaders, https_only=services.settings.cookie_secure),
            Middleware(BodyLimit, error_page=anonymous_error),
            Middleware(RefuseNulCharacters, error_page=anonymous_error),
            Middleware(Failures, error_page=anonymous_error),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    return app
