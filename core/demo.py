"""The Jaipur demo district: its Society, one LSP, a LokMitra centre and a JanMitra kiosk,
a user for every role, and a few registered citizens. Loading it twice changes nothing."""

from __future__ import annotations

import datetime as dt

from tortoise.transactions import in_transaction

from emitra.core import audit
from emitra.core.auth import hash_password
from emitra.core.ids import make_emitra_id
from emitra.core.models import Citizen, Counter, CounterKind, CounterService, District, LSP, LspPrice, Role, Society, User
from emitra.core.plugins import get_host
from emitra.core.registration import aadhaar_hash, mask_aadhaar

DEMO_PASSWORD = "emitra-demo"

# The demo LSP's own published unit prices for counter services (service code -> paise).
DEMO_PRICES: dict[str, int] = {
    "pvt.lsp.photocopy": 200,  # Rs 2 per page
    "pvt.lsp.fax": 1000,  # Rs 10 per page
    "pvt.lsp.internet": 100,  # Rs 1 per minute
}
DEFAULT_DEMO_PRICE = 200

#: the demo's counters' names in Hindi (core/demo_month.py's too), shown on Hindi pages, receipts and messages
COUNTER_NAMES_HI: dict[str, str] = {
    "JP-LM-001": "लोकमित्र केंद्र, मालवीय नगर",
    "JP-JM-001": "जनमित्र कियोस्क, चौमूं",
    "JP-JM-002": "जनमित्र कियोस्क, फागी",
    "JP-LM-002": "लोकमित्र केंद्र, वैशाली नगर",
    "JP-JM-003": "जनमित्र कियोस्क, बस्सी",
    "JP-JM-004": "जनमित्र कियोस्क, सांगानेर",
    "JP-JM-005": "जनमित्र कियोस्क, आमेर",
    "JP-JM-006": "जनमित्र कियोस्क, चाकसू",
    "JP-JM-007": "जनमित्र कियोस्क, दूदू",
    "JP-JM-008": "जनमित्र कियोस्क, कोटपूतली",
    "JP-LM-003": "लोकमित्र केंद्र, मानसरोवर",
    "JP-JM-009": "जनमित्र कियोस्क, जमवा रामगढ़",
    "JP-JM-010": "जनमित्र कियोस्क, फुलेरा",
    "JP-LM-004": "लोकमित्र केंद्र, जौहरी बाज़ार",
    "JP-JM-011": "जनमित्र कियोस्क, किशनगढ़ रेनवाल",
    "JP-JM-012": "जनमित्र कियोस्क, मौजमाबाद",
    "AJ-LM-001": "लोकमित्र केंद्र, कलेक्टरेट अजमेर",
    "AJ-JM-001": "जनमित्र कियोस्क, किशनगढ़",
    "AJ-JM-002": "जनमित्र कियोस्क, पुष्कर",
}

# username, full name, role, where (counter code / "lsp" / "district" / department / None)
USERS = [
    ("state", "State IT admin (DoIT&C)", Role.STATE_ADMIN, None),
    ("society", "Nodal officer, Jaipur e-Mitra Society", Role.SOCIETY_ADMIN, "district"),
    ("lsp", "Admin, Pink City e-Services (LSP)", Role.LSP_ADMIN, "lsp"),
    ("operator1", "Anil Verma", Role.OPERATOR, "JP-LM-001"),
    ("operator2", "Kavita Saini", Role.OPERATOR, "JP-JM-001"),
    ("officer", "Assistant Engineer, JVVNL Jaipur", Role.DEPARTMENT_OFFICER, "Jaipur Vidyut Vitran Nigam Ltd (JVVNL)"),
    ("citizen", "Ramesh Kumar Sharma", Role.CITIZEN, "citizen"),
    # Officers who act on applications and grievances (level 2 receives what level 1 lets breach)
    ("tehsildar", "Tehsildar, Revenue Department", Role.DEPARTMENT_OFFICER, "Revenue Department, Government of Rajasthan"),
    ("sdm", "Sub-Divisional Officer, Revenue Department", Role.DEPARTMENT_OFFICER, "Revenue Department, Government of Rajasthan"),
    ("registrar", "Registrar of Births and Deaths, Jaipur", Role.DEPARTMENT_OFFICER, "Directorate of Economics and Statistics, Rajasthan (Registrar, Births and Deaths)"),
    ("phed", "Assistant Engineer, PHED Jaipur", Role.DEPARTMENT_OFFICER, "Public Health Engineering (water supply)"),
    ("phed_se", "Superintending Engineer, PHED Jaipur", Role.DEPARTMENT_OFFICER, "Public Health Engineering (water supply)"),
]
#: officers above level 1 (escalations go to them)
LEVELS = {"sdm": 2, "phed_se": 2}
#: the staff's names and posts in Hindi, shown on Hindi pages (decision 147)
NAMES_HI = {
    "state": "राज्य आईटी प्रशासक (डीओआईटी एंड सी)",
    "society": "नोडल अधिकारी, जयपुर ई-मित्र सोसायटी",
    "lsp": "प्रशासक, पिंक सिटी ई-सर्विसेज (एलएसपी)",
    "operator1": "अनिल वर्मा",
    "operator2": "कविता सैनी",
    "officer": "सहायक अभियंता, जेवीवीएनएल जयपुर",
    "citizen": "रमेश कुमार शर्मा",
    "tehsildar": "तहसीलदार, राजस्व विभाग",
    "sdm": "उपखंड अधिकारी, राजस्व विभाग",
    "registrar": "जन्म एवं मृत्यु रजिस्ट्रार, जयपुर",
    "phed": "सहायक अभियंता, जन स्वास्थ्य अभियांत्रिकी विभाग जयपुर",
    "phed_se": "अधीक्षण अभियंता, जन स्वास्थ्य अभियांत्रिकी विभाग जयपुर",
}

CITIZENS = [
    ("Ramesh Kumar Sharma", "1978-03-14", "M", "9829012345", "234123412346", "Malviya Nagar, Jaipur"),
    ("Sunita Devi", "1985-07-02", "F", "9414098765", "", "Chomu, Jaipur"),
    ("Mohammed Iqbal", "1969-11-20", "M", "9783011122", "", "Ramganj, Jaipur"),
    ("Geeta Meena", "1992-01-30", "F", "8003344556", "", "Bassi, Jaipur"),
]


async def load(actor: audit.Actor | None = None) -> dict[str, str]:
    """Create the demo district if it is not there. Returns username -> password."""
    actor = actor or audit.Actor(None, via="cli")
    if await District.exists(code="JP"):
        return {u[0]: DEMO_PASSWORD for u in USERS}
    password_hash = hash_password(DEMO_PASSWORD)
    async with in_transaction():
        district = await District.create(code="JP", name_en="Jaipur", name_hi="जयपुर")
        await Society.create(district=district, name="District e-Mitra Society, Jaipur", bank_account="SBI 0000 1234 5678",
                             nodal_officer_email="nodal.jaipur@demo.emitra.invalid")
        lsp = await LSP.create(district=district, name="Pink City e-Services Pvt Ltd")
        counters = {
            "JP-LM-001": await Counter.create(
                district=district, lsp=lsp, code="JP-LM-001", name="LokMitra Centre, Malviya Nagar", name_hi=COUNTER_NAMES_HI["JP-LM-001"],
                kind=CounterKind.LOKMITRA, owner_name=lsp.name, address="Collectorate campus, Malviya Nagar, Jaipur"),
            "JP-JM-001": await Counter.create(
                district=district, lsp=lsp, code="JP-JM-001", name="JanMitra Kiosk, Chomu", name_hi=COUNTER_NAMES_HI["JP-JM-001"],
                kind=CounterKind.JANMITRA, owner_name="Suresh Yadav (authorised kiosk owner)", address="Main bazaar, Chomu"),
        }
        for counter in counters.values():
            for service in get_host().registry:
                await CounterService.create(district=district, counter=counter, service_code=service.code)
        for service in get_host().registry:
            if service.priced_by_lsp:
                await LspPrice.create(district=district, lsp=lsp, service_code=service.code,
                                      unit_price_paise=DEMO_PRICES.get(service.code, DEFAULT_DEMO_PRICE))
        citizens = []
        for name, dob, gender, mobile, aadhaar, address in CITIZENS:
            citizen = await Citizen.create(
                district=district, name=name, date_of_birth=dt.date.fromisoformat(dob),
                gender=gender, mobile=mobile, address=address, registered_at=counters["JP-LM-001"],
                aadhaar_masked=mask_aadhaar(aadhaar) if aadhaar else "", aadhaar_hash=aadhaar_hash(aadhaar) if aadhaar else None)
            citizen.emitra_id = make_emitra_id(district.code, citizen.id)
            await citizen.save(update_fields=["emitra_id"])
            citizens.append(citizen)
        for username, full_name, role, where in USERS:
            await User.create(
                username=username, full_name=full_name, full_name_hi=NAMES_HI.get(username, ""), role=role,
                password_hash=password_hash,
                district=None if role == Role.STATE_ADMIN else district,
                lsp=lsp if role in (Role.LSP_ADMIN, Role.OPERATOR) else None,
                counter=counters.get(where or ""),
                department=where if role == Role.DEPARTMENT_OFFICER else "",
                citizen=citizens[0] if role == Role.CITIZEN else None,
                level=LEVELS.get(username, 1),
                email=f"{username}@demo.emitra.invalid" if role in (Role.DEPARTMENT_OFFICER, Role.SOCIETY_ADMIN) else "",
            )
        await audit.record(actor, "demo.load", district, district_id=district.id)
    return {u[0]: DEMO_PASSWORD for u in USERS}
