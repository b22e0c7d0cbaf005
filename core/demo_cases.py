"""Applications and grievances on the demo district, so every workflow page has something to show.

``emitra demo-cases`` (run by ``make demo`` after ``emitra demo``):

1. A caste certificate applied for at the JanMitra kiosk in Chomu (operator2), approved and issued
   by the Tehsildar, handed over at the kiosk: the citizen can follow every step at /track, and
   the certificate's QR code opens its verification page.
2. A second caste certificate, waiting in the Tehsildar's inbox (approve it in the browser), and a
   domicile certificate that needs a personal verification.
3. A grievance about water supply, filed at the counter for Rs 5, left unanswered past its SLA:
   the sweep escalates it to the PHED Superintending Engineer (level 2). Its dates are moved back
   four days to stand in for the days nobody acted (the only invented thing here).

Safe to run twice: a second run finds the journey done and only prints it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from emitra.core import audit, documents, workflow
from emitra.core import counter as counter_core
from emitra.core.models import Case, CaseEvent, Certificate, Citizen, Counter, Notification, User
from emitra.core.plugins import get_host

CASTE = "gov.rj.revenue.caste_certificate"
DOMICILE = "gov.rj.revenue.domicile_certificate"
GRIEVANCE = "gov.rj.sampark.grievance"
KEYS = ("demo-case-caste-1", "demo-case-caste-2", "demo-case-domicile-1", "demo-case-grievance-1")
# A minimal valid PDF, standing in for the scanned ration card and residence proof.
SCAN = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


class DemoCasesError(Exception):
    pass


async def _at_counter(username: str) -> tuple[audit.Actor, Counter]:
    user = await User.get_or_none(username=username)
    if user is None:
        raise DemoCasesError("The demo district is not loaded: run `emitra demo` first.")
    return audit.Actor(user, via="cli"), await Counter.get(id=user.counter_id)


async def _apply(username: str, code: str, form: dict[str, Any], key: str, citizen_name: str) -> Case:
    actor, counter = await _at_counter(username)
    citizen = await Citizen.get(name=citizen_name)
    service = get_host().registry.get(code)
    form = dict(form)
    from emitra.core.forms import upload_fields

    for path, _ in upload_fields(service.form):
        doc = await documents.store(actor, counter, service, path, "scan.pdf", SCAN)
        form[path] = doc.public_id
    request = await counter_core.record_cash(actor, counter, citizen, code, form, key)
    return await Case.get(request_id=request.id)


async def _existing(key: str) -> Case | None:
    from emitra.core.models import ServiceRequest

    request = await ServiceRequest.get_or_none(idempotency_key=key)
    return await Case.get_or_none(request_id=request.id) if request else None


async def _backdate(case: Case, days: int) -> Case:
    """Move a case's dates back, standing in for days that passed with nobody acting."""
    delta = dt.timedelta(days=days)
    for event in await CaseEvent.filter(case_id=case.id):
        event.created_at -= delta
        await event.save(update_fields=["created_at"])
    case.created_at -= delta
    case.state_since -= delta
    case.state_due_at = case.state_due_at - delta if case.state_due_at else None
    case.due_at = case.due_at - delta if case.due_at else None
    await case.save(update_fields=["created_at", "state_since", "state_due_at", "due_at"])
    return case


async def run() -> dict[str, Any]:
    caste = await _existing(KEYS[0])
    if caste is None:
        address = {"house": "Ward 7, near the bus stand", "village_ward": "Chomu", "tehsil": "chomu", "district": "Jaipur", "pin": "303702"}
        caste = await _apply("operator2", CASTE, {
            "applicant_name": "Geeta Meena", "father_name": "Ram Lal Meena", "caste_category": "ST", "caste": "Meena",
            "address": address, "mobile": "8003344556"}, KEYS[0], "Geeta Meena")
        tehsildar = audit.Actor(await User.get(username="tehsildar"), via="cli")
        caste = await workflow.act(tehsildar, caste, "approve", "Caste verified against the ration card and the Patwari's report.")
        caste = await workflow.act(tehsildar, caste, "issue")
        kiosk = audit.Actor(await User.get(username="operator2"), via="cli")
        caste = await workflow.act(kiosk, caste, "collect", "Identity checked; the citizen signed the collection register.")
    waiting = await _existing(KEYS[1])
    if waiting is None:
        waiting = await _apply("operator1", CASTE, {
            "applicant_name": "Sunita Devi", "father_name": "Mangi Lal", "caste_category": "OBC", "caste": "Jat",
            "annual_family_income": 180000, "non_creamy_layer": True,
            "address": {"house": "12", "village_ward": "Chomu", "tehsil": "chomu", "district": "Jaipur", "pin": "303702"},
            "mobile": "9414098765"}, KEYS[1], "Sunita Devi")
    domicile = await _existing(KEYS[2])
    if domicile is None:
        example = dict(get_host().registry.get(DOMICILE).example or {})
        domicile = await _apply("operator1", DOMICILE, example, KEYS[2], "Mohammed Iqbal")
    grievance = await _existing(KEYS[3])
    if grievance is None:
        grievance = await _apply("operator1", GRIEVANCE, {
            "department": "phed", "subject": "No water supply in ward 12 for a week",
            "description": "The PHED tap supply in ward 12, Chomu has been off since 20 November; the tanker has not come either.",
            "mobile": "9783011122"}, KEYS[3], "Mohammed Iqbal")
        grievance = await _backdate(grievance, 4)
        await workflow.sweep(audit.Actor(None, via="cli"))
        grievance = await Case.get(id=grievance.id)
    certificate = await Certificate.get(case_id=caste.id)
    return {
        "caste": {"receipt_no": caste.number, "mobile": "8003344556", "state": caste.state, "certificate": certificate.number,
                  "verify_path": f"/verify/certificate/{certificate.token}"},
        "waiting": {"receipt_no": waiting.number, "state": waiting.state},
        "domicile": {"receipt_no": domicile.number, "state": domicile.state},
        "grievance": {"receipt_no": grievance.number, "mobile": "9783011122", "state": grievance.state, "level": grievance.level,
                      "breached": grievance.breached},
        "outbox": await Notification.all().count(),
    }


def summary_text(result: dict[str, Any], base_url: str = "http://127.0.0.1:8000") -> str:
    c, w, d, g = result["caste"], result["waiting"], result["domicile"], result["grievance"]
    return "\n".join([
        "Demo applications and grievances:",
        f"  Caste certificate {c['receipt_no']} (JanMitra kiosk, Chomu): {c['state']}; certificate {c['certificate']}",
        f"    track it:  {base_url}/track  (number {c['receipt_no']}, mobile {c['mobile']})",
        f"    verify it: {base_url}{c['verify_path']}",
        f"  Caste certificate {w['receipt_no']}: {w['state']}: log in as tehsildar and approve it at {base_url}/office",
        f"  Domicile certificate {d['receipt_no']}: {d['state']}: needs a personal verification first",
        f"  Grievance {g['receipt_no']} (PHED): {g['state']}, SLA breached: {g['breached']}, escalated to level {g['level']} "
        f"(log in as phed_se)",
        f"  Messages in the outbox: {result['outbox']} (log in as society: {base_url}/admin/outbox)",
    ])
