"""The ``sconet`` command: one module per command group, each running domain functions
through ``api.cli.runner``."""

from __future__ import annotations

import click

from api.cli import (
    academy,
    accounts,
    clients,
    databases,
    documentation,
    exchanges,
    finances,
    headcounts,
    oneroster,
    outbox,
    passage,
    rentree,
    replication,
    scholarships,
    serving,
    transfers,
)


@click.group()
def main() -> None:
    """SCONET: Base élèves, absences and télé-services of an académie."""


for command in (
    databases.migrate,
    databases.demo,
    databases.database,
    serving.serve,
    academy.academy,
    academy.school,
    academy.year,
    academy.principal,
    accounts.create_user,
    accounts.user,
    accounts.second_factor_policy,
    clients.client,
    documentation.permissions_table,
    outbox.worker,
    outbox.mailbox,
    replication.replicate,
    rentree.rentree,
    exchanges.import_file,
    exchanges.export_file,
    passage.passage,
    headcounts.constat,
    transfers.transfer,
    finances.finances,
    scholarships.scholarships,
    oneroster.oneroster,
):
    main.add_command(command)
