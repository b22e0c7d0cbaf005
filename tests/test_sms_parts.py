"""Every SMS a citizen can be sent fits its parts, in English and in Hindi (decision 163).

A Hindi SMS went in up to four Unicode parts (268 characters), a sign-in code's in two: each part is
paid for, and on a rural network the parts of a long message arrive split, late or out of order. Now
every SMS is a template of ``notify.SMS_TEMPLATES`` (``notify.queue`` refuses any other SMS), and
each, filled with the longest realistic values (the longest service title of the installed plugins,
a 15-character receipt number, a 10-digit amount in rupees, a 22-character bank reference, the
longest state label...), takes at most two parts in either language, a code's one, with the number,
the amount, the reference, the code and the tracking address whole.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import emitra
from emitra.core import notify, workflow
from emitra.core.models import Case, Notification
from emitra.core.money import format_paise
from emitra.core.onboarding import COUNTER_CODE
from emitra.core.plugins import get_host
from tests.case_helpers import actor, caste_case

ROOT = Path(emitra.__file__).parent
DEVANAGARI = re.compile(r"[\u0900-\u097F]")
PRODUCTION_URL = "https://emitra.rajasthan.gov.in"  # the address the state's site has: the SMS names it


def _services() -> list:
    host = get_host()
    found = {**host.all_declared, **host.registry.services}
    return list(found.values())


def _longest(texts) -> str:
    return max((t for t in texts if t), key=len)


def worst_values() -> dict[str, tuple[str, str]]:
    """The longest realistic value of each field a template may take, (English, Hindi), from the
    installed plugins where they say it."""
    services = _services()
    processes = [workflow.process_for(s) for s in services] + list(workflow.BUILTIN.values())
    labels = [s for p in processes for s in p.states]
    departments = {en: hi for s in services for en, hi in (getattr(s, "departments_hi", None) or {}).items()}
    assert COUNTER_CODE.fullmatch("JP-LM-0001")  # the longest code a counter may have
    return {
        "title": (_longest(s.title_en for s in services), _longest(s.title_hi for s in services)),
        "department": (_longest(departments), _longest(departments.values())),
        "number": ("JP0001123456789", "JP0001123456789"),  # district, counter, 9-digit sequence: as long as any
        "url": (notify.sms_url(), notify.sms_url()),
        "state": (_longest(s.label_en for s in labels), _longest(s.label_hi for s in labels)),
        "where": ("LokMitra Centre, Mahatma Gandhi Hospital Road, Sawai Madhopur",
                  "लोकमित्र केंद्र, महात्मा गांधी अस्पताल मार्ग, सवाई माधोपुर"),
        "code": ("JP-LM-0001", "JP-LM-0001"),
        "old": ("JP-LM-0002", "JP-LM-0002"),
        "address": ("Collectorate campus, near the old bus stand, Malviya Nagar, Jaipur 302017",
                    "कलेक्ट्रेट परिसर, पुराने बस स्टैंड के पास, मालवीय नगर, जयपुर 302017"),
        "due": ("31-12-2026", "31-12-2026"),
        "note": ("Reason: " + "The father's name differs from the ration card; attach an affidavit. " * 5,
                 "कारण: " + "पिता का नाम राशन कार्ड से भिन्न है; शपथ पत्र लगाएँ। " * 5),
        "amount": (format_paise(9_999_999_999_99),) * 2,  # ten digits of rupees: ₹9,99,99,99,999.99
        "reference": ("HDFCR52026123199999999",) * 2,  # an RTGS UTR, the longest bank reference
        "refund": ("re_3QAbCdEfGhIjKlMn01234567",) * 2,  # a Stripe refund's id
        "minutes": ("60",) * 2,
        "mobile": ("94XXXXXX11",) * 2,
    }


CODE_VALUES = {"code": ("042917", "042917")}  # the sign-in and mobile codes' field of that name


def _filled(template: notify.SmsTemplate, worst: dict[str, tuple[str, str]], lang: int) -> dict[str, str]:
    table = {**worst, **CODE_VALUES} if template.parts == notify.CODE_SMS_PARTS else worst
    missing = template.fields() - set(table)
    assert not missing, f"{template.key}: add the longest realistic value of {sorted(missing)} to worst_values()"
    return {name: table[name][lang] for name in template.fields()}


def test_every_template_fits_its_parts_in_both_languages_with_the_longest_values(monkeypatch):
    monkeypatch.setenv("EMITRA_PUBLIC_URL", PRODUCTION_URL)
    worst = worst_values()
    assert len(worst["title"][1]) >= 50 and worst["amount"][0] == "₹9,99,99,99,999.99"
    assert {"submitted", "state_changed", "ready", "counter_changed", "upi_refund_owed", "upi_refund_sent", "upi_refund_returned",
            "card_refunded", "citizen_code", "mobile_change_code", "mobile_changed"} <= {t.event for t in notify.SMS_TEMPLATES.values()}
    too_long = []
    for key, template in notify.SMS_TEMPLATES.items():
        limit = notify.CODE_SMS_PARTS if template.event in notify.SECRET_EVENTS else notify.SMS_MAX_PARTS
        assert template.parts == limit, f"{key}: a code goes in one part, any other SMS in at most two"
        for lang, name in enumerate(("en", "hi")):
            values = _filled(template, worst, lang)
            try:
                body = notify.render_sms(key, name, values, strict=True)
            except notify.SmsTooLong as exc:
                too_long.append(str(exc))
                continue
            if notify.sms_parts(body) > limit:
                too_long.append(f"{key} ({name}): {notify.sms_parts(body)} parts: {body}")
            if name == "en":
                assert notify.is_gsm(body), f"{key}: English goes in the GSM alphabet: {body}"
            else:
                assert DEVANAGARI.search(body), f"{key}: the Hindi SMS is in Hindi: {body}"
            cut = dict(template.shorten)
            for field, value in values.items():
                said = notify.sms_text(value) if name == "en" else value
                if field not in cut:  # said whole: the number, the amount, the reference, the code, the address
                    assert said in body, f"{key} ({name}): {field} {said!r} is not whole in: {body}"
                elif cut[field]:  # shortened, never below its least
                    assert said[:cut[field] - 2].rstrip() in body, f"{key} ({name}): {field} cut below {cut[field]}: {body}"
    assert not too_long, "\n".join(too_long)


def test_the_sms_parts_are_counted_exactly():
    assert notify.sms_parts("a" * 160) == 1 and notify.sms_parts("a" * 161) == 2 and notify.sms_parts("a" * 306) == 2
    assert notify.sms_parts("a" * 307) == 3
    assert notify.sms_parts("€" * 80) == 1 and notify.sms_parts("€" * 81) == 2  # an extension character counts two
    assert notify.sms_parts("a" * 159 + "[") == 2 and notify.sms_size("{}[]~|^\\€") == 18
    assert notify.sms_parts("क" * 70) == 1 and notify.sms_parts("क" * 71) == 2 and notify.sms_parts("क" * 134) == 2
    assert notify.sms_parts("क" * 135) == 3 and notify.sms_parts("a" * 159 + "क") == 3  # one Hindi letter: all Unicode
    assert notify.sms_parts("😀" * 35) == 1 and notify.sms_parts("😀" * 36) == 2  # beyond the BMP: two units each
    # a phone never splits an escape from its character, nor a surrogate pair, across two parts
    assert notify.sms_parts("a" * 152 + "€" + "a" * 151) == 2 and notify.sms_parts("a" * 152 + "€" + "a" * 152) == 3
    assert notify.sms_parts("क" * 66 + "😀" + "क" * 65) == 2 and notify.sms_parts("क" * 66 + "😀" + "क" * 66) == 3
    assert notify.sms_room("क", 1) == 70 and notify.sms_room("a", 2) == 306 and notify.sms_room("क", 2) == 134


def _calls_sending_sms() -> list[tuple[str, ast.Call]]:
    """Every call in the package that queues or words an SMS: (module, call)."""
    out = []
    # the package's own folders: not a build's copy of them (build/lib after `pip install`), nor the tests
    for path in sorted(p for folder in ("core", "web", "policy", "plugins") for p in (ROOT / folder).rglob("*.py")):
        module = "emitra." + ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in ("queue_sms", "render_sms", "queue", "_queue"):
                    out.append((module, node))
    return out


def test_every_sms_the_code_sends_is_a_registered_template():
    """Found from the source: no SMS is queued with free text, and every template a module names exists."""
    for _, module, _ in pkgutil.walk_packages(emitra.core.__path__, "emitra.core."):
        importlib.import_module(module)
    named = set()
    for module, call in _calls_sending_sms():
        name = call.func.attr if isinstance(call.func, ast.Attribute) else call.func.id
        literals = [a.value for a in call.args if isinstance(a, ast.Constant)]
        if name in ("queue", "_queue") and module != "emitra.core.notify":
            assert "sms" not in literals, f"{module} line {call.lineno}: an SMS is queued from a template (notify.queue_sms)"
        if name in ("queue_sms", "render_sms") and call.args:
            first = call.args[0]
            key = first.value if isinstance(first, ast.Constant) else \
                getattr(importlib.import_module(module), first.id, None) if isinstance(first, ast.Name) else None
            if isinstance(key, str):
                assert key in notify.SMS_TEMPLATES, f"{module} line {call.lineno}: no SMS template {key!r}"
                named.add(key)
    assert {"citizen_code", "mobile_change_code", "mobile_changed", "card_refunded", "counter_changed"} <= named


@pytest.mark.anyio
async def test_notify_queue_refuses_an_sms_not_written_from_a_template(demo_db):
    with pytest.raises(ValueError, match="queue_sms"):
        await notify.queue("notice", "sms", "9829012345", "a" * 400, "क" * 400, district_id=1)
    assert await Notification.filter(channel="sms").count() == 0


@pytest.mark.anyio
async def test_a_returned_application_with_a_long_reason_is_two_parts_in_hindi(demo_db, monkeypatch):
    """The message the citizen is actually sent: the longest Hindi title, a long reason. It was four
    parts in Hindi (268 characters), and the reason is now on the tracking page the SMS names."""
    monkeypatch.setenv("EMITRA_PUBLIC_URL", PRODUCTION_URL + "/")
    case = await caste_case()
    worst = worst_values()
    await Case.filter(id=case.id).update(title_en=worst["title"][0], title_hi=worst["title"][1])
    reason = "पिता का नाम राशन कार्ड से भिन्न है; तहसीलदार के समक्ष शपथ पत्र प्रस्तुत करें। " * 4
    case = await workflow.act(await actor("tehsildar"), await Case.get(id=case.id), "return", reason)
    notes = await Notification.filter(case_id=case.id, channel="sms").order_by("id")
    assert [n.event for n in notes][0] == "submitted" and notes[-1].event == "state_changed"
    for note in notes:
        assert notify.sms_parts(note.body_hi) <= 2 and notify.sms_parts(note.body_en) <= 2, (note.body_hi, note.body_en)
        assert case.number in note.body_hi and "emitra.rajasthan.gov.in/track" in note.body_hi
    returned = notes[-1]
    assert "JP-LM-001" in returned.body_hi and "रसीद लेकर" in returned.body_hi
    # the Hindi reason would make the English SMS Unicode, at 67 a part: it is left to the tracking page
    assert returned.body_en.endswith("Details: https://emitra.rajasthan.gov.in/track") and notify.is_gsm(returned.body_en)
    assert "Reason" not in returned.body_en and "कारण" not in returned.body_hi


async def _sign_in_code_and_notice() -> None:
    from emitra.core.models import District

    jaipur = await District.get(code="JP")
    await notify.queue_sms("citizen_code", "9414011122", {"code": "042917", "minutes": 10}, lang="hi", district_id=jaipur.id)
    await notify.queue_sms("upi_refund_returned", "9414011133", {"number": "JP0001000000421", "amount": "₹1,250.00"},
                           lang="en", district_id=jaipur.id)


def test_the_outbox_page_says_how_many_parts_each_sms_takes(web):
    """The Society pays per part: each SMS in its outbox says its parts and alphabet; an email does not."""
    web.run(_sign_in_code_and_notice)
    web.login("society")
    page = web.get("/admin/outbox").text
    code = web.run(lambda: Notification.get(event="citizen_code"))
    returned = web.run(lambda: Notification.get(event="upi_refund_returned"))
    assert re.search(rf'id="parts-{code.id}">1 part, Unicode<', page)
    assert re.search(rf'id="parts-{returned.id}">2 parts, GSM alphabet<', page)
    assert "the gateway charges for each part" in page
    hindi = web.get("/admin/outbox?lang=hi").text
    assert re.search(rf'id="parts-{code.id}">1 भाग, यूनिकोड \(Unicode\)<', hindi)
    assert re.search(rf'id="parts-{returned.id}">2 भाग, GSM वर्णमाला<', hindi)

