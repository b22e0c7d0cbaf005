"""The plugin authors' kit (emitra.core.kit): its form properties validate as the plugins' forms did,
its acknowledgements are deterministic, and look_up turns a department's refusal into a FieldError."""

from __future__ import annotations

import asyncio

import pytest

from emitra.core import FieldError, forms, kit
from emitra.core.plugins import check_declaration


def _form(**properties) -> dict:
    return {"type": "object", "title": "Test", "x-title-hi": "परीक्षण", "properties": properties, "additionalProperties": False}


def _refusal(form: dict, data: dict) -> tuple[str, str, str]:
    with pytest.raises(forms.FormErrors) as caught:
        forms.validate(form, data)
    (error,) = caught.value.errors
    return error.field, error.en, error.hi


# --- mobile -----------------------------------------------------------------------------------------

def test_mobile_takes_an_indian_mobile_number():
    form = _form(mobile=kit.mobile())
    forms.validate(form, {"mobile": "9829012345"})
    forms.validate(form, {})  # optional unless the form's "required" lists it


@pytest.mark.parametrize("bad", ["12345", "5829012345", "98290123456", "98290 12345"])
def test_mobile_refuses_other_numbers_in_english_and_hindi(bad):
    assert _refusal(_form(mobile=kit.mobile()), {"mobile": bad}) == (
        "mobile",
        "Mobile number must be 10 digits starting with 6, 7, 8 or 9.",
        "मोबाइल नंबर 6, 7, 8 या 9 से शुरू होने वाले 10 अंकों का होना चाहिए।",
    )


def test_mobile_titles_default_to_the_receipt_sms_and_can_be_changed():
    prop = kit.mobile()
    assert (prop["title"], prop["x-title-hi"]) == ("Mobile number for the receipt SMS (optional)", "रसीद SMS के लिए मोबाइल नंबर (वैकल्पिक)")
    assert prop["x-inputmode"] == "tel"
    other = kit.mobile("Mobile number", "मोबाइल नंबर")
    assert (other["title"], other["x-title-hi"]) == ("Mobile number", "मोबाइल नंबर")
    assert list(other) == ["type", "title", "x-title-hi", "pattern", "x-error-en", "x-error-hi", "x-inputmode"]


def test_every_call_returns_a_new_dict():
    a, b = kit.mobile(), kit.mobile()
    a["title"] = "changed"
    assert b["title"] != "changed"
    d1, d2 = kit.document("Scan", "स्कैन"), kit.document("Scan", "स्कैन")
    d1["x-upload"]["accept"].append("image/gif")
    assert d2["x-upload"]["accept"] == ["application/pdf", "image/jpeg", "image/png"]


# --- PIN code ---------------------------------------------------------------------------------------

def test_pin_of_rajasthan_by_default():
    form = _form(pin=kit.pin())
    forms.validate(form, {"pin": "302017"})
    assert _refusal(form, {"pin": "110001"}) == (
        "pin", "PIN code must be 6 digits starting with 3 (Rajasthan).", "पिन कोड 3 से शुरू होने वाले 6 अंकों का होना चाहिए (राजस्थान)।")


def test_pin_anywhere_in_india():
    form = _form(pin=kit.pin(rajasthan=False))
    forms.validate(form, {"pin": "110001"})
    assert _refusal(form, {"pin": "012345"}) == (
        "pin", "PIN code is 6 digits and does not start with 0.", "पिन कोड 6 अंकों का होता है और 0 से शुरू नहीं होता।")
    assert kit.pin()["x-inputmode"] == "numeric"


# --- documents and choices --------------------------------------------------------------------------

def test_document_is_an_upload_field():
    prop = kit.document("Ration card (scan)", "राशन कार्ड (स्कैन)", "PDF, JPEG or PNG, at most 1 MB", "PDF, JPEG या PNG, अधिकतम 1 MB")
    assert prop == {
        "type": "string", "title": "Ration card (scan)", "x-title-hi": "राशन कार्ड (स्कैन)",
        "description": "PDF, JPEG or PNG, at most 1 MB", "x-description-hi": "PDF, JPEG या PNG, अधिकतम 1 MB",
        "x-upload": {"accept": ["application/pdf", "image/jpeg", "image/png"], "max_kb": 1024},
    }
    photo = kit.document("Photograph", "फ़ोटो", accept=kit.IMAGE, max_kb=200)
    assert "description" not in photo
    assert photo["x-upload"] == {"accept": ["image/jpeg", "image/png"], "max_kb": 200}
    assert [name for name, _ in forms.upload_fields(_form(photo=photo))] == ["photo"]


def test_document_wants_the_description_in_both_languages():
    with pytest.raises(ValueError):
        kit.document("Scan", "स्कैन", "English only")


def test_choice_labels_each_code():
    prop = kit.choice([("M", "Male", "पुरुष"), ("F", "Female", "महिला")], "Sex", "लिंग")
    assert prop["enum"] == ["M", "F"]
    assert prop["x-enum-labels"] == ["Male", "Female"]
    assert prop["x-enum-labels-hi"] == ["पुरुष", "महिला"]
    forms.validate(_form(sex=prop), {"sex": "F"})
    with pytest.raises(forms.FormErrors):
        forms.validate(_form(sex=prop), {"sex": "X"})


def test_a_form_built_from_the_kit_is_a_sound_declaration():
    from emitra.core import Category, Domain, FeeRule, Payer, Service, Workflow

    service = Service(
        code="pvt.kit.test", title_en="Kit test", title_hi="किट परीक्षण", provider="Test", domain=Domain.PRIVATE,
        category=Category.PRIVATE_SERVICE,
        form=_form(mobile=kit.mobile(), pin=kit.pin(), scan=kit.document("Scan", "स्कैन"),
                   sex=kit.choice([("M", "Male", "पुरुष")], "Sex", "लिंग")),
        fee=FeeRule(payer=Payer.CITIZEN), workflow=Workflow.APPLICATION,
        description_en="Test.", description_hi="परीक्षण।",
    )
    check_declaration(service)


# --- acknowledgements -------------------------------------------------------------------------------

def test_acknowledgement_is_deterministic_and_shaped():
    ack = kit.acknowledgement("PHED-ACK-", "PHED", "10230045671", 38_640, "emitra-1")
    assert ack == kit.acknowledgement("PHED-ACK-", "PHED", "10230045671", 38_640, "emitra-1")
    assert ack.startswith("PHED-ACK-") and len(ack) == len("PHED-ACK-") + 10 and ack[-10:].isdigit()
    assert len(kit.acknowledgement("RCH", "x", digits=12)) == 3 + 12


def test_acknowledgement_differs_when_a_part_differs():
    base = ("PHED", "10230045671", 38_640, "emitra-1")
    ack = kit.acknowledgement("PHED-ACK-", *base)
    for i in range(len(base)):
        changed = list(base)
        changed[i] = f"{changed[i]}0"
        assert kit.acknowledgement("PHED-ACK-", *changed) != ack


def test_acknowledgement_matches_the_sandboxes_numbers():
    """The formula the sandboxes used before the kit (their receipts already carry such numbers)."""
    import hashlib

    digest = hashlib.sha256("BSNL:0141-2712345:59000:emitra-7".encode()).hexdigest()
    assert kit.acknowledgement("BSNL-RJ-", "BSNL", "0141-2712345", 59_000, "emitra-7") == f"BSNL-RJ-{int(digest[:12], 16) % 10**10:010d}"
    digest = hashlib.sha256("JMC-UDT:MN00004217:2025-26:202740:emitra-3".encode()).hexdigest()
    assert (kit.acknowledgement("JMC-UDT-", "JMC-UDT", "MN00004217", "2025-26", 202_740, "emitra-3", digits=9, hex_digits=10)
            == f"JMC-UDT-{int(digest[:10], 16) % 10**9:09d}")
    assert kit.stable_int("a", 1, sep="|", hex_digits=16) == int(hashlib.sha256(b"a|1").hexdigest()[:16], 16)


# --- look_up ----------------------------------------------------------------------------------------

class UnknownAccount(LookupError):
    pass


class NothingDue(LookupError):
    pass


class Closed(NothingDue):
    pass


async def _answer(outcome):
    if isinstance(outcome, type) and issubclass(outcome, BaseException):
        raise outcome("123")
    return outcome


def _look_up(outcome):
    return asyncio.run(kit.look_up(_answer(outcome), {
        UnknownAccount: FieldError("account", "No account 123.", "खाता 123 नहीं है।"),
        NothingDue: FieldError("account", "Nothing is due on 123.", "123 पर कुछ देय नहीं है।"),
    }))


def test_look_up_returns_the_answer():
    assert _look_up({"due": 100}) == {"due": 100}


def test_look_up_turns_a_refusal_into_the_field_error():
    with pytest.raises(FieldError) as caught:
        _look_up(UnknownAccount)
    assert (caught.value.field, caught.value.message_en, caught.value.message_hi) == ("account", "No account 123.", "खाता 123 नहीं है।")
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    with pytest.raises(FieldError, match="Nothing is due"):
        _look_up(Closed)  # a subclass matches, as in an except clause


def test_look_up_lets_other_exceptions_through():
    with pytest.raises(TimeoutError):
        _look_up(TimeoutError)


# --- choice_label -----------------------------------------------------------------------------------

def test_choice_label_gives_a_choice_as_the_forms_drop_down_shows_it_in_each_language():
    gender = kit.choice([("M", "Male", "पुरुष"), ("F", "Female", "महिला")], "Gender", "लिंग")
    assert kit.choice_label(gender, "F") == ("Female", "महिला")
    # no Hindi labels: the English in both; no labels at all: the value itself; a number as text
    assert kit.choice_label({"enum": ["M"], "x-enum-labels": ["Male"]}, "M") == ("Male", "Male")
    assert kit.choice_label({"enum": [1, 2]}, 2) == ("2", "2")
    assert kit.choice_label(gender, "X") == ("X", "X")  # not one of the choices: as it is
