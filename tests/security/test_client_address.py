"""Client addresses come from X-Forwarded-For only when a configured trusted proxy sent it.

Guesses are throttled per address: a header believed from anyone would let a
caller take a new address at each request.
"""

from __future__ import annotations

from ipaddress import ip_network

import httpx
import pytest
from sqlalchemy import select

from api.settings import SettingsError, load_settings
from core.guess_counters import Key
from portals.common.client_address import forwarded_client
from portals.familles.app import create_familles_app
from tests.conftest import TEST_SECRET_KEY
from tests.portals.familles.family_steps import post_form
from tsdb.models import FamilyFailureCounter

PROXY = "10.0.0.5"


async def _counted_addresses(ts_sessionmaker, addresses: list[str]) -> dict[str, int]:
    hashes = {Key("familles-address", address).hash: address for address in addresses}
    async with ts_sessionmaker() as session:
        rows = await session.execute(
            select(FamilyFailureCounter.key_hash, FamilyFailureCounter.failures).where(
                FamilyFailureCounter.key_hash.in_(hashes)
            )
        )
        return {hashes[key]: failures for key, failures in rows}


async def _wrong_codes(settings, peer: str, forwarded: list[str]) -> None:
    app = create_familles_app(settings)
    try:
        transport = httpx.ASGITransport(app=app, client=(peer, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="https://familles") as client:
            for value in forwarded:
                client.headers["X-Forwarded-For"] = value
                answer = await post_form(
                    client,
                    "/creer-un-compte",
                    {"code": "ABCD-EFG-HJK-LMN", "naissance": "14/03/2015"},
                )
                assert answer.status_code in (200, 400), answer.text
    finally:
        await app.state.ts_engine.dispose()


def _with(settings, **env: str):
    return load_settings(
        {
            "SCONET_DATABASE_URL": settings.database_url,
            "SCONET_TS_DATABASE_URL": settings.ts_database_url,
            "SCONET_SECRET_KEY": TEST_SECRET_KEY,
            "SCONET_PUBLIC_URL": settings.public_url,
            **env,
        }
    )


async def test_by_default_a_changing_forwarded_header_keeps_the_peer_address(
    settings, ts_sessionmaker
):
    assert settings.trusted_proxies == ()
    spoofed = ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
    await _wrong_codes(settings, "127.0.0.1", spoofed)
    counted = await _counted_addresses(ts_sessionmaker, ["127.0.0.1", *spoofed])
    assert counted == {"127.0.0.1": 3}


async def test_behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client(
    settings, ts_sessionmaker
):
    trusting = _with(settings, SCONET_TRUSTED_PROXIES=f"{PROXY}, 192.168.0.0/16")
    # The client wrote the leftmost hop itself; our proxies appended the others.
    await _wrong_codes(
        trusting, PROXY, ["6.6.6.6, 198.51.100.7", "7.7.7.7, 198.51.100.7, 192.168.1.2"]
    )
    # An untrusted peer's header is ignored even when a proxy list is configured.
    await _wrong_codes(trusting, "198.51.100.99", ["198.51.100.7"])
    counted = await _counted_addresses(
        ts_sessionmaker, ["198.51.100.7", "198.51.100.99", "6.6.6.6", "7.7.7.7", PROXY]
    )
    assert counted == {"198.51.100.7": 2, "198.51.100.99": 1}


def test_forwarded_client_reads_from_the_right():
    proxies = (ip_network("10.0.0.0/8"),)
    assert forwarded_client("10.0.0.1", "1.1.1.1, 2.2.2.2, 10.0.0.9", proxies) == "2.2.2.2"
    assert forwarded_client("10.0.0.1", "10.0.0.3, 10.0.0.2", proxies) == "10.0.0.3"
    assert forwarded_client("10.0.0.1", "garbage, 2.2.2.2", proxies) == "2.2.2.2"
    assert forwarded_client("8.8.8.8", "2.2.2.2", proxies) == "8.8.8.8"


def test_a_malformed_proxy_list_names_the_variable(tmp_path):
    with pytest.raises(SettingsError, match="SCONET_TRUSTED_PROXIES"):
        load_settings({"SCONET_VAR_DIR": str(tmp_path), "SCONET_TRUSTED_PROXIES": "10.0.0.300"})


def test_serve_leaves_forwarded_headers_and_access_log_to_the_apps(monkeypatch, tmp_path):
    """uvicorn believes X-Forwarded-For from loopback by default, and its access log writes
    query strings whole: both apps are served without either (see portals.common.access_log)."""
    import uvicorn
    from click.testing import CliRunner

    from api import cli
    from api.cli import serving

    configs: list[uvicorn.Config] = []

    class Recorder:
        def __init__(self, config: uvicorn.Config) -> None:
            configs.append(config)

    monkeypatch.setattr(uvicorn, "Server", Recorder)
    monkeypatch.setattr(serving.asyncio, "run", lambda coroutine: coroutine.close())
    env = {"SCONET_VAR_DIR": str(tmp_path), "SCONET_SECRET_KEY": "k" * 40}
    result = CliRunner().invoke(cli.main, ["serve", "--no-worker"], env=env)
    assert result.exit_code == 0, result.output
    assert len(configs) == 2
    assert [config.proxy_headers for config in configs] == [False, False]
    assert [config.access_log for config in configs] == [False, False]
