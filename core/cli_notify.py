"""``emitra notify``: deliver the outbox (from cron) and read it, recipients masked; print the SMS
templates to register on the operators' DLT platform (``sms-templates``, decision 165)."""

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


def _fields(template: notify.SmsTemplate, lang: str) -> str:
    """The fields of ``template`` in ``lang`` in the order their variables come: "title (2), number"."""
    import string

    names = [name for _, name, _, _ in string.Formatter().parse(template.text(lang)) if name and name not in notify.SMS_FIXED]
    return ", ".join(f"{name} ({template.spans[name]})" if template.spans[name] > 1 else name for name in names)


def _how(template: notify.SmsTemplate) -> str:
    """How the fields of ``template`` are shortened and which are said only when given."""
    said = [f"`{name}` " + ("cut or left out" if not keep else f"to {keep}") for name, keep in template.shorten]
    shortened = f"; shortened in this order: {', '.join(said)}" if said else ""
    optional = "".join(f"; `{{{name}}}` said only when given, as *{en.strip().format('…')}* / *{hi.strip().format('…')}*"
                       for name, (en, hi) in template.optional.items())
    return f"{template.parts} part{'s' if template.parts > 1 else ''}{shortened}{optional}"


def templates_markdown(url: str) -> str:
    """The SMS templates as docs/notifications.md lists them for the Society's staff: each as registered
    on the DLT platform (:func:`notify.dlt_text`, the tracking address ``url``), English then Hindi,
    and its variables in order (tests/test_sms_dlt.py checks the page says exactly this)."""
    out = []
    for key, template in notify.SMS_TEMPLATES.items():
        out.append(f"* `{key}` ({_how(template)}); variables in order, English: {_fields(template, 'en')}; "
                   f"Hindi: {_fields(template, 'hi')}:\n\n  ```text\n  {notify.dlt_text(key, 'en', url)}\n"
                   f"  {notify.dlt_text(key, 'hi', url)}\n  ```\n")
    return "\n".join(out)


def long_titles() -> list[tuple[str, str, int, int]]:
    """The installed services whose title an SMS naming it cuts: (code, language, characters, room), a
    title longer than the two DLT variables it is said in hold with its words (decision 165)."""
    from emitra.core.plugins import get_host

    host = get_host()
    room = {lang: min(t.room("title", lang) for t in notify.SMS_TEMPLATES.values() if "title" in t.spans)
            for lang in notify.MESSAGE_LANGS}
    found = {**host.all_declared, **host.registry.services}
    return sorted((code, lang, notify.dlt_size(title, lang), room[lang]) for code, service in found.items()
                  for lang, title in (("en", service.title_en), ("hi", service.title_hi or ""))
                  if notify.dlt_size(title, lang) > room[lang])


@notify_group.command("sms-templates")
@click.option("--lang", type=click.Choice(notify.MESSAGE_LANGS), default=None, help="Only the English or the Hindi texts.")
@click.option("--markdown", is_flag=True, help="As docs/notifications.md lists them, with the variables in order.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array: key, parts, code (OTP), en, hi, variables.")
def sms_templates(lang: str | None, markdown: bool, as_json: bool) -> None:
    """The SMS content templates to register on the operators' DLT platform, exactly: each value a
    {#var#} of at most 30 characters (two together for a title, a name or a reason), the tracking
    address of EMITRA_PUBLIC_URL written in (whitelist it as a static URL)."""
    url = notify.sms_url()
    if markdown:
        click.echo(templates_markdown(url))
        return
    rows = [{"key": key, "parts": t.parts, "code": t.event in notify.SECRET_EVENTS,
             "en": notify.dlt_text(key, "en", url), "hi": notify.dlt_text(key, "hi", url),
             "variables": {"en": notify.dlt_text(key, "en", url).count(notify.DLT_VAR),
                           "hi": notify.dlt_text(key, "hi", url).count(notify.DLT_VAR)}}
            for key, t in notify.SMS_TEMPLATES.items()]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        kind = " (OTP)" if row["code"] else ""
        for which in [lang] if lang else list(notify.MESSAGE_LANGS):
            click.echo(f"{row['key']} [{which}]{kind}\t{row[which]}")
    click.echo(f"URL to whitelist on the DLT platform (a static URL): {url}", err=True)
    if not url.startswith("https://"):
        click.echo("note: EMITRA_PUBLIC_URL is not the site's https:// address: set it before registering the templates",
                   err=True)
    for code, which, size, room in long_titles():
        click.echo(f"note: {code}'s {'Hindi' if which == 'hi' else 'English'} title is {size} characters, more than the {room} "
                   "its two DLT variables hold in an SMS: the SMS cuts it at a word's end (/track and the email say it whole)",
                   err=True)


commands: list[click.Command] = [notify_group]
