"""Citizen registration at a counter: unique e-Mitra IDs, duplicate detection, masked Aadhaar.

A likely duplicate (the same mobile and date of birth with a similar name, in the counter's
district; a name in Devanagari and the same name in Latin letters are similar: core/names.py) is
shown to the operator instead of creating a second record; the operator may still register after
confirming that the person is different (recorded in the audit log). The same
Aadhaar number twice is always refused, in any district; a record of another district is named
by its district only (its name, date of birth and mobile are that district's to show). The Aadhaar number is kept only masked (``XXXX XXXX 1234``) and as a keyed hash
for matching; it is never shown in full again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from stdnum.in_ import aadhaar as aadhaar_number
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from emitra.core import audit, cache, config
from emitra.core.forms import FieldMessage, FormErrors, _iso_date
from emitra.core.ids import IdError, make_emitra_id, parse_emitra_id
from emitra.core.models import Citizen, Counter, District
from emitra.core.names import name_key, name_sound, sound_similarity
from emitra.core.text import ascii_digits, typed_mobile, typed_number

NAME_SIMILARITY = 0.8
_MOBILE = re.compile(r"^[6-9]\d{9}$")
#: what a gender may be given as (upper case), and the letter kept
_GENDERS = {"": "", "M": "M", "F": "F", "T": "T", "MALE": "M", "FEMALE": "F", "TRANSGENDER": "T"}


def name_similarity(a: str, b: str) -> float:
    """0..1. As typed: one name's words all within the other's (a surname left out) counts as 0.9,
    else how alike the letters are. In sound (core/names.py): the same name in Devanagari and Latin
    letters, or in two spellings of it, counts as 1.0 (0.9 with a surname left out)."""
    ka, kb = name_key(a), name_key(b)
    wa, wb = set(ka.split()), set(kb.split())
    if wa and wb and (wa <= wb or wb <= wa):
        return 1.0 if wa == wb else 0.9
    straight = SequenceMatcher(None, ka, kb).ratio()
    sorted_words = SequenceMatcher(None, " ".join(sorted(ka.split())), " ".join(sorted(kb.split()))).ratio()
    return max(straight, sorted_words, sound_similarity(a, b))


def aadhaar_hash(digits: str) -> str:
    key = hmac.new(config.secret_key().encode(), b"emitra-aadhaar-v1", hashlib.sha256).digest()
    return hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()


def mask_aadhaar(digits: str) -> str:
    return f"XXXX XXXX {digits[-4:]}"


@dataclass
class CitizenInput:
    name: str
    date_of_birth: dt.date
    mobile: str
    gender: str = ""
    address: str = ""
    aadhaar: str = ""  # digits only, after cleaning; "" when not given


def clean(raw: dict[str, Any], today: dt.date | None = None) -> CitizenInput:
    """Check the registration fields; raise :class:`FormErrors` naming every wrong field."""
    today = today or dt.date.today()
    errors: list[FieldMessage] = []
    name = " ".join(str(raw.get("name", "")).split())
    if len(name) < 2:
        errors.append(FieldMessage("name", "Name is required (at least 2 letters).", "नाम आवश्यक है (कम से कम 2 अक्षर)।"))
    elif len(name) > 200:
        errors.append(FieldMessage("name", "Name can have at most 200 characters.", "नाम में अधिकतम 200 अक्षर हो सकते हैं।"))
    dob = None
    # typed on a Hindi keyboard (१९८५), or day first as dates are written in India (23-04-1985) where the
    # browser shows a plain text box
    dob_text = _iso_date(ascii_digits(str(raw.get("date_of_birth", "")).strip()))
    if not dob_text:
        errors.append(FieldMessage("date_of_birth", "Date of birth is required (YYYY-MM-DD).", "जन्म तिथि आवश्यक है (YYYY-MM-DD)।"))
    else:
        try:
            dob = dt.date.fromisoformat(dob_text)
        except ValueError:
            errors.append(FieldMessage("date_of_birth", "Date of birth must be a date such as 1985-04-23.", "जन्म तिथि 1985-04-23 जैसी तारीख होनी चाहिए।"))
        else:
            if dob > today:
                errors.append(FieldMessage("date_of_birth", "Date of birth cannot be in the future.", "जन्म तिथि भविष्य में नहीं हो सकती।"))
            elif dob.year < today.year - 125:
                errors.append(FieldMessage("date_of_birth", "Date of birth is more than 125 years ago; please check the year.", "जन्म तिथि 125 वर्ष से अधिक पुरानी है; कृपया वर्ष जाँचें।"))
    mobile = typed_mobile(str(raw.get("mobile", "")))  # +91 or 0 in front, Hindi digits, spaces
    if not _MOBILE.match(mobile):
        errors.append(FieldMessage("mobile", "Mobile number must be 10 digits starting with 6, 7, 8 or 9.", "मोबाइल नंबर 6, 7, 8 या 9 से शुरू होने वाले 10 अंकों का होना चाहिए।"))
    # M, F or T, or the word itself (the first letter alone read "Mahila", a woman, as M)
    gender = _GENDERS.get(str(raw.get("gender", "")).strip().upper(), "?")
    if gender == "?":
        errors.append(FieldMessage("gender", "Gender must be M, F or T (or left blank).", "लिंग M, F या T होना चाहिए (या खाली छोड़ें)।"))
    aadhaar_digits = typed_number(str(raw.get("aadhaar", "")))
    if aadhaar_digits and not aadhaar_number.is_valid(aadhaar_digits):
        errors.append(FieldMessage("aadhaar", "This is not a valid Aadhaar number (12 digits, with a valid check digit).", "यह मान्य आधार नंबर नहीं है (12 अंक, सही जाँच अंक के साथ)।"))
    address = " ".join(str(raw.get("address", "")).split())[:300]
    if errors:
        raise FormErrors(errors)
    assert dob is not None
    return CitizenInput(name=name, date_of_birth=dob, mobile=mobile, gender=gender, address=address, aadhaar=aadhaar_digits)


@dataclass
class Candidate:
    citizen: Citizen
    reason: str  # "aadhaar" (certain) or "mobile+dob+name" (likely)
    similarity: float
    elsewhere: District | None = None  # the record's district when it is not the counter's: nothing more of it is shown


class LikelyDuplicate(Exception):
    """Registration stopped: these existing citizens look like the same person."""

    def __init__(self, candidates: list[Candidate]):
        super().__init__(", ".join(c.citizen.emitra_id or "?" for c in candidates))
        self.candidates = candidates

    @property
    def certain(self) -> bool:
        return any(c.reason == "aadhaar" for c in self.candidates)


async def find_duplicates(data: CitizenInput, district_id: int) -> list[Candidate]:
    """The records that look like the person being registered at a counter of ``district_id``: the
    same Aadhaar number in any district (a person has one e-Mitra ID), or the same mobile and date
    of birth with a similar name in this district. A record of another district comes with its
    district in ``elsewhere``: an operator sees only the citizens of the counter's district (the
    search, the API), so the page and the API name that district and nothing of the person."""
    found: list[Candidate] = []
    if data.aadhaar:
        same = await Citizen.get_or_none(aadhaar_hash=aadhaar_hash(data.aadhaar))
        if same:
            elsewhere = await District.get(id=same.district_id) if same.district_id != district_id else None
            found.append(Candidate(same, "aadhaar", 1.0, elsewhere))
    for other in await Citizen.filter(mobile=data.mobile, date_of_birth=data.date_of_birth, district_id=district_id):
        if any(c.citizen.id == other.id for c in found):
            continue
        score = name_similarity(data.name, other.name)
        if score >= NAME_SIMILARITY:
            found.append(Candidate(other, "mobile+dob+name", score))
    return found


async def register(actor: audit.Actor, counter: Counter, raw: dict[str, Any], confirm_new_person: bool = False) -> Citizen:
    """Register a citizen at ``counter`` and issue an e-Mitra ID.

    Raises :class:`FormErrors` for bad fields and :class:`LikelyDuplicate` when the person seems
    to be registered already (unless ``confirm_new_person`` and the match is not by Aadhaar).
    """
    data = clean(raw)
    candidates = await find_duplicates(data, counter.district_id)
    if candidates and (not confirm_new_person or any(c.reason == "aadhaar" for c in candidates)):
        raise LikelyDuplicate(candidates)
    district = await District.get(id=counter.district_id)
    async with in_transaction():
        citizen = await Citizen.create(
            district_id=counter.district_id,
            name=data.name,  # (its name_key and name_sound are worked out on save: core/models.Citizen)
            date_of_birth=data.date_of_birth,
            gender=data.gender,
            mobile=data.mobile,
            address=data.address,
            aadhaar_masked=mask_aadhaar(data.aadhaar) if data.aadhaar else "",
            aadhaar_hash=aadhaar_hash(data.aadhaar) if data.aadhaar else None,
            registered_at=counter,
        )
        citizen.emitra_id = make_emitra_id(district.code, citizen.id)
        await citizen.save(update_fields=["emitra_id"])
        await audit.record(
            actor,
            "citizen.register",
            citizen,
            district_id=counter.district_id,
            counter_id=counter.id,
            detail={
                "emitra_id": citizen.emitra_id,
                "confirmed_not_duplicate_of": [c.citizen.emitra_id for c in candidates],
            },
        )
    return citizen


async def get_by_emitra_id(text: str) -> Citizen | None:
    """Look up by a typed e-Mitra ID; raises :class:`IdError` when the ID itself is malformed."""
    emitra_id = parse_emitra_id(text)
    return await cache.get("citizen", emitra_id, lambda: Citizen.get_or_none(emitra_id=emitra_id))


class NothingToSearch(ValueError):
    """The search text has nothing to search by (only punctuation, or only a title such as Shri)."""

    message_en = ("Nothing to search for: type the citizen's e-Mitra ID, mobile number or name "
                  "(a title such as Shri or Smt alone is not searched).")
    message_hi = ("खोजने के लिए कुछ नहीं: नागरिक की ई-मित्र आईडी, मोबाइल नंबर या नाम लिखें "
                  "(केवल श्री या श्रीमती जैसा संबोधन नहीं खोजा जाता)।")

    def __init__(self) -> None:
        super().__init__(self.message_en)


class NotAMobileNumber(ValueError):
    """The search text is a number, but not of a mobile's 10 digits (an Aadhaar number, a digit
    too many or too few)."""

    def __init__(self, count: int) -> None:
        self.message_en = (f"A mobile number has 10 digits; this number has {count}. Check it, or search by "
                           "e-Mitra ID or name (an Aadhaar number cannot be searched).")
        self.message_hi = (f"मोबाइल नंबर 10 अंकों का होता है; इस नंबर में {count} अंक हैं। इसे जाँचें, या ई-मित्र "
                           "आईडी या नाम से खोजें (आधार नंबर से खोज नहीं होती)।")
        super().__init__(self.message_en)


async def search(district_id: int, query: str, limit: int = 20) -> list[Citizen]:
    """Find citizens of a district by e-Mitra ID, mobile number or name.

    Raises :class:`NothingToSearch` when the text has nothing to search by: it would otherwise
    match every citizen of the district."""
    q = (query or "").strip()
    if not q:
        return []
    try:
        emitra_id = parse_emitra_id(q)
    except IdError:
        emitra_id = None
    if emitra_id:
        return await Citizen.filter(district_id=district_id, emitra_id=emitra_id).limit(limit)
    digits = typed_mobile(q)  # spaces, dashes, brackets, +91 or 0 in front, Hindi digits
    if re.fullmatch(r"[0-9]+", digits):
        if len(digits) != 10:  # 12 digits is most often an Aadhaar number, which is not searched
            raise NotAMobileNumber(len(digits))
        return await Citizen.filter(district_id=district_id, mobile=digits).limit(limit)
    key, sound = name_key(q), name_sound(q)
    if not key:
        raise NothingToSearch()
    # As typed (any part of the name), or by sound from the start of a word: "Ramesh" finds रमेश
    # कुमार and "सुनीता" finds Suneeta Devi (core/names.py).
    by_sound = Q(name_sound__startswith=sound) | Q(name_sound__contains=f" {sound}") if sound else Q(pk__in=[])
    return await Citizen.filter(Q(name_key__contains=key) | by_sound, district_id=district_id).order_by("name").limit(limit)
