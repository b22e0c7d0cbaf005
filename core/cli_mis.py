"""``emitra mis check / rebuild / reports / verify``: the MIS figures and the vetted reports from a shell.

``check`` compares the pre-aggregated daily figures with a full recount from the requests (run it
from cron: exit 1 when they differ); ``rebuild`` replaces the daily table by a recount;
``reports`` lists the LSPs' MIS reports; ``verify`` recomputes the SHA-256 of every vetted report
(exit 1 naming any whose stored figures were altered). See docs/vetting.md.
"""

from __future__ import annotations

import json
import sys

import click

from emitra.core.cli_sla import _district_id  # --district CODE to an id, or a clear error
from emitra.core.text import count_en


@click.group("mis")
def mis() -> None:
    """MIS figures and the LSPs' vetted MIS reports (docs/vetting.md)."""


@mis.command("check")
@click.option("--district", "district_code", default=None, help="Only this district (its two-letter code).")
@click.option("--json", "as_json", is_flag=True, help="Print {\"ok\": ..., \"differences\": [...]}.")
def mis_check(district_code: str | None, as_json: bool) -> None:
    """Compare the daily figures with a full recount from the requests; exit 1 and list where they differ."""
    from emitra.core import mis as mis_core
    from emitra.core.cli import run
    from emitra.core.models import Counter

    async def go():
        differences = await mis_core.differences(await _district_id(district_code))
        codes = dict(await Counter.filter(id__in={d["counter_id"] for d in differences}).values_list("id", "code")) if differences else {}
        for d in differences:
            d["counter"] = codes.get(d["counter_id"], str(d["counter_id"]))
        return differences

    differences = run(go)
    if as_json:
        click.echo(json.dumps({"ok": not differences, "differences": differences}, indent=2))
    elif not differences:
        click.echo("the daily figures equal a full recount")
    else:
        click.echo(f"{count_en(len(differences), 'difference')} between the daily figures and a recount, or a month's figures "
                   "(YYYY-MM) and the sum of its days (`emitra mis rebuild` replaces both by the recount):")
        for d in differences:
            click.echo(f"  {d['business_date']} {d['counter']:<12} {d['service_code']:<32} stored {d['stored']}  recount {d['recount']}")
    if differences:
        sys.exit(1)


@mis.command("rebuild")
@click.option("--district", "district_code", default=None, help="Only this district (its two-letter code).")
def mis_rebuild(district_code: str | None) -> None:
    """Replace the daily figures by a recount from the requests (after a restore, or after `mis check` failed)."""
    from emitra.core import audit
    from emitra.core import mis as mis_core
    from emitra.core.cli import run

    async def go() -> int:
        district_id = await _district_id(district_code)
        rows = await mis_core.rebuild(district_id)
        await audit.record(audit.Actor(None, via="cli"), "mis.rebuild", district_id=district_id, detail={"rows": rows})
        return rows

    rows = run(go)
    click.echo(f"rebuilt the daily figures: {count_en(rows, 'row')}")


@mis.command("reports")
@click.option("--status", type=click.Choice(["submitted", "returned", "vetted"]), default=None, help="Only reports with this status.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per report.")
def mis_reports(status: str | None, as_json: bool) -> None:
    """The LSPs' MIS reports, latest period first: status, totals, and whether the SHA-256 matches."""
    from emitra.core import vetting
    from emitra.core.cli import run
    from emitra.core.models import LSP, District, MisReport

    async def go():
        query = MisReport.all() if status is None else MisReport.filter(status=status)
        reports = await query.order_by("-period_start", "-id")
        lsps = dict(await LSP.all().values_list("id", "name"))
        districts = dict(await District.all().values_list("id", "code"))
        return [{
            "id": r.id, "district": districts.get(r.district_id, ""), "lsp": lsps.get(r.lsp_id, ""),
            "period_start": r.period_start.isoformat(), "period_end": r.period_end.isoformat(), "status": r.status,
            "transactions": (r.figures or {}).get("totals", {}).get("transactions", 0),
            "citizen_total_paise": (r.figures or {}).get("totals", {}).get("citizen_total_paise", 0),
            "adjustments": len(r.adjustments or []), "sha256": r.sha256, "intact": vetting.verify(r),
            "remarks": r.remarks,
        } for r in reports]

    rows = run(go)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no MIS reports")
        return
    from emitra.core.money import format_paise

    for r in rows:
        flag = "" if r["intact"] else "  ALTERED"
        click.echo(f"#{r['id']:<5} {r['district']:<3} {r['period_start']}..{r['period_end']}  {r['status']:<9} "
                   f"{r['transactions']:>6} txn {format_paise(r['citizen_total_paise']):>14}  "
                   f"{r['adjustments']} adj  {r['sha256'][:12]}  {r['lsp']}{flag}")


@mis.command("verify")
def mis_verify() -> None:
    """Recompute the SHA-256 of every vetted report's stored figures; exit 1 naming any that do not match."""
    from emitra.core import vetting
    from emitra.core.cli import run
    from emitra.core.models import MisReport

    async def go():
        return await MisReport.filter(status=vetting.VETTED).count(), await vetting.verify_all()

    total, failed = run(go)
    if not failed:
        click.echo(f"{count_en(total, 'vetted report')}: every SHA-256 matches")
        return
    for r in failed:
        click.echo(f"report #{r.id} ({r.period_start}..{r.period_end}, LSP {r.lsp_id}): stored figures do NOT match "
                   f"their SHA-256 {r.sha256[:12]}", err=True)
    click.echo(f"{len(failed)} of {count_en(total, 'vetted report')} altered", err=True)
    sys.exit(1)


commands: list[click.Command] = [mis]
