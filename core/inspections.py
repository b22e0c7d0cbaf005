"""The Society's inspections of counters: a yes/no checklist, the findings, and a follow-up with a due date.

The district Society's admin records what they saw at a counter (:func:`record`); every item of
the checklist is answered yes or no, and a "no" needs the findings written down. A follow-up (what
the LSP must put right) has a due date; the Society marks it done with a note (:func:`close`), and
:func:`overdue` lists the follow-ups past their date (shown on the watch page). Each change is
written with its audit record in one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from emitra.core import audit, clock, privacy
from emitra.core.models import Counter, CounterKind, Inspection, Role
from emitra.core.text import count_en, noun_hi

#: what the inspector checks: code, English, Hindi
CHECKLIST: list[tuple[str, str, str]] = [
    ("id_card", "The operator wears the photo ID card", "ऑपरेटर फ़ोटो पहचान पत्र पहने हुए है"),
    ("rate_list", "The rate list is displayed where citizens can read it", "दर सूची नागरिकों को दिखने वाली जगह पर लगी है"),
    ("signage", "The e-Mitra signage (board with the counter code) is displayed", "ई-मित्र साइनबोर्ड (काउंटर कोड सहित) लगा है"),
    ("authorisation", "The Society's authorisation of the counter is displayed", "काउंटर का सोसाइटी प्राधिकार-पत्र लगा है"),
    ("complaint_book", "The complaint and suggestion book is present and offered", "शिकायत एवं सुझाव पुस्तिका उपलब्ध है और दी जाती है"),
    ("receipts", "A receipt is issued for every transaction", "हर लेन-देन की रसीद दी जाती है"),
    ("cash_register", "The cash register / day-end book is kept up to date", "नकद रजिस्टर / दिवसांत पुस्तिका अद्यतन रखी है"),
    ("equipment", "The computer, printer and biometric device work", "कंप्यूटर, प्रिंटर और बायोमेट्रिक उपकरण काम करते हैं"),
]
#: items asked only at some counters: the complaint book is kept at LokMitra centres only
LOKMITRA_ONLY = {"complaint_book"}
FINDINGS_MAX = 4000
NOTE_MIN, NOTE_MAX = 5, 2000


class InspectionError(ValueError):
    """An inspection that cannot be recorded or closed, naming the field, in English and Hindi."""

    def __init__(self, field: str, message_en: str, message_hi: str, fields: tuple[str, ...] = ()):
        super().__init__(f"{field}: {message_en}")
        self.field = field
        self.message_en = message_en
        self.message_hi = message_hi
        #: every field at fault, ``field`` first (the checklist's items left unanswered, decision 202)
        self.fields = fields or (field,)


@dataclass(frozen=True)
class Item:
    code: str
    en: str
    hi: str


def _kind(counter: Counter) -> str:
    return counter.kind.value if hasattr(counter.kind, "value") else str(counter.kind)


def checklist_for(counter: Counter) -> list[Item]:
    """The items asked at this counter, in order (a JanMitra kiosk keeps no complaint book)."""
    lokmitra = _kind(counter) == CounterKind.LOKMITRA.value
    return [Item(c, en, hi) for c, en, hi in CHECKLIST if lokmitra or c not in LOKMITRA_ONLY]


def item_label(code: str, lang: str = "en") -> str:
    for c, en, hi in CHECKLIST:
        if c == code:
            return hi if lang == "hi" else en
    return code


def is_open(inspection: Inspection) -> bool:
    """A follow-up is waiting (given and not yet marked done)."""
    return bool(inspection.follow_up) and inspection.closed_at is None


def _check_society(actor: audit.Actor, district_id: int) -> None:
    user = actor.user
    role = getattr(getattr(user, "role", None), "value", getattr(user, "role", None))
    if user is None or role != Role.SOCIETY_ADMIN.value or user.district_id != district_id:
        raise InspectionError("role", "Only the Society admin of the counter's district records and closes its inspections.",
                              "काउंटर के ज़िले की सोसाइटी के एडमिन ही निरीक्षण दर्ज और बंद करते हैं।")


async def record(actor: audit.Actor, counter: Counter, inspected_on: dt.date, checklist: dict[str, bool], findings: str = "",
                 follow_up: str = "", follow_up_due: dt.date | None = None) -> Inspection:
    """Record an inspection of ``counter``. Raises :class:`InspectionError` naming the first field
    to fix (``inspected_on``, ``checklist.<code>``, ``findings``, ``follow_up``, ``follow_up_due``);
    nothing is written then."""
    _check_society(actor, counter.district_id)
    # kept masked, as a case's text (docs/security.md)
    findings, follow_up = privacy.mask_aadhaar_in_text((findings or "").strip()), privacy.mask_aadhaar_in_text((follow_up or "").strip())
    if not isinstance(inspected_on, dt.date):
        raise InspectionError("inspected_on", "Date of inspection: give the date as YYYY-MM-DD.", "निरीक्षण की तिथि: YYYY-MM-DD के रूप में दें।")
    today = clock.today()
    if inspected_on > today:
        raise InspectionError(
            "inspected_on",
            f"Date of inspection: {inspected_on.isoformat()} is in the future; record an inspection on or after the day "
            f"it was made (today is {today.isoformat()}).",
            f"निरीक्षण की तिथि: {inspected_on.isoformat()} भविष्य की तिथि है; निरीक्षण होने के दिन या बाद में दर्ज करें "
            f"(आज {today.isoformat()} है)।")
    items = checklist_for(counter)
    answers: dict[str, bool] = {}
    known = {i.code for i in items}
    for code in checklist:
        if code not in known:
            raise InspectionError(f"checklist.{code}", f"Checklist: {code!r} is not asked at {counter.code}.",
                                  f"जाँच सूची: {counter.code} पर {code!r} नहीं पूछा जाता।")
    unanswered = [item for item in items if not isinstance(checklist.get(item.code), bool)]
    if len(unanswered) == 1:
        item = unanswered[0]
        raise InspectionError(f"checklist.{item.code}", f"{item.en}: answer yes or no.", f"{item.hi}: हाँ या नहीं चुनें।")
    if unanswered:  # each one named at once, not the first of them (decision 202)
        n = len(unanswered)
        raise InspectionError(f"checklist.{unanswered[0].code}",
                              f"{n} items are not answered: " + "; ".join(i.en for i in unanswered) + ". Answer yes or no to each.",
                              f"{n} बिंदुओं का उत्तर नहीं दिया गया: " + "; ".join(i.hi for i in unanswered) + "। हर एक के लिए हाँ या नहीं चुनें।",
                              tuple(f"checklist.{i.code}" for i in unanswered))
    for item in items:
        answers[item.code] = checklist[item.code]
    failed = [i for i in items if not answers[i.code]]
    if failed and not findings:
        n = len(failed)
        raise InspectionError("findings", f"Findings: write what you found, since {count_en(n, 'item')} "
                                          f"{'was' if n == 1 else 'were'} answered no ({failed[0].en}).",
                              f"निष्कर्ष: क्या पाया वह लिखें, क्योंकि {n} {noun_hi(n, 'बिंदु', 'बिंदुओं')} का उत्तर 'नहीं' है ({failed[0].hi})।")
    if len(findings) > FINDINGS_MAX:
        raise InspectionError("findings", f"Findings: at most {FINDINGS_MAX} characters (now {len(findings)}).",
                              f"निष्कर्ष: अधिकतम {FINDINGS_MAX} अक्षर (अभी {len(findings)})।")
    if len(follow_up) > FINDINGS_MAX:
        raise InspectionError("follow_up", f"Follow-up: at most {FINDINGS_MAX} characters (now {len(follow_up)}).",
                              f"अनुवर्ती कार्रवाई: अधिकतम {FINDINGS_MAX} अक्षर (अभी {len(follow_up)})।")
    if follow_up and follow_up_due is None:
        raise InspectionError("follow_up_due", "Follow-up due by: give the date by which the follow-up must be done.",
                              "अनुवर्ती कार्रवाई की अंतिम तिथि: वह तिथि दें जब तक कार्रवाई पूरी होनी है।")
    if follow_up_due is not None and not follow_up:
        raise InspectionError("follow_up", "Follow-up: write what must be done by the due date, or leave the date empty.",
                              "अनुवर्ती कार्रवाई: अंतिम तिथि तक क्या करना है लिखें, या तिथि खाली छोड़ें।")
    if follow_up_due is not None and follow_up_due <= inspected_on:
        raise InspectionError("follow_up_due", f"Follow-up due by: give a date after the inspection ({inspected_on.isoformat()}).",
                              f"अनुवर्ती कार्रवाई की अंतिम तिथि: निरीक्षण ({inspected_on.isoformat()}) के बाद की तिथि दें।")
    async with in_transaction():
        inspection = await Inspection.create(district_id=counter.district_id, counter=counter, inspector=actor.user,
                                             inspected_on=inspected_on, checklist=answers, findings=findings, follow_up=follow_up,
                                             follow_up_due=follow_up_due)
        await audit.record(actor, "inspection.recorded", inspection, district_id=counter.district_id, counter_id=counter.id,
                           detail={"counter": counter.code, "inspected_on": inspected_on.isoformat(),
                                   "failed": [i.code for i in failed],
                                   "follow_up_due": follow_up_due.isoformat() if follow_up_due else None})
    return inspection


async def close(actor: audit.Actor, inspection: Inspection, note: str) -> Inspection:
    """Mark the inspection's follow-up done, with a note of what was seen to be put right."""
    _check_society(actor, inspection.district_id)
    note = privacy.mask_aadhaar_in_text((note or "").strip())
    if not inspection.follow_up:
        raise InspectionError("inspection", "This inspection has no follow-up to mark done.", "इस निरीक्षण में कोई अनुवर्ती कार्रवाई नहीं है।")
    if not NOTE_MIN <= len(note) <= NOTE_MAX:
        raise InspectionError("note", f"Note: say how the follow-up was done, {NOTE_MIN} to {NOTE_MAX} characters (now {len(note)}).",
                              f"टिप्पणी: अनुवर्ती कार्रवाई कैसे पूरी हुई लिखें, {NOTE_MIN} से {NOTE_MAX} अक्षर (अभी {len(note)})।")
    at = clock.now()
    async with in_transaction():
        # only an open follow-up is closed: two admins closing at once close it once
        if not await Inspection.filter(id=inspection.id, closed_at=None).update(closed_at=at, closed_note=note):
            raise InspectionError("inspection", "This follow-up was already marked done.", "यह अनुवर्ती कार्रवाई पहले ही पूरी दर्ज है।")
        await audit.record(actor, "inspection.closed", inspection, district_id=inspection.district_id,
                           counter_id=inspection.counter_id, detail={"note": note})
    inspection.closed_at, inspection.closed_note = at, note
    return inspection


async def overdue(district_id: int, today: dt.date) -> list[Inspection]:
    """Open follow-ups of the district past their due date, the most overdue first (counter loaded)."""
    return await (Inspection.filter(district_id=district_id, closed_at=None, follow_up_due__lt=today)
                  .exclude(follow_up="").order_by("follow_up_due", "id").prefetch_related("counter"))


def days_overdue(inspection: Inspection, today: dt.date) -> int:
    return (today - inspection.follow_up_due).days if inspection.follow_up_due else 0


def summary(inspection: Inspection) -> dict[str, Any]:
    """The checklist as answered, in order, with the labels: [{code, en, hi, answer}]."""
    answers = inspection.checklist or {}
    return {"items": [{"code": c, "en": en, "hi": hi, "answer": answers[c]} for c, en, hi in CHECKLIST if c in answers],
            "failed": [c for c, v in answers.items() if v is False]}
