"""``emitra district add | list | set``, ``emitra lsp add | list``, ``emitra counter add``, ``emitra
user add``: the districts and their Societies, and each Society's network of LSPs, counters and
their people (core/onboarding.py)."""

from __future__ import annotations

import click

from emitra.core.cli_officers import _password, add_account_commands, run_as
from emitra.core.text import count_en, noun_en


AS = click.option("--as", "as_user", required=True, help="The Society admin's username (recorded in the audit log).")


@click.group("lsp")
def lsp() -> None:
    """Local Service Providers appointed by the district Society (docs/operations.md, "The network")."""


@lsp.command("add")
@click.option("--name", required=True, help="The LSP's registered name, e.g. 'Dhundhar Digital Services Pvt Ltd'.")
@click.option("--district", "district_code", required=True, help="The district's code, e.g. JP.")
@click.option("--mode", type=click.Choice(["postpaid", "prepaid"]), default="postpaid", show_default=True,
              help="postpaid: its counters deposit their cash at each day end; prepaid: they pay from a wallet.")
@AS
def lsp_add(name: str, district_code: str, mode: str, as_user: str) -> None:
    """Appoint an LSP in a district; prints its number (what `emitra counter add --lsp` takes)."""
    from emitra.core.onboarding import add_lsp

    made = run_as(add_lsp, as_user, name=name, district_code=district_code, mode=mode)
    click.echo(f"LSP {made.id}: {made.name} ({made.mode}) in {district_code.strip().upper()}")


@lsp.command("list")
def lsp_list() -> None:
    """The LSPs: number, district, mode, how many counters, name."""
    from emitra.core.cli import run
    from emitra.core.models import LSP, Counter

    async def go():
        for item in await LSP.all().select_related("district").order_by("district_id", "id"):
            n = await Counter.filter(lsp_id=item.id).count()
            state = "" if item.active else "  (inactive)"
            click.echo(f"{item.id:>4}  {item.district.code}  {item.mode:<8} {n:>3} {noun_en(n, 'counter'):<8}  {item.name}{state}")

    run(go)


@click.command("add")
@click.argument("code")
@click.option("--name", required=True, help="The counter's name, e.g. 'JanMitra Kiosk, Phagi'.")
@click.option("--name-hi", "name_hi", default="",
              help="Its name in Hindi, e.g. 'जनमित्र कियोस्क, फागी': on Hindi pages, receipts and messages (left out: the English name).")
@click.option("--lsp", "lsp_id", required=True, type=int, help="The LSP's number (`emitra lsp list`).")
@click.option("--owner", "owner_name", default="", help="The authorised kiosk owner (a JanMitra kiosk); a LokMitra centre's is its LSP.")
@click.option("--address", default="", help="Where it is, as citizens find it.")
@click.option("--split", default="10000/0/0", show_default=True,
              help="The service charge's shares LSP/owner/Society in basis points, adding up to 10000 (e.g. 3000/5000/2000), "
                   "or in per cent with the sign (30%/50%/20%).")
@AS
def counter_add(code: str, name: str, name_hi: str, lsp_id: int, owner_name: str, address: str, split: str, as_user: str) -> None:
    """License the counter CODE (JP-LM-002: a LokMitra centre; JP-JM-014: a JanMitra kiosk) of an LSP.
    It offers no service until its LSP enables them (`emitra counter enable`, or the LSP's Services page)."""
    from emitra.core.onboarding import add_counter

    made = run_as(add_counter, as_user, code=code, name=name, name_hi=name_hi, lsp_id=lsp_id, owner_name=owner_name,
                  address=address, split=split)
    click.echo(f"counter {made.code}: {made.name} ({made.kind.value}), LSP {made.lsp_id}; no service enabled yet; {_hindi(made)}")


def _hindi(counter) -> str:
    return (f"in Hindi: {counter.name_hi}" if counter.name_hi else
            f"no Hindi name: Hindi pages show the English one (emitra counter set {counter.code} --name-hi '...' --as ... gives one)")


@click.command("set")
@click.argument("code")
@click.option("--name", default=None, help="Its new name, e.g. 'JanMitra Kiosk, Phagi'.")
@click.option("--name-hi", "name_hi", default=None,
              help="Its name in Hindi, e.g. 'जनमित्र कियोस्क, फागी' (on Hindi pages, receipts and messages); '' removes it.")
@AS
def counter_set(code: str, name: str | None, name_hi: str | None, as_user: str) -> None:
    """Change the name of the counter CODE, in English (--name), in Hindi (--name-hi) or both; what is
    left out stays as it is."""
    from emitra.core.onboarding import set_counter

    made = run_as(set_counter, as_user, code, name=name, name_hi=name_hi)
    click.echo(f"counter {made.code}: {made.name}; {_hindi(made)}")


@click.command("close")
@click.argument("code")
@click.option("--wallet-to", "wallet_to", default="",
              help="A prepaid counter: the open counter of the same LSP whose wallet takes its balance "
                   "(left out: the balance is recorded as owed back to the LSP, for the Society to refund).")
@AS
def counter_close(code: str, wallet_to: str, as_user: str) -> None:
    """Close the counter CODE (a kiosk whose licence ended, a centre that shut): it takes no payment
    and its operators cannot log in (their sessions end now) until it reopens or they are moved
    (`emitra user move`). Refused, each reason named with its fix, while cash there is not covered by a
    day end, a card, UPI or cheque payment taken there awaits confirmation, or an application filed
    there is still open (`emitra counter move-applications` moves them to another counter). A prepaid
    counter's wallet balance moves to --wallet-to's wallet, or is owed back to the LSP."""
    from emitra.core.cli import run
    from emitra.core.onboarding import close_counter, closing_wallet, wallet_said

    made = run_as(close_counter, as_user, code, wallet_to)
    said, _hi = wallet_said(made.code, run(lambda: closing_wallet(made)))
    click.echo(f"counter {made.code} closed: it takes no payment and its operators cannot log in"
               + (f"; {said}" if said else "") + f" (emitra counter reopen {made.code} --as ... to undo)")


@click.command("move-applications")
@click.argument("code")
@click.option("--to", "to_code", required=True, help="The open counter of the same district that takes them (its code).")
@click.option("--as", "as_user", required=True,
              help="The Society admin's username (any counter of the district), or the LSP admin's (between its own counters).")
def counter_move_applications(code: str, to_code: str, as_user: str) -> None:
    """Move every open application filed at the counter CODE to the counter --to, where its citizen
    now corrects it and collects the result (each citizen is sent an SMS or email, tracking shows the
    new counter). Then CODE may close. Refused, moving nothing, while papers of an application still
    wait at CODE for the day's dispatch (`emitra dispatch prepare CODE --as OPERATOR` sends them)."""
    from emitra.core.onboarding import move_applications

    moved = run_as(move_applications, as_user, code, to_code)
    click.echo(f"{count_en(len(moved.numbers), 'open application')} moved from {moved.source.code} to {moved.target.code}: "
               + ", ".join(moved.numbers))


@click.command("reopen")
@click.argument("code")
@AS
def counter_reopen(code: str, as_user: str) -> None:
    """Reopen the closed counter CODE: it takes payments again for the services its LSP had enabled."""
    from emitra.core.onboarding import reopen_counter

    made = run_as(reopen_counter, as_user, code)
    click.echo(f"counter {made.code} reopened")


counter_commands: list[click.Command] = [counter_add, counter_set, counter_close, counter_reopen, counter_move_applications]


@click.group("user")
def user() -> None:
    """Operators of counters and LSP admins (department officers: `emitra officer`)."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["operator", "lsp_admin", "society_admin", "state_admin"]), required=True,
              help="operator (of a counter), lsp_admin, society_admin (of a district's Society) or state_admin.")
@click.option("--name", "full_name", required=True, help="The person's full name.")
@click.option("--name-hi", "full_name_hi", default="",
              help="The same in Hindi (Devanagari), shown on Hindi pages, e.g. 'अनिल वर्मा'; left out, they show --name.")
@click.option("--counter", "counter_code", default="", help="An operator's counter code.")
@click.option("--lsp", "lsp_id", type=int, default=None, help="An LSP admin's LSP number.")
@click.option("--district", "district_code", default="", help="A Society admin's district code, e.g. JP.")
@click.option("--as", "as_user", default=None,
              help="The Society admin's username, or an LSP admin's for an operator of their own counter (recorded in the audit log). "
                   "Left out only for the first state admin of an installation, or the first admin of a district's Society.")
def user_add(username: str, role: str, full_name: str, full_name_hi: str, counter_code: str, lsp_id: int | None, district_code: str,
             as_user: str | None) -> None:
    """Create USERNAME. The password is asked for twice, or read from the first line of standard input
    when it is not a terminal (never an option: `ps` would show it)."""
    from emitra.core.onboarding import add_user

    password = _password("Password (at least 8 characters)")
    made = run_as(add_user, as_user, username=username, full_name=full_name, role=role, password=password,
                  counter_code=counter_code, lsp_id=lsp_id, district_code=district_code, full_name_hi=full_name_hi)
    where = (f"at {counter_code.strip().upper()}" if made.counter_id else f"of LSP {made.lsp_id}" if made.lsp_id
             else f"of the {district_code.strip().upper()} Society" if made.district_id else "of the state")
    click.echo(f"created {made.username}: {role} {where}")


@user.command("move")
@click.argument("username")
@click.option("--counter", "counter_code", required=True, help="The open counter they work at from now on (its code).")
@click.option("--as", "as_user", required=True,
              help="The Society admin's username (any counter of the district), or their LSP admin's (their LSP's counters).")
def user_move(username: str, counter_code: str, as_user: str) -> None:
    """Move the operator USERNAME to another counter. Refused while cash they took at their counter
    is not covered by a day end. Their open sessions end, and their API tokens are refused."""
    from emitra.core.onboarding import move_user

    made = run_as(move_user, as_user, username, counter_code)
    click.echo(f"{made.username} now works at {counter_code.strip().upper()}; their open sessions were ended")


def _staff() -> None:
    from emitra.core import onboarding

    add_account_commands(user, deactivate=onboarding.deactivate_user, reactivate=onboarding.reactivate_user,
                         set_password=onboarding.set_user_password, rename=onboarding.rename_user, who="An operator or LSP admin",
                         as_help="The Society admin's username, or the LSP admin's for their own operator (recorded in the audit log).",
                         citizens="A citizen's login (USERNAME citizen:<id>, or the citizen's e-Mitra ID), by the Society's admin "
                                  "of their district: a code sent to their mobile no longer signs them in, and their open "
                                  "sessions end; a citizen who never signed in is stopped before their first sign-in.")


_staff()


@click.group("district")
def district() -> None:
    """Districts and their e-Mitra Societies (docs/operations.md, "A new district")."""


@district.command("add")
@click.argument("code")
@click.option("--name", "name_en", required=True, help="The district's name in English, e.g. Jaipur.")
@click.option("--name-hi", "name_hi", required=True, help="The district's name in Hindi, e.g. जयपुर.")
@click.option("--society", "society_name", required=True, help="The Society's name, e.g. 'District e-Mitra Society, Jaipur'.")
@click.option("--bank-account", default="", help="The account the counters deposit their cash into, e.g. 'SBI 0000 1234 5678' "
                                                 "(printed on every deposit slip; a bank statement naming another is refused).")
@click.option("--nodal-email", default="", help="The nodal officer's email (the weekly complaint book digest).")
@click.option("--as", "as_user", default=None, help="The state admin's username (recorded in the audit log); left out only "
                                                    "before an installation has a state admin.")
def district_add(code: str, name_en: str, name_hi: str, society_name: str, bank_account: str, nodal_email: str,
                 as_user: str | None) -> None:
    """Add the district CODE (two letters: they begin its e-Mitra IDs, counters and receipts) and its
    e-Mitra Society. Then: its first Society admin (`emitra user add --role society_admin --district CODE`)."""
    from emitra.core.onboarding import add_district

    made = run_as(add_district, as_user, code=code, name_en=name_en, name_hi=name_hi, society_name=society_name,
                  bank_account=bank_account, nodal_email=nodal_email)
    click.echo(f"district {made.code}: {made.name_en} ({made.name_hi}); next, its first Society admin: "
               f"emitra user add USERNAME --role society_admin --district {made.code} --name 'FULL NAME'")


@district.command("list")
def district_list() -> None:
    """The districts: code, names, the Society and its bank account, how many LSPs, counters and Society admins."""
    from emitra.core.cli import run
    from emitra.core.models import LSP, Counter, District, Role, Society, User

    async def go():
        for d in await District.all().order_by("code"):
            society = await Society.get_or_none(district_id=d.id)
            lsps, counters = await LSP.filter(district_id=d.id).count(), await Counter.filter(district_id=d.id).count()
            admins = await User.filter(district_id=d.id, role=Role.SOCIETY_ADMIN, active=True).count()
            account = (society.bank_account or "no bank account set") if society else "no Society"
            click.echo(f"{d.code}  {d.name_en} ({d.name_hi})  {society.name if society else '-'}  [{account}]  "
                       f"{count_en(lsps, 'LSP')}, {count_en(counters, 'counter')}, {count_en(admins, 'Society admin')}")

    run(go)


@district.command("set")
@click.argument("code")
@click.option("--society", "society_name", default=None, help="The Society's name.")
@click.option("--bank-account", default=None, help="The account the counters deposit their cash into, e.g. 'SBI 0000 1234 5678'.")
@click.option("--nodal-email", default=None, help="The nodal officer's email.")
@click.option("--as", "as_user", required=True, help="The username of an admin of the district's Society, or of the state admin "
                                                     "(recorded in the audit log).")
def district_set(code: str, society_name: str | None, bank_account: str | None, nodal_email: str | None, as_user: str) -> None:
    """Change the Society of the district CODE: its name, its bank account (printed on deposit slips,
    checked against bank statements), its nodal officer's email. Each change is in the audit log."""
    from emitra.core.onboarding import set_society

    made = run_as(set_society, as_user, code, name=society_name, bank_account=bank_account, nodal_email=nodal_email)
    click.echo(f"{code.strip().upper()}: {made.name} [{made.bank_account or 'no bank account set'}]"
               + (f", nodal officer {made.nodal_officer_email}" if made.nodal_officer_email else ""))


commands: list[click.Command] = [lsp, user, district]
