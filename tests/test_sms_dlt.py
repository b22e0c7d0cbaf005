"""Every SMS matches the template the Society registers on the operators' DLT platform (decision 165).

In India an SMS reaches the citizen only if it matches a registered content template: the fixed text
identical, each value in place of a ``{#var#}`` of at most 30 characters. A service title of 62
characters, a counter's name or a reason put into one variable made the message fail the operators'
scrubbing, which drops it: the citizen never got it. Now each value is within its variable (one, or
two together for a title, a name, a state or a reason), cut at a word's end where it may be cut and
never where it may not (a number, an amount, a reference, a code); the tracking address is fixed
text with its ``https://`` (a URL is whitelisted only so); and the registered texts are printed by
``emitra notify sms-templates`` and listed in docs/notifications.md from the same strings.
"""

from __future__ import annotations

import re
import string

import pytest
from click.testing import CliRunner

from emitra.core import notify, upi_refunds, workflow
from emitra.core.cli import main
from emitra.core.models import Case, District, Notification
from emitra.core.money import format_paise
from tests.case_helpers import actor, caste_case
from tests.test_sms_parts import PRODUCTION_URL, ROOT, _filled, worst_values

VAR_MAX = 30
DOC_URL = "https://emitra.example.org"  # the address docs/notifications.md writes in place of the site's
#: far beyond any realistic value: a shortenable or optional field must still come out within its variables
ABSURD = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit " * 10).strip()
ABSURD_HI = ("राजस्थान सरकार के सूचना प्रौद्योगिकी एवं संचार विभाग द्वारा " * 10).strip()


def _variables(template: notify.SmsTemplate, lang: str, body: str) -> dict[str, str]:
    """What each field of ``template`` holds in ``body``, matched as the DLT scrubbing matches a
    registered template (its fixed text exactly, each field a run of variables), written here without
    notify's own matcher; {} when the fixed text differs."""
    spans = getattr(template, "spans", {})  # before decision 165: one variable a field
    pattern, names = [], []
    for literal, name, _, _ in string.Formatter().parse(template.hi if lang == "hi" else template.en):
        pattern.append(re.escape(literal))
        if name == "url":
            pattern.append(re.escape(notify.sms_url()))
        elif name:
            pattern.append(f"(.{{0,{VAR_MAX * spans.get(name, 1)}}}?)" if spans else "(.*?)")
            names.append(name)
    found = re.fullmatch("".join(pattern), body, re.DOTALL)
    return dict(zip(names, found.groups())) if found else {}


def _check(template: notify.SmsTemplate, lang: str, body: str) -> list[str]:
    """What keeps ``body`` from matching its registered template: each problem in words."""
    held = _variables(template, lang, body)
    if not held:
        return [f"{template.key} ({lang}): the fixed text differs from the registered {template.hi if lang == 'hi' else template.en!r}: "
                f"{body}"]
    spans = getattr(template, "spans", {})
    return [f"{template.key} ({lang}): {name} {value!r} is {len(value)} characters, more than its "
            f"{spans.get(name, 1)} variable(s) of {VAR_MAX} hold"
            for name, value in held.items() if len(value.encode("utf-16-le")) // 2 > VAR_MAX * spans.get(name, 1)]


def test_every_template_filled_with_the_longest_values_matches_its_registered_text(monkeypatch):
    """English and Hindi, the longest realistic values (the longest title and state label of the
    installed plugins, the longest counter name...): each variable within 30 characters, the fixed
    text as registered, the parts within the limit of decision 163, the whole fields whole."""
    monkeypatch.setenv("EMITRA_PUBLIC_URL", PRODUCTION_URL)
    worst = worst_values()
    assert len(worst["title"][0]) > 2 * VAR_MAX and len(worst["where"][1]) > VAR_MAX  # long enough to need cutting
    problems, matched = [], []
    for key, template in notify.SMS_TEMPLATES.items():
        for lang, name in enumerate(("en", "hi")):
            values = _filled(template, worst, lang)
            body = notify.render_sms(key, name, values)
            problems += _check(template, name, body)
            assert notify.sms_parts(body) <= template.parts, f"{key} ({name}): {notify.sms_parts(body)} parts: {body}"
            matched.append((key, name, body))
            for field in ("number", "amount", "reference", "code", "old", "mobile", "minutes", "due", "refund"):
                if field in values:  # never cut: said whole (a refund's id with its words)
                    said = notify.sms_text(values[field]) if name == "en" else values[field]
                    assert said in body, f"{key} ({name}): {field} {said!r} is not whole in: {body}"
    assert not problems, "\n".join(problems)
    assert [m for m in matched if notify.dlt_mismatch(*m)] == []  # notify's own matcher agrees


def test_no_value_however_long_takes_more_than_its_variables(monkeypatch):
    """A title, a name, an address or a reason of 500 characters, in English and in Hindi: cut at a
    word's end within its variables (never mid-word here, ending ... or …); the message still
    matches its template, and a title is named by its first words."""
    monkeypatch.setenv("EMITRA_PUBLIC_URL", PRODUCTION_URL)
    worst = worst_values()
    long_fields = {"title", "department", "where", "address", "note"}
    for key, template in notify.SMS_TEMPLATES.items():
        for lang, name in enumerate(("en", "hi")):
            values = _filled(template, worst, lang)
            values.update({field: ABSURD_HI if lang else ABSURD for field in long_fields & set(values)})
            body = notify.render_sms(key, name, values)
            assert not _check(template, name, body), _check(template, name, body)
            source = [w.rstrip(",") for w in (ABSURD_HI if lang else ABSURD).split()]
            runs = re.findall(rf"{source[0]}[^.…]*?(?:\.\.\.|…)", body)
            assert runs or name == "hi" or not long_fields & set(values), (key, name, body)  # a Hindi message may leave its title and reason to /track
            for run in runs:  # each its value's first words (the last cut only at a template's least, decision 163)
                words = [w.rstrip(",") for w in run.rstrip(".…").split()]
                assert words[:-1] == source[:len(words) - 1] and source[len(words) - 1].startswith(words[-1]), (key, name, run)
                if len(run) > VAR_MAX:  # cut for its variables (not for the parts): at a word's end
                    assert words[-1] == source[len(words) - 1], f"{key} ({name}): cut mid-word: {run!r}"


def test_the_fields_said_whole_fit_their_variables_by_design():
    """Never half-written: each field said whole is as long at most as its variables hold, from the
    rule that makes it (a column's length, the bank reference the Society may record, a 64-bit
    amount); a card refund's id, from Stripe, is left out whole if ever longer, never cut."""
    spans = notify.SMS_SPANS
    assert Case._meta.fields_map["number"].max_length <= VAR_MAX  # a case number, or the receipt number it is
    from emitra.core.models import Counter, ServiceRequest
    assert ServiceRequest._meta.fields_map["receipt_no"].max_length <= VAR_MAX
    assert Counter._meta.fields_map["code"].max_length <= VAR_MAX
    biggest = format_paise(2 ** 63 - 1)  # the largest amount a 64-bit column holds, as the English SMS spells it
    assert notify.dlt_size(biggest, "en") == VAR_MAX and notify.dlt_size(biggest, "hi") <= VAR_MAX
    assert upi_refunds.REFERENCE_MAX <= VAR_MAX * spans["reference"]
    assert notify.dlt_size(" Expected by 31-12-2026.", "en") <= VAR_MAX and notify.dlt_size(" अपेक्षित तिथि 31-12-2026।") <= VAR_MAX
    for key, template in notify.SMS_TEMPLATES.items():
        assert set(template.spans.values()) <= {1, 2}, f"{key}: one or two variables a field"
        assert "url" not in template.spans, f"{key}: the tracking address is fixed text"
    # a value said whole that is too long is refused by the test of every template, never cut there
    with pytest.raises(notify.SmsTooLong, match="number is 31 characters"):
        notify.render_sms("upi_refund_owed", "en", {"number": "J" * 31, "amount": "₹1.00"}, strict=True)
    refund = {"number": "JP0001000000421", "title": "Bus ticket", "amount": "₹266.40"}
    body = notify.render_sms("card_refunded", "en", {**refund, "refund": "re_" + "x" * 60})
    assert "refund re_" not in body and "paid with. Your bank" in body and not notify.dlt_mismatch("card_refunded", "en", body)
    body = notify.render_sms("card_refunded", "hi", {**refund, "refund": "re_3QAbCdEfGhIjKlMn01234567"})
    assert "लौटाए (रिफंड re_3QAbCdEfGhIjKlMn01234567)।" in body


def test_hindi_is_counted_as_a_program_counts_it_every_vowel_sign_one():
    assert notify.dlt_size("क्षेत्र") == 7 and notify.dlt_size("JP-LM-0001") == 10
    assert notify.dlt_size("₹40", "en") == 5 and notify.dlt_size("₹40", "hi") == 3  # the English SMS says Rs 40
    # 65 characters as counted here, far fewer letters as a reader sees them
    title = "क्षेत्रीय पासपोर्ट कार्यालय जयपुर द्वारा जारी पासपोर्ट आवेदन पत्र"
    assert notify.dlt_size(title) == 65
    within = notify._within_variables(notify.SMS_TEMPLATES["ready:no_counter"], "title", title, "hi", strict=True)
    assert within == "क्षेत्रीय पासपोर्ट कार्यालय जयपुर द्वारा जारी पासपोर्ट…" and notify.dlt_size(within) <= 2 * VAR_MAX


def test_the_tracking_address_is_fixed_text_with_its_https(monkeypatch):
    """A URL is whitelisted on the DLT platform only as starting with http://, https:// or www: the
    bare domain decision 163 sent may match no whitelisted entry, and not every phone makes it a link."""
    monkeypatch.setenv("EMITRA_PUBLIC_URL", PRODUCTION_URL + "/")
    assert notify.sms_url() == "https://emitra.rajasthan.gov.in/track"
    registered = notify.dlt_text("state_changed", "en")
    assert registered.endswith(" Details: https://emitra.rajasthan.gov.in/track") and registered.count("{#var#}") == 7
    body = notify.render_sms("state_changed", "en", {"number": "JP0001000000421", "title": "Caste certificate",
                                                     "state": "Rejected", "url": "ignored.example"})
    assert body == "e-Mitra: JP0001000000421 (Caste certificate) is now: Rejected. Details: https://emitra.rajasthan.gov.in/track"


def test_the_registered_texts_are_printed_and_documented_from_the_same_strings(monkeypatch):
    """``emitra notify sms-templates`` prints each template as registered, in both languages, with the
    site's address written in; docs/notifications.md lists exactly its ``--markdown``."""
    monkeypatch.setenv("EMITRA_PUBLIC_URL", PRODUCTION_URL)
    result = CliRunner().invoke(main, ["notify", "sms-templates"])
    assert result.exit_code == 0, result.output
    for key in notify.SMS_TEMPLATES:
        for lang in ("en", "hi"):
            assert f"{key} [{lang}]" in result.output and notify.dlt_text(key, lang) in result.output
    assert "citizen_code [hi] (OTP)\tई-मित्र: साइन-इन कोड {#var#}, {#var#} मिनट मान्य। किसी को न बताएँ।" in result.output
    assert "{title}" not in result.output and "{url}" not in result.output
    assert "URL to whitelist on the DLT platform (a static URL): https://emitra.rajasthan.gov.in/track" in result.output
    # the installed plugin's 62-character title: every SMS naming it cuts it, and the command says so
    assert "gov.in.eci.voter_registration's English title is 62 characters, more than the 57" in result.output
    hindi = CliRunner().invoke(main, ["notify", "sms-templates", "--lang", "hi"])
    assert "submitted [hi]" in hindi.output and "submitted [en]" not in hindi.output
    from emitra.core.cli_notify import templates_markdown

    doc = (ROOT / "docs" / "notifications.md").read_text(encoding="utf-8")
    listed = doc.split("<!-- sms-templates: emitra notify sms-templates --markdown -->\n")[1].split("<!-- /sms-templates -->")[0]
    assert listed.strip() == templates_markdown(DOC_URL + "/track").strip(), "run: EMITRA_PUBLIC_URL=" + DOC_URL + \
        " emitra notify sms-templates --markdown, and put it in docs/notifications.md"
    assert "`state_changed:returned`" in listed and "{#var#}" in listed


def test_a_state_label_longer_than_two_variables_is_refused_when_the_plugin_loads():
    base = workflow.BUILTIN["application"] if "application" in workflow.BUILTIN else next(iter(workflow.BUILTIN.values()))
    from dataclasses import replace
    long_label = "Waiting for the verification of the documents by the field officer"  # 67 characters
    states = tuple(replace(s, label_en=long_label) if i == 0 else s for i, s in enumerate(base.states))
    problems = replace(base, states=states).problems()
    assert any(f"process.states[{states[0].name}].label_en" in p and "at most 60 (two DLT variables): shorten it" in p
               for p in problems), problems
    assert not [p for p in base.problems() if "DLT" in p]


def _registered(event: str, lang: str, body: str) -> bool:
    """Whether ``body`` matches one of the templates of ``event`` in ``lang``."""
    return any(not _check(t, lang, body) for t in notify.SMS_TEMPLATES.values() if t.event == event)


@pytest.mark.anyio
async def test_the_messages_a_case_sends_match_their_registered_templates(demo_db, monkeypatch):
    """Stored as sent: a case with the longest title sent back with a long Hindi reason, and a UPI
    refund sent with a bank reference longer than one variable (said whole, in its two)."""
    monkeypatch.setenv("EMITRA_PUBLIC_URL", PRODUCTION_URL)
    case = await caste_case()
    worst = worst_values()
    await Case.filter(id=case.id).update(title_en=worst["title"][0], title_hi=worst["title"][1])
    reason = "पिता का नाम राशन कार्ड से भिन्न है; तहसीलदार के समक्ष शपथ पत्र प्रस्तुत करें। " * 4
    await workflow.act(await actor("tehsildar"), await Case.get(id=case.id), "return", reason)
    jaipur = await District.get(code="JP")
    reference = "UTR" + "7" * 28  # 31 characters
    await notify.queue_sms("upi_refund_sent", "9414011133", {"number": "JP0001000000421", "amount": "₹1,250.00",
                                                            "reference": reference}, lang="hi", district_id=jaipur.id)
    notes = await Notification.filter(channel="sms").order_by("id")
    assert {n.event for n in notes} >= {"submitted", "state_changed", "upi_refund_sent"}
    for note in notes:
        for lang, body in (("en", note.body_en), ("hi", note.body_hi)):
            assert _registered(note.event, lang, body), f"{note.event} ({lang}) matches no registered template: {body}"
            assert notify.sms_parts(body) <= notify.SMS_MAX_PARTS
    sent = notes[-1]
    assert f"(bank reference {reference})." in sent.body_en and f"(बैंक संदर्भ {reference})।" in sent.body_hi
