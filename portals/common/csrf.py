"""CSRF protection of both portals' forms: every POST carries a token in its ``csrf_token``
field, compared in constant time with the one the server expects.

A signed-in user's forms carry his session's token. Forms shown before signing in (sign in,
create an account) have no session: their token is also set in an HttpOnly cookie, and the
POST must repeat it (double submit, ``AnonymousForms``). A missing or wrong token gets the
same French 403 page on both portals (``refused``).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from portals.common.cookies import set_cookie
from portals.common.failures import ErrorPage

FIELD = "csrf_token"
# A token longer than this was not made here: a new one replaces it.
MAX_LENGTH = 100
EXPIRED_TITLE = "Formulaire expiré"
EXPIRED_MESSAGE = (
    "Le formulaire n'est plus valide (jeton de sécurité absent ou périmé). "
    "Revenez à la page précédente, rechargez-la puis recommencez."
)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def matches(sent: object, expected: str | None) -> bool:
    """The form's token is the expected one (neither missing), compared in constant time."""
    if not isinstance(sent, str) or not sent or not expected:
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())


async def checked_form(request: Request, expected: str | None) -> FormData | None:
    """The posted form, or None when its token is missing or not ``expected``."""
    form = await request.form()
    return form if matches(form.get(FIELD), expected) else None


def refused(error_page: ErrorPage) -> Response:
    """The answer to a form whose token is missing or wrong, on the portal's error page."""
    return error_page(403, EXPIRED_TITLE, EXPIRED_MESSAGE)


@dataclass(frozen=True)
class AnonymousForms:
    """The double-submit token of the forms shown before signing in, in ``cookie`` (sent
    back only under ``path``)."""

    cookie: str
    path: str = "/"

    def expected(self, request: Request) -> str | None:
        return request.cookies.get(self.cookie)

    def token(self, request: Request, *, fresh: bool = False) -> str:
        """The browser's token, or a new one (always when ``fresh``: after a refusal)."""
        token = None if fresh else self.expected(request)
        return token if token and len(token) <= MAX_LENGTH else new_token()

    def keep(self, request: Request, response: Response, token: str, *, secure: bool) -> Response:
        """``response`` with the cookie set to ``token`` when the browser does not hold it."""
        if self.expected(request) != token:
            set_cookie(response, self.cookie, token, secure=secure, path=self.path)
        return response
