"""Mutation results: the object, or typed errors naming the offending input field."""

from __future__ import annotations

from typing import Any, ParamSpec, TypeVar

import strawberry
from strawberry.utils.str_converters import to_camel_case

from api.auth.principal import PermissionDenied
from api.resolvers.work import DomainFunction
from api.schema.context import Info, graphql_error
from core.errors import NotFound, ValidationFailed

P = ParamSpec("P")
R = TypeVar("R")


@strawberry.type(description="An input error: `field` is the input field's name in this API.")
class FieldError:
    field: str
    code: str
    message: str


async def mutate(
    info: Info,
    id_field: str,
    fn: DomainFunction[P, R],
    *args: P.args,
    **kwargs: P.kwargs,
) -> tuple[R | None, list[FieldError]]:
    """Runs a domain command in its own audited transaction; nothing is kept on error."""
    try:
        async with info.context.work.writing() as transaction:
            result = await transaction.run(fn, *args, **kwargs)
        return result, []
    except ValidationFailed as exc:
        return None, [
            FieldError(field=to_camel_case(e.field), code=e.code, message=e.message)
            for e in exc.errors
        ]
    except NotFound as exc:
        return None, [FieldError(field=id_field, code="NOT_FOUND", message=str(exc))]
    except PermissionDenied as exc:
        raise graphql_error(exc) from exc


def set_fields(data: Any) -> dict[str, Any]:
    """The fields of a Strawberry input the caller actually gave (UNSET ones left out)."""
    return {key: value for key, value in vars(data).items() if value is not strawberry.UNSET}
