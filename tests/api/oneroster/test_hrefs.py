"""GUIDRef hrefs are absolute URIs under the configured public address (SCONET_PUBLIC_URL),
never under the Host a caller sends; the domain's records keep their paths, untouched."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any
from urllib.parse import urlsplit

import pytest

from api.oneroster.hrefs import with_absolute_hrefs, with_path_hrefs
from api.oneroster.query import parse_query
from api.oneroster.routes import FIELDS
from tests.api.oneroster.roster import client_token

BASE = "/ims/oneroster/rostering/v1p2"
# Another address than the test client's (https://testserver), with a path: the service sits
# behind a proxy under /sconet.
PUBLIC = "https://roster.ac-creteil.example/sconet"
SCOPES = "roster.readonly roster-demographics.readonly"


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, public_url=PUBLIC)


def hrefs(value: Any) -> list[str]:
    if isinstance(value, list):
        return [h for item in value for h in hrefs(item)]
    if isinstance(value, dict):
        own = [value["href"]] if "href" in value else []
        return own + [h for item in value.values() for h in hrefs(item)]
    return []


def test_a_record_is_copied_with_absolute_hrefs_and_left_as_it_was():
    ref = {"href": f"{BASE}/orgs/o-1", "sourcedId": "o-1", "type": "org"}
    record = {
        "sourcedId": "c-1",
        "school": ref,
        "terms": [{"href": f"{BASE}/academicSessions/t-1", "sourcedId": "t-1", "type": "x"}],
        "metadata": {"href": "not a reference", "sourcedId": "kept"},
        "title": "6A",
    }
    before = copy.deepcopy(record)
    served = with_absolute_hrefs(record, "https://sconet.example")
    assert record == before  # the domain's record (shared by the endpoints) is unchanged
    assert served["school"] == {**ref, "href": f"https://sconet.example{BASE}/orgs/o-1"}
    assert served["terms"][0]["href"] == f"https://sconet.example{BASE}/academicSessions/t-1"
    assert served["metadata"] == record["metadata"] and served["title"] == "6A"
    assert served["school"] is not ref and served["terms"] is not record["terms"]


def test_an_href_filter_compares_the_domains_path():
    query = parse_query(
        {"filter": f"school.href='https://sconet.example{BASE}/orgs/o-1' AND title~'https://'"},
        FIELDS["classes"],
    )
    [[school, title]] = with_path_hrefs(query, "https://sconet.example").filter
    assert school.value == f"{BASE}/orgs/o-1"
    assert title.value == "https://"  # not an href: as written


async def test_hrefs_are_under_the_configured_address_whatever_the_host(rest, world, sessionmaker):
    token = await client_token(rest.http, world, sessionmaker, SCOPES)
    forged = {"Authorization": f"Bearer {token}", "Host": "attacker.example"}
    seen: list[str] = []
    for path in ("/classes", "/users", "/enrollments", "/orgs", "/academicSessions", "/courses"):
        response = await rest.http.get(f"{BASE}{path}", headers=forged)
        assert response.status_code == 200, (path, response.text)
        assert "attacker.example" not in response.text
        seen += hrefs(response.json())
    assert len(seen) > 20
    for href in seen:
        assert href.startswith(f"{PUBLIC}{BASE}/"), href
    # An href, its address taken off, reads the record it names.
    [one_class] = (await rest.get(token, "/classes", limit=1)).json()["classes"]
    school = one_class["school"]
    followed = await rest.http.get(
        urlsplit(school["href"]).path.removeprefix("/sconet"),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert followed.json()["org"]["sourcedId"] == school["sourcedId"]
    # A single record too; and a filter on an href matches what was sent.
    single = await rest.get(token, f"/classes/{one_class['sourcedId']}")
    assert single.json()["class"]["school"]["href"] == school["href"]
    filtered = await rest.get(token, "/classes", filter=f"school.href='{school['href']}'")
    assert one_class["sourcedId"] in {c["sourcedId"] for c in filtered.json()["classes"]}
    as_path = await rest.get(
        token,
        "/classes",
        filter=f"school.href='{urlsplit(school['href']).path.removeprefix('/sconet')}'",
    )
    assert as_path.headers["X-Total-Count"] == filtered.headers["X-Total-Count"]
