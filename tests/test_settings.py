"""Settings: the embedded default, and a clear error naming the variable for any bad value."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from api.settings import Settings, SettingsError, load_settings

PG = "postgresql+asyncpg://sconet@db.example/sconet"
PG_TS = "postgresql+asyncpg://sconet_ts@db.example/sconet_ts"
KEY = "k" * 40
PUBLIC = "https://sconet.example"


def settings(tmp_path: Path, **env: str) -> Settings:
    return load_settings({"SCONET_VAR_DIR": str(tmp_path), **env})


def test_defaults_are_two_sqlite_files_under_the_var_dir(tmp_path: Path) -> None:
    loaded = settings(tmp_path)
    assert loaded.database_url == f"sqlite+aiosqlite:///{tmp_path / 'sconet.sqlite3'}"
    assert loaded.ts_database_url == f"sqlite+aiosqlite:///{tmp_path / 'teleservices.sqlite3'}"
    assert loaded.embedded
    assert (loaded.host, loaded.port, loaded.familles_port) == ("127.0.0.1", 8000, 8001)
    assert loaded.session_idle_minutes == 30
    assert loaded.session_absolute_hours == 10
    assert loaded.cookie_secure is False


def test_embedded_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = settings(tmp_path).secret_key
    assert len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert settings(tmp_path).secret_key == first


def test_postgresql_configuration(tmp_path: Path) -> None:
    loaded = settings(
        tmp_path,
        SCONET_DATABASE_URL=PG,
        SCONET_TS_DATABASE_URL=PG_TS,
        SCONET_SECRET_KEY=KEY,
        SCONET_PUBLIC_URL=PUBLIC + "/",
        SCONET_PORT="9000",
        SCONET_COOKIE_SECURE="non",
    )
    assert (loaded.database_url, loaded.ts_database_url) == (PG, PG_TS)
    assert not loaded.embedded
    assert loaded.secret_key == KEY
    assert loaded.port == 9000
    assert loaded.cookie_secure is False
    assert loaded.public_url == PUBLIC
    assert not (tmp_path / "secret_key").exists()


def test_cookies_are_secure_by_default_on_postgresql(tmp_path: Path) -> None:
    loaded = settings(
        tmp_path,
        SCONET_DATABASE_URL=PG,
        SCONET_TS_DATABASE_URL=PG_TS,
        SCONET_SECRET_KEY=KEY,
        SCONET_PUBLIC_URL=PUBLIC,
    )
    assert loaded.cookie_secure is True


@pytest.mark.parametrize(
    "raw",
    [
        "postgres://sconet:secret@db.example:5433/sconet",
        "postgresql://sconet:secret@db.example:5433/sconet",
        "postgresql+psycopg2://sconet:secret@db.example:5433/sconet",
    ],
)
def test_postgres_urls_are_normalised_to_asyncpg(tmp_path: Path, raw: str) -> None:
    loaded = settings(
        tmp_path,
        SCONET_DATABASE_URL=raw,
        SCONET_TS_DATABASE_URL=PG_TS,
        SCONET_SECRET_KEY=KEY,
        SCONET_PUBLIC_URL=PUBLIC,
    )
    # The password is kept: the engine needs it.
    assert loaded.database_url == "postgresql+asyncpg://sconet:secret@db.example:5433/sconet"


def test_production_refuses_to_serve_without_its_public_address(tmp_path: Path) -> None:
    """The OAuth issuer may never come from a request's Host header, which the caller chooses.

    Commands that serve nothing (migrate, replicate) run without it.
    """
    from click.testing import CliRunner

    from api import cli
    from api.app import create_app

    env = {
        "SCONET_VAR_DIR": str(tmp_path),
        "SCONET_DATABASE_URL": PG,
        "SCONET_TS_DATABASE_URL": PG_TS,
        "SCONET_SECRET_KEY": KEY,
    }
    loaded = settings(tmp_path, **{k: v for k, v in env.items() if k != "SCONET_VAR_DIR"})
    with pytest.raises(SettingsError, match="SCONET_PUBLIC_URL est obligatoire"):
        loaded.api_issuer()
    with pytest.raises(SettingsError, match="SCONET_PUBLIC_URL est obligatoire"):
        create_app(loaded)
    result = CliRunner().invoke(cli.main, ["serve"], env=env)
    assert result.exit_code == 1
    assert "SCONET_PUBLIC_URL est obligatoire" in result.output


def test_the_embedded_default_names_its_own_listening_address(tmp_path: Path) -> None:
    assert settings(tmp_path).public_url == "http://127.0.0.1:8000"
    on_every_interface = settings(tmp_path, SCONET_HOST="0.0.0.0", SCONET_PORT="9000")
    assert on_every_interface.public_url == "http://127.0.0.1:9000"
    assert settings(tmp_path, SCONET_PUBLIC_URL=PUBLIC).public_url == PUBLIC


def test_plain_sqlite_urls_get_the_async_driver(tmp_path: Path) -> None:
    loaded = settings(tmp_path, SCONET_DATABASE_URL=f"sqlite:///{tmp_path / 'a.sqlite3'}")
    assert loaded.database_url == f"sqlite+aiosqlite:///{tmp_path / 'a.sqlite3'}"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"SCONET_DATABASE_URL": "not a url"}, "SCONET_DATABASE_URL"),
        ({"SCONET_TS_DATABASE_URL": "::::"}, "SCONET_TS_DATABASE_URL"),
        ({"SCONET_DATABASE_URL": "mysql+aiomysql://u@h/sconet"}, "SCONET_DATABASE_URL"),
        ({"SCONET_TS_DATABASE_URL": "oracle://u@h/ts"}, "SCONET_TS_DATABASE_URL"),
        ({"SCONET_PORT": "huit-mille"}, "SCONET_PORT"),
        ({"SCONET_PORT": "0"}, "SCONET_PORT"),
        ({"SCONET_PORT": "70000"}, "SCONET_PORT"),
        ({"SCONET_FAMILLES_PORT": "8001.5"}, "SCONET_FAMILLES_PORT"),
        ({"SCONET_SESSION_IDLE_MINUTES": "100000"}, "SCONET_SESSION_IDLE_MINUTES"),
        ({"SCONET_SESSION_IDLE_MINUTES": "-1"}, "SCONET_SESSION_IDLE_MINUTES"),
        ({"SCONET_COOKIE_SECURE": "peut-être"}, "SCONET_COOKIE_SECURE"),
        ({"SCONET_SECRET_KEY": "trop-courte"}, "SCONET_SECRET_KEY"),
        (
            {"SCONET_DATABASE_URL": PG, "SCONET_TS_DATABASE_URL": PG},
            "SCONET_TS_DATABASE_URL",
        ),
        (
            {"SCONET_DATABASE_URL": PG, "SCONET_TS_DATABASE_URL": PG_TS},
            "SCONET_SECRET_KEY",
        ),
        (
            {
                "SCONET_DATABASE_URL": PG,
                "SCONET_TS_DATABASE_URL": PG_TS,
                "SCONET_SECRET_KEY": "x" * 31,
            },
            "SCONET_SECRET_KEY",
        ),
    ],
)
def test_bad_values_name_the_variable(tmp_path: Path, env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        settings(tmp_path, **env)


def test_same_default_file_for_both_databases_is_refused(tmp_path: Path) -> None:
    same = f"sqlite+aiosqlite:///{tmp_path / 'one.sqlite3'}"
    with pytest.raises(SettingsError, match="SCONET_TS_DATABASE_URL"):
        settings(tmp_path, SCONET_DATABASE_URL=same, SCONET_TS_DATABASE_URL=same)


def test_reads_the_process_environment_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [name for name in os.environ if name.startswith("SCONET_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SCONET_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("SCONET_PORT", "8123")
    assert load_settings().port == 8123
    monkeypatch.setenv("SCONET_PORT", "abc")
    with pytest.raises(SettingsError, match="SCONET_PORT"):
        load_settings()
