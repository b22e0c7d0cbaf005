"""The counter: find or register the citizen, pick a service, fill its form, take cash, print the receipt.

Every page here is for the operator of one counter, and shows only that counter's records.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from emitra.core import counter as counter_core
from emitra.core import citizen_login, citizen_lookups, corrections, documents, forms, payments, privacy, registration, workflow
from emitra.core.auth import can_see_counter
from emitra.core.forms import FormErrors, coerce, flatten
from emitra.core.ids import RECEIPT_NO, IdError, is_valid_receipt_no, parse_emitra_id
from emitra.core.models import Citizen, Counter, RequestStatus, Role, ServiceRequest
from emitra.core.payment_methods import card as card_payments
from emitra.core.money import AmountError, parse_rupees
from emitra.web import office  # the counter's cases page (/counter/cases), where a resubmission's refusal shows
from emitra.core.text import typed_number
from emitra.web.i18n import _, current_lang, pick, provider_name
from emitra.web.schema_form import fields_for, step_title
from emitra.web.security import Forbidden, actor, page
from emitra.web.templating import render, site_url

OPERATOR = [Role.OPERATOR]
RECEIPT_READERS = [Role.OPERATOR, Role.LSP_ADMIN, Role.SOCIETY_ADMIN, Role.STATE_ADMIN, Role.CITIZEN]
_ID_SHAPE = re.compile(r"^[A-Za-z]{2}[\d\s\-]{9,}$")


async def _receipt_typed(counter: Counter, q: str) -> tuple[str, str] | None:
    """A receipt number typed into the citizen search (the citizen shows the receipt, not the card):
    (the receipt number, "" when it is this counter's, else why it cannot be shown here); None when
    ``q`` is not shaped as a receipt number, and is searched as an e-Mitra ID, mobile or name."""
    receipt_no = typed_number(q).upper()
    if not RECEIPT_NO.fullmatch(receipt_no):  # (13 digits, more for a counter id past 9999: core/ids)
        return None
    if not is_valid_receipt_no(receipt_no):
        return receipt_no, _("This looks like a receipt number, but its check digit is wrong: a digit was probably "
                             "mistyped. Check it on the receipt.")
    if await ServiceRequest.filter(receipt_no=receipt_no, counter_id=counter.id).exists():
        return receipt_no, ""
    return receipt_no, _("%(receipt)s is a receipt number, but not a receipt of this counter (%(counter)s): the "
                         "counter that issued it can show it. To serve the citizen, search by e-Mitra ID, mobile "
                         "number or name.") % {"receipt": receipt_no, "counter": counter.code}


async def _counter(request: Request) -> Counter:
    user = request.state.user
    if user.counter_id is None:
        raise Forbidden()
    return await counter_core.operator_counter(user.counter_id)


async def _citizen(request: Request, counter: Counter) -> Citizen:
    try:
        citizen = await registration.get_by_emitra_id(request.path_params["emitra_id"])
    except IdError:
        citizen = None
    if citizen is None or citizen.district_id != counter.district_id:
        raise HTTPException(404, _("No citizen with this e-Mitra ID in this district."))
    try:  # a citizen the counter has not served counts against the operator's look-ups (decision 87)
        await citizen_lookups.open_citizen(actor(request), counter, citizen)
    except citizen_lookups.LookupsSpent as exc:
        raise _spent(exc) from None
    return citizen


def _spent(exc: citizen_lookups.LookupsSpent) -> HTTPException:
    """429 with the refusal in the page's language, and when to try again."""
    return HTTPException(429, pick(exc.message_en, exc.message_hi), headers={"Retry-After": str(exc.retry_after_seconds)})


@page(OPERATOR, cached=True)
async def counter_home(request: Request) -> Response:
    counter = await _counter(request)
    q = request.query_params.get("q", "").strip()
    results: list[Citizen] = []
    error = ""
    receipt = await _receipt_typed(counter, q) if q else None
    if receipt is not None:
        error = receipt[1]  # this counter's receipt: the page links to it instead of a search
    elif q:
        if _ID_SHAPE.match(q):
            try:
                parse_emitra_id(q)
            except IdError as exc:
                error = pick(str(exc), exc.message_hi)
        if not error:
            try:
                results = await registration.search(counter.district_id, q)
            except (registration.NothingToSearch, registration.NotAMobileNumber) as exc:
                error = pick(exc.message_en, exc.message_hi)
            if len(results) == 1 and _ID_SHAPE.match(q):  # the citizen's page counts the look-up (decision 87)
                return RedirectResponse(f"/counter/citizens/{results[0].emitra_id}", status_code=303)
            try:
                await citizen_lookups.search(actor(request), counter, results)
            except citizen_lookups.LookupsSpent as exc:
                raise _spent(exc) from None
    today = await ServiceRequest.filter(counter=counter).order_by("-id").limit(15).prefetch_related("citizen")
    from emitra.core import refunds

    waiting = await refunds.waiting_cancel_refunds(request.state.user)  # decision 73: finished from here too
    return render(request, "counter/home.html", {"counter": counter, "q": q, "results": results, "error": error, "recent": today,
                                                 "receipt_no": receipt[0] if receipt and not receipt[1] else "",
                                                 "waiting_refunds": waiting})


REGISTRATION_FIELDS = ["name", "date_of_birth", "gender", "mobile", "aadhaar", "address"]


@page(OPERATOR)
async def register_citizen(request: Request) -> Response:
    counter = await _counter(request)
    if request.method == "GET":
        return render(request, "counter/register.html", {"counter": counter, "values": {}, "errors": {}})
    form = request.state.form
    values = {name: str(form.get(name, "")) for name in REGISTRATION_FIELDS}
    confirm = form.get("confirm_new_person") == "yes"
    try:
        citizen = await registration.register(actor(request), counter, values, confirm_new_person=confirm)
    except FormErrors as exc:
        return render(request, "counter/register.html",
                      {"counter": counter, "values": values, "errors": exc.by_field(current_lang.get())}, 400)
    except registration.LikelyDuplicate as exc:
        values.pop("aadhaar", None) if exc.certain else None
        return render(request, "counter/register.html",
                      {"counter": counter, "values": values, "errors": {}, "duplicates": exc.candidates, "certain": exc.certain}, 409)
    return RedirectResponse(f"/counter/citizens/{citizen.emitra_id}?registered=1", status_code=303)


def _group(services) -> list[tuple[str, list]]:
    """Services by department or partner, named and sorted in the page's language."""
    groups: dict[str, list] = defaultdict(list)
    names: dict[str, str] = {}
    for s in services:
        groups[s.provider].append(s)
        names.setdefault(s.provider, provider_name(s))
    return sorted(((names[p], sorted(items, key=lambda s: pick(s.title_en, s.title_hi).casefold())) for p, items in groups.items()),
                  key=lambda group: group[0].casefold())


#: the session's note, shown once on the citizen's page, of a sign-in lock just lifted (decision 160)
LOCK_LIFTED = "code_lock_lifted"


@page(OPERATOR, cached=True)
async def citizen_page(request: Request) -> Response:
    """The citizen, and the services enabled at this counter (searchable in English and Hindi)."""
    counter = await _counter(request)
    return await render_citizen(request, counter, await _citizen(request, counter))


async def render_citizen(request: Request, counter: Counter, citizen: Citizen, lock_error: str = "",
                         status: int = 200) -> Response:
    """The citizen's page: their facts, a lock on their mobile's sign-in codes (its end alone, with the
    form that lifts it: decision 160), the services and their requests at this counter."""
    q = request.query_params.get("q", "").strip().casefold()
    services = await counter_core.enabled_services(counter)
    if q:
        services = [s for s in services if q in s.title_en.casefold() or q in s.title_hi or q in s.provider.casefold()
                    or q in str(getattr(s, "provider_hi", "") or "") or q in s.code]
    history = await ServiceRequest.filter(citizen=citizen, counter=counter).order_by("-id").limit(10)
    return render(request, "counter/citizen.html", {
        "counter": counter, "citizen": citizen, "groups": _group(services), "q": request.query_params.get("q", ""),
        "history": history, "registered": request.query_params.get("registered") == "1",
        "unavailable": counter_core.get_host().registry.unavailable,
        "code_lock": await citizen_login.day_lock(citizen.mobile), "lock_error": lock_error,
        "lock_lifted": request.session.pop(LOCK_LIFTED, "") if request.method == "GET" else "",
    }, status)


async def _service(request: Request, counter: Counter):
    try:
        return await counter_core.service_at(counter, request.path_params["code"])
    except counter_core.PolicyRefused as exc:
        raise HTTPException(403, pick(exc.message_en, exc.message_hi)) from None
    except counter_core.CounterError as exc:
        raise HTTPException(404, pick(exc.message_en, exc.message_hi)) from None


def _hold_key(request: Request, form_key: str) -> str:
    """What binds the scans of this form to this session and this form (decision 149)."""
    return documents.hold_key(str(request.session.get("sid", "")), form_key)


_swept_at = 0.0


async def _sweep() -> None:
    """Delete the held scans whose hour has passed (at most once a minute a process: the query reads
    the document table)."""
    global _swept_at
    if time.monotonic() - _swept_at >= 60:
        _swept_at = time.monotonic()
        await documents.sweep_held()


def _posted_file(form, path: str) -> Any:
    for key in (path + ".replace", path):
        upload = form.get(key)
        if upload is not None and not isinstance(upload, str) and getattr(upload, "filename", ""):
            return upload
    return None


async def _store_uploads(request: Request, counter: Counter, service, form, key: str) -> tuple[dict[str, str], list[forms.FieldMessage]]:
    """Keep the files posted with this step, each held for this session and form (decision 149), and
    the scans held from an earlier post of it; return field -> document id of every document field
    (empty when it holds none), and the refusals, each naming its field.

    A checked file is held even when another field, another scan included, is refused: the form
    sent again without choosing it uses it. A new file replaces the held one (which is deleted; a
    refused new file leaves it held); "Remove this file" (``<field>.drop``) deletes it. A held scan's
    id posted by another session or form, or after its hour, is refused (audited when it is another's)."""
    stored: dict[str, str] = {}
    errors: list[forms.FieldMessage] = []
    who = actor(request)
    for path, spec in forms.upload_fields(service.form):
        posted = form.get(path)
        previous, refused = None, []
        if isinstance(posted, str) and posted:
            try:
                previous = await documents.held(who, counter, service, path, posted, key)
            except FormErrors as exc:
                refused = exc.errors
        stored[path] = previous.public_id if previous is not None else ""
        upload = _posted_file(form, path)
        if upload is not None:
            max_bytes = int(spec.get("max_kb") or documents.DEFAULT_MAX_KB) * 1024
            content = await upload.read(max_bytes + 1)
            try:
                doc = await documents.store(who, counter, service, path, upload.filename, content, size=upload.size, held_for=key)
            except FormErrors as exc:
                errors += exc.errors
                continue
            if previous is not None:
                await documents.drop_held(who, previous)
            stored[path] = doc.public_id
        elif previous is not None and form.get(path + ".drop"):
            await documents.drop_held(who, previous)
            stored[path] = ""
        else:
            errors += refused
    return stored, errors


class _Merged:
    """Posted form data with stored uploads' ids in place of the files."""

    def __init__(self, form, overrides: dict[str, str]):
        self.form, self.overrides = form, overrides

    def get(self, key, default=None):
        if key in self.overrides:
            return self.overrides[key]
        value = self.form.get(key, default)
        return default if value is not None and not isinstance(value, str) else value

    def getlist(self, key):
        return [self.overrides[key]] if key in self.overrides else [v for v in self.form.getlist(key) if isinstance(v, str)]

    def keys(self):
        return list(self.form.keys()) + list(self.overrides)


async def _message_lang(posted: Any, citizen: Citizen) -> tuple[str, str]:
    """The language the form offers for the citizen's messages (decision 99), and the refusal of a
    posted one that is neither: what was posted, else the citizen's last choice, else the page's."""
    if posted is not None and posted != "":
        try:
            return counter_core.check_message_lang(posted), ""
        except counter_core.CounterError as exc:
            error = pick(exc.message_en, exc.message_hi)
    else:
        error = ""
    return await counter_core.last_message_lang(citizen.id) or current_lang.get(), error


async def _form_page(request: Request, ctx: dict[str, Any], data: dict[str, Any], step: int, errors: dict[str, str] | None = None,
                     status: int = 200) -> Response:
    service = ctx["service"]
    all_steps = forms.steps(service.form)
    shown = set(all_steps[step]["fields"])
    carried = [(k, v) for k, v in flatten(data) if k.split(".")[0] not in shown]
    errors = errors or {}
    props = forms.all_properties(service.form)
    general = [m for f, m in errors.items() if f.split(".")[0] not in props and f != "message_lang"]
    return render(request, "counter/form.html", {
        **ctx, "fields": fields_for(service.form, data, errors, step), "carried": carried, "step": step,
        "steps": len(all_steps), "step_title": step_title(service.form, step) if len(all_steps) > 1 else "",
        "general_errors": general, "multipart": any(True for _ in forms.upload_fields(service.form)),
        "message_lang_error": errors.get("message_lang", ""),
        # a scan kept from an earlier post is named as the confirmation page names it, not by its id
        "upload_names": {value: pick(*await _document(ctx["counter"], service, value))
                         for path, _spec in forms.upload_fields(service.form) if isinstance(value := documents.value_at(data, path), str) and value},
    }, status)


@page(OPERATOR, cached=True)
async def service_form(request: Request) -> Response:
    """GET: the service's form. POST: validate the step; after the last, get the amount due and show it to confirm."""
    counter = await _counter(request)
    citizen = await _citizen(request, counter)
    service = await _service(request, counter)
    ctx: dict[str, Any] = {"counter": counter, "citizen": citizen, "service": service}
    if request.method == "GET":
        ctx["message_lang"] = (await _message_lang(None, citizen))[0]
        ctx["form_key"] = counter_core.new_idempotency_key()
        return await _form_page(request, ctx, {}, 0)
    form = request.state.form
    ctx["form_key"] = _form_key(form.get("_key"))
    ctx["message_lang"], lang_error = await _message_lang(form.get("_message_lang"), citizen)
    last = len(forms.steps(service.form)) - 1
    try:
        step = min(max(int(str(form.get("_step", "0"))), 0), last)
    except ValueError:
        step = 0
    await _sweep()
    uploads, refused = await _store_uploads(request, counter, service, form, _hold_key(request, ctx["form_key"]))
    data = coerce(service.form, _Merged(form, uploads))
    if refused:  # the scans checked are held, named on the page; the others' fields are checked too
        errors = FormErrors(refused).by_field(current_lang.get())
        try:
            counter_core.check_form(service, data, step)
        except FormErrors as exc:
            errors = {**exc.by_field(current_lang.get()), **errors}
        return await _form_page(request, ctx, data, step, errors, 400)
    if form.get("_edit"):  # "Change the form" on the confirmation page: its first step, filled as it was
        return await _form_page(request, ctx, data, 0)
    if form.get("_back") and step > 0:
        return await _form_page(request, ctx, data, step - 1)
    if form.get("_more"):  # "Add a row": the same step, one more empty row
        return await _form_page(request, ctx, data, step)
    try:
        if step < last:
            counter_core.check_form(service, data, step)
            return await _form_page(request, ctx, data, step + 1)
        if lang_error:  # (only a tampered form posts another value: the choice is two radio buttons)
            return await _form_page(request, ctx, data, step, {"message_lang": lang_error}, 400)
        priced = await counter_core.price(counter, service, data)
    except FormErrors as exc:
        errors = exc.by_field(current_lang.get())
        first_bad = min((i for i, s in enumerate(forms.steps(service.form)) for f in errors if f.split(".")[0] in s["fields"]), default=step)
        return await _form_page(request, ctx, data, min(first_bad, step), errors, 400)
    except counter_core.CounterError as exc:
        return await _form_page(request, ctx, data, step, {"(service)": pick(exc.message_en, exc.message_hi)}, 503 if isinstance(exc, counter_core.ServiceUnavailable) else 400)
    return render(request, "counter/confirm.html", {
        **ctx, "priced": priced, "pairs": flatten(priced.data), "summary": await _summary(counter, service, priced.data, priced.quote.details),
        "idempotency_key": ctx["form_key"], "methods": _method_choices(),
    })


_FORM_KEY = re.compile(r"^[0-9a-f]{32}$")


def _form_key(posted: Any) -> str:
    """The payment's idempotency key, given to the form when it was opened and carried through its
    steps to the confirmation page: the same form posted again (the browser's Back to the page
    after a payment, and its "resubmit") shows the same key, and paying again answers with the
    first receipt instead of taking the money twice. A form opened afresh gets a new key."""
    return posted if isinstance(posted, str) and _FORM_KEY.match(posted) else counter_core.new_idempotency_key()


#: what a detail's value puts between the values it joins ("Jaipur – Ajmer (135 km)", "Bairwa –
#: Scheduled Caste (SC)", "77 / 602"): a field's value is shown there when it stands between two of
#: these (or the text's start and end). Not a comma: "Tehsildar, Phagi" shows the office, not the
#: applicant's village Phagi.
_BEFORE = (" – ", " / ", "; ", "(")
_AFTER = (" – ", " / ", "; ", ")", " (")
#: a bare number (a count, a khasra) only between these: in brackets it is some other number
_NUMBER_JOINERS = (" – ", " / ")
#: a list's row (a passenger) is shown by one entry of a detail ("Ramesh Kumar Sharma (48, Male)")
#: that has all its values, a comma joining them too
_ROW_BEFORE, _ROW_AFTER = _BEFORE + (", ",), _AFTER + (", ",)
_LIST_ROW = re.compile(r"^(.*?\.[0-9]+)\.")  # "passengers.0.age": the field of the list's row "passengers.0"


def _stands_in(value: str, text: str, before: tuple[str, ...] = _BEFORE, after: tuple[str, ...] = _AFTER) -> bool:
    """Whether ``value`` is one of the values ``text`` joins (both casefolded): the whole text, or
    a run of it with a joiner (or the text's start, end) on either side."""
    start = text.find(value)
    while value and start >= 0:
        end = start + len(value)
        if (start == 0 or text[:start].endswith(before)) and (end == len(text) or text[end:].startswith(after)):
            return True
        start = text.find(value, start + 1)
    return False


async def _summary(counter: Counter, service, data: dict[str, Any], details: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The form's fields for the confirmation page, each once: a field the service's own details
    already show is left to the details. A field is shown there when a detail has its label, or its
    value in either language: the detail's whole value, or one of the values it joins by " – ",
    " / " or "; ", or puts in brackets (a bare number only by " – " or " / "). A row of a list (a
    passenger: name, age, gender) is left out only whole, when one entry of a detail (what "; "
    separates) shows all its values, a comma joining them too; else it is listed whole. A number is
    shown too by a detail that is that many of the service's units ("3 pages", "3 पृष्ठ" for a
    photocopy's number of pages: ``Service.unit_en``, ``unit_hi``). An uploaded document is named by
    its file's name and kind, not by its id."""
    uploads = {str(v) for path, _spec in forms.upload_fields(service.form) if (v := documents.value_at(data, path))}
    shown_labels = {str(d.get("label_en", "")).casefold() for d in details}
    texts = [str(t).casefold() for d in details for t in (d.get("value", ""), d.get("value_hi") or "") if str(t).strip()]
    entries = [entry for text in texts for entry in text.split("; ")]
    units = {u.casefold() for u in (getattr(service, "unit_en", ""), getattr(service, "unit_hi", "")) if u}

    def values(row: dict[str, str]) -> set[str]:
        return {v.strip().casefold() for v in (row["value_en"], row["value_hi"]) if v.strip()}

    def counted(value: str, text: str) -> bool:  # "3 pages" (or "1 page", "45 minutes") is the number 3 of them
        number, _, unit = text.partition(" ")
        return number == value and (unit in units or unit.removesuffix("s") in units)

    def shown(row: dict[str, str]) -> bool:
        if row["label_en"].casefold() in shown_labels:
            return True
        for value in values(row):
            joiners = (_BEFORE, _AFTER) if any(c.isalpha() for c in value) else (_NUMBER_JOINERS, _NUMBER_JOINERS)
            if any(_stands_in(value, text, *joiners) or counted(value, text) for text in texts):
                return True
        return False

    out: list[dict[str, str]] = []
    rows: dict[str, list[dict[str, str]]] = {}  # a list's row ("passengers.0") by its path: its fields
    for row in forms.describe(service.form, data):
        if row["value_en"] in uploads:  # (a document's id: 32 random hex digits)
            doc = await _document(counter, service, row["value_en"])
            out.append({**row, "value_en": doc[0], "value_hi": doc[1]})
        elif listed := _LIST_ROW.match(row["field"]):
            if listed.group(1) not in rows:
                out.append({"field": listed.group(1)})  # the row's place, filled below
            rows.setdefault(listed.group(1), []).append(row)
        elif not shown(row):
            out.append(row)
    summary = []
    for row in out:
        if "label_en" in row:
            summary.append(row)
        elif not any(all(any(_stands_in(v, entry, _ROW_BEFORE, _ROW_AFTER) for v in values(r)) for r in rows[row["field"]])
                     for entry in entries):
            summary += rows[row["field"]]
    # shown on a screen the queue can see: an Aadhaar number typed into a field by its last four digits
    return [{**row, "value_en": privacy.mask_aadhaar_in_text(row["value_en"]), "value_hi": privacy.mask_aadhaar_in_text(row["value_hi"])}
            for row in summary]


async def _document(counter: Counter, service, public_id: str) -> tuple[str, str]:
    """An uploaded document as people know it: "ration-card.pdf (PDF, 120 KB)"."""
    from emitra.core.models import Document

    doc = await Document.get_or_none(public_id=public_id, counter_id=counter.id, service_code=service.code) \
        if documents.is_public_id(public_id) else None
    if doc is None:
        return "Document uploaded", "दस्तावेज़ अपलोड किया गया"
    kind = doc.content_type.split("/")[-1].upper()
    size = documents.size_text(doc.size_bytes)
    name = privacy.mask_any(doc.original_name)  # one named by an Aadhaar number before names were kept masked
    return ((f"{name} ({kind}, {size})", f"{name} ({kind}, {size})") if name
            else (f"{kind}, {size}", f"{kind}, {size}"))


def _method_choices(chosen: str = "", values: dict[str, Any] | None = None, errors: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The payment methods for the confirmation page, each with the fields its operator types."""
    out = []
    for code, method in sorted(payments.methods().items(), key=lambda kv: (kv[0] != "cash", kv[0])):
        if not getattr(method, "available", lambda: True)():  # card: only when Stripe is configured
            continue
        mine = code == chosen
        fields = fields_for(method.form, values if mine else {}, errors if mine else {}) if method.form.get("properties") else []
        for f in fields:  # names carry the method's code: each method's fields are its own
            f.name = f"{code}.{f.name}"
        out.append({"code": code, "title": pick(method.title_en, method.title_hi), "immediate": method.immediate,
                    "fields": fields, "chosen": mine})
    return out


def method_details(method: Any, data: dict[str, Any]) -> dict[str, Any] | None:
    """Validate what the operator typed for ``method`` (FormErrors names the wrong fields)."""
    if not method.form.get("properties"):
        return None
    check = getattr(method, "check_details", None)
    if check is not None:
        return check(data)
    forms.validate(method.form, data)
    return data


@page(OPERATOR, cached=True)
async def pay(request: Request) -> Response:
    """Record the payment (cash, or a pending method such as a cheque or UPI), once, and go to the receipt."""
    counter = await _counter(request)
    citizen = await _citizen(request, counter)
    service = await _service(request, counter)
    form = request.state.form
    raw = {k[5:]: form.getlist(k) for k in form.keys() if k.startswith("data.")}
    data = coerce(service.form, raw)
    posted_lang = form.get("message_lang")  # None from a confirmation page shown before it was asked
    ctx: dict[str, Any] = {"counter": counter, "citizen": citizen, "service": service,
                           "message_lang": (await _message_lang(posted_lang, citizen))[0],
                           "form_key": _form_key(form.get("idempotency_key"))}
    try:
        expected = int(str(form.get("expected_total_paise", "")))
    except ValueError:
        raise HTTPException(400, _("The confirmation form is incomplete; fill the service form again.")) from None
    code = str(form.get("method") or "cash")
    method = payments.methods().get(code)
    if method is None or not getattr(method, "available", lambda: True)():
        return await _reconfirm(request, ctx, data, form, {"method": _("Choose how the citizen pays from the list.")})
    prefix = code + "."
    typed = coerce(method.form, {k[len(prefix):]: form.getlist(k) for k in form.keys() if k.startswith(prefix)})
    try:
        details = method_details(method, typed)
    except FormErrors as exc:
        return await _reconfirm(request, ctx, data, form, {}, code, typed, exc.by_field(current_lang.get()))
    key = _hold_key(request, ctx["form_key"])
    try:
        await documents.check_held(actor(request), counter, service, data, key)
    except FormErrors as exc:  # its hour passed on the confirmation page, or another session's scan
        return await _form_page(request, ctx, data, 0, exc.by_field(current_lang.get()), 400)
    try:
        tendered = None
        if method.immediate:
            tendered_text = str(form.get("tendered", "")).strip()
            tendered = parse_rupees(tendered_text) if tendered_text else expected
        counter_request = await counter_core.record_payment(
            actor(request), counter, citizen, service.code, data, str(form.get("idempotency_key", "")), code,
            expected_total_paise=expected, tendered_paise=tendered, payment_details=details,
            message_lang=None if posted_lang is None else str(posted_lang))
        if code == "card":  # pressed again after Stripe did not answer: ask again, same key, same intent
            await card_payments.ensure_started(counter_request)
    except AmountError as exc:
        return await _reconfirm(request, ctx, data, form, {"tendered": _("Cash received") + ": " + pick(str(exc), exc.message_hi)},
                                code, typed)
    except card_payments.CardUnavailable as exc:  # Stripe did not answer (same key again) or refused (a new key)
        return await _reconfirm(request, ctx, data, form, {"method": pick(exc.message_en, exc.message_hi)}, code, typed,
                                key=None if exc.retry_same_key else counter_core.new_idempotency_key())
    except counter_core.IdempotencyConflict as exc:
        return await _reconfirm(request, ctx, data, form, {exc.field: await _paid_already(counter, str(form.get("idempotency_key", "")), exc)},
                                code, typed)
    except counter_core.CounterError as exc:
        return await _reconfirm(request, ctx, data, form, {exc.field: pick(exc.message_en, exc.message_hi)}, code, typed)
    except FormErrors as exc:
        return await _form_page(request, ctx, data, 0, exc.by_field(current_lang.get()), 400)
    await documents.release_form(actor(request), key)  # the scans the recorded form left out are deleted
    return RedirectResponse(f"/receipts/{counter_request.receipt_no}", status_code=303)


pay_cash = pay  # the route's former name


async def _paid_already(counter: Counter, key: str, exc: counter_core.CounterError) -> str:
    """This form was paid already (its page came back with the browser's Back), and what is posted
    now differs from what was paid: the receipt to open, and how to take a new payment."""
    first = await ServiceRequest.get_or_none(idempotency_key=key, counter_id=counter.id) if key else None
    if first is None:
        return pick(exc.message_en, exc.message_hi)
    return _("This form was paid already: receipt %(receipt)s (open it from Recent transactions on the Counter page). "
             "Nothing more was recorded. To take another payment, open the service again from the citizen's page.") % {
        "receipt": first.receipt_no}


async def _reconfirm(request: Request, ctx: dict[str, Any], data: dict[str, Any], form: Any, errors: dict[str, str],
                     method: str = "", typed: dict[str, Any] | None = None, method_errors: dict[str, str] | None = None,
                     key: str | None = None) -> Response:
    priced = await counter_core.price(ctx["counter"], ctx["service"], data)
    return render(request, "counter/confirm.html", {
        **ctx, "priced": priced, "pairs": flatten(data),
        "summary": await _summary(ctx["counter"], ctx["service"], priced.data, priced.quote.details),
        "idempotency_key": key or str(form.get("idempotency_key", "")),
        "errors": errors, "tendered": str(form.get("tendered", "")),
        "methods": _method_choices(method, typed, method_errors),
    }, 400)


@page(RECEIPT_READERS)
async def receipt(request: Request) -> Response:
    """The printable receipt. Each role sees only the receipts in its scope."""
    user = request.state.user
    req = await ServiceRequest.get_or_none(receipt_no=request.path_params["receipt_no"].upper()).prefetch_related("counter", "citizen", "operator", "payments")
    if req is None:
        raise HTTPException(404, _("No receipt with this number."))
    if user.role == Role.CITIZEN:
        if req.citizen_id != user.citizen_id:
            raise HTTPException(404, _("No receipt with this number."))
    elif not can_see_counter(user, req.counter):
        raise HTTPException(404, _("No receipt with this number."))
    return await _receipt_page(request, req)


LANG_CHANGERS = [Role.OPERATOR, Role.SOCIETY_ADMIN]


def may_change_message_lang(user: Any, req: ServiceRequest, counter: Counter) -> bool:
    """Who may change the language of the citizen's messages about a receipt (decision 108): an
    operator of the counter where it was filed (``req.counter_id``, which a case's move leaves), a
    Society admin of that counter's district. ``counter`` is the request's."""
    if user.role == Role.OPERATOR:
        return user.counter_id == req.counter_id
    return user.role == Role.SOCIETY_ADMIN and counter.district_id == user.district_id


async def _receipt_page(request: Request, req: ServiceRequest, error: str = "", reason: str = "", status: int = 200,
                        cancel_error: str = "", cancel_reason: str = "", lang_error: str = "") -> Response:
    payment = req.payments[0] if req.payments else None
    service = counter_core.get_host().registry.get(req.service_code)
    # not offered while the payment has not been received (a UPI or card payment awaited, a cheque in
    # clearing, one that bounced): there is nothing to refund in cash (core/counter.py, unpaid_refusal)
    cancellable = bool(service and service.cancellable) and req.status != RequestStatus.CANCELLED \
        and counter_core.unpaid_refusal(req, list(req.payments)) is None
    # the counter that took it may withdraw an awaited card or UPI payment the citizen did not make
    user = request.state.user
    withdrawable = user.role == Role.OPERATOR and user.counter_id == req.counter_id \
        and counter_core.withdrawable_payment(req, list(req.payments)) is not None
    method = payments.methods().get(payment.method) if payment else None
    from emitra.core.models import Case

    # an application's or grievance's receipt tells the citizen by when to expect the answer and how
    # to follow it (it said neither: the citizen had to come back to the counter to ask)
    case = await Case.get_or_none(request_id=req.id)
    return render(request, "receipt.html", {"r": req, "payment": payment, "cancellable": cancellable,
                                            "case": case, "track_url": site_url(request) + "/track",
                                            "refund_to_card": counter_core.card_paid(list(req.payments)) is not None,
                                            "refund_to_upi": counter_core.upi_paid(list(req.payments)) is not None,
                                            "withdrawable": withdrawable, "withdraw_error": error, "withdraw_reason": reason,
                                            "cancel_error": cancel_error, "cancel_reason": cancel_reason,
                                            "split": await _fee_split(req),
                                            "lang_form": may_change_message_lang(user, req, req.counter), "lang_error": lang_error,
                                            "lang_changes": await counter_core.message_lang_changes(req),
                                            "method_title": pick(method.title_en, method.title_hi) if method else ""}, status)


async def _fee_split(req: ServiceRequest) -> list[tuple[str, int]]:
    """Who receives the service charge, from the request's own postings (what was actually posted)."""
    from emitra.core.models import Posting

    names = {"lsp_fee_payable": "share.lsp", "owner_fee_payable": "share.owner", "society_fee_income": "share.society"}
    rows = await Posting.filter(entry__request_id=req.id, entry__idempotency_key=f"request:{req.receipt_no}").values("account", "amount_paise")
    out = []
    for row in rows:
        kind = row["account"].split(":")[0]
        if kind in names and row["amount_paise"] < 0:
            out.append((names[kind], -row["amount_paise"]))
    return out


DOCUMENT_READERS = [Role.OPERATOR, Role.SOCIETY_ADMIN, Role.DEPARTMENT_OFFICER]


@page(DOCUMENT_READERS)
async def document(request: Request) -> Response:
    """A scanned document, to the roles allowed to see it; to anyone else it does not exist."""
    from emitra.core.models import Document

    public_id = request.path_params["public_id"]
    doc = await Document.get_or_none(public_id=public_id) if documents.is_public_id(public_id) else None
    if doc is None or not await documents.can_read(request.state.user, doc):
        raise HTTPException(404, _("No such document."))
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[doc.content_type]
    # a download named by its id, of the type its content was checked to be; never shown as a page
    return Response(documents.read(doc), media_type=doc.content_type, headers={
        "Content-Disposition": f'attachment; filename="{doc.public_id}.{extension}"', "Cache-Control": "no-store",
        "Content-Security-Policy": "default-src 'none'; sandbox"})


@page(OPERATOR)
async def resubmit_case(request: Request) -> Response:
    """Resubmit an application sent back for correction (``/counter/cases``): what was corrected and,
    when the department asked for one, the scan of the new or corrected document, checked and
    stored as the form's scans are, attached to the application in the same transaction."""
    case = await office._counter_case(request)
    form = request.state.form
    remark = str(form.get("remark", "")).strip()
    upload = form.get("document")
    content = filename = None
    if upload is not None and not isinstance(upload, str) and getattr(upload, "filename", ""):
        # the limit and one byte into memory; a refusal names upload.size (as the form's uploads do)
        content = await upload.read(int(documents.CORRECTION_SPEC["max_kb"]) * 1024 + 1)
        filename = upload.filename
    try:
        await corrections.resubmit(actor(request), case, remark, filename=filename or "", content=content,
                                   size=upload.size if content is not None else None)
    except workflow.WorkflowError as exc:
        message = pick(exc.message_en, exc.message_hi)
    except FormErrors as exc:
        message = _("Corrected document: %(problem)s") % {"problem": next(iter(exc.by_field(current_lang.get()).values()))}
    else:
        return RedirectResponse(f"/counter/cases?{urlencode({'done': 'resubmit', 'number': case.number})}", status_code=303)
    return await office._counter_page(request, errors={case.id: message}, remarks={case.id: remark}, status=400)


async def _own_receipt(request: Request) -> tuple[Counter, ServiceRequest]:
    """The operator's counter and the receipt in the path, if that counter took it (else 404)."""
    counter = await _counter(request)
    req = await ServiceRequest.get_or_none(receipt_no=request.path_params["receipt_no"].upper())
    if req is None or req.counter_id != counter.id:
        raise HTTPException(404, _("No receipt with this number."))
    return counter, req


@page(LANG_CHANGERS)
async def change_message_lang(request: Request) -> Response:
    """Correct the language of the citizen's messages after payment (decision 108): the operator of
    the counter where it was filed, or a Society admin of its district; anyone else is told there
    is no such receipt, as on the receipt page."""
    req = await ServiceRequest.get_or_none(receipt_no=request.path_params["receipt_no"].upper()).prefetch_related("counter")
    if req is None or not may_change_message_lang(request.state.user, req, req.counter):
        raise HTTPException(404, _("No receipt with this number."))
    try:
        await counter_core.change_message_lang(actor(request), req, request.state.form.get("message_lang"))
    except counter_core.CounterError as exc:
        req = await ServiceRequest.get(id=req.id).prefetch_related("counter", "citizen", "operator", "payments")
        return await _receipt_page(request, req, status=400, lang_error=pick(exc.message_en, exc.message_hi))
    return RedirectResponse(f"/receipts/{req.receipt_no}#message-lang-form", status_code=303)


@page(OPERATOR)
async def withdraw_payment(request: Request) -> Response:
    """The citizen left without paying: withdraw the receipt's awaited card or UPI payment."""
    counter, req = await _own_receipt(request)
    reason = str(request.state.form.get("reason", ""))
    try:
        await counter_core.withdraw_payment(actor(request), counter, req, reason)
    except counter_core.CounterError as exc:
        req = await ServiceRequest.get(id=req.id).prefetch_related("counter", "citizen", "operator", "payments")
        return await _receipt_page(request, req, pick(exc.message_en, exc.message_hi), reason, 400)
    return RedirectResponse(f"/receipts/{req.receipt_no}", status_code=303)


@page(OPERATOR)
async def cancel_request(request: Request) -> Response:
    """Cancel a paid booking (services that allow it); the partner's refund is paid back to the card
    for a card payment (through Stripe), owed to the citizen's UPI account (sent by the Society) for
    a UPI payment, in cash otherwise. The receipt then says which."""
    counter, req = await _own_receipt(request)
    reason = str(request.state.form.get("reason", ""))
    try:
        await counter_core.cancel(actor(request), counter, req, reason)
    except counter_core.CounterError as exc:
        # the receipt again, the refusal above its cancel form and the reason still typed (it was an
        # error page: the operator lost the receipt and the reason)
        req = await ServiceRequest.get(id=req.id).prefetch_related("counter", "citizen", "operator", "payments")
        return await _receipt_page(request, req, status=400, cancel_error=pick(exc.message_en, exc.message_hi), cancel_reason=reason)
    return RedirectResponse(f"/receipts/{req.receipt_no}", status_code=303)
