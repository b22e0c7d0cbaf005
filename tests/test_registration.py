"""Citizen registration: IDs, duplicates, Aadhaar kept masked."""

import pytest

from emitra.core import registration
from emitra.core.audit import Actor
from emitra.core.forms import FormErrors
from emitra.core.ids import parse_emitra_id
from emitra.core.models import AuditLog, Citizen, Counter, User

pytestmark = pytest.mark.anyio

NEW = {"name": "Pooja Kumari Jat", "date_of_birth": "1999-05-17", "mobile": "9460011223", "gender": "F",
       "aadhaar": "4991 1866 5246", "address": "Sanganer, Jaipur"}


async def _operator():
    user = await User.get(username="operator1")
    return Actor(user), await Counter.get(id=user.counter_id)


async def test_registration_issues_a_valid_unique_id_and_masks_aadhaar(demo_db):
    actor, counter = await _operator()
    citizen = await registration.register(actor, counter, NEW)
    assert parse_emitra_id(citizen.emitra_id) == citizen.emitra_id
    assert citizen.emitra_id.startswith("JP")
    stored = await Citizen.get(id=citizen.id)
    assert stored.aadhaar_masked == "XXXX XXXX 5246"
    assert "499118665246" not in str(await Citizen.filter(id=citizen.id).values())
    log = await AuditLog.get(action="citizen.register", object_id=str(citizen.id))
    assert log.actor_id == actor.user.id and log.counter_id == counter.id
    assert "499118665246" not in str(log.detail)


async def test_same_mobile_and_birth_date_with_a_similar_name_is_shown_not_created(demo_db):
    actor, counter = await _operator()
    first = await registration.register(actor, counter, {**NEW, "aadhaar": ""})
    before = await Citizen.all().count()
    with pytest.raises(registration.LikelyDuplicate) as dup:
        await registration.register(actor, counter, {**NEW, "aadhaar": "", "name": "Smt. pooja kumari  jat"})
    assert [c.citizen.emitra_id for c in dup.value.candidates] == [first.emitra_id]
    assert not dup.value.certain
    assert await Citizen.all().count() == before


async def test_a_different_person_can_be_registered_after_the_operator_confirms(demo_db):
    actor, counter = await _operator()
    await registration.register(actor, counter, {**NEW, "aadhaar": ""})
    twin = await registration.register(actor, counter, {**NEW, "aadhaar": "", "name": "Pooja Kumari Jatt"}, confirm_new_person=True)
    log = await AuditLog.get(action="citizen.register", object_id=str(twin.id))
    assert log.detail["confirmed_not_duplicate_of"]


async def test_a_different_name_on_the_same_mobile_is_not_a_duplicate(demo_db):
    actor, counter = await _operator()
    await registration.register(actor, counter, {**NEW, "aadhaar": ""})
    other = await registration.register(actor, counter, {**NEW, "aadhaar": "", "name": "Harish Chandra Gupta"})
    assert other.emitra_id


async def test_the_same_aadhaar_is_always_refused_even_when_confirmed(demo_db):
    actor, counter = await _operator()
    first = await registration.register(actor, counter, NEW)
    with pytest.raises(registration.LikelyDuplicate) as dup:
        await registration.register(actor, counter, {**NEW, "name": "Someone Else", "mobile": "9999999999"}, confirm_new_person=True)
    assert dup.value.certain and dup.value.candidates[0].citizen.id == first.id


@pytest.mark.parametrize("field,value,fragment", [
    ("mobile", "12345", "10 digits"),
    ("date_of_birth", "2999-01-01", "future"),
    ("date_of_birth", "31/02/1999", "1985-04-23"),
    ("aadhaar", "123412341234", "not a valid Aadhaar"),
    ("name", " ", "Name is required"),
    ("gender", "Mahila", "M, F or T"),  # a woman: its first letter was kept as M
    ("gender", "Xyz", "M, F or T"),
])
async def test_bad_fields_are_named_and_nothing_is_written(demo_db, field, value, fragment):
    actor, counter = await _operator()
    before = await Citizen.all().count()
    with pytest.raises(FormErrors) as err:
        await registration.register(actor, counter, {**NEW, field: value})
    assert fragment in err.value.by_field()[field]
    assert err.value.by_field("hi")[field] != err.value.by_field()[field]
    assert await Citizen.all().count() == before


async def test_search_finds_by_id_mobile_and_name(demo_db):
    _, counter = await _operator()
    ramesh = await Citizen.get(name="Ramesh Kumar Sharma")
    assert [c.id for c in await registration.search(counter.district_id, ramesh.emitra_id.lower())] == [ramesh.id]
    assert [c.id for c in await registration.search(counter.district_id, "98290 12345")] == [ramesh.id]
    assert [c.id for c in await registration.search(counter.district_id, "ramesh")] == [ramesh.id]


async def _ajmer_operator() -> tuple[Actor, Counter]:
    """An operator at a counter of a second district (Ajmer), with the demo's LSP."""
    from emitra.core.auth import hash_password
    from emitra.core.models import District

    jaipur_counter = await Counter.get(code="JP-LM-001")
    ajmer = await District.create(code="AJ", name_en="Ajmer", name_hi="अजमेर")
    counter = await Counter.create(district=ajmer, lsp_id=jaipur_counter.lsp_id, code="AJ-LM-001", name="LokMitra Ajmer",
                                   kind=jaipur_counter.kind, owner_name="LSP")
    user = await User.create(username="op_ajmer", password_hash=hash_password("emitra-demo"), full_name="Ajmer operator",
                             role="operator", district=ajmer, lsp_id=jaipur_counter.lsp_id, counter=counter)
    return Actor(user), counter


async def test_a_record_of_another_district_is_named_by_its_district_only(demo_db):
    """The same Aadhaar at a counter of another district is refused, naming the district and
    nothing of the person; a likely match by mobile, date of birth and name in another district
    is not shown at all (the operator can neither see nor serve that district's citizens)."""
    actor, counter = await _operator()
    first = await registration.register(actor, counter, NEW)
    ajmer_actor, ajmer_counter = await _ajmer_operator()
    with pytest.raises(registration.LikelyDuplicate) as dup:
        await registration.register(ajmer_actor, ajmer_counter, {**NEW, "mobile": "9999999999"}, confirm_new_person=True)
    [candidate] = dup.value.candidates
    assert dup.value.certain and candidate.citizen.id == first.id and candidate.elsewhere.code == "JP"
    registered = await registration.register(ajmer_actor, ajmer_counter, {**NEW, "aadhaar": ""})
    assert registered.emitra_id.startswith("AJ") and registered.id != first.id


@pytest.mark.parametrize("typed,kept", [("M", "M"), ("f", "F"), ("T", "T"), ("female", "F"), ("Male", "M"), ("", "")])
async def test_a_gender_is_kept_as_its_letter(demo_db, typed, kept):
    actor, counter = await _operator()
    citizen = await registration.register(actor, counter, {**NEW, "gender": typed})
    assert citizen.gender == kept


def test_the_registration_form_offers_the_genders_as_a_choice_kept_after_a_refusal(web):
    import re

    web.login("operator1")
    page = web.get("/counter/citizens/new")
    select = re.search(r'<select id="f-gender" name="gender".*?</select>', page.text, re.S).group(0)
    assert 'value="M"' in select and "Male (M)" in select and "Female (F)" in select and "Transgender (T)" in select
    refused = web.post_form("/counter/citizens/new", {"name": "Kamla Devi", "date_of_birth": "1980-02-02", "gender": "F", "mobile": "123"})
    assert refused.status_code == 400 and "10 digits" in refused.text
    select = re.search(r'<select id="f-gender" name="gender".*?</select>', refused.text, re.S).group(0)
    assert re.search(r'<option value="F"\s+selected>', select)
    web.get("/lang/hi")
    assert "महिला (F)" in web.get("/counter/citizens/new").text
