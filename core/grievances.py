"""Grievances filed online by citizens: to a department, to the district administration, or about
an e-Mitra counter.

A grievance to a department goes to that department's officers (the same departments as the
Rajasthan Sampark grievance taken at a counter for Rs 5); one to the district administration goes
to the District Collectorate; a complaint about a counter (overcharging, no receipt, rude
behaviour, a service refused) goes to the district e-Mitra Society's desk, which licenses the
counters. Each is opened as a case (:func:`emitra.core.workflow.open_case`) numbered
``GR-<district>-0000001`` and forwarded at once, in one transaction: a case is either filed and
forwarded with its messages queued, or nothing is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from emitra.core import audit, auth, config, privacy, workflow
from emitra.core.models import Case, Counter, District, ServiceRequest
from emitra.core.notify import MESSAGE_LANGS
from emitra.core.text import plain, typed_mobile, typed_number
from emitra.plugins.government.grievance import DEPARTMENTS, department_name

ABOUT = ("department", "district", "counter")
DISTRICT_DEPARTMENT = "District Collectorate"
SOCIETY_DEPARTMENT = "e-Mitra Society"
#: the Hindi names of the departments online grievances go to (shown on Hindi pages: plugins.department_hi)
DEPARTMENTS_HI: dict[str, str] = {DISTRICT_DEPARTMENT: "जिला कलेक्टरेट", SOCIETY_DEPARTMENT: "ई-मित्र सोसायटी",
                                  **{en: hi for _code, en, hi in DEPARTMENTS}}
GRIEVANCE = "emitra.grievance"
COUNTER_COMPLAINT = "emitra.counter_complaint"

#: what a complaint about a counter can be about: code, English, Hindi
COMPLAINT_TYPES: list[tuple[str, str, str]] = [
    ("overcharging", "Overcharging (asked for more than the receipt or the fee list)", "अधिक राशि लेना (रसीद या शुल्क सूची से अधिक)"),
    ("no_receipt", "No receipt given", "रसीद नहीं दी गई"),
    ("rude", "Rude behaviour", "दुर्व्यवहार"),
    ("refused", "Service refused", "सेवा देने से मना किया"),
    ("other", "Other", "अन्य"),
]

MOBILE = re.compile(r"[6-9]\d{9}")
#: the same grievance (district, mobile, where it goes, subject and text) filed again within this time is
#: the one already filed: a double click, a form sent again after Back or a reload, a retry on a slow
#: link whose first answer never came (decision 94)
REPEAT_WINDOW = dt.timedelta(minutes=30)
RECEIPT = re.compile(r"[A-Z0-9]{4,24}")
#: a counter's code without its dashes: the district, LM (a LokMitra centre) or JM (a JanMitra kiosk), the serial
COUNTER_CODE = re.compile(r"([A-Z]{2})(LM|JM)(\d{3,})")


@dataclass
class GrievanceInvalid(Exception):
    """Every problem with a grievance form at once: field -> (English, Hindi)."""

    errors: dict[str, tuple[str, str]] = field(default_factory=dict)

    def __str__(self) -> str:
        return "; ".join(f"{k}: {en}" for k, (en, _) in self.errors.items())


def complaint_label(code: str, lang: str = "en") -> str:
    for c, en, hi in COMPLAINT_TYPES:
        if c == code:
            return hi if lang == "hi" else en
    return code


def complaint_header(complaint_type: str, counter: Counter, receipt_no: str, lang: str) -> str:
    """The line a complaint about a counter begins with (the case's body): the complaint, the counter
    and the receipt, in the language of the citizen's messages, so the counter is named as the
    citizen knows it (its Hindi name in Hindi, the English one when it has none: decision 131)."""
    if lang == "hi":
        header = f"शिकायत: {complaint_label(complaint_type, 'hi')}। काउंटर: {counter.code} ({counter.name_hi or counter.name})।"
        return header + (f" रसीद: {receipt_no}।" if receipt_no else "")
    header = f"Complaint: {complaint_label(complaint_type)}. Counter: {counter.code} ({counter.name})."
    return header + (f" Receipt: {receipt_no}." if receipt_no else "")


def mobile_throttle_key(mobile: str) -> str:
    """The throttle key counting the online grievances of one mobile number (decision 103): keyed by
    a keyed hash of the number, so the throttle table never holds a citizen's mobile."""
    key = hmac.new(config.secret_key().encode(), b"emitra-grievance-mobile-v1", hashlib.sha256).digest()
    return "grievance-mobile:" + hmac.new(key, mobile.encode(), hashlib.sha256).hexdigest()[:32]


def typed_counter_code(typed: str) -> str:
    """A counter's code as stored (JP-JM-001), however it was typed: ``jp jm 001``, ``JPJM001``, ``JP–JM–001``."""
    compact = typed_number(typed).upper()
    code = COUNTER_CODE.fullmatch(compact)
    return f"{code[1]}-{code[2]}-{code[3]}" if code else typed.strip().upper()  # quoted as typed when refused


def _length(errors: dict[str, tuple[str, str]], name: str, value: str, low: int, high: int, label: tuple[str, str]) -> None:
    if not (low <= len(value) <= high):
        errors[name] = (
            f"{label[0]}: write {low} to {high} characters (now {len(value)}).",
            f"{label[1]}: {low} से {high} अक्षर लिखें (अभी {len(value)})।",
        )


async def file_online(
    actor: audit.Actor,
    district_id: int,
    *,
    about: str,
    department: str | None = None,
    counter_code: str | None = None,
    complaint_type: str | None = None,
    receipt_no: str | None = None,
    name: str,
    mobile: str,
    subject: str,
    body: str,
    lang: str,
) -> Case:
    """Check every field, then open and forward the grievance. Raises :class:`GrievanceInvalid`
    naming each bad field (nothing is written then). ``lang`` (``en`` or ``hi``, under the field
    ``message_lang``) is the language of the messages to the citizen: the case's ``lang``.

    The same grievance sent again within :data:`REPEAT_WINDOW` (same district, mobile, destination,
    subject and text) is not filed twice: the case filed the first time is returned, with its
    attribute ``filed_before`` set, and nothing is written, unless it was sent again with the other
    language ticked: that is then the language of its messages from now on (decision 111)."""
    name, mobile = plain(name).strip(), typed_mobile(mobile or "")  # +91 98290 12345, ९८२९०१२३४५: its 10 digits
    # no control character or text-reordering mark: they reached the officer's pages and the shell as written
    subject, body = plain(subject).strip(), plain(body, multiline=True).strip()
    department = (department or "").strip()
    counter_code = typed_counter_code(counter_code or "")
    complaint_type = (complaint_type or "").strip()
    receipt_no = typed_number(receipt_no or "").upper()
    errors: dict[str, tuple[str, str]] = {}
    if lang not in MESSAGE_LANGS:  # the language of the SMS about it, which the citizen ticks (decision 111)
        errors["message_lang"] = ("Messages to you (SMS) in: choose हिन्दी (Hindi) or English, the language you read.",
                                  "आपको संदेश (SMS) किस भाषा में: हिन्दी या English (अंग्रेज़ी) चुनें, जो भाषा आप पढ़ते हैं।")

    district = await District.get_or_none(id=district_id)
    if district is None:
        errors["district"] = ("District: choose the district from the list.", "ज़िला: सूची से ज़िला चुनें।")
    if about not in ABOUT:
        errors["about"] = ("About: choose a department, the district administration or an e-Mitra counter.",
                           "किसके बारे में: विभाग, ज़िला प्रशासन या ई-मित्र काउंटर चुनें।")
    _length(errors, "name", name, 2, 100, ("Your name", "आपका नाम"))
    if "name" not in errors and not any(c.isalpha() for c in name):  # "👍👍" or "...": no one's name
        errors["name"] = ("Your name: write your name in letters, in Hindi or English.",
                          "आपका नाम: अपना नाम अक्षरों में लिखें, हिन्दी या अंग्रेज़ी में।")
    if not MOBILE.fullmatch(mobile):
        errors["mobile"] = ("Mobile number: 10 digits starting with 6, 7, 8 or 9 (updates are sent to it and you track the grievance with it).",
                            "मोबाइल नंबर: 6, 7, 8 या 9 से शुरू होने वाले 10 अंक (इसी पर सूचना मिलेगी और इसी से स्थिति देखेंगे)।")
    _length(errors, "subject", subject, 5, 150, ("Subject", "विषय"))
    if "subject" not in errors and not any(c.isalnum() for c in subject):
        errors["subject"] = ("Subject: say in words what the grievance is about, e.g. 'No water supply in ward 12'.",
                             "विषय: शब्दों में लिखें कि शिकायत किस बारे में है, जैसे 'वार्ड 12 में पानी की आपूर्ति नहीं'।")
    _length(errors, "body", body, 20, 2000, ("Grievance in detail", "शिकायत का विवरण"))

    counter: Counter | None = None
    if about == "department" and department not in {c for c, _, _ in DEPARTMENTS}:
        errors["department"] = ("Department: choose the department from the list.", "विभाग: सूची से विभाग चुनें।")
    if about == "counter":
        if not counter_code:
            errors["counter_code"] = ("Counter code: write the code shown on the counter's board or receipt, e.g. JP-JM-001.",
                                      "काउंटर कोड: काउंटर के बोर्ड या रसीद पर लिखा कोड लिखें, जैसे JP-JM-001।")
        elif district is not None:
            counter = await Counter.get_or_none(code=counter_code, district_id=district.id) if len(counter_code) <= 20 else None
            if counter is None:
                errors["counter_code"] = (f"Counter code: there is no e-Mitra counter {counter_code} in {district.name_en} district; check the code on the receipt.",
                                          f"काउंटर कोड: {district.name_hi} ज़िले में {counter_code} नाम का कोई ई-मित्र काउंटर नहीं है; रसीद पर कोड जाँचें।")
        if complaint_type not in {c for c, _, _ in COMPLAINT_TYPES}:
            errors["complaint_type"] = ("Complaint: choose what happened (overcharging, no receipt, rude behaviour, service refused, other).",
                                        "शिकायत: चुनें क्या हुआ (अधिक राशि, रसीद नहीं, दुर्व्यवहार, सेवा से मना, अन्य)।")
        if receipt_no:
            if not RECEIPT.fullmatch(receipt_no):
                errors["receipt_no"] = ("Receipt number: the letters and digits printed on the receipt (e.g. JP0002000000123), or leave it empty.",
                                        "रसीद संख्या: रसीद पर छपे अक्षर और अंक (जैसे JP0002000000123), या खाली छोड़ें।")
            elif counter is not None and not await ServiceRequest.exists(receipt_no=receipt_no, counter_id=counter.id):
                errors["receipt_no"] = (f"Receipt number: {receipt_no} is not a receipt of counter {counter.code}; check both on the receipt, or leave the receipt number empty.",
                                        f"रसीद संख्या: {receipt_no} काउंटर {counter.code} की रसीद नहीं है; रसीद पर दोनों जाँचें, या रसीद संख्या खाली छोड़ें।")
    if errors:
        raise GrievanceInvalid(errors)
    assert district is not None

    if about == "counter":
        assert counter is not None
        service_code, desk, to = COUNTER_COMPLAINT, "society", SOCIETY_DEPARTMENT
        text = f"{complaint_header(complaint_type, counter, receipt_no, lang)}\n\n{body}"
        # the same complaint sent again with the other language ticked has the other header: still the same
        texts = [text] + [f"{complaint_header(complaint_type, counter, receipt_no, other)}\n\n{body}" for other in MESSAGE_LANGS if other != lang]
    else:
        service_code, desk = GRIEVANCE, "department"
        to = department_name(department) if about == "department" else DISTRICT_DEPARTMENT
        text = body
        texts = [text]
    title_en, title_hi = workflow.BUILTIN_TITLES[service_code]
    async with in_transaction():
        # one filing at a time in a district: two copies of one form sent together (a double click) must
        # not both find no earlier copy
        await auth.serialise(f"grievance-filing:{district.id}")
        earlier = await Case.filter(
            district_id=district.id, channel="online", service_code=service_code, department=to[:200],
            about_counter_id=counter.id if counter else None, mobile=mobile, subject=privacy.mask_aadhaar_in_text(subject)[:200],
            body__in=[privacy.mask_aadhaar_in_text(t) for t in texts], created_at__gte=workflow.now() - REPEAT_WINDOW).order_by("id").first()
        if earlier is not None:  # filed already: the same case, nothing written, no second message
            if earlier.lang != lang:  # sent again after Back with the other language ticked: its messages follow it
                from emitra.core.counter import change_message_lang  # (decision 111)

                await change_message_lang(actor, earlier, lang)
            earlier.filed_before = True
            return earlier
        case = await workflow.open_case(
            actor, district_id=district.id, kind="grievance", service_code=service_code, title_en=title_en, title_hi=title_hi,
            department=to, desk=desk, about_counter_id=counter.id if counter else None, channel="online",
            applicant_name=name, mobile=mobile, lang=lang, subject=subject, body=text)
        await audit.record(actor, "grievance.filed_online", case, district_id=district.id,
                           counter_id=counter.id if counter else None,
                           detail={"number": case.number, "about": about, "department": to,
                                   "complaint_type": complaint_type if counter else "", "receipt_no": receipt_no if counter else ""})
        case = await workflow.act(audit.Actor(None, ip=actor.ip, via="system"), case, "forward")
    case.filed_before = False
    return case
