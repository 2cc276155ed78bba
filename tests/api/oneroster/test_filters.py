"""The query grammar: filter (field, operator, quoted value, AND / OR), sort, fields, limits."""

from __future__ import annotations

import pytest

from api.oneroster.errors import RosterRequestError
from api.oneroster.query import matches, parse_filter, parse_query, since_of
from tests.api.oneroster.roster import client_token

KNOWN = frozenset({"sourcedId", "status", "givenName", "familyName", "roles", "dateLastModified"})
LINA = {
    "sourcedId": "a",
    "status": "active",
    "givenName": "Lina",
    "familyName": "Martin",
    "dateLastModified": "2026-12-02T09:00:00.250Z",
    "roles": [{"role": "student", "org": {"sourcedId": "s1"}}],
}


def holds(text: str, record=LINA) -> bool:
    return matches(record, parse_filter(text, KNOWN))


def test_operators():
    assert holds("givenName='Lina'")
    assert not holds("givenName='lina'")
    assert holds("givenName!='Noah'") and not holds("givenName!='Lina'")
    assert holds("givenName~'IN'")  # contains, ignoring case
    assert holds("familyName>'Martel'") and holds("familyName>='Martin'")
    assert holds("familyName<'Moreau'") and holds("familyName<='Martin'")
    assert not holds("familyName<'Martin'")
    # Instants compare as instants, whatever their writing.
    assert holds("dateLastModified>'2026-12-02T09:00:00Z'")
    assert holds("dateLastModified<'2026-12-02T10:00:00+01:00'") is False
    assert holds("dateLastModified>='2026-12-02'")


def test_and_or_and_quoted_values():
    assert holds("givenName='Lina' AND familyName='Martin'")
    assert not holds("givenName='Lina' AND familyName='Bernard'")
    assert holds("givenName='Noah' OR familyName='Martin'")
    # AND binds tighter than OR.
    assert holds("givenName='Noah' AND familyName='Martin' OR givenName='Lina'")
    assert not holds("givenName='Noah' AND familyName='Martin' or givenName='Jade'")
    spaced = {**LINA, "familyName": "De La Tour AND OR"}
    assert holds("familyName='De La Tour AND OR'", spaced)
    assert holds("familyName = 'De La Tour AND OR' and givenName = 'Lina'", spaced)


def test_sub_fields_of_lists_and_references():
    assert holds("roles.role='student'")
    assert not holds("roles.role='teacher'")
    assert holds("roles.org.sourcedId='s1'")
    assert holds("roles.role!='teacher'")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("INE='1234567890A'", "unknown field INE"),
        ("givenName='Lina' AND birthPlace='Paris'", "unknown field birthPlace"),
        ("givenName=Lina", "expected field operator 'value' at character 1"),
        ("givenName=='Lina'", "expected field operator 'value'"),
        ("givenName='Lina' XOR familyName='Martin'", "expected AND or OR"),
        ("givenName='Lina' AND", "expected field operator 'value'"),
        ("givenName='" + "x" * 1000 + "'", "longer than 1000"),
        (" AND ".join(["givenName='x'"] * 11), "at most 10 clauses"),
    ],
)
def test_bad_filters_name_the_problem(text, message):
    with pytest.raises(RosterRequestError) as refused:
        parse_filter(text, KNOWN)
    assert refused.value.status == 400 and refused.value.code_minor == "invalid_filter_field"
    assert message in refused.value.description


def test_limits_sort_and_fields():
    query = parse_query(
        {
            "limit": "5",
            "offset": "10",
            "sort": "givenName",
            "orderBy": "desc",
            "fields": "sourcedId, givenName",
        },
        KNOWN,
    )
    assert (query.limit, query.offset, query.sort, query.descending) == (5, 10, "givenName", True)
    assert query.fields == ("sourcedId", "givenName")
    assert parse_query({}, KNOWN).limit == 100
    for params, code in (
        ({"limit": "0"}, "invaliddata"),
        ({"limit": "1001"}, "invaliddata"),
        ({"offset": "-1"}, "invaliddata"),
        ({"limit": "１０"}, "invaliddata"),
        ({"sort": "INE"}, "invaliddata"),
        ({"orderBy": "sideways"}, "invaliddata"),
        ({"fields": "sourcedId,INE"}, "invalid_selection_field"),
    ):
        with pytest.raises(RosterRequestError) as refused:
            parse_query(params, KNOWN)
        assert refused.value.code_minor == code, params


def test_a_delta_starts_at_the_date_last_modified_clause():
    assert since_of(parse_filter("givenName='Lina'", KNOWN)) is None
    since = since_of(parse_filter("dateLastModified>'2026-12-01T00:00:00Z'", KNOWN))
    assert since is not None and since.isoformat() == "2026-12-01T00:00:00+00:00"
    with_and = since_of(parse_filter("status='active' AND dateLastModified>='2026-12-01'", KNOWN))
    assert with_and is not None and with_and.isoformat() == "2026-11-30T23:59:59.999999+00:00"
    # Alternatives (OR) cannot say what left: the active records only.
    assert since_of(parse_filter("dateLastModified>'2026-12-01' OR givenName='x'", KNOWN)) is None
    with pytest.raises(RosterRequestError):
        since_of(parse_filter("dateLastModified>'yesterday'", KNOWN))


async def test_over_http(rest, world, sessionmaker):
    token = await client_token(rest.http, world, sessionmaker, "roster.readonly")

    async def names(**params):
        response = await rest.get(token, "/users", **params)
        assert response.status_code == 200, response.text
        return [u.get("givenName") for u in response.json()["users"]]

    assert sorted(await names(filter="familyName='Martin'")) == ["Claire", "Lina", "Noah", "Paul"]
    assert await names(filter="roles.role='parent' AND givenName~'a'", sort="givenName") == [
        "Claire",
        "Paul",
    ]
    assert await names(
        filter="givenName='Lina' OR givenName='Noah'", sort="givenName", orderBy="desc"
    ) == ["Noah", "Lina"]
    assert sorted(await names(filter="roles.role!='student'")) == [
        "Claire",
        "Paul",
        "Sophie",
        "Teacher",
    ]
    # The binding's booleans are the strings "true" and "false", and filter as such.
    assert len(await names(filter="enabledUser='true'")) == 7
    assert await names(filter="enabledUser='false'") == []
    enrollments = await rest.get(token, "/enrollments", filter="primary='true'")
    assert {e["role"] for e in enrollments.json()["enrollments"]} == {"teacher"}
    assert {e["primary"] for e in enrollments.json()["enrollments"]} == {"true"}
    selected = await rest.get(
        token, "/users", filter="givenName='Lina'", fields="sourcedId,givenName"
    )
    [lina] = selected.json()["users"]
    assert set(lina) == {"sourcedId", "givenName"}
    assert selected.headers["X-Total-Count"] == "1"
    bad = await rest.get(token, "/users", filter="INE='1234567890A'")
    assert bad.status_code == 400
    status = bad.json()
    assert status["imsx_description"] == "filter: unknown field INE"
    assert (
        status["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]
        == "invalid_filter_field"
    )
    bad_fields = await rest.get(token, "/classes", fields="title,teacherNotes")
    assert bad_fields.status_code == 400
    assert "teacherNotes" in bad_fields.json()["imsx_description"]
    too_many = await rest.get(token, "/users", limit="5000")
    assert too_many.status_code == 400
