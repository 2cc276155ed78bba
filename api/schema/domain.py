"""GraphQL types derived from the domain's dataclasses, so that each object is written once.

A GraphQL type of a domain object subclasses the domain dataclass and declares only what
GraphQL needs: a description, a nested type that must be the GraphQL one, a field the
domain computes (a property) or GraphQL computes (a resolver), or a field it must not show
(``strawberry.Private``)::

    @strawberry.type(description="One student's line of a division's view.")
    @from_domain
    class DivisionSheetRow(follow_up.SheetRow):
        events: list[models.AbsenceEvent] = strawberry.field(graphql_type=list[AbsenceEvent])

The resolvers then return the domain objects as they are (Strawberry reads fields by name),
and an input's instances are domain objects the resolver passes on as they are.

A domain dataclass a GraphQL type derives from may not be frozen: Python refuses a
non-frozen dataclass (Strawberry's) over a frozen one.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from typing import Any, TypeVar

T = TypeVar("T", bound=type)


def domain_of(cls: type) -> type | None:
    """The domain dataclass a GraphQL type derives from, if any."""
    return next((base for base in cls.__mro__[1:] if dataclasses.is_dataclass(base)), None)


def from_domain(cls: T) -> T:
    """Declares again, on ``cls``, the fields of its domain dataclass it does not declare
    itself, with their types read in the domain's module and their defaults.

    Strawberry reads an inherited annotation in the subclass's module, where the domain's
    names (``date``, a model) are missing or are GraphQL types of the same name: declared
    here, each field's type is the one the domain wrote.
    """
    domain = domain_of(cls)
    if domain is None:
        raise TypeError(f"{cls.__name__} derives from no domain dataclass")
    hints = typing.get_type_hints(domain)
    own: dict[str, Any] = dict(inspect.get_annotations(cls))
    inherited: dict[str, Any] = {}
    for field in dataclasses.fields(domain):
        if field.name in own:
            continue
        inherited[field.name] = hints[field.name]
        if field.default is not dataclasses.MISSING:
            setattr(cls, field.name, field.default)
        elif field.default_factory is not dataclasses.MISSING:
            setattr(cls, field.name, dataclasses.field(default_factory=field.default_factory))
    cls.__annotations__ = {**inherited, **own}
    return cls
