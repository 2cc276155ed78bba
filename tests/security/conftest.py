"""The staff app and the test académie as the portal tests use them, and a GraphQL client."""

from tests.api.conftest import gql  # noqa: F401
from tests.portals.conftest import app, portal, world  # noqa: F401
