"""The `renkei` command: one module per command group, gathered here."""

from __future__ import annotations

import click

from server import __version__
from server.cli import accounts, clients, customers, demo, keys, locks, oplog, retention, serve, staff
from server.cli import client_admin, config_check, migrate_status  # noqa: F401  (client_admin adds to `clients`)
from server.cli import simulate as simulate_cli
from server.db.reach import DatabaseUnreachable


class _Renkei(click.Group):
    """Every command: PostgreSQL out of reach is one line and exit 1, never a traceback."""

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except DatabaseUnreachable as error:
            raise click.ClickException(str(error)) from None


@click.group(cls=_Renkei, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="renkei", message="%(prog)s %(version)s")
def main() -> None:
    """Renkei, the bank's API連携認証 server.

    Configuration comes from config/renkei.toml (or the file RENKEI_CONFIG
    names) and environment variables; see the README.
    """


main.add_command(serve.serve)
main.add_command(migrate_status.migrate_group)
main.add_command(simulate_cli.simulate_call_command)
main.add_command(demo.seed_demo)
main.add_command(customers.customers)
main.add_command(clients.clients_group)
main.add_command(staff.staff_group)
main.add_command(locks.locks_group)
main.add_command(accounts.accounts_group)
main.add_command(keys.keys_group)
main.add_command(retention.retention_group)
main.add_command(oplog.oplog_group)
main.add_command(config_check.config_group)
