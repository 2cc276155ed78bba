"""OneRoster orgs: the académie as the district, and its schools in the caller's reach."""

from __future__ import annotations

from typing import Any

from api.resolvers.oneroster.reach import RosterReach, iso
from api.resolvers.oneroster.sourced_ids import guid_ref


def org_records(reach: RosterReach) -> list[dict[str, Any]]:
    keys = reach.keys
    district = keys.academy()
    schools = sorted(reach.schools.values(), key=lambda s: s.uai)
    records: list[dict[str, Any]] = [
        {
            "sourcedId": district,
            "status": "active",
            "dateLastModified": iso(reach.academy_changed),
            "name": reach.academy_name,
            "type": "district",
            "identifier": keys.academy_code,
            "children": [guid_ref("org", keys.school(s.uai)) for s in schools],
        }
    ]
    records.extend(
        {
            "sourcedId": keys.school(school.uai),
            "status": "active",
            "dateLastModified": iso(school.updated_at),
            "name": school.name,
            "type": "school",
            "identifier": school.uai,
            "parent": guid_ref("org", district),
            "children": [],
        }
        for school in schools
    )
    return records
