"""``emitra demo-month``: a realistic generated month on the demo database (docs/demo-month.md)."""

from __future__ import annotations

import datetime as dt
import json
import sys

import click


def _month(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a month; write it as YYYY-MM, for example 2026-10.", param_hint="--month") from None


@click.command("demo-month")
@click.option("--month", "month", default=None, metavar="YYYY-MM", help="The month to load; default: the last complete month.")
@click.option("--counters", default=12, show_default=True, type=int, help="Counters in Jaipur district (5 to 16); Ajmer has 3.")
@click.option("--per-day", "per_day", default=40, show_default=True, type=int, help="Transactions per counter on a working day.")
@click.option("--seed", default=7, show_default=True, type=int, help="The same seed gives the same month.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as a JSON object.")
def demo_month(month: str | None, counters: int, per_day: int, seed: int, as_json: bool) -> None:
    """Load the demo district with a realistic generated month: more counters and a second LSP, a
    second district (Ajmer), and every day's bills, recharges, applications, cheques, bus tickets,
    complaints and day ends, through the ordinary core. A dormant counter, a counter short at day
    end and one with overcharging complaints are planted for the watch lists. Needs `emitra demo`
    first; a month already loaded is not loaded again. Exit 1 unless the MIS figures equal a recount
    and the ledger is balanced."""
    from emitra.core import demo_month as dm
    from emitra.core.cli import run

    start = _month(month) or dm.default_month()
    days = len(dm.month_days(start))
    with click.progressbar(length=days, label=f"demo month {start:%Y-%m}", file=click.get_text_stream("stderr")) as bar:
        def progress(done: int, total: int) -> None:
            bar.update(done - bar.pos)

        try:
            result = run(lambda: dm.run(start, counters=counters, per_counter_day=per_day, seed=seed, progress=progress))
        except dm.DemoMonthError as exc:
            bar.render_finish()
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
    click.echo(json.dumps(result, ensure_ascii=False, indent=2, default=str) if as_json else dm.summary_text(result))
    if not result["ok"]:
        sys.exit(1)


commands: list[click.Command] = [demo_month]
