"""CLI commands for applications, grievances, certificates, notifications and dispatch.

Each area keeps its commands in its own module (``commands``, a list of click commands or
groups); core/cli.py adds them all to ``emitra``.
"""

from __future__ import annotations

import click

from emitra.core import cli_audit, cli_book, cli_demo_month, cli_dispatch, cli_mis, cli_notify, cli_officers, cli_sla

cases_commands: list[click.Command] = [*cli_sla.commands, *cli_book.commands, *cli_notify.commands, *cli_mis.commands, *cli_demo_month.commands, *cli_audit.commands,
                                      *cli_officers.commands, *cli_dispatch.commands]
