"""CLI commands for applications, grievances, certificates, notifications and dispatch.

Each area adds its commands to ``cases_commands`` (a list of click commands or groups), which
core/cli.py adds to ``emitra``.
"""

from __future__ import annotations

import click

cases_commands: list[click.Command] = []
