"""The staff app and the test académie, as the portal tests use them."""

from tests.portals.conftest import app, portal, world  # noqa: F401
