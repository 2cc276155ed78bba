"""A scripted OneRoster 1.2 client, as a vendor's would be: it pages through every collection
of the Rostering REST service into a store (a full sync), then asks each collection for what
changed since its last sync (``filter=dateLastModified>'...'``) and applies it, removing what
comes back ``tobedeleted``. Every response is checked against the specification's schemas:
what does not conform is kept in ``problems`` (the test asserts the sync, then those)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.oneroster.response_schemas import validator

BASE = "/ims/oneroster/rostering/v1p2"

# The collections a client keeps, with the key of their response and their component.
COLLECTIONS: dict[str, tuple[str, str]] = {
    "orgs": ("orgs", "OrgSetDType"),
    "academicSessions": ("academicSessions", "AcademicSessionSetDType"),
    "courses": ("courses", "CourseSetDType"),
    "classes": ("classes", "ClassSetDType"),
    "users": ("users", "UserSetDType"),
    "enrollments": ("enrollments", "EnrollmentSetDType"),
    "demographics": ("demographics", "DemographicsSetDType"),
}

Store = dict[str, dict[str, dict[str, Any]]]


class SyncClient:
    def __init__(self, http: httpx.AsyncClient, token: str, *, page_size: int = 3) -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {token}"}
        # Small pages on purpose: a sync of the test school crosses several of them.
        self.page_size = page_size
        self.requests = 0
        self.problems: set[str] = set()

    async def get(self, path: str, component: str, **params: Any) -> httpx.Response:
        response = await self.http.get(f"{BASE}{path}", params=params, headers=self.headers)
        self.requests += 1
        assert response.status_code == 200, (path, params, response.text)
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        for error in validator(component).iter_errors(body):
            path = list(error.absolute_path)
            where = "/".join(str(part) for part in path) or "(root)"
            # A record sent tobedeleted is told apart: it carries its last known state, rebuilt
            # apart from the live records.
            if len(path) >= 2 and body[path[0]][path[1]].get("status") == "tobedeleted":
                where = f"tobedeleted {where}"
            self.problems.add(f"{component} {where}: {error.message}")
        return response

    async def pages(self, collection: str, **params: Any) -> list[dict[str, Any]]:
        """Every record of a collection, page by page (``limit``/``offset``), until the
        ``X-Total-Count`` the server announced is reached."""
        key, component = COLLECTIONS[collection]
        found: list[dict[str, Any]] = []
        offset = 0
        while True:
            response = await self.get(
                f"/{collection}", component, limit=self.page_size, offset=offset, **params
            )
            page = response.json()[key]
            total = int(response.headers["x-total-count"])
            found.extend(page)
            offset += self.page_size
            if offset >= total:
                assert len(found) == total, (collection, len(found), total)
                return found
            assert len(page) == self.page_size, (collection, offset, len(page))

    async def full_sync(self, collections: tuple[str, ...] = tuple(COLLECTIONS)) -> Store:
        store: Store = {}
        for collection in collections:
            records = await self.pages(collection)
            ids = [record["sourcedId"] for record in records]
            assert len(ids) == len(set(ids)), f"{collection}: a sourcedId on two pages"
            store[collection] = {
                record["sourcedId"]: record for record in records if record["status"] == "active"
            }
        return store

    async def incremental_sync(self, store: Store, since: str) -> dict[str, int]:
        """Applies what changed after ``since`` (ISO 8601); how many records came back."""
        changed: dict[str, int] = {}
        for collection, table in store.items():
            records = await self.pages(collection, filter=f"dateLastModified>'{since}'")
            for record in records:
                assert record["dateLastModified"] > since, (collection, record, since)
                if record["status"] == "tobedeleted":
                    table.pop(record["sourcedId"], None)
                else:
                    table[record["sourcedId"]] = record
            changed[collection] = len(records)
        return changed
