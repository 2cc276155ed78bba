"""The pages every public service website must link from its footer: the accessibility
statement, the legal notice and the personal data notice. Readable without signing in:
whoever is asked to sign in has the right to know who processes what before doing so.

The accessibility statement is shared with the families portal
(``portals/common/templates/accessibility_statement.html``, which carries its date).

What only the académie running the deployment knows (its DPO's address, the exact
retention set by its register of processing) is marked on the pages as to be completed.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from portals.etablissement.rendering import render


async def accessibility(_request: Request) -> Response:
    return render("legal/accessibility.html", {"page": None})


async def legal_notice(_request: Request) -> Response:
    return render("legal/legal_notice.html", {"page": None})


async def personal_data(_request: Request) -> Response:
    return render("legal/personal_data.html", {"page": None})
