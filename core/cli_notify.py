"""``emitra notify``: deliver the outbox (from cron) and read it, recipients masked."""

from __future__ import annotations

import json
from typing import Any

import click

from emitra.core import notify


@click.group("notify")
def notify_group() -> None:
    """The notifications outbox (docs/notifications.md)."""


@notify_group.command("deliver")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(1, 100_000),
              help="Offer at most this many queued messages in this run.")
def deliver(limit: int) -> None:
    """Offer queued messages to the transport plugins and print the counts (run it from cron)."""
    from emitra.core.cli import run

    counts = run(lambda: notify.deliver(limit))
    click.echo(f"sent {counts['sent']}, kept {counts['kept']}, retry {counts['retry']}, failed {counts['failed']}")


@notify_group.command("outbox")
@click.option("--status", type=click.Choice(notify.STATUSES), default=None, help="Only messages in this status.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000), help="The newest N messages.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (both bodies included).")
def outbox(status: str | None, limit: int, as_json: bool) -> None:
    """The newest messages in the outbox, newest first; recipients are masked."""
    from emitra.core.cli import run
    from emitra.core.models import Notification

    async def read() -> list[dict[str, Any]]:
        query = Notification.all()
        if status:
            query = query.filter(status=status)
        rows = await query.order_by("-id").limit(limit).prefetch_related("case")
        return [{
            "id": n.id, "created_at": n.created_at.isoformat() if n.created_at else None,
            "case": n.case.number if n.case else None, "event": n.event, "channel": n.channel,
            "recipient": notify.mask_recipient(n.recipient), "lang": n.lang, "status": n.status,
            "transport": n.transport, "attempts": n.attempts, "error": n.error,
            "subject": n.subject, "body_en": n.body_en, "body_hi": n.body_hi,
        } for n in rows]

    rows = run(read)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no messages" + (f" with status {status}" if status else ""))
        return
    for r in rows:
        click.echo(f"{r['id']:>6}  {(r['created_at'] or '')[:16]:<16}  {r['case'] or '-':<22} {r['event']:<14} "
                   f"{r['channel']:<5} {r['recipient']:<26} {r['status']:<6} {r['attempts']}")


commands: list[click.Command] = [notify_group]
