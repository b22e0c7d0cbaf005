"""Citizens' names in Devanagari and Latin letters: keys that keep a word whole, the likely-duplicate
check and the counter's search across the two scripts, and migration 0024 (decision 56)."""

import importlib
import os

import pytest

from emitra.core import registration
from emitra.core.audit import Actor
from emitra.core.models import Citizen, Counter, User

pytestmark = pytest.mark.anyio

PERSON = {"date_of_birth": "1990-06-15", "mobile": "9460055667", "gender": "", "aadhaar": "", "address": ""}

# The same person written in Devanagari at one counter visit and in Latin letters at another.
SAME = [
    ("रमेश कुमार", "Ramesh Kumar"),
    ("सुनीता देवी", "Sunita Devi"),
    ("सुनीता देवी", "Suneeta Devi"),
    ("श्रीमती प्रियंका शर्मा", "Priyanka Sharma"),
    ("राजेंद्र सिंह", "Rajendra Singh"),
    ("लक्ष्मी देवी", "Laxmi Devi"),
    ("ओमप्रकाश सैनी", "Om Prakash Saini"),
    ("जगदीश प्रसाद", "Jagdish Prasad"),
    ("पूजा कुमारी", "Pooja Kumari"),
    ("मोहम्मद इक़बाल", "Mohammad Iqbal"),
    ("भंवर लाल जाट", "Bhanwar Lal Jat"),
    ("घनश्याम बैरवा", "Ghanshyam Bairwa"),
    ("कृष्ण गोपाल", "Krishna Gopal"),
    ("गौरव चौधरी", "Gourav Choudhary"),
    ("ज़ाकिर हुसैन", "Zakir Hussain"),
    ("कमला देवी", "Kamla Devi"),
    ("शंकर लाल", "Shankar Lal"),
    ("सिद्धार्थ शेखावत", "Siddharth Shekhawat"),
    ("सुनीता वर्मा", "Sunita Verma"),
    ("ज्ञान चंद", "Gyan Chand"),
    ("अंबिका मीणा", "Ambika Meena"),
    ("फ़ातिमा बानो", "Fatima Bano"),
    ("फातिमा बानो", "Fatima Bano"),  # the nukta left out
    ("रमेश कुमार", "Ramesh"),  # the surname left out
]
# Two people (twins, a brother and a sister) sharing a mobile number and a date of birth.
DIFFERENT = [
    ("रमेश कुमार", "Suresh Kumar"),
    ("सुनीता देवी", "Sunil Dev"),
    ("अमित शर्मा", "Amita Sharma"),
    ("कमल सिंह", "Kamla Singh"),
    ("लव कुमार", "Kush Kumar"),
    ("मोहन लाल", "Mohini"),
    ("गीता मीणा", "Gautam Meena"),
    ("अनिल कुमार", "Anita Kumari"),
    ("राम प्रसाद", "Rama Devi"),
]


async def _operator():
    user = await User.get(username="operator1")
    return Actor(user), await Counter.get(id=user.counter_id)


def test_a_devanagari_word_keeps_its_vowel_signs_virama_and_anusvara():
    assert registration.name_key("रमेश कुमार") == "रमेश कुमार"
    assert registration.name_key("सुनीता देवी") == "सुनीता देवी"
    assert registration.name_key("श्रीमती प्रियंका") == "प्रियंका"  # the title goes, as Smt does
    assert registration.name_key("श्री  राजेंद्र सिंह।") == "राजेंद्र सिंह"
    assert registration.name_key("Smt. Pooja  KUMARI") == "pooja kumari"


async def test_devanagari_names_are_searched_and_compared_as_whole_words(demo_db):
    actor, counter = await _operator()
    priyanka = await registration.register(actor, counter, {**PERSON, "name": "प्रियंका शर्मा"})
    ramesh = await registration.register(actor, counter, {**PERSON, "mobile": "9460055668", "name": "रमेश कुमार"})
    assert [c.id for c in await registration.search(counter.district_id, "श्रीमती प्रियंका")] == [priyanka.id]
    demo_ramesh = await Citizen.get(name="Ramesh Kumar Sharma")
    assert [c.id for c in await registration.search(counter.district_id, "रमेश")] == [demo_ramesh.id, ramesh.id]
    assert await registration.search(counter.district_id, "रमा") == []  # Rama is not Ramesh
    with pytest.raises(registration.NothingToSearch):
        await registration.search(counter.district_id, "श्रीमती")
    # A brother and a sister born the same day on one mobile: not the same person.
    await registration.register(actor, counter, {**PERSON, "mobile": "9460055669", "name": "अनिल कुमार"})
    sister = await registration.register(actor, counter, {**PERSON, "mobile": "9460055669", "name": "अनीता कुमारी"})
    assert sister.emitra_id
    with pytest.raises(registration.LikelyDuplicate):
        await registration.register(actor, counter, {**PERSON, "mobile": "9460055669", "name": "श्री अनिल कुमार"})


@pytest.mark.parametrize("first,second", SAME + [(b, a) for a, b in SAME])
async def test_the_same_name_in_devanagari_and_latin_letters_is_a_likely_duplicate(demo_db, first, second):
    actor, counter = await _operator()
    existing = await registration.register(actor, counter, {**PERSON, "name": first})
    before = await Citizen.all().count()
    with pytest.raises(registration.LikelyDuplicate) as dup:
        await registration.register(actor, counter, {**PERSON, "name": second})
    assert [c.citizen.id for c in dup.value.candidates] == [existing.id] and not dup.value.certain
    assert await Citizen.all().count() == before
    again = await registration.register(actor, counter, {**PERSON, "name": second}, confirm_new_person=True)  # warned, not blocked
    assert again.id != existing.id


@pytest.mark.parametrize("first,second", DIFFERENT + [(b, a) for a, b in DIFFERENT])
async def test_different_names_on_one_mobile_and_birth_date_are_not_flagged(demo_db, first, second):
    actor, counter = await _operator()
    await registration.register(actor, counter, {**PERSON, "name": first})
    assert (await registration.register(actor, counter, {**PERSON, "name": second})).emitra_id


@pytest.mark.parametrize("stored,typed", [("रमेश कुमार", "Ramesh"), ("Suneeta Devi", "सुनीता"), ("पूजा कुमारी", "pooja kumari"),
                                          ("Om Prakash Saini", "ओम प्रकाश"), ("लक्ष्मी देवी", "Laxmi")])
async def test_the_counter_search_finds_a_name_typed_in_the_other_script(demo_db, stored, typed):
    actor, counter = await _operator()
    citizen = await registration.register(actor, counter, {**PERSON, "name": stored})
    other = await registration.register(actor, counter, {**PERSON, "mobile": "9460055670", "name": "Sunil Verma"})
    found = [c.id for c in await registration.search(counter.district_id, typed)]
    assert citizen.id in found and other.id not in found


async def test_a_corrected_name_gets_its_keys_again(demo_db):
    actor, counter = await _operator()
    citizen = await registration.register(actor, counter, {**PERSON, "name": "Sunil Verma"})
    citizen.name = "सुनीता वर्मा"
    await citizen.save(update_fields=["name"])
    stored = await Citizen.get(id=citizen.id)
    assert (stored.name_key, stored.name_sound) == ("सुनीता वर्मा", "sunita vrma")
    assert [c.id for c in await registration.search(counter.district_id, "Sunita Varma")] == [citizen.id]
    assert await registration.search(counter.district_id, "Sunil") == []


async def test_0024_works_out_every_key_again_and_back(demo_db):
    """Migration 0024 down and up on the suite's database (SQLite, or PostgreSQL): going down puts
    back the keys of the versions before it and drops name_sound; going up works both out again
    from the names; run once more it writes nothing."""
    from tortoise import Tortoise, connections
    from tortoise.migrations.api import migrate

    from emitra.core.db import tortoise_config

    actor, counter = await _operator()
    names = ["रमेश कुमार", "श्रीमती प्रियंका", "Suneeta Devi", "ओमप्रकाश"]
    ids = [(await registration.register(actor, counter, {**PERSON, "mobile": f"946005560{n}", "name": name})).id
           for n, name in enumerate(names)]
    url = os.environ["EMITRA_DATABASE_URL"]  # the suite's (tests/conftest.py)

    async def stored() -> list[dict]:
        rows = await connections.get("default").execute_query_dict('SELECT * FROM "citizen" ORDER BY "id"')
        return [r for r in rows if r["id"] in ids]

    await Tortoise.close_connections()
    await migrate(config=tortoise_config(url), target="models.0023_case_event_remark_hi")
    await Tortoise.init(config=tortoise_config(url))
    down = await stored()
    assert [r["name_key"] for r in down] == ["रम श क म र", "श र मत प र य क", "suneeta devi", "ओमप रक श"]
    assert all("name_sound" not in r for r in down)
    await Tortoise.close_connections()
    await migrate(config=tortoise_config(url))
    await Tortoise.init(config=tortoise_config(url))
    up = await stored()
    assert [(r["name_key"], r["name_sound"]) for r in up] == [
        ("रमेश कुमार", "rmes kumr"), ("प्रियंका", "priynka"), ("suneeta devi", "sunita devi"), ("ओमप्रकाश", "omprks")]
    assert ids[0] in [c.id for c in await registration.search(counter.district_id, "Ramesh Kumar")]

    class Editor:
        client = connections.get("default")

    migration = importlib.import_module("emitra.core.migrations.0024_citizen_name_sound")
    assert await migration.rewrite_keys(Editor()) == 0
    assert await stored() == up
