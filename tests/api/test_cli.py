"""The ``sconet`` command, run as an administrator would, against real databases."""

from __future__ import annotations

import asyncio

from click.testing import CliRunner
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from api.auth.identities import authenticate
from api.cli import main
from databases.engines import make_engine, make_sessionmaker
from db.absences import GenericMotive, HolidayPeriod
from db.accounts import RoleGrant, StaffUser


def environment(urls, tmp_path) -> dict[str, str]:
    return {
        "SCONET_DATABASE_URL": urls.admin,
        "SCONET_TS_DATABASE_URL": urls.teleservices,
        "SCONET_SECRET_KEY": "cli-test-secret-key-cli-test-secret-key",
        "SCONET_VAR_DIR": str(tmp_path),
        "SCONET_PUBLIC_URL": "https://sconet.example",
    }


DURAND = ["create-user", "--login", "mme.durand", "--name", "Mme Durand", "--role", "cpe"]
PASSWORD = ["--password", "un-mot-de-passe-long"]


def run(env: dict[str, str], *args: str):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def query(url: str, work):
    async def go():
        engine = make_engine(url)
        try:
            return await work(make_sessionmaker(engine), engine)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def test_migrate_creates_both_schemas(unmigrated_database_urls, tmp_path):
    result = run(environment(unmigrated_database_urls, tmp_path), "migrate")
    assert result.exit_code == 0, result.output
    assert "Bases à jour" in result.output

    async def tables(_sessionmaker, engine):
        async with engine.connect() as conn:
            return await conn.run_sync(lambda sync: set(sa_inspect(sync).get_table_names()))

    assert {"students", "guardians", "enrollments", "audit_entries"} <= query(
        unmigrated_database_urls.admin, tables
    )
    assert "replication_runs" in query(unmigrated_database_urls.teleservices, tables)

    async def references(sessionmaker, _engine):
        async with sessionmaker() as session:
            motives = (await session.scalars(select(GenericMotive.code))).all()
            zones = (await session.scalars(select(HolidayPeriod.zone).distinct())).all()
            return set(motives), set(zones)

    motives, zones = query(unmigrated_database_urls.admin, references)
    assert {"MAL", "NVA"} <= motives and zones == {"A", "B", "C"}
    # Migrating again changes nothing and loads no duplicate.
    assert run(environment(unmigrated_database_urls, tmp_path), "migrate").exit_code == 0
    assert query(unmigrated_database_urls.admin, references) == (motives, zones)


def test_malformed_setting_stops_with_its_name(database_urls, tmp_path):
    env = environment(database_urls, tmp_path) | {"SCONET_DATABASE_URL": "mysql://x@y/z"}
    result = CliRunner().invoke(main, ["migrate"], env=env)
    assert result.exit_code != 0
    assert "SCONET_DATABASE_URL" in result.output


def test_demo_loads_once_and_prints_accounts(database_urls, tmp_path):
    env = environment(database_urls, tmp_path)
    result = run(env, "demo", "--scale", "1")
    assert result.exit_code == 0, result.output
    assert "demo.principal" in result.output and "demo-sconet-2026" in result.output
    again = run(env, "demo", "--scale", "1", "--if-empty")
    assert again.exit_code == 0 and "non rechargées" in again.output
    refused = CliRunner().invoke(main, ["demo", "--scale", "1"], env=env)
    assert refused.exit_code == 1 and "base vide" in refused.output


def test_create_user_validates_and_creates(database_urls, demo, tmp_path):
    env = environment(database_urls, tmp_path)

    async def first_uai(sessionmaker, _engine):
        from db.schools import School

        async with sessionmaker() as session:
            return await session.scalar(select(School.uai).order_by(School.id))

    uai = query(database_urls.admin, first_uai)
    bad = CliRunner().invoke(
        main,
        ["create-user", "--login", "A", "--name", "X", "--role", "cpe", "--password", "court"],
        env=env,
    )
    assert bad.exit_code == 1
    assert "login" in bad.output and "password" in bad.output and "school" in bad.output
    unknown = CliRunner().invoke(
        main,
        [*DURAND, "--school", "0752387M", *PASSWORD],
        env=env,
    )
    assert unknown.exit_code == 1 and "0752387M" in unknown.output
    ok = run(
        env,
        "create-user",
        "--login",
        "Mme.Durand",
        "--name",
        "Mme Durand",
        "--role",
        "cpe",
        "--school",
        uai,
        "--password",
        "un-mot-de-passe-long",
    )
    assert ok.exit_code == 0, ok.output

    async def check(sessionmaker, _engine):
        async with sessionmaker() as session, session.begin():
            user = await authenticate(session, "mme.durand", "un-mot-de-passe-long")
            grant = await session.scalar(select(RoleGrant).where(RoleGrant.user_id == user.id))
            duplicate_login = await session.scalar(
                select(StaffUser.id).where(StaffUser.login == "mme.durand")
            )
            return user is not None, grant.role.value, duplicate_login is not None

    assert query(database_urls.admin, check) == (True, "cpe", True)
    again = CliRunner().invoke(
        main,
        [*DURAND, "--school", uai, *PASSWORD],
        env=env,
    )
    assert again.exit_code == 1 and "déjà utilisé" in again.output


def test_clients_are_registered_listed_and_revoked(database_urls, demo, tmp_path):
    env = environment(database_urls, tmp_path)

    async def first_uai(sessionmaker, _engine):
        from db.schools import School

        async with sessionmaker() as session:
            return await session.scalar(select(School.uai).order_by(School.id))

    uai = query(database_urls.admin, first_uai)
    bad = CliRunner().invoke(
        main, ["client", "register", "--name", "ENT", "--school", uai, "--scope", "tout"], env=env
    )
    assert bad.exit_code == 1 and "scopes" in bad.output and "tout" in bad.output
    done = run(
        env,
        "client",
        "register",
        "--name",
        "ENT du 93",
        "--school",
        uai,
        "--scope",
        "students:read",
        "--scope",
        "structures:read",
    )
    assert done.exit_code == 0, done.output
    secret = next(
        line.split(":", 1)[1].strip()
        for line in done.output.splitlines()
        if line.startswith("client_secret")
    )
    assert len(secret) >= 40
    listed = run(env, "client", "list")
    assert "ENT du 93" in listed.output and "actif" in listed.output and secret not in listed.output
    number = listed.output.split("\t", 1)[0]
    assert "révoqué" in run(env, "client", "revoke", number).output
    assert "révoqué" in run(env, "client", "list").output


def test_second_factor_policy_and_reset(database_urls, demo, tmp_path):
    env = environment(database_urls, tmp_path)
    assert "facultative" in run(env, "second-factor").output
    assert "exigée" in run(env, "second-factor", "--required").output
    assert "exigée" in run(env, "second-factor").output
    assert "réinitialisée" in run(env, "user", "reset-second-factor", "demo.cpe").output
    unknown = CliRunner().invoke(main, ["user", "reset-second-factor", "personne"], env=env)
    assert unknown.exit_code == 1 and "Aucun compte" in unknown.output


def test_commands_stop_with_the_domain_message(database_urls, tmp_path):
    """Every command reaches the databases through api.cli.runner: before any académie, and
    for an id the domain does not know, the command ends with a message, not a traceback."""
    env = environment(database_urls, tmp_path)
    empty = CliRunner().invoke(main, ["client", "list"], env=env)
    assert empty.exit_code == 1 and "Aucune académie dans la base." in empty.output
    assert run(env, "demo", "--scale", "1").exit_code == 0
    unknown = CliRunner().invoke(main, ["client", "revoke", "999999"], env=env)
    assert unknown.exit_code == 1 and "introuvable" in unknown.output
    assert unknown.exception is None or isinstance(unknown.exception, SystemExit)
