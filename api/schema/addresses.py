"""Postal addresses of students and guardians (one shared by the people of a household)."""

from __future__ import annotations

import strawberry

from api.resolvers import addresses as resolvers
from api.schema.domain import from_domain


@strawberry.type(
    description="A postal address as SIECLE gives it. The people of one household share it: "
    "the same id. In France, the INSEE commune (communeCode) and its postal name (city); "
    "abroad, the city as written (foreignCity) and the INSEE country code (100: France)."
)
@from_domain
class Address(resolvers.AddressCard):
    pass


@strawberry.input(
    description="An address to write. All fields empty clears it. In France: line1, "
    "postalCode (5 digits) and city are required; abroad: line1 and foreignCity (or city), "
    "with countryCode (3 digits, INSEE)."
)
@from_domain
class AddressInput(resolvers.AddressFields):
    pass
