"""``emitra audit verify``: walk the audit log's hash chain and name any entry edited or deleted.

Run it from cron (exit 1 when the chain is broken) and keep the printed head hash somewhere the
database's administrators cannot write (a mail to the Society's nodal officer, a printed register):
a later run whose chain does not pass through that hash means the log was rewritten. See
docs/operations.md and core/audit.py.
"""

from __future__ import annotations

import json
import sys

import click

from emitra.core.text import count_en


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log."""


@audit_group.command("verify")
@click.option("--json", "as_json", is_flag=True, help='Print {"intact": ..., "entries": ..., "head_hash": ..., "problems": [...]}.')
@click.option("--expect-head", default="", metavar="HASH",
              help="A head hash printed by an earlier run: fail unless the chain still passes through it.")
def audit_verify(as_json: bool, expect_head: str) -> None:
    """Recompute every entry's hash in order; exit 1 naming the entries edited or deleted."""
    from emitra.core import audit
    from emitra.core.cli import run
    from emitra.core.models import AuditLog

    async def go():
        result = await audit.verify()
        if expect_head and not await AuditLog.filter(hash=expect_head.strip().lower()).exists():
            result.problems.append(
                f"no entry carries the head hash {expect_head.strip()} recorded earlier: the log was rewritten or that entry deleted")
        return result

    result = run(go)
    if as_json:
        click.echo(json.dumps({"intact": result.intact, "entries": result.entries, "head_hash": result.head_hash,
                               "problems": result.problems}, indent=2))
    elif result.intact:
        click.echo(f"audit log intact: {result.entries} entries chained; head hash {result.head_hash or '(empty log)'}")
    else:
        click.echo(f"audit log BROKEN: {count_en(len(result.problems), 'problem')} in {count_en(result.entries, 'entry', 'entries')}", err=True)
        for problem in result.problems:
            click.echo(f"  {problem}", err=True)
    if not result.intact:
        sys.exit(1)


commands: list[click.Command] = [audit_group]
