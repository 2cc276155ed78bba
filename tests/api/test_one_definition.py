"""One definition per type (issue 10): a domain object and its GraphQL type are not written
twice field by field.

A GraphQL type (object or input) of the schema that does not derive from a dataclass of the
domain layer (``api.resolvers``, see ``api.schema.domain``) may not declare the same fields
as one of them: it would be the second copy of that dataclass, filled or read attribute by
attribute.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Iterable
from datetime import date

import strawberry
from strawberry.types.base import StrawberryObjectDefinition

import api.resolvers
from api.schema import schema
from api.schema.domain import domain_of, from_domain
from tests.test_layers import ROOT, Rule, violations

# (GraphQL type, domain dataclass) pairs that are not copies, each with the reason.
NOT_COPIES: dict[tuple[str, str], str] = {
    ("Mark", "api.resolvers.grades.MarkInput"): "the saved mark is a row (db.grades.Mark)",
    ("TimeSlot", "api.resolvers.absences.configuration.SlotInput"): (
        "the grid's slot is a row (db.absences.TimeSlot)"
    ),
    ("RollCallInput", "api.resolvers.absences.roll_calls.RollCallEntry"): (
        "`late` is a list of LateStudent in GraphQL, which has no maps, and a dict in the domain"
    ),
    ("DecisionInput", "api.resolvers.passage._Decided"): (
        "the decision as typed (every field optional, checked by FieldParser) against the "
        "checked one the domain writes (its outcome required, the others made consistent)"
    ),
}


def domain_dataclasses() -> list[type]:
    """Every dataclass defined in the domain layer."""
    found: dict[str, type] = {}
    for module_info in pkgutil.walk_packages(api.resolvers.__path__, "api.resolvers."):
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and dataclasses.is_dataclass(value)
                and value.__module__ == module.__name__
            ):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return list(found.values())


def graphql_types() -> list[StrawberryObjectDefinition]:
    return [
        definition
        for graphql_type in schema.schema_converter.type_map.values()
        if isinstance(definition := graphql_type.definition, StrawberryObjectDefinition)
    ]


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def copies(
    types: Iterable[StrawberryObjectDefinition], domain: Iterable[type]
) -> list[tuple[str, str]]:
    """(GraphQL type, dataclass) for each GraphQL type that does not derive from a domain
    dataclass and declares the same fields (two or more) as one."""
    fields_of = {
        _name(cls): frozenset(field.name for field in dataclasses.fields(cls))  # type: ignore[arg-type]
        for cls in domain
    }
    found = []
    for definition in types:
        derived = domain_of(definition.origin)
        if derived is not None and _name(derived) in fields_of:
            continue
        names = frozenset(field.python_name for field in definition.fields)
        if len(names) < 2:
            continue
        found.extend(
            (definition.name, name) for name, fields in fields_of.items() if fields == names
        )
    return sorted(found)


def test_no_graphql_type_copies_a_domain_dataclass() -> None:
    found = copies(graphql_types(), domain_dataclasses())
    assert [pair for pair in found if pair not in NOT_COPIES] == []


def test_every_exception_is_still_needed() -> None:
    found = copies(graphql_types(), domain_dataclasses())
    assert sorted(pair for pair in NOT_COPIES if pair not in found) == []


@dataclasses.dataclass
class _Visit:
    student_id: int
    day: date
    note: str | None = None


def test_a_graphql_type_written_again_field_by_field_is_found() -> None:
    @strawberry.type
    class Visit:
        student_id: int
        day: date
        note: str | None

    @strawberry.type
    @from_domain
    class DerivedVisit(_Visit):
        note: str | None = strawberry.field(default=None, description="Free text.")

    definitions = [Visit.__strawberry_definition__, DerivedVisit.__strawberry_definition__]  # type: ignore[attr-defined]
    assert copies(definitions, [_Visit]) == [("Visit", _name(_Visit))]


def test_a_derived_type_keeps_the_domain_types_and_defaults() -> None:
    @strawberry.input
    @from_domain
    class VisitInput(_Visit):
        pass

    fields = {f.python_name: f for f in VisitInput.__strawberry_definition__.fields}  # type: ignore[attr-defined]
    assert fields["day"].type is date
    assert fields["note"].default is None
    visit = VisitInput(student_id=1, day=date(2026, 9, 1))
    assert isinstance(visit, _Visit) and visit.note is None


def test_the_domain_layer_does_not_import_strawberry() -> None:
    rule = Rule("api.resolvers", ("strawberry",), "GraphQL types derive from the domain")
    assert violations(ROOT, (rule,)) == []
