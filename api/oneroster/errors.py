"""The specification's error form: the body is one ``imsx_StatusInfo`` object (code major,
severity, description, code minor such as ``invalid_filter_field`` or ``unknownobject``).
Never internal text.

OneRoster 1.1 wrapped it in ``{"statusInfoSet": [...]}``; the 1.2 REST binding's schema
(``imsx_StatusInfoDType``, no other property allowed) makes the object itself the body.
"""

from __future__ import annotations

from starlette.responses import JSONResponse

NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


class RosterRequestError(Exception):
    """A request the binding refuses: its HTTP status, code minor and description."""

    def __init__(self, status: int, code_minor: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.code_minor = code_minor
        self.description = description


def status_info(code_minor: str, description: str) -> dict[str, object]:
    return {
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": description,
        "imsx_CodeMinor": {
            "imsx_codeMinorField": [
                {
                    "imsx_codeMinorFieldName": "TargetEndSystem",
                    "imsx_codeMinorFieldValue": code_minor,
                }
            ]
        },
    }


def status_response(
    status: int, code_minor: str, description: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        status_info(code_minor, description),
        status_code=status,
        headers={**NO_STORE, **(headers or {})},
    )
