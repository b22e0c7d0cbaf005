"""The Network page: the district Society's LSPs, their counters and the people who work them, and
the forms that change them. Each form calls the same function of :mod:`emitra.core.onboarding` as
its command (``emitra lsp add``, ``emitra counter add | close | reopen | move-applications``,
``emitra user add | deactivate | reactivate | move | rename``, ``emitra district set``), so the checks, the refusals and the audit
records are the command line's. The Society's admin sees and manages their district's; an LSP admin sees their own
LSP's counters and operators, and may add, lock out and move operators between them, and move
open applications between them, as the commands allow.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from emitra.core import dayend, ledger, onboarding
from emitra.core.dayend import MoneyError
from emitra.core.models import LSP, Case, Counter, CounterService, District, LedgerEntry, Role, Society, User, Wallet
from emitra.core.money import format_paise
from emitra.core.onboarding import Refused
from emitra.web import params
from emitra.web.i18n import _, counter_name, pick
from emitra.web.security import Forbidden, actor, page
from emitra.web.templating import render

NETWORK = [Role.SOCIETY_ADMIN, Role.LSP_ADMIN]
PAGE = "/network"

#: the option a refusal names -> the field of the page's form it is shown beside
FIELDS = {"--name": "name", "--name-hi": "name_hi", "--mode": "mode", "CODE": "code", "--lsp": "lsp", "--owner": "owner", "--split": "split",
          "USERNAME": "username", "--counter": "counter", "password": "password", "--to": "counter", "--wallet-to": "wallet_to",
          "--society": "society_name", "--bank-account": "bank_account", "--nodal-email": "nodal_email"}


def field_labels(action: str) -> dict[str, str]:
    """The labels of the fields of the form that posts ``action``, as the page shows them (the row
    forms' counter or person, whose field is the row itself, by what the row is): a refusal begins
    with its field's label, so it names the field in the page's words, never the command's option."""
    counter, person = _("Counter"), _("Operator")
    names = {"name": _("Counter name"), "name_hi": _("Counter name in Hindi")}
    person_names = {"name": _("Full name"), "name_hi": _("Name in Hindi")}
    return {
        "lsp": {"name": _("Registered name"), "mode": _("Mode")},
        "counter": {"code": _("Counter code"), **names, "lsp": _("LSP"), "owner": _("Authorised kiosk owner"),
                    "address": _("Address"), "split": _("Service charge shares LSP/owner/Society")},
        "operator": {"username": _("Username"), **person_names, "counter": _("Counter"),
                     "password": _("Password (at least 8 characters)")},
        "society": {"society_name": _("The Society's name"), "bank_account": _("Bank account for the counters' deposits"),
                    "nodal_email": _("Nodal officer's email")},
        "rename": {"code": counter, **names},
        "rename_user": {"username": person, **person_names},
        "close": {"code": counter, "wallet_to": _("Its wallet balance on closing")},
        "reopen": {"code": counter},
        "move_cases": {"code": counter, "counter": _("Move the open applications to counter")},
        "deactivate": {"username": person}, "reactivate": {"username": person},
        "move": {"username": person, "counter": _("Move to counter")},
    }.get(action, {})


def refusal_text(action: str, field: str, said: str) -> str:
    """A refusal as the page shows it beside ``field``: the field's label first, then what is wrong
    and the fix (``said``, the refusal's page words in the page's language)."""
    said = said.strip()
    if said and said[-1] not in ".।":  # the command's words often end without a stop
        said += pick(".", "।")
    label = field_labels(action).get(field, "")
    if not label or said.startswith(f"{label}:"):
        return said
    return f"{label}: {said}"


def _done_message(action: str, what: str) -> str:
    texts = {
        "lsp": _("LSP appointed: %(what)s"),
        "counter": _("Counter licensed: %(what)s. It offers no service until its LSP enables them."),
        "operator": _("Operator added: %(what)s. Give them their password in person."),
        "close": _("Counter %(what)s closed: it takes no payment, and its operators cannot log in."),
        "reopen": _("Counter %(what)s reopened."),
        "rename": _("Counter %(what)s's names are saved: pages, receipts and messages in Hindi show its Hindi name, if it has one."),
        "rename_user": _("%(what)s's names are saved: Hindi pages show the Hindi name in the header and on case timelines, "
                         "if there is one."),
        "deactivate": _("%(what)s can no longer log in; their sessions ended."),
        "reactivate": _("%(what)s may log in again."),
        "move": _("%(what)s moved; their sessions ended."),
        "move_cases": _("The open applications of %(what)s moved to the counter chosen; each citizen is sent where to go "
                        "by SMS or email, and tracking shows the new counter."),
        "society": _("The %(what)s Society's details are saved; deposit slips print its bank account from now on."),
    }
    return texts[action] % {"what": what} if action in texts else ""


async def _scope(user: User) -> tuple[list[LSP], list[Counter], list[User]]:
    """What ``user`` sees: the district's LSPs, counters and operators and LSP admins (a Society
    admin), or their own LSP's (an LSP admin)."""
    if user.role == Role.SOCIETY_ADMIN:
        lsps = await LSP.filter(district_id=user.district_id).order_by("id")
    else:
        lsps = await LSP.filter(id=user.lsp_id).order_by("id")
    ids = [lsp.id for lsp in lsps]
    counters = await Counter.filter(lsp_id__in=ids).order_by("code")
    roles = [Role.OPERATOR] if user.role == Role.LSP_ADMIN else [Role.OPERATOR, Role.LSP_ADMIN]
    people = await User.filter(lsp_id__in=ids, role__in=roles).order_by("username")
    return lsps, counters, people


async def _act(request: Request, form: Any, counters: list[Counter], people: list[User]) -> tuple[str, str, str]:
    """Do what the posted form asks: (the form's id, the action, what it named). A target the user
    does not see is refused (403) before the core is asked; the core refuses the rest."""
    who, user = actor(request), request.state.user
    action = str(form.get("action", ""))
    text = {k: str(form.get(k, "") or "").strip() for k in ("name", "name_hi", "mode", "code", "lsp", "owner", "address", "split",
                                                             "username", "counter", "password", "password2", "wallet_to",
                                                             "society_name", "bank_account", "nodal_email")}
    if action == "society":  # the Society's own details (emitra district set): its admin's alone
        if user.role != Role.SOCIETY_ADMIN:
            raise Forbidden()
        district = await District.get(id=user.district_id)
        await onboarding.set_society(who, district.code, name=text["society_name"], bank_account=text["bank_account"],
                                     nodal_email=text["nodal_email"])
        return "society", action, district.code
    if action == "lsp":
        district = await District.get(id=user.district_id)
        made = await onboarding.add_lsp(who, name=text["name"], district_code=district.code, mode=text["mode"] or "postpaid")
        return "lsp", action, made.name
    if action == "counter":
        lsp_id = int(text["lsp"]) if text["lsp"].isdigit() and len(text["lsp"]) < 10 else 0
        made = await onboarding.add_counter(who, code=text["code"], name=text["name"], lsp_id=lsp_id, owner_name=text["owner"],
                                            address=text["address"], split=text["split"] or "10000/0/0", name_hi=text["name_hi"])
        return "counter", action, made.code
    if action == "operator":
        if user.role == Role.LSP_ADMIN and text["counter"] and text["counter"].upper() not in {c.code for c in counters}:
            raise Refused("--counter", _("%(code)s is not one of your LSP's counters: choose one of yours in the list.")
                          % {"code": text["counter"][:20]}, "")  # said in the page's language already
        if text["password"] != text["password2"]:
            raise Refused("password", "the two passwords differ; type the same password twice",
                          "दोनों पासवर्ड अलग हैं; एक ही पासवर्ड दो बार लिखें")
        made = await onboarding.add_user(who, username=text["username"], full_name=text["name"], role="operator",
                                         password=text["password"], counter_code=text["counter"], full_name_hi=text["name_hi"])
        return "operator", action, made.username
    if action in ("close", "reopen", "move_cases", "rename"):
        if text["code"] not in {c.code for c in counters}:
            raise Forbidden(_not_yours(_("Counter"), text["code"], user), PAGE)
        if action == "rename":  # the Society licenses counters and names them: its admin's form alone
            if user.role != Role.SOCIETY_ADMIN:
                raise Forbidden()
            made = await onboarding.set_counter(who, text["code"], name=text["name"], name_hi=text["name_hi"])
            return f"counter-{made.code}", action, made.code
        if action == "move_cases":
            moved = await onboarding.move_applications(who, text["code"], text["counter"])
            return f"counter-{moved.source.code}", action, moved.source.code
        if action == "close":
            made = await onboarding.close_counter(who, text["code"], text["wallet_to"])
        else:
            made = await onboarding.reopen_counter(who, text["code"])
        return f"counter-{made.code}", action, made.code
    if action in ("deactivate", "reactivate", "move", "rename_user"):
        if text["username"] not in {p.username for p in people}:
            raise Forbidden(_not_yours(_("Operator"), text["username"], user), PAGE)
        if action == "rename_user":  # an operator's or LSP admin's names, in English and Hindi (decision 148)
            made = await onboarding.rename_user(who, text["username"], name=text["name"], name_hi=text["name_hi"])
            return f"user-{made.username}", action, made.username
        if action == "move":
            made = await onboarding.move_user(who, text["username"], text["counter"])
        else:
            fn = onboarding.deactivate_user if action == "deactivate" else onboarding.reactivate_user
            made = await fn(who, text["username"])
        return f"user-{made.username}", action, made.username
    raise Forbidden()


def _not_yours(field: str, what: str, user: User) -> str:
    """A form naming a counter or an operator the user does not see here (another LSP's, another
    district's, or none): which field, and what to do instead; nothing was changed."""
    if user.role == Role.LSP_ADMIN:
        said = _("%(field)s: %(what)s is not one of your LSP's, so nothing was changed. Use the forms beside your own "
                 "counters and operators on the Network page.")
    else:
        said = _("%(field)s: %(what)s is not in your district, so nothing was changed. Use the forms beside the "
                 "counters and operators listed on the Network page.")
    return said % {"field": field, "what": what[:60] or "—"}


def _form_of(form: Any) -> str:
    """The id of the posted form, for its errors: an add form's name, or the row it belongs to."""
    action = str(form.get("action", ""))
    if action == "rename":  # its own form in the row (the row's other forms keep what they hold)
        return f"names-{str(form.get('code', '')).strip()}"
    if action in ("close", "reopen", "move_cases"):
        return f"counter-{str(form.get('code', '')).strip()}"
    if action == "rename_user":  # its own form in the row, as a counter's names
        return f"names-user-{str(form.get('username', '')).strip()}"
    if action in ("deactivate", "reactivate", "move"):
        return f"user-{str(form.get('username', '')).strip()}"
    return action


@page(NETWORK)
async def network(request: Request) -> Response:
    """The LSPs, their counters (code, kind, open or closed, services enabled, operators), and the
    forms: appoint an LSP, license a counter, add an operator, close or reopen a counter, lock out
    or let in an operator, move an operator, name an operator or LSP admin in English and Hindi."""
    user = request.state.user
    lsps, counters, people = await _scope(user)
    errors: dict[str, dict[str, str]] = {}
    sent: dict[str, str] = {}
    if request.method == "POST":
        form = request.state.form
        try:
            _where, action, what = await _act(request, form, counters, people)
        except Refused as exc:
            where, field = _form_of(form), FIELDS.get(exc.field, "form")
            # the page's words (decision 197), the field named by its label
            errors[where] = {field: refusal_text(str(form.get("action", "")), field, pick(exc.page_en, exc.page_hi))}
            sent = {k: str(v) for k, v in form.items() if k not in ("password", "password2", "csrf_token")}
            sent["_form"] = where
        else:
            return RedirectResponse(f"{PAGE}?{urlencode({'done': action, 'what': what})}", status_code=303)
    return await _render(request, lsps, counters, people, errors, sent)


async def _render(request: Request, lsps: list[LSP], counters: list[Counter], people: list[User],
                  errors: dict[str, dict[str, str]], sent: dict[str, str]) -> Response:
    """The page, with the refusal of the form posted (``errors``, by form id) and what it held (``sent``)."""
    user = request.state.user
    enabled: dict[int, int] = {}
    for counter_id in await CounterService.filter(counter_id__in=[c.id for c in counters], enabled=True).values_list("counter_id", flat=True):
        enabled[counter_id] = enabled.get(counter_id, 0) + 1
    open_choices = [(c.code, f"{c.code} · {counter_name(c)}") for c in counters if c.active]
    move_choices = {c.id: [choice for choice in open_choices if choice[0] != c.code] for c in counters}
    done, what = request.query_params.get("done", ""), request.query_params.get("what", "")
    district = await District.get_or_none(id=user.district_id) if user.role == Role.SOCIETY_ADMIN else None
    own = await Society.get_or_none(district_id=district.id) if district else None
    known = {lsp.name for lsp in lsps} | {c.code for c in counters} | {p.username for p in people} \
        | ({district.code} if district else set())  # never other text
    message = _done_message(done, what) if request.method == "GET" and what in known else ""
    ids = [c.id for c in counters]
    open_cases: dict[int, int] = {}
    for counter_id in await Case.filter(counter_id__in=ids, closed_at=None).values_list("counter_id", flat=True):
        open_cases[counter_id] = open_cases.get(counter_id, 0) + 1
    prepaid = {lsp.id for lsp in lsps if lsp.mode == "prepaid"}
    wallets = {w.counter_id: w.balance_paise for w in await Wallet.filter(counter_id__in=ids)}
    # a closed counter's wallet: what its closing did with the balance (moved, or owed back to the LSP)
    released = {c.id: pick(*onboarding.wallet_said(c.code, await onboarding.closing_wallet(c)))
                for c in counters if not c.active and (c.lsp_id in prepaid or c.id in wallets)}
    closed = next((c for c in counters if c.code == what), None) if message and done == "close" else None
    if closed is not None and released.get(closed.id):
        said = released[closed.id]
        message = f"{message} {said[:1].upper()}{said[1:]}."
    wallet_choices = {c.id: [(o.code, f"{o.code} · {counter_name(o)}") for o in counters if o.active and o.lsp_id == c.lsp_id and o.id != c.id]
                      for c in counters}
    return render(request, "network/network.html", {
        "lsps": lsps, "counters": counters, "people": people, "enabled": enabled, "errors": errors, "sent": sent,
        "society": user.role == Role.SOCIETY_ADMIN, "open_choices": open_choices, "move_choices": move_choices,
        "lsp_choices": [(lsp.id, lsp.name) for lsp in lsps if lsp.active],
        "open_cases": open_cases, "prepaid": prepaid, "wallets": wallets, "released": released, "wallet_choices": wallet_choices,
        "done": message, "refunds": await _wallet_refunds(lsps), "own": own,
        "district_name": pick(district.name_en, district.name_hi) if district else "",
        "refunded": await _refunded(request, lsps) if request.method == "GET" else "",
    }, 400 if errors else 200)


# --- the Society refunds what closed counters' wallets left owed back to an LSP (decision 70) ------

SOCIETY = [Role.SOCIETY_ADMIN]
REFUNDS_SHOWN = 5  # an LSP's latest refunds listed under the form


async def _wallet_refunds(lsps: list[LSP]) -> dict[int, dict[str, Any]]:
    """Per LSP of the page: what its closed counters' wallets left owed back to it (``owed``), and its
    latest refunds recorded (``done``: reference, time, amount), for those with either."""
    out: dict[int, dict[str, Any]] = {}
    for lsp in lsps:
        owed = -await ledger.balance(f"wallet_refund_payable:{lsp.id}")
        where, params = await ledger.key_prefix('e."idempotency_key"', f"walletrefund:{lsp.id}:")
        rows = await ledger.rows(
            'SELECT e."idempotency_key" AS k, e."created_at" AS at, p."amount_paise" AS paise FROM "ledger_entry" e '
            f'JOIN "posting" p ON p."entry_id" = e."id" AND p."account" = ? WHERE {where} ORDER BY e."id" DESC LIMIT {REFUNDS_SHOWN}',
            [f"wallet_refund_payable:{lsp.id}", *params])
        done = [{"reference": r["k"].removeprefix(f"walletrefund:{lsp.id}:"), "at": ledger.as_datetime(r["at"]),
                 "amount_paise": int(r["paise"])} for r in rows]
        if owed or done:
            out[lsp.id] = {"owed": owed, "done": done}
    return out


async def _refunded(request: Request, lsps: list[LSP]) -> str:
    """What the refund just recorded was (``?refunded=<lsp>&reference=<ref>``), read from the books: a
    refund of the page's LSPs with that reference, else nothing (never the address's text)."""
    lsp = next((x for x in lsps if str(x.id) == request.query_params.get("refunded", "")), None)
    reference = request.query_params.get("reference", "")[:60]
    if lsp is None or not reference:
        return ""
    account = f"wallet_refund_payable:{lsp.id}"
    entry = await LedgerEntry.get_or_none(idempotency_key=f"walletrefund:{lsp.id}:{reference}")
    if entry is None:
        return ""
    paid = await ledger.rows('SELECT SUM("amount_paise") AS total FROM "posting" WHERE "entry_id" = ? AND "account" = ?', [entry.id, account])
    return _("Refund of %(amount)s to %(lsp)s recorded (bank reference %(reference)s). Still owed back to it: %(owed)s.") % {
        "amount": format_paise(int(paid[0]["total"] or 0)), "lsp": lsp.name, "reference": reference,
        "owed": format_paise(-await ledger.balance(account))}


def _refund_label(field: str) -> str:
    return {"amount": _("Amount refunded (₹)"), "reference": _("Bank reference")}.get(field, "")


@page(SOCIETY)
async def refund_wallets(request: Request) -> Response:
    """The form beside an LSP on this page: the Society's transfer of what its closed counters'
    wallets left owed back to it, recorded by the same function as ``emitra wallet refund`` (the
    district Society's admin only, never more than is owed, a bank reference already used records
    nothing); a refusal is shown beside the form, naming the field and the fix."""
    user = request.state.user
    lsp_id = params.record_id(request.path_params["lsp_id"])
    lsp = await LSP.get_or_none(id=lsp_id, district_id=user.district_id) if lsp_id else None
    if lsp is None:
        raise HTTPException(404, _("No LSP with this number in your district."))
    form = request.state.form
    sent = {k: str(form.get(k, "") or "").strip() for k in ("amount", "reference")}
    where = f"refund-{lsp.id}"
    sent["_form"] = where
    error: dict[str, str] = {}
    try:
        amount = params.rupees(sent["amount"], "amount", _refund_label("amount"))
    except params.BadParam as exc:
        error["amount"] = exc.message
    if not sent["reference"]:
        error["reference"] = f"{_refund_label('reference')}: " + _("type the bank reference of the Society's transfer to the LSP.")
    if not error:
        try:
            done = await dayend.refund_wallets(actor(request), lsp, amount, sent["reference"])
        except MoneyError as exc:
            label = _refund_label(exc.field)
            error[exc.field if label else "form"] = f"{label}: {pick(exc.message_en, exc.message_hi)}" if label else pick(exc.message_en, exc.message_hi)
        else:
            if done.repeated:  # a double click, a form sent again: the first one recorded it
                error["reference"] = f"{_refund_label('reference')}: " + _(
                    "a refund with reference %(reference)s is already recorded for %(lsp)s: nothing new was recorded.") % {
                    "reference": done.reference, "lsp": lsp.name}
            else:
                query = urlencode({"refunded": lsp.id, "reference": done.reference})
                return RedirectResponse(f"{PAGE}?{query}#lsp-{lsp.id}", status_code=303)
    lsps, counters, people = await _scope(user)
    return await _render(request, lsps, counters, people, {where: error}, sent)


# --- an LSP's wallet refunds, every one of them (decision 72) -----------------------------------------


@page(NETWORK)
async def wallet_refund_history(request: Request) -> Response:
    """Every refund of an LSP's closed counters' wallets, newest first, ``WALLET_REFUNDS_PAGE`` a page
    (``?page=``), with what was refunded in all and what is still owed back at the top: the Network
    page lists the latest 5. The district Society's admin reads any LSP of the district; an LSP admin
    its own LSP's only (another's is not found, as another's payout is on /payouts)."""
    user = request.state.user
    lsp_id = params.record_id(request.path_params["lsp_id"])
    if user.role == Role.LSP_ADMIN:
        lsp = await LSP.get_or_none(id=lsp_id) if lsp_id and lsp_id == user.lsp_id else None
    else:
        lsp = await LSP.get_or_none(id=lsp_id, district_id=user.district_id) if lsp_id else None
    if lsp is None:
        raise HTTPException(404, _("No LSP with this number for you."))
    errors: dict[str, str] = {}
    try:
        page_no = params.page_number(request.query_params.get("page"))
    except params.BadParam as exc:
        errors["page"] = exc.message
        page_no = 1
    history = await dayend.refund_history(lsp, page_no)
    base = f"/network/lsps/{lsp.id}/wallet-refunds"
    return render(request, "network/wallet_refunds.html", {
        "h": history, "lsp": lsp, "errors": errors,
        "base": base,
    }, 400 if errors else 200)
