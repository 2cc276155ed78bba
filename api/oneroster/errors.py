"""The specification's error form: a ``statusInfoSet`` of ``imsx_StatusInfo`` objects, each
with its code minor (``invalid_filter_field``, ``unknownobject``...). Never internal text."""

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
        {"statusInfoSet": [status_info(code_minor, description)]},
        status_code=status,
        headers={**NO_STORE, **(headers or {})},
    )
