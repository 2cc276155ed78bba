"""Second factor administration: resets by the principal or the académie administrator."""

from __future__ import annotations

import strawberry

from api.resolvers import second_factor as resolvers
from api.schema.context import Info
from api.schema.payloads import FieldError, mutate


@strawberry.type(description="A staff account whose second factor was reset.")
class SecondFactorReset:
    user_id: int
    login: str


@strawberry.type
class SecondFactorResetPayload:
    reset: SecondFactorReset | None
    errors: list[FieldError]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Forget a staff member's OTP key and recovery codes and end their "
        "sessions; they enrol again at next login."
    )
    async def reset_second_factor(self, info: Info, user_id: int) -> SecondFactorResetPayload:
        user, errors = await mutate(info, "userId", resolvers.reset_second_factor, user_id)
        reset = SecondFactorReset(user_id=user.id, login=user.login) if user else None
        return SecondFactorResetPayload(reset=reset, errors=errors)
