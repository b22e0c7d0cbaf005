"""The district Society's network: the LSPs it appoints, the counters it licenses (LokMitra centres
and JanMitra kiosks), and the people who work them (operators, LSP admins).

Nothing but ``emitra demo`` created them before, so a district could not open a second kiosk or
take on an operator without editing the database. ``emitra lsp add``, ``emitra counter add`` and
``emitra user add`` (core/cli_onboarding.py) call the functions here. Each refuses what is wrong
naming the option and the fix, writes nothing then, and writes what it makes with its audit record
in one transaction. Who may: the district Society's admin (or the state admin); an LSP admin may
also add operators to their own LSP's counters. A new counter offers no service until its LSP
enables them (``/lsp/services``), as the paper has the LSP choose what its counters sell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from emitra.core import audit
from emitra.core.auth import hash_password
from emitra.core.models import LSP, Citizen, Counter, CounterKind, District, Role, Society, User
from emitra.core.officers import EMAIL, USERNAME, OfficerError, let_in, lock_out, new_password, said_reason
from emitra.core.money import parse_rupees
from emitra.core.text import count_en, noun_hi, without_percent_sign

#: a counter's code: the district's two letters, LM (LokMitra) or JM (JanMitra), a number
COUNTER_CODE = re.compile(r"^([A-Z]{2})-(LM|JM)-(\d{3,4})$")
KINDS = {"LM": CounterKind.LOKMITRA, "JM": CounterKind.JANMITRA}
MODES = ("postpaid", "prepaid")
#: the people ``emitra user add`` makes (officers have ``emitra officer add``, with their department)
ROLES = {"operator": Role.OPERATOR, "lsp_admin": Role.LSP_ADMIN}
#: and the admins above them: a district Society's, and the state's (decision 88)
ADMIN_ROLES = {"society_admin": Role.SOCIETY_ADMIN, "state_admin": Role.STATE_ADMIN}
DISTRICT_CODE = re.compile(r"^[A-Z]{2}$")


class Refused(OfficerError):
    """What cannot be made as asked: the option at fault and the fix (nothing was written), in
    English and, for the Network page, in Hindi (``message_hi``), and as the page says it
    (``page_en``, ``page_hi``: :class:`~emitra.core.officers.OfficerError`, decision 197). The Network page puts
    its field's label before the page's words ("Counter: choose the counter ..."), so they begin as a sentence goes
    on after a colon."""


def _is_admin_of(actor: audit.Actor, district_id: int) -> bool:
    user = actor.user
    return user is not None and user.active and (
        user.role == Role.STATE_ADMIN or (user.role == Role.SOCIETY_ADMIN and user.district_id == district_id))


async def _district(actor: audit.Actor, code: str) -> District:
    district = await District.get_or_none(code=code.strip().upper())
    if district is None:
        raise Refused("--district", f"no district with code {code!r}", f"{code!r} कोड का कोई जिला नहीं है")
    if not _is_admin_of(actor, district.id):
        raise Refused("--as", f"{actor.name!r} is not an admin of the {district.code} e-Mitra Society (nor the state admin)",
                      f"{actor.name!r} {district.code} ई-मित्र सोसायटी के (या राज्य के) एडमिन नहीं हैं")
    return district


def _text(value: str, option: str, what: str, what_hi: str, limit: int = 200) -> str:
    value = " ".join(str(value or "").split())
    if not value:
        raise Refused(option, f"{what} is needed", f"{what_hi} आवश्यक है")
    if len(value) > limit:
        raise Refused(option, f"{what} is {len(value)} characters long; shorten it to at most {limit}",
                      f"{what_hi} {len(value)} अक्षरों का है; इसे अधिकतम {limit} अक्षरों का करें")
    return value


async def add_lsp(actor: audit.Actor, *, name: str, district_code: str, mode: str = "postpaid") -> LSP:
    """Appoint a Local Service Provider in a district: postpaid (its counters deposit their cash at
    each day end) or prepaid (they pay from a wallet topped up in advance). Audited ``lsp.created``."""
    district = await _district(actor, district_code)
    name = _text(name, "--name", "the LSP's registered name", "एलएसपी का पंजीकृत नाम")
    if mode not in MODES:
        raise Refused("--mode", f"{mode!r} is not postpaid or prepaid", f"{mode!r} न पोस्टपेड है न प्रीपेड")
    if await LSP.filter(district_id=district.id, name__iexact=name).exists():
        raise Refused("--name", f"{name!r} is already an LSP of {district.code}; `emitra lsp list` shows them",
                      f"{name!r} पहले से {district.code} का एलएसपी है",
                      page=(f"{name} is already an LSP of {district.code} (listed on this page): give another name.",
                            f"{name} पहले से {district.code} का एलएसपी है (इसी पृष्ठ पर सूचीबद्ध): कोई दूसरा नाम दें।"))
    async with in_transaction():
        lsp = await LSP.create(district=district, name=name, mode=mode)
        await audit.record(actor, "lsp.created", lsp, district_id=district.id, detail={"name": name, "mode": mode})
    return lsp


def _share_bp(part: str) -> int | None:
    """One share of a split: basis points (``3000``), or per cent written with its sign (``30%``,
    ``62.5%``: at most two decimals, so the basis points are exact); None when it is neither."""
    if part.isdigit():
        return int(part)
    number = without_percent_sign(part)
    if number != part and re.fullmatch(r"\d{1,3}(\.\d{1,2})?", number):
        return parse_rupees(number)  # hundredths of a per cent, as paise are hundredths of a rupee
    return None


def parse_split(text: str) -> tuple[int, int, int]:
    """``--split 3000/5000/2000``: the service charge's shares (LSP / kiosk owner / Society) in basis
    points, adding up to 10000; a share may be written in per cent with its sign (``30%/50%/20%``,
    ``60%/0/4000``)."""
    parts = [_share_bp(p) for p in str(text).replace(" ", "").split("/")]
    if len(parts) != 3 or None in parts:
        raise Refused("--split", f"{text!r} is not three whole numbers LSP/owner/Society in basis points, e.g. 3000/5000/2000, "
                                 "or three shares in per cent with the sign, e.g. 30%/50%/20%",
                      f"{text!r} बेसिस पॉइंट में एलएसपी/मालिक/सोसायटी की तीन पूर्ण संख्याएँ नहीं है, जैसे 3000/5000/2000, "
                      "न ही चिह्न के साथ प्रतिशत में तीन हिस्से, जैसे 30%/50%/20%")
    shares = tuple(int(p) for p in parts if p is not None)
    if sum(shares) != 10000:
        raise Refused("--split", f"the shares add up to {sum(shares)}; they must add up to 10000 (100 %)",
                      f"हिस्सों का योग {sum(shares)} है; योग 10000 (100 %) होना चाहिए")
    return shares  # type: ignore[return-value]


def _hindi_name(value: str | None, option: str) -> str:
    """A counter's name in Hindi, as kept: optional ("" shows the English name on Hindi pages), but
    when given it is written in Devanagari (an English name typed here would show on Hindi pages as
    if it were the Hindi one)."""
    from emitra.core.plugins import is_hindi

    value = " ".join(str(value or "").split())
    if len(value) > 200:
        raise Refused(option, f"the counter's Hindi name is {len(value)} characters long; shorten it to at most 200",
                      f"काउंटर का हिंदी नाम {len(value)} अक्षरों का है; इसे अधिकतम 200 अक्षरों का करें")
    if value and not is_hindi(value):
        raise Refused(option, f"{value!r} is not written in Hindi (Devanagari), e.g. 'जनमित्र कियोस्क, फागी'; "
                              "leave it empty to show the English name on Hindi pages",
                      f"{value!r} हिंदी (देवनागरी) में नहीं लिखा है, जैसे 'जनमित्र कियोस्क, फागी'; "
                      "हिंदी पृष्ठों पर अंग्रेज़ी नाम दिखाने के लिए इसे खाली छोड़ें")
    return value


async def add_counter(actor: audit.Actor, *, code: str, name: str, lsp_id: int, owner_name: str = "", address: str = "",
                      split: str = "10000/0/0", name_hi: str = "") -> Counter:
    """License a counter of an LSP: its code (``JP-LM-002``: the district, LM for a LokMitra centre or
    JM for a JanMitra kiosk, a number) says its district and kind. ``owner_name`` is the authorised
    kiosk owner (the LSP itself for a LokMitra centre); ``split`` shares the service charge earned
    there; ``name_hi`` is its name on Hindi pages (optional: the English one shows without it). No
    service is offered until the LSP enables it. Audited ``counter.created``."""
    code = str(code or "").strip().upper()
    found = COUNTER_CODE.match(code)
    if not found:
        raise Refused("CODE", f"{code!r} is not a counter code: the district's two letters, LM (LokMitra) or JM (JanMitra) "
                              "and a number, e.g. JP-LM-002 or JP-JM-014",
                      f"{code!r} काउंटर कोड नहीं है: जिले के दो अक्षर, LM (लोकमित्र) या JM (जनमित्र) और एक संख्या, जैसे JP-LM-002 या JP-JM-014")
    lsp = await LSP.get_or_none(id=lsp_id) if isinstance(lsp_id, int) and 0 < lsp_id < 2**31 else None
    if lsp is None:
        raise Refused("--lsp", f"no LSP with number {lsp_id!r}; `emitra lsp list` shows them", f"{lsp_id!r} संख्या का कोई एलएसपी नहीं है",
                      page=("choose the LSP that runs the counter from the list.", "सूची से वह एलएसपी चुनें जो काउंटर चलाएगा।"))
    district = await District.get(id=lsp.district_id)
    if not _is_admin_of(actor, district.id):
        raise Refused("--as", f"{actor.name!r} is not an admin of the {district.code} e-Mitra Society (nor the state admin)",
                      f"{actor.name!r} {district.code} ई-मित्र सोसायटी के (या राज्य के) एडमिन नहीं हैं")
    if found.group(1) != district.code:
        raise Refused("CODE", f"{code} begins with {found.group(1)}, but {lsp.name} is an LSP of {district.code}: "
                              f"begin it with {district.code}-",
                      f"{code} {found.group(1)} से शुरू होता है, पर {lsp.name} {district.code} का एलएसपी है: इसे {district.code}- से शुरू करें")
    if not lsp.active:
        raise Refused("--lsp", f"{lsp.name} is no longer active", f"{lsp.name} अब सक्रिय नहीं है")
    if await Counter.filter(code=code).exists():
        raise Refused("CODE", f"{code} is taken; `emitra counter list` shows the counters", f"{code} पहले से लिया जा चुका है",
                      page=(f"{code} is taken (the counters are listed on this page): give another code.",
                            f"{code} पहले से लिया जा चुका है (काउंटर इसी पृष्ठ पर सूचीबद्ध हैं): कोई दूसरा कोड दें।"))
    kind = KINDS[found.group(2)]
    name = _text(name, "--name", "the counter's name, e.g. 'JanMitra Kiosk, Phagi'", "काउंटर का नाम (अंग्रेज़ी में), जैसे 'JanMitra Kiosk, Phagi'")
    name_hi = _hindi_name(name_hi, "--name-hi")
    owner = _text(owner_name or (lsp.name if kind == CounterKind.LOKMITRA else ""), "--owner",
                  "the authorised kiosk owner's name (a JanMitra kiosk is run by an entrepreneur the LSP authorises)",
                  "अधिकृत कियोस्क मालिक का नाम (जनमित्र कियोस्क एलएसपी द्वारा अधिकृत उद्यमी चलाता है)")
    address = " ".join(str(address or "").split())[:300]
    lsp_bp, owner_bp, society_bp = parse_split(split)
    async with in_transaction():
        counter = await Counter.create(district=district, lsp=lsp, code=code, name=name, name_hi=name_hi, kind=kind, owner_name=owner,
                                       address=address, split_lsp_bp=lsp_bp, split_owner_bp=owner_bp, split_society_bp=society_bp)
        await audit.record(actor, "counter.created", counter, district_id=district.id, counter_id=counter.id,
                           detail={"code": code, "kind": kind.value, "lsp_id": lsp.id, "owner": owner, "name": name, "name_hi": name_hi,
                                   "split_bp": [lsp_bp, owner_bp, society_bp]})
    return counter


async def set_counter(actor: audit.Actor, code: str, *, name: str | None = None, name_hi: str | None = None) -> Counter:
    """Change what a licensed counter is called: its name (``name``) and its name in Hindi
    (``name_hi``; "" removes it, and Hindi pages show the English name again). The district
    Society's admin (the Society licenses counters) or the state admin, open or closed counter.
    Audited ``counter.updated`` with each value before and after; nothing changed writes nothing."""
    counter = await Counter.get_or_none(code=str(code or "").strip().upper())
    if counter is None:
        raise Refused("CODE", f"no counter with code {code!r}; `emitra counter list` shows them",
                      f"{code!r} कोड का कोई काउंटर नहीं है")
    if not _is_admin_of(actor, counter.district_id):
        raise Refused("--as", f"{actor.name!r} is not an admin of the e-Mitra Society that licensed {counter.code} (nor the state admin)",
                      f"{actor.name!r} {counter.code} को लाइसेंस देने वाली ई-मित्र सोसायटी के (या राज्य के) एडमिन नहीं हैं")
    wanted: dict[str, str] = {}
    if name is not None:
        wanted["name"] = _text(name, "--name", "the counter's name, e.g. 'JanMitra Kiosk, Phagi'", "काउंटर का नाम (अंग्रेज़ी में), जैसे 'JanMitra Kiosk, Phagi'")
    if name_hi is not None:
        wanted["name_hi"] = _hindi_name(name_hi, "--name-hi")
    if not wanted:
        raise Refused("--name", "nothing to change: give --name, --name-hi or both", "बदलने को कुछ नहीं: --name, --name-hi या दोनों दें",
                      page=("type the name, the name in Hindi or both.", "नाम, हिंदी में नाम या दोनों लिखें।"))
    changed = {k: [getattr(counter, k), v] for k, v in wanted.items() if getattr(counter, k) != v}
    if changed:
        async with in_transaction():
            await Counter.filter(id=counter.id).update(**{k: v for k, (_, v) in changed.items()})
            await audit.record(actor, "counter.updated", counter, district_id=counter.district_id, counter_id=counter.id,
                               detail={"code": counter.code, **changed})
    return await Counter.get(id=counter.id)


# --- the district itself: its Society, and the admins who run it (decision 88) -----------------------


async def _first_steps(actor: audit.Actor, what: str, what_hi: str, *, none_yet: bool, who: str = "the state admin",
                       who_hi: str = "राज्य एडमिन") -> None:
    """A command given without --as (the installation's shell) is allowed only for the first of
    ``what``, while ``none_yet``: afterwards ``who`` gives --as, and the audit log names them."""
    if actor.user is None and not none_yet:
        raise Refused("--as", f"{what} exists already: give --as with the username of {who} (recorded in the audit log)",
                      f"{what_hi} पहले से है: --as के साथ {who_hi} का उपयोगकर्ता नाम दें")


def _is_state_admin(actor: audit.Actor) -> bool:
    return actor.user is not None and actor.user.active and actor.user.role == Role.STATE_ADMIN


async def add_district(actor: audit.Actor, *, code: str, name_en: str, name_hi: str, society_name: str,
                       bank_account: str = "", nodal_email: str = "") -> District:
    """A district and its e-Mitra Society (its name, the bank account its counters deposit into, the
    nodal officer's email). The state admin adds districts; on a new installation, before any state
    admin exists, the installation's shell may (no --as). Audited ``district.created``."""
    await _first_steps(actor, "a state admin", "राज्य एडमिन", none_yet=not await User.filter(role=Role.STATE_ADMIN, active=True).exists())
    if actor.user is not None and not _is_state_admin(actor):
        raise Refused("--as", f"{actor.name!r} is not the state admin: the state admin adds districts",
                      f"{actor.name!r} राज्य एडमिन नहीं हैं: जिले राज्य एडमिन जोड़ते हैं")
    code = str(code or "").strip().upper()
    if not DISTRICT_CODE.match(code):
        raise Refused("CODE", f"{code!r} is not a district code: two letters, e.g. JP for Jaipur (they begin its e-Mitra IDs, "
                              "counters and receipts)",
                      f"{code!r} जिला कोड नहीं है: दो अक्षर, जैसे जयपुर के लिए JP")
    if await District.filter(code=code).exists():
        raise Refused("CODE", f"district {code} exists already; `emitra district list` shows them", f"जिला {code} पहले से है")
    name_en = _text(name_en, "--name", "the district's name in English", "जिले का अंग्रेज़ी नाम", 100)
    name_hi = _text(name_hi, "--name-hi", "the district's name in Hindi", "जिले का हिंदी नाम", 100)
    society_name = _text(society_name, "--society", "the Society's name, e.g. 'District e-Mitra Society, Jaipur'",
                         "सोसायटी का नाम", 200)
    bank_account = _bank_account(bank_account)
    nodal_email = _email(nodal_email)
    async with in_transaction():
        district = await District.create(code=code, name_en=name_en, name_hi=name_hi)
        society = await Society.create(district=district, name=society_name, bank_account=bank_account, nodal_officer_email=nodal_email)
        await audit.record(actor, "district.created", district, district_id=district.id,
                           detail={"code": code, "name": name_en, "society": society.name, "bank_account": bank_account,
                                   "nodal_officer_email": nodal_email})
    return district


def _bank_account(value: str) -> str:
    value = " ".join(str(value or "").split())
    if len(value) > 40:
        raise Refused("--bank-account", f"the bank account is {len(value)} characters long; give at most 40 (the bank's name or "
                                        "IFSC and the account number, e.g. 'SBI 0000 1234 5678')",
                      f"बैंक खाता {len(value)} अक्षरों का है; अधिकतम 40 दें")
    if value and not any(ch.isdigit() for ch in value):
        raise Refused("--bank-account", f"{value!r} has no account number: give the bank and the number, e.g. 'SBI 0000 1234 5678'",
                      f"{value!r} में खाता संख्या नहीं है: बैंक और संख्या दें, जैसे 'SBI 0000 1234 5678'")
    return value


def _email(value: str) -> str:
    value = str(value or "").strip()
    if value and (len(value) > 200 or not EMAIL.fullmatch(value)):
        raise Refused("--nodal-email", f"{value!r} is not an email address (the weekly complaint book digest is sent there)",
                      f"{value!r} ईमेल पता नहीं है")
    return value


async def set_society(actor: audit.Actor, code: str, *, name: str | None = None, bank_account: str | None = None,
                      nodal_email: str | None = None) -> Society:
    """Change what the district's Society is known by: its name (on slips and posters), the bank
    account its counters deposit into (printed on every deposit slip, and checked against a bank
    statement's title at import: decision 83), the nodal officer's email. The Society's admin or the
    state admin. Audited ``society.updated`` with each value before and after."""
    district = await _district(actor, code)
    society = await Society.get_or_none(district_id=district.id)
    if society is None:
        raise Refused("CODE", f"district {district.code} has no Society: add it with `emitra district add`",
                      f"जिले {district.code} की कोई सोसायटी नहीं है")
    wanted = {}
    if name is not None:
        wanted["name"] = _text(name, "--society", "the Society's name", "सोसायटी का नाम", 200)
    if bank_account is not None:
        wanted["bank_account"] = _bank_account(bank_account)
    if nodal_email is not None:
        wanted["nodal_officer_email"] = _email(nodal_email)
    if not wanted:
        raise Refused("--society", "nothing to change: give --society, --bank-account or --nodal-email",
                      "बदलने को कुछ नहीं: --society, --bank-account या --nodal-email दें",
                      page=("type the Society's name, its bank account or the nodal officer's email.",
                            "सोसायटी का नाम, उसका बैंक खाता या नोडल अधिकारी का ईमेल लिखें।"))
    changed = {k: [getattr(society, k), v] for k, v in wanted.items() if getattr(society, k) != v}
    if changed:
        async with in_transaction():
            await Society.filter(id=society.id).update(**{k: v for k, (_, v) in changed.items()})
            await audit.record(actor, "society.updated", society, district_id=district.id, detail=changed)
    return await Society.get(id=society.id)


async def _admin_district(actor: audit.Actor, wanted: Role, district_code: str) -> District | None:
    """Who may add an admin: a Society admin (of ``district_code``) by the state admin or another
    Society admin of the district; the state admin by the state admin. Without --as, only the
    first of them (a new installation's, or a new district's)."""
    if wanted == Role.STATE_ADMIN:
        if district_code:
            raise Refused("--district", "the state admin belongs to no district: leave --district out",
                          "राज्य एडमिन किसी जिले का नहीं होता: --district न दें")
        await _first_steps(actor, "a state admin", "राज्य एडमिन", none_yet=not await User.filter(role=Role.STATE_ADMIN, active=True).exists())
        if actor.user is not None and not _is_state_admin(actor):
            raise Refused("--as", f"{actor.name!r} is not the state admin: the state admin adds another",
                          f"{actor.name!r} राज्य एडमिन नहीं हैं")
        return None
    district = await District.get_or_none(code=str(district_code or "").strip().upper()) if district_code else None
    if district is None:
        raise Refused("--district", "a Society admin runs a district's Society: give its code (`emitra district list`)"
                                    + (f"; {district_code!r} is none" if district_code else ""),
                      "सोसायटी एडमिन किसी जिले की सोसायटी चलाते हैं: उसका कोड दें")
    await _first_steps(actor, f"an admin of the {district.code} Society", f"{district.code} सोसायटी का एडमिन",
                       none_yet=not await User.filter(role=Role.SOCIETY_ADMIN, district_id=district.id, active=True).exists(),
                       who="an admin of that Society or the state admin", who_hi="उस सोसायटी के एडमिन या राज्य एडमिन")
    if actor.user is not None and not _is_admin_of(actor, district.id):
        raise Refused("--as", f"{actor.name!r} is not an admin of the {district.code} e-Mitra Society (nor the state admin)",
                      f"{actor.name!r} {district.code} ई-मित्र सोसायटी के (या राज्य के) एडमिन नहीं हैं")
    return district


# --- the people of the network ------------------------------------------------------------------


async def _new_account(username: str, full_name: str, password: str) -> str:
    """The checks every new account passes (the username free, a full name, a password of 8 or
    more characters); the full name as kept."""
    if await User.filter(username=username).exists():
        raise Refused("USERNAME", f"{username!r} is taken; choose another", f"{username!r} पहले से लिया जा चुका है; कोई और चुनें")
    full_name = _text(full_name, "--name", "the person's full name", "व्यक्ति का पूरा नाम")
    if len(password) < 8:
        raise Refused("password", "at least 8 characters", "कम से कम 8 अक्षर",
                      page=(f"the password has {len(password)} characters; type one of at least 8.",
                            f"पासवर्ड में {len(password)} अक्षर हैं; कम से कम 8 अक्षरों का पासवर्ड लिखें।"))
    return full_name


async def add_user(actor: audit.Actor, *, username: str, full_name: str, role: str, password: str,
                   counter_code: str = "", lsp_id: int | None = None, district_code: str = "", full_name_hi: str = "") -> User:
    """An operator of a counter (``counter_code``), or an LSP's admin (``lsp_id``). The district
    Society's admin or the state admin may add either; an LSP admin may add operators to their own
    LSP's counters. Also a Society's admin (``district_code``) or the state admin: see
    :func:`_admin_district`. ``full_name_hi``, the name in Hindi (optional, Devanagari). Audited
    ``user.created`` (never the password)."""
    name = str(role or "").strip().lower()
    wanted = ROLES.get(name) or ADMIN_ROLES.get(name)
    if wanted is None:
        raise Refused("--role", f"{role!r} is not operator, lsp_admin, society_admin or state_admin "
                                "(department officers: `emitra officer add`)",
                      f"{role!r} न ऑपरेटर है, न एलएसपी एडमिन, न सोसायटी एडमिन, न राज्य एडमिन")
    username = str(username or "").strip()
    if not USERNAME.match(username):
        raise Refused("USERNAME", f"{username!r} is not a username: 3 to 60 lowercase letters, digits, '.', '_' or '-', "
                                  "beginning with a letter (e.g. 'op_phagi_1')",
                      f"{username!r} उपयोगकर्ता नाम नहीं है: 3 से 60 छोटे अंग्रेज़ी अक्षर, अंक, '.', '_' या '-', "
                      "जो किसी अक्षर से शुरू हो (जैसे 'op_phagi_1')")
    full_name_hi = _person_hindi_name(full_name_hi)
    if wanted in ADMIN_ROLES.values():
        district = await _admin_district(actor, wanted, district_code)
        full_name = await _new_account(username, full_name, password)
        district_id = district.id if district else None
        async with in_transaction():
            user = await User.create(username=username, full_name=full_name, full_name_hi=full_name_hi, role=wanted,
                                     password_hash=hash_password(password), district_id=district_id)
            await audit.record(actor, "user.created", user, district_id=district_id,
                               detail={"username": username, "role": wanted.value, "district": district.code if district else None})
        return user
    if actor.user is None:
        raise Refused("--as", "give --as: the username of the district Society's admin (or of the LSP's admin, for an operator "
                              "of its own counter), recorded in the audit log",
                      "--as दें: जिला सोसायटी के एडमिन (या अपने काउंटर के ऑपरेटर के लिए एलएसपी एडमिन) का उपयोगकर्ता नाम")
    counter = lsp = None
    if wanted == Role.OPERATOR:
        counter = await Counter.get_or_none(code=str(counter_code or "").strip().upper()) if counter_code else None
        if counter is None:
            raise Refused("--counter", f"an operator works at a counter: give its code (`emitra counter list`); "
                                       f"{counter_code!r} is none" if counter_code else "an operator works at a counter: give --counter CODE",
                          "ऑपरेटर किसी काउंटर पर काम करता है: उसका कोड दें" + (f"; {counter_code!r} कोई काउंटर नहीं है" if counter_code else ""),
                          page=("choose the counter the operator works at from the list.",
                                "सूची से वह काउंटर चुनें जिस पर ऑपरेटर काम करेगा।"))
        lsp = await LSP.get(id=counter.lsp_id)
    else:
        lsp = await LSP.get_or_none(id=lsp_id) if isinstance(lsp_id, int) and 0 < lsp_id < 2**31 else None
        if lsp is None:
            raise Refused("--lsp", f"an LSP admin works for an LSP: give its number (`emitra lsp list`); {lsp_id!r} is none",
                          f"एलएसपी एडमिन किसी एलएसपी के लिए काम करता है: उसकी संख्या दें; {lsp_id!r} कोई एलएसपी नहीं है")
    by = actor.user
    own_lsp = by is not None and by.active and by.role == Role.LSP_ADMIN and by.lsp_id == lsp.id and wanted == Role.OPERATOR
    if not (_is_admin_of(actor, lsp.district_id) or own_lsp):
        raise Refused("--as", f"{actor.name!r} may not add this account: the district Society's admin (or the state admin) "
                              "adds operators and LSP admins, and an LSP admin adds operators to their own LSP's counters",
                      f"{actor.name!r} यह खाता नहीं जोड़ सकते: जिला सोसायटी के एडमिन ऑपरेटर और एलएसपी एडमिन जोड़ते हैं, और "
                      "एलएसपी एडमिन अपने एलएसपी के काउंटरों पर ऑपरेटर जोड़ते हैं")
    full_name = await _new_account(username, full_name, password)
    async with in_transaction():
        user = await User.create(username=username, full_name=full_name, full_name_hi=full_name_hi, role=wanted,
                                 password_hash=hash_password(password), district_id=lsp.district_id, lsp=lsp, counter=counter)
        await audit.record(actor, "user.created", user, district_id=lsp.district_id, counter_id=counter.id if counter else None,
                           detail={"username": username, "role": wanted.value, "counter": counter.code if counter else None,
                                   "lsp_id": lsp.id})
    return user


async def _staff_for(actor: audit.Actor, username: str) -> User:
    """The operator or LSP admin ``username``, if ``actor`` may manage them: the Society's admin of
    their district (or the state admin), or, for an operator, an LSP admin of the same LSP."""
    account = await User.get_or_none(username=str(username or "").strip())
    if account is None or account.role not in (*ROLES.values(), *ADMIN_ROLES.values()):
        raise Refused("USERNAME", f"{username!r} is no operator, LSP admin or admin (`emitra officer` manages department officers)",
                      f"{username!r} कोई ऑपरेटर, एलएसपी एडमिन या एडमिन नहीं है")
    if account.role in ADMIN_ROLES.values():  # a Society's admin: by the state admin or the Society's admins; the state admin: by a state admin
        if not (_is_state_admin(actor) or (account.role == Role.SOCIETY_ADMIN and _is_admin_of(actor, account.district_id))):
            raise Refused("--as", f"{actor.name!r} may not manage {account.username}: the state admin may, and a Society's admin "
                                  "may for the admins of their own Society",
                          f"{actor.name!r} {account.username} का प्रबंधन नहीं कर सकते")
        return account
    by = actor.user
    own_lsp = by is not None and by.active and by.role == Role.LSP_ADMIN and by.lsp_id == account.lsp_id \
        and account.role == Role.OPERATOR
    if not (_is_admin_of(actor, account.district_id) or own_lsp):
        raise Refused("--as", f"{actor.name!r} may not manage {account.username}: the district Society's admin (or the state "
                              "admin) may, and an LSP admin may for its own operators",
                      f"{actor.name!r} {account.username} का प्रबंधन नहीं कर सकते: जिला सोसायटी के एडमिन कर सकते हैं, और "
                      "एलएसपी एडमिन अपने ऑपरेटरों का")
    return account


def _person_hindi_name(value: str | None) -> str:
    """A person's name (and post) in Hindi, as kept: optional ("" shows the English name on Hindi
    pages), in Devanagari when given (decision 148)."""
    from emitra.core.plugins import is_hindi

    value = " ".join(str(value or "").split())
    if len(value) > 200:
        raise Refused("--name-hi", f"the name in Hindi is {len(value)} characters long; shorten it to at most 200",
                      f"हिंदी में नाम {len(value)} अक्षरों का है; इसे अधिकतम 200 अक्षरों का करें")
    if value and not is_hindi(value):
        raise Refused("--name-hi", f"the name in Hindi, {value!r}, is not written in Devanagari: write it as e.g. "
                                   "'अनिल वर्मा' or 'तहसीलदार, फागी', or leave it empty to show the English name on Hindi pages",
                      f"हिंदी में नाम, {value!r}, देवनागरी में नहीं लिखा है: इसे 'अनिल वर्मा' या 'तहसीलदार, फागी' की तरह "
                      "लिखें, या हिंदी पृष्ठों पर अंग्रेज़ी नाम दिखाने के लिए इसे खाली छोड़ें",
                      # (the page puts the box's label, "Name in Hindi", before it: not said twice)
                      page=(f"{value!r} is not written in Devanagari: write it as e.g. 'अनिल वर्मा' or 'तहसीलदार, फागी', or leave it "
                            "empty to show the English name on Hindi pages",
                            f"{value!r} देवनागरी में नहीं लिखा है: इसे 'अनिल वर्मा' या 'तहसीलदार, फागी' की तरह लिखें, या हिंदी पृष्ठों "
                            "पर अंग्रेज़ी नाम दिखाने के लिए इसे खाली छोड़ें"))
    return value


async def rename(actor: audit.Actor, account: User, *, name: str | None = None, name_hi: str | None = None) -> User:
    """Change what ``account`` is called: its name (``name``) and its name in Hindi (``name_hi``,
    shown on Hindi pages; "" removes it, and they show the English name again); what is left out
    (None) stays. The caller has checked that ``actor`` may manage the account. Audited
    ``user.renamed`` with each value before and after; nothing changed writes nothing."""
    wanted: dict[str, str] = {}
    if name is not None:
        wanted["full_name"] = _text(name, "--name", "the name", "नाम")
    if name_hi is not None:
        wanted["full_name_hi"] = _person_hindi_name(name_hi)
    if not wanted:
        raise Refused("--name", "nothing to change: give --name, --name-hi or both", "बदलने को कुछ नहीं: --name, --name-hi या दोनों दें",
                      page=("type the name, the name in Hindi or both.", "नाम, हिंदी में नाम या दोनों लिखें।"))
    changed = {k: [getattr(account, k), v] for k, v in wanted.items() if getattr(account, k) != v}
    if changed:
        async with in_transaction():
            await User.filter(id=account.id).update(**{k: v for k, (_, v) in changed.items()})
            await audit.record(actor, "user.renamed", account, district_id=account.district_id, counter_id=account.counter_id,
                               detail={"username": account.username, **changed})
    return await User.get(id=account.id)


async def rename_user(actor: audit.Actor, username: str, *, name: str | None = None, name_hi: str | None = None) -> User:
    """An operator's, LSP admin's or admin's names (:func:`rename`), by whoever may manage them (:func:`_staff_for`)."""
    return await rename(actor, await _staff_for(actor, username), name=name, name_hi=name_hi)


async def deactivate_user(actor: audit.Actor, username: str, reason: str = "") -> User:
    """An operator or LSP admin who left: cannot log in any more, sessions and tokens end now. Or a
    citizen's login (:func:`_citizen_login_for`): a code no longer signs them in, and their open
    sessions end now; a citizen who never signed in gets their login made already stopped.
    ``reason`` is kept in the audit record: required for a citizen's login, as the Society's page
    requires it (decision 145), optional for staff (the Network page asks none)."""
    account = await _citizen_login_for(actor, username, make=True, reason=reason)
    account = account if account is not None else await _staff_for(actor, username)
    return await lock_out(actor, account, said_reason(reason, required=account.role == Role.CITIZEN))


async def reactivate_user(actor: audit.Actor, username: str, reason: str = "") -> User:
    """Let a deactivated account in again; ``reason`` as :func:`deactivate_user` takes it."""
    account = await _citizen_login_for(actor, username, make=False, reason=reason)
    account = account if account is not None else await _staff_for(actor, username)
    return await let_in(actor, account, said_reason(reason, required=account.role == Role.CITIZEN))


async def stop_citizen_sign_in(actor: audit.Actor, citizen: Citizen, reason: str) -> User:
    """The Society's page: stop ``citizen``'s sign-in by a code, as ``emitra user deactivate`` does
    (the same checks, the same audit records), with the reason in the record (decision 137)."""
    account = await _citizen_login(actor, citizen, None, _shown(citizen), make=True, reason=reason)
    return await lock_out(actor, account, said_reason(reason, required=True))


async def restart_citizen_sign_in(actor: audit.Actor, citizen: Citizen, reason: str) -> User:
    """The Society's page: let ``citizen`` sign in by a code again, as ``emitra user reactivate`` does."""
    account = await _citizen_login(actor, citizen, None, _shown(citizen), make=False, reason=reason)
    return await let_in(actor, account, said_reason(reason, required=True))


def _shown(citizen: Citizen) -> str:
    from emitra.core.ids import format_emitra_id

    return format_emitra_id(citizen.emitra_id) if citizen.emitra_id else f"citizen:{citizen.id}"


async def _citizen_login_for(actor: audit.Actor, name: str, make: bool, reason: str = "") -> User | None:
    """The login of a citizen named by its username (``citizen:<id>``, made at their first sign-in
    with a code; or a login linked to a citizen by hand) or by the citizen's e-Mitra ID, if ``actor``
    may stop or restore it: the Society's admin of the citizen's district, or the state admin. None
    when ``name`` names no citizen (then it is a staff username). Decision 133."""
    from emitra.core import citizen_login
    from emitra.core.ids import IdError, parse_emitra_id

    name = str(name or "").strip()
    account = await User.get_or_none(username=name)
    citizen = None
    if account is None:  # an e-Mitra ID (JP-00000123-4, as typed), else no citizen's
        try:
            citizen = await Citizen.get_or_none(emitra_id=parse_emitra_id(name))
        except IdError:
            citizen = None
        if citizen is None:
            return None
        account = await citizen_login.login_of(citizen)
    elif account is None or account.role != Role.CITIZEN:
        return None
    return await _citizen_login(actor, citizen, account, name, make, reason)


async def _citizen_login(actor: audit.Actor, citizen: Citizen | None, account: User | None, name: str, make: bool,
                         reason: str) -> User:
    """``account``, the login of ``citizen`` (looked up when not given), if ``actor`` may stop or
    restore it and ``reason`` says why (:func:`~emitra.core.officers.said_reason`, checked before
    anything is made); made now, when it was never made and ``make`` (stopped before it was ever used)."""
    from emitra.core import citizen_login

    if account is None and citizen is not None:
        account = await citizen_login.login_of(citizen)
    district_id = account.district_id if account is not None else citizen.district_id
    if not _is_admin_of(actor, district_id):
        raise Refused("--as", f"{actor.name!r} may not stop or restore {name}'s sign-in: the Society's admin of the citizen's "
                              "district (or the state admin) may",
                      f"{actor.name!r} {name} का साइन-इन न रोक सकते हैं, न फिर से चालू कर सकते हैं: यह नागरिक के जिले की "
                      "सोसायटी के एडमिन (या राज्य एडमिन) कर सकते हैं")
    if account is None and not make:
        raise Refused("USERNAME", f"{name} has never signed in, and nothing stops them: no login to reactivate",
                      f"{name} ने कभी साइन-इन नहीं किया, और उन्हें कुछ नहीं रोकता: फिर से चालू करने को कोई लॉगिन नहीं है")
    said_reason(reason, required=True)
    if account is None:
        async with in_transaction():  # stopped before it was ever used (lock_out, next)
            account = await citizen_login.new_login(actor, citizen, await citizen_login.message_lang(citizen))
    return account


async def set_user_password(actor: audit.Actor, username: str, password: str) -> User:
    return await new_password(actor, await _staff_for(actor, username), password)


# --- a counter that shuts down, an operator who moves ------------------------------------------------


async def _counter(code: str) -> Counter:
    counter = await Counter.get_or_none(code=str(code or "").strip().upper()) if code else None
    if counter is None:
        raise Refused("CODE", f"no counter with code {code!r}; `emitra counter list` shows them", f"{code!r} कोड का कोई काउंटर नहीं है")
    return counter


async def _counter_for_society(actor: audit.Actor, code: str) -> Counter:
    counter = await _counter(code)
    if not _is_admin_of(actor, counter.district_id):
        raise Refused("--as", f"{actor.name!r} may not close or reopen {counter.code}: the district Society's admin (or the "
                              "state admin) licenses counters",
                      f"{actor.name!r} {counter.code} को बंद या फिर से चालू नहीं कर सकते: काउंटरों का लाइसेंस जिला सोसायटी के एडमिन देते हैं")
    return counter


async def close_blockers(counter: Counter) -> list[tuple[str, str]]:
    """What keeps ``counter`` from closing, each with its fix (empty: it may close): cash no day end
    covers, card/UPI payments or cheques not yet confirmed, open applications the citizen collects or
    corrects there, papers waiting there for the dispatch to their department (decision 75)."""
    return [(en, hi) for en, hi, _page_en, _page_hi in await _close_blockers(counter)]


async def _close_blockers(counter: Counter) -> list[tuple[str, str, str, str]]:
    """:func:`close_blockers`, each also as the Network page says it (English, Hindi): the page's
    buttons and pages, not the commands."""
    from emitra.core import dayend
    from emitra.core.models import Case, Payment

    found = []
    open_day = await dayend.next_open_date(counter)
    if open_day is not None:
        found.append((f"cash taken on {open_day:%d-%m-%Y} is not covered by a day end: close the day at the counter "
                      "(its Day end page) first",
                      f"{open_day:%d-%m-%Y} को लिया गया नकद किसी दिवसांत में शामिल नहीं है: पहले काउंटर पर (दिवसांत पृष्ठ पर) दिन बंद करें")
                     * 2)
    # (a cancelled UPI booking's refund, pending until the Society sends it, is the Society's, not the counter's: decision 71)
    pending = await Payment.filter(request__counter_id=counter.id, status="pending").exclude(method="upi_refund").count()
    if pending:
        one = pending == 1
        found.append((f"{count_en(pending, 'payment')} taken there (card, UPI or cheque) {'awaits' if one else 'await'} "
                      f"confirmation: wait for {'it' if one else 'them'}, or withdraw a card or UPI payment on the counter's receipt",
                      f"वहाँ {noun_hi(pending, 'लिया गया', 'लिए गए')} {pending} भुगतान (कार्ड, यूपीआई या चेक) पुष्टि की प्रतीक्षा में "
                      f"{noun_hi(pending, 'है', 'हैं')}: {noun_hi(pending, 'उसकी', 'उनकी')} प्रतीक्षा करें, या "
                      "काउंटर की रसीद पर कार्ड या यूपीआई भुगतान वापस लें") * 2)
    cases = Case.filter(counter_id=counter.id, closed_at=None)
    waiting = await cases.count()
    if waiting:
        first = (await cases.order_by("id").limit(1).values_list("number", flat=True))[0]
        one = waiting == 1
        found.append((f"{count_en(waiting, 'open application')} filed there {'is' if one else 'are'} collected or corrected "
                      f"there (e.g. {first}): move {'it' if one else 'them'} to another open counter of the district (`emitra "
                      f"counter move-applications {counter.code} --to CODE`, or the Network page), or close the counter once "
                      f"{'it is' if one else 'they are'} closed",
                      f"वहाँ दर्ज {waiting} {noun_hi(waiting, 'खुला आवेदन वहीं सुधारा या प्राप्त किया', 'खुले आवेदन वहीं सुधारे या प्राप्त किए')} "
                      f"{noun_hi(waiting, 'जाता है', 'जाते हैं')} (जैसे {first}): {noun_hi(waiting, 'उसे', 'उन्हें')} जिले के किसी "
                      f"दूसरे खुले काउंटर पर भेजें (`emitra counter move-applications {counter.code} --to CODE`, या नेटवर्क पृष्ठ), "
                      f"या {noun_hi(waiting, 'उसके', 'उनके')} बंद होने के बाद काउंटर बंद करें",
                      f"{count_en(waiting, 'open application')} filed there {'is' if one else 'are'} collected or corrected "
                      f"there (e.g. {first}): move {'it' if one else 'them'} to another open counter with 'Move the open "
                      f"applications to counter' in its row, or close the counter once {'it is' if one else 'they are'} closed",
                      f"वहाँ दर्ज {waiting} {noun_hi(waiting, 'खुला आवेदन वहीं सुधारा या प्राप्त किया', 'खुले आवेदन वहीं सुधारे या प्राप्त किए')} "
                      f"{noun_hi(waiting, 'जाता है', 'जाते हैं')} (जैसे {first}): {noun_hi(waiting, 'उसे', 'उन्हें')} इसकी पंक्ति के "
                      f"'खुले आवेदन इस काउंटर पर भेजें' से किसी दूसरे खुले काउंटर पर भेजें, "
                      f"या {noun_hi(waiting, 'उसके', 'उनके')} बंद होने के बाद काउंटर बंद करें"))
    # papers a department needs (of a collected or decided application, too) still lie at the counter:
    # a closed counter has no operator to prepare their dispatch (decision 75)
    from emitra.core import dispatch

    papers = [case.number for cases in (await dispatch.pending(counter)).values() for case in cases]
    if papers:
        found.append((f"the papers of {count_en(len(papers), 'application')} filed there still wait for the dispatch to "
                      f"{'its' if len(papers) == 1 else 'their'} department "
                      f"(e.g. {papers[0]}): prepare the dispatch at {counter.code} first (`emitra dispatch prepare {counter.code} "
                      f"--as OPERATOR`, an operator of {counter.code}, or its Dispatch page; `emitra dispatch pending {counter.code}` "
                      "lists what waits)",
                      f"वहाँ दर्ज {len(papers)} {noun_hi(len(papers), 'आवेदन', 'आवेदनों')} के कागज़ अब भी {noun_hi(len(papers), 'उसके', 'उनके')} विभाग को डिस्पैच की प्रतीक्षा में हैं (जैसे {papers[0]}): "
                      f"पहले {counter.code} पर डिस्पैच तैयार करें (`emitra dispatch prepare {counter.code} --as OPERATOR`, {counter.code} "
                      f"का कोई ऑपरेटर, या उसका डिस्पैच पृष्ठ; `emitra dispatch pending {counter.code}` प्रतीक्षारत कागज़ दिखाता है)",
                      *_papers_wait_on_page(counter.code, papers)))
    return found


def _papers_wait_on_page(code: str, papers: list[str]) -> tuple[str, str]:
    """Papers still waiting at counter ``code`` for their dispatch, and the fix, as the Network page
    says it (English, Hindi): an operator of the counter prepares the dispatch on its Dispatch page."""
    one = len(papers) == 1
    return (f"the papers of {count_en(len(papers), 'application')} filed there still wait for the dispatch to "
            f"{'its' if one else 'their'} department (e.g. {papers[0]}): an operator of {code} prepares the dispatch "
            "first, on the counter's Dispatch page",
            f"वहाँ दर्ज {len(papers)} {noun_hi(len(papers), 'आवेदन', 'आवेदनों')} के कागज़ अब भी {noun_hi(len(papers), 'उसके', 'उनके')} "
            f"विभाग को प्रेषण की प्रतीक्षा में हैं (जैसे {papers[0]}): पहले {code} का कोई ऑपरेटर काउंटर के प्रेषण पृष्ठ पर प्रेषण तैयार करे")


async def close_counter(actor: audit.Actor, code: str, wallet_to: str = "") -> Counter:
    """A counter that shuts down (a kiosk's licence ends, a centre moves): it takes no payment,
    and its operators cannot log in (their open sessions end now; an API token of theirs is
    refused) until the Society reopens it or moves them. Refused while it still holds something a
    citizen or the Society waits for (:func:`close_blockers`). A prepaid counter's wallet balance is
    the LSP's money and does not stay on a closed counter: it moves to ``wallet_to`` (an open counter
    of the same LSP), or else is recorded as owed back to the LSP (``wallet_refund_payable:<lsp>``,
    on its statement until the Society refunds it), in the closing's transaction
    (:func:`_release_wallet`; decision 70). Audited ``counter.closed``, with what became of the wallet."""
    from emitra.core import auth

    counter = await _counter_for_society(actor, code)
    if not counter.active:
        raise Refused("CODE", f"{counter.code} is already closed (`emitra counter reopen {counter.code}` reopens it)",
                      f"{counter.code} पहले से बंद है",
                      page=(f"{counter.code} is already closed; nothing was changed. 'Reopen this counter' in its row reopens it.",
                            f"{counter.code} पहले से बंद है; कुछ नहीं बदला। उसकी पंक्ति का 'यह काउंटर फिर से खोलें' उसे फिर से खोलता है।"))
    blockers = await _close_blockers(counter)
    if blockers:
        raise Refused("CODE", f"{counter.code} cannot close yet: " + "; ".join(b[0] for b in blockers),
                      f"{counter.code} अभी बंद नहीं हो सकता: " + "; ".join(b[1] for b in blockers),
                      page=(f"{counter.code} cannot close yet: " + "; ".join(b[2] for b in blockers) + ".",
                            f"{counter.code} अभी बंद नहीं हो सकता: " + "; ".join(b[3] for b in blockers) + "।"))
    lsp = await LSP.get(id=counter.lsp_id)
    target = await _wallet_target(counter, lsp, wallet_to) if str(wallet_to or "").strip() else None
    async with in_transaction():
        counter.active = False
        await counter.save(update_fields=["active"])
        operators = await User.filter(counter_id=counter.id, role=Role.OPERATOR).order_by("username")
        ended = 0
        for operator in operators:  # each one's sessions ended, audited by name (decision 145); the total in counter.closed
            now_ended = await auth.end_sessions(operator)
            await auth.record_ended(actor, operator, auth.COUNTER_CLOSED, now_ended, counter)
            ended += now_ended
        wallet = await _release_wallet(counter, lsp, target)
        await audit.record(actor, "counter.closed", counter, district_id=counter.district_id, counter_id=counter.id,
                           detail={"code": counter.code, "operators": [o.username for o in operators], "sessions_ended": ended,
                                   **({"wallet": wallet} if wallet else {})})
    return counter


async def _wallet_target(counter: Counter, lsp: LSP, code: str) -> Counter:
    """The counter ``--wallet-to`` names, if a closing ``counter``'s wallet may move there: an open
    counter of the same LSP (a wallet is money the LSP paid in; another LSP's counter would be a
    payment between LSPs, which is not the Society's to make)."""
    from emitra.core.models import Wallet

    if lsp.mode != "prepaid" and not await Wallet.filter(counter_id=counter.id).exists():
        raise Refused("--wallet-to", f"{counter.code} has no wallet: its LSP {lsp.name} is postpaid (leave --wallet-to out)",
                      f"{counter.code} का कोई वॉलेट नहीं है: इसका एलएसपी {lsp.name} पोस्टपेड है",
                      page=(f"{counter.code} has no wallet: its LSP {lsp.name} is postpaid; close it without choosing a wallet.",
                            f"{counter.code} का कोई वॉलेट नहीं है: इसका एलएसपी {lsp.name} पोस्टपेड है; इसे वॉलेट चुने बिना बंद करें।"))
    target = await Counter.get_or_none(code=str(code).strip().upper())
    if target is None:
        raise Refused("--wallet-to", f"no counter with code {code!r}; `emitra counter list` shows them", f"{code!r} कोड का कोई काउंटर नहीं है",
                      page=(f"choose an open counter of {lsp.name} from the list.", f"सूची से {lsp.name} का कोई खुला काउंटर चुनें।"))
    if target.id == counter.id:
        raise Refused("--wallet-to", f"{target.code} is the counter closing; name another counter of {lsp.name}",
                      f"{target.code} वही काउंटर है जो बंद हो रहा है; {lsp.name} का कोई दूसरा काउंटर चुनें")
    if target.lsp_id != counter.lsp_id:
        raise Refused("--wallet-to", f"{target.code} is another LSP's counter: a wallet's balance is {lsp.name}'s money and moves "
                                     "only to one of its own counters (leave --wallet-to out to record it as owed back to the LSP)",
                      f"{target.code} दूसरे एलएसपी का काउंटर है: वॉलेट की राशि {lsp.name} की है और केवल उसी के किसी काउंटर पर जाती है "
                      "(--wallet-to छोड़ दें तो यह एलएसपी को लौटाने योग्य दर्ज होगी)",
                      page=(f"{target.code} is another LSP's counter: a wallet's balance is {lsp.name}'s money and moves only to one "
                            f"of its own counters; choose one of them from the list, or 'owed back to the LSP'.",
                            f"{target.code} दूसरे एलएसपी का काउंटर है: वॉलेट की राशि {lsp.name} की है और केवल उसी के किसी काउंटर पर "
                            "जाती है; सूची से उनमें से कोई चुनें, या 'एलएसपी को लौटाने योग्य'।"))
    if not target.active:
        raise Refused("--wallet-to", f"{target.code} is closed; choose an open counter of {lsp.name}",
                      f"{target.code} बंद है; {lsp.name} का कोई खुला काउंटर चुनें")
    return target


async def _release_wallet(counter: Counter, lsp: LSP, target: Counter | None) -> dict | None:
    """Empty a closing counter's wallet, inside the closing's transaction: to ``target``'s wallet
    (Dr kiosk_wallet:<counter> / Cr kiosk_wallet:<target>) or, without one, as owed back to its LSP
    (Cr wallet_refund_payable:<lsp>). Each closing posts once (key ``walletclose:<counter>:<n>``, the
    n-th closing of the counter). None when there was nothing in it."""
    from tortoise.expressions import F

    from emitra.core import ledger
    from emitra.core.models import AuditLog, Wallet

    wallet = await Wallet.get_or_none(counter_id=counter.id)
    held = wallet.balance_paise if wallet else 0
    if wallet is None or held <= 0:
        return None
    n = await AuditLog.filter(action="counter.closed", counter_id=counter.id).count() + 1
    to_account = f"kiosk_wallet:{target.code}" if target else f"wallet_refund_payable:{lsp.id}"
    await ledger.post(counter.district_id, f"walletclose:{counter.code}:{n}",
                      f"wallet of closed counter {counter.code} to {target.code if target else f'LSP {lsp.id} (to refund)'}",
                      [ledger.debit(f"kiosk_wallet:{counter.code}", held), ledger.credit(to_account, held)])
    if not await Wallet.filter(id=wallet.id, balance_paise=held).update(balance_paise=0):
        raise Refused("CODE", f"{counter.code}'s wallet changed while it was closing; try again",
                      f"बंद करते समय {counter.code} का वॉलेट बदल गया; फिर से प्रयास करें")
    if target is None:
        return {"paise": held, "owed_to_lsp": lsp.id}
    into, _made = await Wallet.get_or_create(counter_id=target.id, defaults={"district_id": target.district_id})
    await Wallet.filter(id=into.id).update(balance_paise=F("balance_paise") + held)
    return {"paise": held, "to": target.code}


async def closing_wallet(counter: Counter) -> dict | None:
    """What the counter's latest closing did with its wallet (the audit record's ``wallet``): the
    paise and the counter it moved to (``to``) or the LSP it is owed back to (``owed_to_lsp``)."""
    from emitra.core.models import AuditLog

    entry = await AuditLog.filter(action="counter.closed", counter_id=counter.id).order_by("-id").first()
    return (entry.detail or {}).get("wallet") if entry is not None else None


def wallet_said(counter_code: str, wallet: dict | None) -> tuple[str, str]:
    """The closing's wallet in words (English, Hindi), or empty when nothing was in it."""
    from emitra.core.money import format_paise

    if not wallet:
        return "", ""
    amount = format_paise(int(wallet["paise"]))
    if wallet.get("to"):
        return (f"its wallet's {amount} moved to {wallet['to']}'s wallet",
                f"इसके वॉलेट के {amount} {wallet['to']} के वॉलेट में गए")
    return (f"its wallet's {amount} is owed back to its LSP (number {wallet['owed_to_lsp']}) until the Society refunds it",
            f"इसके वॉलेट के {amount} सोसायटी द्वारा लौटाए जाने तक इसके एलएसपी (संख्या {wallet['owed_to_lsp']}) के बकाया हैं")


async def reopen_counter(actor: audit.Actor, code: str) -> Counter:
    """A closed counter takes payments again with the services its LSP had enabled there; its
    operators may log in again. Audited ``counter.reopened``."""
    counter = await _counter_for_society(actor, code)
    if counter.active:
        raise Refused("CODE", f"{counter.code} is open", f"{counter.code} खुला है",
                      page=(f"{counter.code} is open already; nothing was changed.", f"{counter.code} पहले से खुला है; कुछ नहीं बदला।"))
    lsp = await LSP.get(id=counter.lsp_id)
    if not lsp.active:
        raise Refused("CODE", f"{counter.code}'s LSP {lsp.name} is no longer active",
                      f"{counter.code} का एलएसपी {lsp.name} अब सक्रिय नहीं है")
    async with in_transaction():
        counter.active = True
        await counter.save(update_fields=["active"])
        await audit.record(actor, "counter.reopened", counter, district_id=counter.district_id, counter_id=counter.id,
                           detail={"code": counter.code})
    return counter


async def move_user(actor: audit.Actor, username: str, counter_code: str) -> User:
    """An operator moves to another (open) counter of the district: to one of the same LSP by its
    LSP admin or the Society, to another LSP's only by the Society. Refused while cash they took at
    the old counter is not covered by a day end (it is in that drawer, counted by them). Their open
    sessions end and their API tokens are refused (a token names its counter). Audited ``user.moved``."""
    from emitra.core import auth, dayend
    from emitra.core.models import Payment

    account = await _staff_for(actor, username)
    if account.role != Role.OPERATOR:
        raise Refused("USERNAME", f"{account.username} is an LSP admin, who works for an LSP, not at a counter",
                      f"{account.username} एलएसपी एडमिन हैं, जो किसी काउंटर पर नहीं, एलएसपी के लिए काम करते हैं")
    target = await Counter.get_or_none(code=str(counter_code or "").strip().upper()) if counter_code else None
    if target is None:
        raise Refused("--counter", f"no counter with code {counter_code!r}; `emitra counter list` shows them",
                      f"{counter_code!r} कोड का कोई काउंटर नहीं है",
                      page=("choose the counter to move them to from the list.", "सूची से वह काउंटर चुनें जहाँ उन्हें भेजना है।"))
    if target.id == account.counter_id:
        raise Refused("--counter", f"{account.username} already works at {target.code}", f"{account.username} पहले से {target.code} पर काम करते हैं")
    if target.district_id != account.district_id:
        raise Refused("--counter", f"{target.code} is in another district; that district's Society takes them on there",
                      f"{target.code} दूसरे जिले में है; वहाँ उस जिले की सोसायटी उन्हें रखती है")
    if not target.active:
        raise Refused("--counter", f"{target.code} is closed; `emitra counter reopen {target.code}` first, or choose an open counter",
                      f"{target.code} बंद है; पहले उसे फिर से खोलें, या कोई खुला काउंटर चुनें",
                      page=(f"{target.code} is closed: choose an open counter from the list, or reopen {target.code} first.",
                            f"{target.code} बंद है: सूची से कोई खुला काउंटर चुनें, या पहले {target.code} को फिर से खोलें।"))
    by = actor.user
    if target.lsp_id != account.lsp_id and not _is_admin_of(actor, target.district_id):
        raise Refused("--as", f"{actor.name!r} may not move {account.username} to {target.code}, a counter of another LSP: "
                              "only the district Society's admin may",
                      f"{actor.name!r} {account.username} को दूसरे एलएसपी के काउंटर {target.code} पर नहीं भेज सकते: "
                      "यह केवल जिला सोसायटी के एडमिन कर सकते हैं")
    if by is not None and by.role == Role.LSP_ADMIN and target.lsp_id != by.lsp_id:
        raise Refused("--as", f"{actor.name!r} may move operators only between their own LSP's counters",
                      f"{actor.name!r} ऑपरेटरों को केवल अपने एलएसपी के काउंटरों के बीच भेज सकते हैं")
    old = await Counter.get_or_none(id=account.counter_id) if account.counter_id else None
    if old is not None:
        open_day = await dayend.next_open_date(old)
        if open_day is not None and await Payment.filter(
                request__counter_id=old.id, request__operator_id=account.id, method="cash",
                request__business_date__gte=open_day).exists():
            raise Refused("USERNAME", f"{account.username} took cash at {old.code} that no day end covers yet (from "
                                      f"{open_day:%d-%m-%Y}): close the day at {old.code} first, then move them",
                          f"{account.username} ने {old.code} पर नकद लिया है जो किसी दिवसांत में शामिल नहीं है ({open_day:%d-%m-%Y} से): "
                          f"पहले {old.code} का दिन बंद करें, फिर उन्हें भेजें")
    async with in_transaction():
        account.counter_id, account.lsp_id = target.id, target.lsp_id
        await account.save(update_fields=["counter_id", "lsp_id"])
        ended = await auth.end_sessions(account)
        await audit.record(actor, "user.moved", account, district_id=account.district_id, counter_id=target.id,
                           detail={"username": account.username, "from": old.code if old else None, "to": target.code,
                                   "lsp_id": target.lsp_id, "sessions_ended": ended})
    return account


# --- a closing counter's open applications move to another counter -----------------------------


@dataclass
class MovedCases:
    """What :func:`move_applications` moved: from and to which counter, the case numbers in order."""

    source: Counter
    target: Counter
    numbers: list[str] = field(default_factory=list)


async def move_applications(actor: audit.Actor, from_code: str, to_code: str) -> MovedCases:
    """Move every open application (and grievance) filed at the counter ``from_code`` to the open
    counter ``to_code`` of the same district, where the citizen now corrects it and collects its
    result: a kiosk whose licence ends need not wait weeks for departments before it can close.
    The Society's admin of the district (or the state admin) moves them to any counter of the
    district; an LSP admin only between its own LSP's counters. Refused, writing nothing, while a
    case's paper documents still wait at ``from_code`` for the day's dispatch (the papers are there,
    not at the new counter): the refusal names ``emitra dispatch prepare`` (decision 72). One transaction: each case's counter, a public step on its timeline
    (tracking shows where to go), the citizen's SMS/email (``notify.counter_changed``) and one audit
    record per case (``case.moved``: each case's own audit trail, and the new counter's, shows it);
    all or nothing. The payments stay the old counter's (its receipts, its day ends)."""
    from emitra.core import dispatch, notify, workflow
    from emitra.core.models import Case, CaseEvent

    source = await _counter(from_code)
    by = actor.user
    own_lsp = by is not None and by.active and by.role == Role.LSP_ADMIN and by.lsp_id == source.lsp_id
    if not (_is_admin_of(actor, source.district_id) or own_lsp):
        raise Refused("--as", f"{actor.name!r} may not move {source.code}'s applications: the district Society's admin (or the "
                              "state admin) may, and the admin of its LSP between its own counters",
                      f"{actor.name!r} {source.code} के आवेदन नहीं भेज सकते: जिला सोसायटी के एडमिन भेज सकते हैं, और उसके "
                      "एलएसपी के एडमिन अपने काउंटरों के बीच")
    target = await Counter.get_or_none(code=str(to_code or "").strip().upper()) if to_code else None
    if target is None:
        raise Refused("--to", f"no counter with code {to_code!r}; `emitra counter list` shows them" if to_code
                      else "name the open counter that takes them: --to CODE",
                      f"{to_code!r} कोड का कोई काउंटर नहीं है" if to_code else "आवेदन लेने वाला खुला काउंटर बताएँ: --to CODE",
                      page=("choose the open counter that takes the applications from the list.",
                            "सूची से वह खुला काउंटर चुनें जो आवेदन लेगा।"))
    if target.id == source.id:
        raise Refused("--to", f"the applications are already at {target.code}; name another counter",
                      f"आवेदन पहले से {target.code} पर हैं; कोई दूसरा काउंटर चुनें")
    if target.district_id != source.district_id:
        raise Refused("--to", f"{target.code} is in another district; a citizen collects an application in the district it was filed in",
                      f"{target.code} दूसरे जिले में है; नागरिक आवेदन उसी जिले में प्राप्त करता है जहाँ वह दर्ज हुआ")
    if not target.active:
        raise Refused("--to", f"{target.code} is closed; choose an open counter", f"{target.code} बंद है; कोई खुला काउंटर चुनें")
    if target.lsp_id != source.lsp_id and not _is_admin_of(actor, target.district_id):
        raise Refused("--as", f"{actor.name!r} may not move applications to {target.code}, a counter of another LSP: only the "
                              "district Society's admin may",
                      f"{actor.name!r} आवेदन दूसरे एलएसपी के काउंटर {target.code} पर नहीं भेज सकते: यह केवल जिला सोसायटी के एडमिन कर सकते हैं")
    papers = [case.number for cases in (await dispatch.pending(source)).values() for case in cases]
    if papers:
        raise Refused("CODE", f"the paper documents of {count_en(len(papers), 'application')} (e.g. {papers[0]}) still wait at "
                              f"{source.code} for the dispatch to {'its' if len(papers) == 1 else 'their'} department: prepare the dispatch at {source.code} first "
                              f"(`emitra dispatch prepare {source.code} --as OPERATOR`, an operator of {source.code}; "
                              f"`emitra dispatch pending {source.code}` lists what waits; or its Dispatch page)",
                      f"{len(papers)} {noun_hi(len(papers), 'आवेदन', 'आवेदनों')} (जैसे {papers[0]}) के कागज़ी दस्तावेज़ अभी {source.code} पर विभाग को भेजे जाने की प्रतीक्षा में "
                      f"हैं: पहले {source.code} पर डिस्पैच तैयार करें (`emitra dispatch prepare {source.code} --as OPERATOR`, "
                      f"{source.code} का कोई ऑपरेटर; `emitra dispatch pending {source.code}` प्रतीक्षारत कागज़ दिखाता है; या उसका डिस्पैच पृष्ठ)",
                      page=_papers_wait_on_page(source.code, papers))
    ids = await Case.filter(counter_id=source.id, closed_at=None).order_by("id").values_list("id", flat=True)
    if not ids:
        raise Refused("CODE", f"{source.code} has no open application to move", f"{source.code} पर भेजने को कोई खुला आवेदन नहीं है")
    where = f"{target.name} ({target.code})" + (f", {target.address}" if target.address else "")
    moved = MovedCases(source, target)
    async with in_transaction():
        for case_id in ids:
            # a case closed since it was read (collected at the old counter a moment ago) stays where it is
            if not await Case.filter(id=case_id, counter_id=source.id, closed_at=None).update(counter_id=target.id):
                continue
            case = await Case.get(id=case_id)
            await CaseEvent.create(case=case, action="move_counter", from_state=case.state, to_state=case.state, actor=by,
                                   actor_name=workflow.actor_label(actor), actor_role=workflow.role_of(actor),
                                   remark=f"Now at {where}, not {source.code}: corrected and collected there",
                                   remark_hi=f"अब {where} पर, {source.code} पर नहीं: सुधार और प्राप्ति वहीं",
                                   public=True, created_at=workflow.now())
            await notify.counter_changed(case, source, target)
            await audit.record(actor, "case.moved", case, district_id=case.district_id, counter_id=target.id,
                               detail={"number": case.number, "from": source.code, "to": target.code, "state": case.state})
            moved.numbers.append(case.number)
    return moved
