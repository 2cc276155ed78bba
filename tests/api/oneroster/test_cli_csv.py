"""``sconet oneroster csv``: a school's bundle written to a file, bulk or delta, the same
records as the REST service's for the school's principal."""

from __future__ import annotations

import os
from pathlib import Path

from tests.api.oneroster.csv_files import Bundle
from tests.api.test_cli_transfers import _sconet
from tests.world import World, uai

SCHOOL = uai("0930001")


async def test_a_bulk_then_a_delta_into_files(database_urls, world: World, tmp_path: Path):
    target = tmp_path / "school.zip"
    bulk = await _sconet(
        database_urls, tmp_path, "oneroster", "csv", "--school", SCHOOL, "--output", str(target)
    )
    assert bulk.exit_code == 0, bulk.output
    assert f"OneRoster bulk écrit dans {target}" in bulk.output
    made = Bundle(target.read_bytes())
    assert made.mode("users") == "bulk" and made.mode("demographics") == "absent"
    assert made.manifest["source.systemCode"] == SCHOOL
    schools = [row for row in made.tables["orgs"].values() if row["type"] == "school"]
    assert [row["identifier"] for row in schools] == [SCHOOL]
    assert {row["role"] for row in made.tables["roles"].values()} >= {"student", "teacher"}
    assert sorted(os.listdir(tmp_path)).count("school.zip") == 1
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".oneroster-")]

    with_demographics = await _sconet(
        database_urls, tmp_path, "oneroster", "csv", "--school", SCHOOL, "--demographics",
        "--output", str(target),
    )  # fmt: skip
    assert with_demographics.exit_code == 0, with_demographics.output
    assert Bundle(target.read_bytes()).mode("demographics") == "bulk"

    delta = await _sconet(
        database_urls, tmp_path, "oneroster", "csv", "--school", SCHOOL,
        "--since", "2000-01-01T00:00:00Z", "--output", str(tmp_path / "delta.zip"),
    )  # fmt: skip
    assert delta.exit_code == 0, delta.output
    changes = Bundle((tmp_path / "delta.zip").read_bytes())
    assert changes.mode("users") == "delta"
    # Everything is new since 2000, and those who left since are there too, tobedeleted.
    users = changes.tables["users"]
    assert {key for key, row in users.items() if row["status"] == "active"} == set(
        made.tables["users"]
    )
    assert {row["status"] for row in users.values()} <= {"active", "tobedeleted"}


async def test_a_moment_without_its_time_zone_is_refused(database_urls, world, tmp_path: Path):
    target = tmp_path / "delta.zip"
    refused = await _sconet(
        database_urls, tmp_path, "oneroster", "csv", "--school", SCHOOL,
        "--since", "2026-12-01 08:00", "--output", str(target),
    )  # fmt: skip
    assert refused.exit_code == 2
    assert "--since" in refused.output and "fuseau" in refused.output
    assert not target.exists()
