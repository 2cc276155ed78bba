"""Request bodies are bounded: 413 with a clear message, before the body is read past the limit."""

from __future__ import annotations

import httpx

from portals.familles.app import create_familles_app

MEBIBYTE = 1024 * 1024
BIG = MEBIBYTE + 1024  # above the 1 MiB of every endpoint but /graphql


async def _chunks(total: int, size: int = 64 * 1024):
    sent = 0
    while sent < total:
        yield b"a" * min(size, total - sent)
        sent += size


async def test_a_declared_oversized_body_is_refused_unread(app, world):
    """100 MB announced to /api/session: refused without reading a single chunk."""
    reads = 0

    async def receive():
        nonlocal reads
        reads += 1
        # Bounded: an app that reads on gets a short body, never an endless one.
        return {"type": "http.request", "body": b"{" * 65536, "more_body": reads < 40}

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "https",
        "path": "/api/session",
        "raw_path": b"/api/session",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"content-length", str(100 * 1024 * 1024).encode()),
        ],
        "client": ("198.51.100.7", 4000),
        "server": ("testserver", 443),
        "state": {},
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 413
    assert reads == 0
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert b"taille maximale" in body


async def test_api_session_refuses_a_chunked_body_above_the_limit(gql):
    response = await gql.http.post(
        "/api/session", content=_chunks(BIG), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json() == {
        "error": "payload_too_large",
        "message": "La requête dépasse la taille maximale acceptée (1 Mo).",
    }


async def test_graphql_refuses_oversized_variables_in_its_error_shape(gql, world):
    token = await gql.token("principal_a")
    filler = "x" * (2 * MEBIBYTE + 1024)
    for chunked in (False, True):
        payload = (
            '{"query": "{ schools { uai } }", "variables": {"filler": "' + filler + '"}}'
        ).encode()
        response = await gql.http.post(
            "/graphql",
            content=_chunks_of(payload) if chunked else payload,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        assert response.status_code == 413, response.text[:200]
        (error,) = response.json()["errors"]
        assert error["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
        assert error["message"] == "La requête dépasse la taille maximale acceptée (2 Mo)."


async def _chunks_of(payload: bytes, size: int = 64 * 1024):
    for start in range(0, len(payload), size):
        yield payload[start : start + size]


async def test_portal_forms_refuse_an_oversized_body_with_a_french_page(app, settings, world):
    form = b"login=a&password=" + b"a" * BIG
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        staff = await http.post(
            "/connexion",
            content=_chunks_of(form),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "text/html",
            },
        )
    families_app = create_familles_app(settings)
    try:
        transport = httpx.ASGITransport(app=families_app)
        async with httpx.AsyncClient(transport=transport, base_url="https://familles") as http:
            families = await http.post(
                "/connexion",
                content=form,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": "text/html",
                },
            )
    finally:
        await families_app.state.ts_engine.dispose()
    for response in (staff, families):
        assert response.status_code == 413
        assert response.headers["content-type"].startswith("text/html")
        assert "Envoi trop volumineux" in response.text
        assert "taille maximale acceptée (1 Mo)" in response.text
