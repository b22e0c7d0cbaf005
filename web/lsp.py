"""The LSP admin's pages: which services each counter offers, and the LSP's own unit prices."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from emitra.core import counter as counter_core
from emitra.core import lsp_prices
from emitra.core.models import Counter, CounterService, LspPrice, Role
from emitra.core.money import AmountError, parse_rupees
from emitra.core.plugins import get_host
from emitra.web.i18n import _, pick, provider_name
from emitra.web.security import actor, page
from emitra.web.templating import render

LSP_ADMIN = [Role.LSP_ADMIN]


@page(LSP_ADMIN)
async def counter_services(request: Request) -> Response:
    """A matrix of services by counter; each cell a button that enables or disables."""
    user = request.state.user
    counters = await Counter.filter(lsp_id=user.lsp_id).order_by("code")
    error = ""
    status = 200
    if request.method == "POST":
        form = request.state.form
        counter = next((c for c in counters if c.code == form.get("counter")), None)
        if counter is None:  # not this LSP's counter (an address edited, a form from another tab): said, nothing changed
            error = _("Counter: %(code)s is not one of your LSP's counters, so nothing was changed. Press the button in "
                      "the column of one of your counters: %(yours)s.") % {
                "code": str(form.get("counter", ""))[:20] or "—", "yours": ", ".join(c.code for c in counters) or "—"}
            status = 403
        else:
            error, status = await _switch(request, counter, form)
            if not error:  # said on the page it comes back to (the cell alone changing is easily missed on a wide matrix)
                done = urlencode({"done": "1" if form.get("enabled") == "1" else "0", "counter": counter.code,
                                  "service": str(form.get("service_code", ""))})
                return RedirectResponse(f"/lsp/services?{done}", status_code=303)
    saved = _service_saved(request, counters)
    enabled = {(row["counter_id"], row["service_code"]) for row in
               await CounterService.filter(counter__lsp_id=user.lsp_id, enabled=True).values("counter_id", "service_code")}
    from emitra.core import compliance, officers

    services = sorted(get_host().registry, key=lambda s: (s.domain.value, provider_name(s).casefold(), pick(s.title_en, s.title_hi).casefold()))
    decisions = await compliance.decide_many(services, user.district_id, user.lsp_id)
    # application services whose department has no officer in the district: enabled all the same, with a
    # warning here and when enabled (decision 128)
    no_officer = await officers.without_officers(user.district_id, services)
    # a service the policy does not allow here: said as its refusal says it, in the page's language (was the
    # engine's English explanation on the Hindi page too)
    refused = {s.code: counter_core.PolicyRefused(decisions[s.code], s) for s in services if not decisions[s.code].allowed}
    policy = {code: pick(exc.message_en, exc.message_hi) for code, exc in refused.items()}
    just_enabled = no_officer.get(request.query_params.get("service", "")) if saved and request.query_params.get("done") == "1" else None
    return render(request, "lsp/services.html", {"counters": counters, "services": services, "enabled": enabled, "error": error,
                                                 "decisions": decisions, "policy": policy, "saved": "" if error else saved, "no_officer": no_officer,
                                                 "no_officer_now": pick(*just_enabled.said()) if just_enabled and not error else ""},
                  status)


async def _switch(request: Request, counter: Counter, form: Any) -> tuple[str, int]:
    """Enable or disable the posted service at ``counter``: ("", 200), or the refusal and 400."""
    try:
        await counter_core.set_enabled(actor(request), counter, str(form.get("service_code", "")), form.get("enabled") == "1")
    except counter_core.CounterError as exc:
        return pick(exc.message_en, exc.message_hi), 400
    return "", 200


def _service_saved(request: Request, counters: list[Counter]) -> str:
    """What the last change on the services page did, from the address it came back to (only a
    service and a counter of this LSP's are named; anything else in the address says nothing)."""
    q = request.query_params
    service = get_host().registry.get(q.get("service", ""))
    counter = next((c for c in counters if c.code == q.get("counter")), None)
    if service is None or counter is None or q.get("done") not in ("0", "1"):
        return ""
    names = {"service": pick(service.title_en, service.title_hi), "counter": counter.code}
    return (_("%(service)s is now offered at %(counter)s.") if q.get("done") == "1"
            else _("%(service)s is no longer offered at %(counter)s.")) % names


@page(LSP_ADMIN)
async def prices(request: Request) -> Response:
    """The LSP's own published price per unit for counter services (photocopy, fax, internet time)."""
    user = request.state.user
    services = [s for s in get_host().registry if s.priced_by_lsp]
    errors: dict[str, str] = {}
    typed: dict[str, str] = {}  # a refused price stays in its box, to be corrected
    if request.method == "POST":
        form = request.state.form
        code = str(form.get("service_code", ""))
        service = next((s for s in services if s.code == code), None)
        if service is None:
            errors["service_code"] = _("No such service.")
        else:
            typed_text = str(form.get("price_rupees", ""))
            try:
                paise = parse_rupees(typed_text)
                await lsp_prices.set_price(actor(request), user.lsp_id, user.district_id, service, paise)
            except AmountError as exc:  # names the box, as the day end does; an empty box said so (was "'' is not an amount")
                said = pick(str(exc), exc.message_hi) if typed_text.strip() else _(
                    "the box is empty: type the new price in rupees, for example 2.50.")
                errors[code] = f"{_('New price (₹)')}: {said}"
                typed[code] = typed_text
            except lsp_prices.PriceRefused as exc:  # ₹0, or above the ceiling (decision 145): nothing written
                errors[code] = f"{_('New price (₹)')}: {pick(exc.message_en, exc.message_hi)}"
                typed[code] = typed_text
            else:
                return RedirectResponse(f"/lsp/prices?{urlencode({'saved': code})}", status_code=303)
    current = {r.service_code: r.unit_price_paise for r in await LspPrice.filter(lsp_id=user.lsp_id)}
    saved_code = request.query_params.get("saved", "")
    saved = next((s for s in services if s.code == saved_code and s.code in current), None) if not errors else None
    low, high = lsp_prices.bounds()
    return render(request, "lsp/prices.html", {"services": services, "current": current, "errors": errors, "typed": typed,
                                               "saved": saved, "low": low, "high": high}, 400 if errors else 200)
