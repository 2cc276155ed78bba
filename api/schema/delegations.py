"""Delegation of rights (DELEGCE) in GraphQL: the school's staff and their rights."""

from __future__ import annotations

import strawberry

from api.auth.rights import RIGHT_LABELS_FR, ROLE_LABELS_FR
from api.resolvers import delegations as resolvers
from api.schema.context import Info, read
from api.schema.payloads import FieldError, mutate
from db.delegations import Right as RightModel

Right = strawberry.enum(
    RightModel,
    name="Right",
    description="An application and its access mode, as the principal delegates them.",
)


@strawberry.type(description="A staff member's rights in one school.")
class StaffRights:
    user_id: int
    login: str
    display_name: str
    roles: list[str] = strawberry.field(description="Roles held in the school (French labels).")
    rights: list[Right] = strawberry.field(description="Rights in effect.")  # type: ignore[valid-type]
    default_rights: list[Right] = strawberry.field(  # type: ignore[valid-type]
        description="Rights the roles give alone."
    )
    delegable: bool = strawberry.field(description="False for the principal, who holds all.")


def staff_rights(found: resolvers.StaffRights) -> StaffRights:
    order = list(RightModel)
    return StaffRights(
        user_id=found.user.id,
        login=found.user.login,
        display_name=found.user.display_name,
        roles=sorted(ROLE_LABELS_FR[role] for role in found.roles),
        rights=sorted(found.rights, key=order.index),
        default_rights=sorted(found.defaults, key=order.index),
        delegable=found.delegable,
    )


@strawberry.input
class StaffRightsInput:
    school_id: int
    user_id: int
    rights: list[Right]  # type: ignore[valid-type]


@strawberry.type
class StaffRightsPayload:
    staff_rights: StaffRights | None
    errors: list[FieldError]


@strawberry.type(description="A delegable right and its label.")
class RightLabel:
    right: Right  # type: ignore[valid-type]
    label: str


@strawberry.type
class Query:
    @strawberry.field(description="The school's staff with their rights (principal only).")
    async def staff_rights(self, info: Info, school_id: int) -> list[StaffRights]:
        return [staff_rights(s) for s in await read(info, resolvers.school_staff_rights, school_id)]

    @strawberry.field(description="Every delegable right, with its French label.")
    def rights(self) -> list[RightLabel]:
        return [RightLabel(right=r, label=RIGHT_LABELS_FR[r]) for r in RightModel]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Give a staff member exactly these rights in the school.")
    async def set_staff_rights(self, info: Info, input: StaffRightsInput) -> StaffRightsPayload:
        found, errors = await mutate(
            info,
            "userId",
            resolvers.set_staff_rights,
            input.school_id,
            input.user_id,
            input.rights,
        )
        return StaffRightsPayload(
            staff_rights=staff_rights(found) if found else None, errors=errors
        )
