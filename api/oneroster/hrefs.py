"""Absolute GUIDRef hrefs: the 1.2 REST binding wants each reference's ``href`` to be a URI
(``https://…/ims/oneroster/rostering/v1p2/classes/{id}``), where the domain writes the path
alone (``/ims/oneroster/rostering/v1p2/classes/{id}``): the domain knows no address, and the
CSV binding, which has no hrefs, reads the same records.

The address is the service's configured public one, the OAuth issuer's (``SCONET_PUBLIC_URL``,
``issuer_of``): never the request's Host header, which the caller chooses, so that a forged
Host cannot plant its own links in what a client stores and follows.

A filter on an href (``class.href='https://…/classes/{id}'``) names what the client was sent:
its value loses the public address before it is compared with the domain's paths, so that the
absolute form and the bare path both match (sorting on an href is the same either way: every
href has the same address).

The domain's records may be shared (``Roster`` reads each collection once per request and
several endpoints hand out the same dicts): served records are copies, the domain's are never
written to.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.requests import Request

from api.endpoints.oauth import issuer_of
from api.oneroster.query import Clause, RosterQuery
from api.resolvers.oneroster.sourced_ids import BASE_PATH


def public_base(request: Request) -> str:
    """The address the service's paths hang from, without a trailing slash."""
    return issuer_of(request).rstrip("/")


def with_absolute_hrefs(value: Any, base: str) -> Any:
    """A copy of ``value`` (a record, or anything within one) whose GUIDRef hrefs are ``base``
    followed by the domain's path; everything else is copied as it is."""
    if isinstance(value, list):
        return [with_absolute_hrefs(item, base) for item in value]
    if not isinstance(value, dict):
        return value
    copy = {key: with_absolute_hrefs(item, base) for key, item in value.items()}
    href = copy.get("href")
    # Only the domain's own paths: a GUIDRef is {"href", "sourcedId", "type"}.
    if isinstance(href, str) and href.startswith(f"{BASE_PATH}/") and "sourcedId" in copy:
        copy["href"] = f"{base}{href}"
    return copy


def with_path_hrefs(query: RosterQuery, base: str) -> RosterQuery:
    """The query with each href filter's absolute value written as the domain's path."""
    prefix = f"{base}{BASE_PATH}/"

    def domain_clause(clause: Clause) -> Clause:
        if clause.path[-1] == "href" and clause.value.startswith(prefix):
            return replace(clause, value=clause.value[len(base) :])
        return clause

    return replace(
        query, filter=tuple(tuple(domain_clause(c) for c in group) for group in query.filter)
    )
