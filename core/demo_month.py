"""A month in the demo district: ``emitra demo-month``.

Loads, on top of ``emitra demo``, more of the district and a realistic generated month, so that
every report, chart and watch list has something true to show:

1. **More of the district, created once** (a second run finds it): a second LSP, Marudhar Digital
   Seva Pvt Ltd (admin ``lsp2``), and more counters so that Jaipur district has ``counters`` of
   them across both LSPs (JanMitra kiosks in the villages, a few LokMitra centres in the city),
   each with every service enabled and an operator ``op-<code>``; a second district, Ajmer (AJ),
   with its Society (``society_aj``), one LSP (``lsp_aj``), three counters and a Registrar of Births
   and Deaths (``registrar_aj``); citizens of both districts. Password ``emitra-demo`` throughout.
2. **The month** (default: the last complete calendar month), day by day: at every counter, through
   the ordinary core (:func:`emitra.core.counter.record_payment`), electricity bills of the three
   discoms, PHED water bills, mobile and DTH recharges, LIC premiums, photocopies, jamabandi copies,
   caste, domicile and birth certificates (with an uploaded scan), Rajasthan Sampark grievances,
   RSRTC bus tickets (some cancelled a day or two later), cheques (cleared by the Society the next
   working day, a few bounced) and UPI payments; the deposits confirmed the next working day; a day
   end at every counter on every day it took money. Officers act on the applications within days
   (most approved, issued and collected; some returned and resubmitted, a few rejected, some left
   pending or acted on late), the SLA sweep runs every night.
3. **Planted for the watch lists**: a dormant counter (two transactions a week, :data:`DORMANT`),
   a counter short at several day ends (:data:`SHORT`), a counter with several overcharging
   complaints online and in its complaint book (:data:`OVERCHARGING`), and SLA breaches.

Everything goes through the ordinary core functions, as the demo's users, with their audit records.
**What is re-dated** to place the month in time (the core stamps rows with the real clock): the
``created_at`` of the ledger entries, service requests, payments and uploaded documents the month
creates, and the ``confirmed_at`` of its cash, cheque and UPI payments (the simulated moment).
"Today" is fixed for the run (``EMITRA_TODAY`` and ``EMITRA_NOW``, the RSRTC sandbox's day and
time) at each simulated moment, and put back afterwards. Audit records keep the real time.
Each simulated day is one database transaction.
"""

from __future__ import annotations

import calendar
import datetime as dt
import os
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from zoneinfo import ZoneInfo

from tortoise.functions import Count, Sum
from tortoise.transactions import in_transaction

from emitra.core import config, drawer_totals

ACTION = "demo.month"
PASSWORD = "emitra-demo"
SCAN = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

PINK, MARUDHAR, AJMER_LSP = "Pink City e-Services Pvt Ltd", "Marudhar Digital Seva Pvt Ltd", "Ajaymeru e-Seva Pvt Ltd"
#: the second Jaipur LSP's own prices (the first one's are core/demo.py's)
MARUDHAR_PRICES = {"pvt.lsp.photocopy": 300, "pvt.lsp.fax": 1500, "pvt.lsp.internet": 100}
AJMER_PRICES = {"pvt.lsp.photocopy": 200, "pvt.lsp.fax": 1000, "pvt.lsp.internet": 150}

DORMANT, OVERCHARGING, SHORT = "JP-JM-002", "JP-LM-002", "JP-JM-003"
MIN_COUNTERS = 5


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    kind: str  # lokmitra / janmitra
    lsp: str
    owner: str
    address: str
    operator: str  # the operator's full name
    tehsil: str  # the tehsil code of the revenue forms
    village: str
    pin: str


# Jaipur district, in the order they are added; the first two are core/demo.py's.
JAIPUR: list[Place] = [
    Place("JP-LM-001", "", "lokmitra", PINK, "", "", "", "jaipur", "Malviya Nagar", "302017"),
    Place("JP-JM-001", "", "janmitra", PINK, "", "", "", "chomu", "Chomu", "303702"),
    Place(DORMANT, "JanMitra Kiosk, Phagi", "janmitra", MARUDHAR, "Ramkishan Jat (authorised kiosk owner)", "Near the tehsil office, Phagi",
          "Ramkishan Jat", "phagi", "Phagi", "303005"),
    Place(OVERCHARGING, "LokMitra Centre, Vaishali Nagar", "lokmitra", MARUDHAR, MARUDHAR, "Amrapali Circle, Vaishali Nagar, Jaipur",
          "Deepak Khandelwal", "jaipur", "Vaishali Nagar", "302021"),
    Place(SHORT, "JanMitra Kiosk, Bassi", "janmitra", PINK, "Hanuman Sahay Meena (authorised kiosk owner)", "Agra Road, Bassi",
          "Hanuman Sahay Meena", "bassi", "Bassi", "303301"),
    Place("JP-JM-004", "JanMitra Kiosk, Sanganer", "janmitra", MARUDHAR, "Mangi Lal Saini (authorised kiosk owner)", "Sanganer Bazaar",
          "Mangi Lal Saini", "sanganer", "Sanganer", "302029"),
    Place("JP-JM-005", "JanMitra Kiosk, Amer", "janmitra", PINK, "Kailash Chand Gurjar (authorised kiosk owner)", "Sagar Road, Amer",
          "Kailash Chand Gurjar", "amer", "Amer", "302028"),
    Place("JP-JM-006", "JanMitra Kiosk, Chaksu", "janmitra", MARUDHAR, "Prem Devi Yadav (authorised kiosk owner)", "Station Road, Chaksu",
          "Prem Devi Yadav", "chaksu", "Chaksu", "303901"),
    Place("JP-JM-007", "JanMitra Kiosk, Dudu", "janmitra", PINK, "Bhagirath Choudhary (authorised kiosk owner)", "NH-48, Dudu",
          "Bhagirath Choudhary", "dudu", "Dudu", "303008"),
    Place("JP-JM-008", "JanMitra Kiosk, Kotputli", "janmitra", MARUDHAR, "Vijay Singh Tanwar (authorised kiosk owner)", "Bansur Road, Kotputli",
          "Vijay Singh Tanwar", "jaipur", "Kotputli", "303108"),
    Place("JP-LM-003", "LokMitra Centre, Mansarovar", "lokmitra", PINK, PINK, "Shipra Path, Mansarovar, Jaipur",
          "Neha Agarwal", "sanganer", "Mansarovar", "302020"),
    Place("JP-JM-009", "JanMitra Kiosk, Jamwa Ramgarh", "janmitra", MARUDHAR, "Bhanwar Lal Meena (authorised kiosk owner)", "Bus stand, Jamwa Ramgarh",
          "Bhanwar Lal Meena", "jamwa_ramgarh", "Jamwa Ramgarh", "303109"),
    Place("JP-JM-010", "JanMitra Kiosk, Phulera", "janmitra", PINK, "Suresh Kumawat (authorised kiosk owner)", "Railway Station Road, Phulera",
          "Suresh Kumawat", "phulera", "Phulera", "303338"),
    Place("JP-LM-004", "LokMitra Centre, Johari Bazaar", "lokmitra", MARUDHAR, MARUDHAR, "Johari Bazaar, Jaipur",
          "Imran Qureshi", "jaipur", "Johari Bazaar", "302003"),
    Place("JP-JM-011", "JanMitra Kiosk, Kishangarh Renwal", "janmitra", PINK, "Om Prakash Sharma (authorised kiosk owner)", "Main market, Renwal",
          "Om Prakash Sharma", "kishangarh_renwal", "Kishangarh Renwal", "303603"),
    Place("JP-JM-012", "JanMitra Kiosk, Mauzamabad", "janmitra", MARUDHAR, "Rekha Bairwa (authorised kiosk owner)", "Panchayat bhawan, Mauzamabad",
          "Rekha Bairwa", "mauzamabad", "Mauzamabad", "303007"),
]
AJMER: list[Place] = [
    Place("AJ-LM-001", "LokMitra Centre, Collectorate Ajmer", "lokmitra", AJMER_LSP, AJMER_LSP, "Collectorate campus, Ajmer",
          "Farhan Chishti", "", "Ajmer", "305001"),
    Place("AJ-JM-001", "JanMitra Kiosk, Kishangarh", "janmitra", AJMER_LSP, "Dinesh Kumawat (authorised kiosk owner)", "Madanganj, Kishangarh",
          "Dinesh Kumawat", "", "Kishangarh", "305801"),
    Place("AJ-JM-002", "JanMitra Kiosk, Pushkar", "janmitra", AJMER_LSP, "Laxmi Parashar (authorised kiosk owner)", "Brahma Temple Road, Pushkar",
          "Laxmi Parashar", "", "Pushkar", "305022"),
]
EXISTING_OPERATORS = {"JP-LM-001": "operator1", "JP-JM-001": "operator2"}

# name, date of birth, gender, address
JAIPUR_CITIZENS = [
    ("Mahesh Chand Saini", "1975-06-11", "M", "Ward 4, Sanganer"), ("Kamla Devi Meena", "1968-02-19", "F", "Meena Mohalla, Bassi"),
    ("Rajendra Singh Shekhawat", "1981-09-05", "M", "Shekhawat Colony, Chomu"), ("Pooja Kumawat", "2006-08-15", "F", "Ward 12, Chomu"),
    ("Babu Lal Bairwa", "1972-12-01", "M", "Bairwa Mohalla, Phagi"), ("Santosh Jat", "1983-04-23", "F", "Jat Colony, Phagi"),
    ("Shabana Bano", "1987-10-30", "F", "Ghat Gate, Ramganj, Jaipur"), ("Vikas Sharma", "1990-01-17", "M", "Shanti Path, Malviya Nagar, Jaipur"),
    ("Neha Sharma", "1993-03-08", "F", "Shanti Path, Malviya Nagar, Jaipur"), ("Kailash Chand Gurjar", "1970-07-14", "M", "Sagar Road, Amer"),
    ("Manju Gurjar", "1976-11-02", "F", "Kunda, Amer"), ("Suresh Yadav", "1979-05-29", "M", "Station Road, Chaksu"),
    ("Prem Devi Yadav", "1982-08-08", "F", "Station Road, Chaksu"), ("Ramkishan Jat", "1988-02-10", "M", "Near the tehsil office, Phagi"),
    ("Bhagirath Choudhary", "1974-09-21", "M", "NH-48, Dudu"), ("Sushila Choudhary", "1978-12-12", "F", "Mokhampura, Dudu"),
    ("Vijay Singh Tanwar", "1985-06-30", "M", "Bansur Road, Kotputli"), ("Anita Tanwar", "1989-04-04", "F", "Pawala, Kotputli"),
    ("Deepak Khandelwal", "1991-10-10", "M", "Vaishali Nagar, Jaipur"), ("Ritu Khandelwal", "1994-02-14", "F", "Vaishali Nagar, Jaipur"),
    ("Imran Qureshi", "1986-07-07", "M", "Johari Bazaar, Jaipur"), ("Nasreen Qureshi", "1990-09-09", "F", "Johari Bazaar, Jaipur"),
    ("Hanuman Sahay Meena", "1969-03-03", "M", "Agra Road, Bassi"), ("Lakshmi Narayan Bairwa", "1977-01-26", "M", "14, Bairwa Mohalla, Phagi"),
    ("Gopal Lal Regar", "1973-08-15", "M", "Regar Basti, Mauzamabad"), ("Rekha Bairwa", "1992-11-11", "F", "Mauzamabad"),
    ("Om Prakash Sharma", "1965-05-05", "M", "Main market, Renwal"), ("Suresh Kumawat", "1984-06-06", "M", "Phulera"),
    ("Bhanwar Lal Meena", "1971-10-02", "M", "Jamwa Ramgarh"), ("Guddi Devi Meena", "1980-01-01", "F", "Jamwa Ramgarh"),
    ("Neha Agarwal", "1995-12-25", "F", "Mansarovar, Jaipur"), ("Arjun Singh Rathore", "2004-04-14", "M", "Mansarovar, Jaipur"),
]
AJMER_CITIZENS = [
    ("Kailash Chand Jat", "1972-03-12", "M", "Nasirabad Road, Ajmer"), ("Pushpa Kanwar Rathore", "1979-07-19", "F", "Vaishali Nagar, Ajmer"),
    ("Bhanwar Lal Regar", "1966-11-30", "M", "Regar Mohalla, Kishangarh"), ("Farhan Chishti", "1988-01-09", "M", "Dargah Bazaar, Ajmer"),
    ("Zainab Chishti", "1991-05-22", "F", "Dargah Bazaar, Ajmer"), ("Dinesh Kumawat", "1983-09-14", "M", "Madanganj, Kishangarh"),
    ("Laxmi Parashar", "1986-02-02", "F", "Brahma Temple Road, Pushkar"), ("Gopal Parashar", "1958-12-08", "M", "Pushkar"),
    ("Sunil Gehlot", "1990-06-16", "M", "Adarsh Nagar, Ajmer"), ("Mamta Gehlot", "1993-08-27", "F", "Adarsh Nagar, Ajmer"),
    ("Ramesh Chand Mali", "1975-04-01", "M", "Kishangarh"), ("Savita Mali", "1977-10-18", "F", "Kishangarh"),
]
MOBILE_PREFIXES = ("98290", "94140", "99280", "78910", "63780", "80030", "97830", "70140", "95710", "88240")

# --- what the sandboxes know (see docs/services/) ----------------------------------------------------
JVVNL = [("210412345678", 4), ("210412345679", 6), ("210400000011", 7), ("210455500001", 1)]
AVVNL = [("110123456780", 5), ("110123456781", 6), ("110187654320", 7), ("110155500002", 1)]
JDVVNL = [("310234567890", 3), ("310234567891", 5), ("310276543210", 6)]
PHED = [("10230045671", 5), ("10230045672", 6), ("10230098810", 3), ("10230077003", 7)]
LIC = [("456789123", 5), ("345678912", 3), ("234567891", 2), ("123456789", 1)]
PLANS = [("jio", "JIO-199", 5), ("jio", "JIO-299", 8), ("jio", "JIO-889", 2), ("airtel", "AIRTEL-199", 3), ("airtel", "AIRTEL-349", 5),
         ("airtel", "AIRTEL-979", 1), ("vi", "VI-199", 2), ("vi", "VI-349", 2), ("bsnl", "BSNL-107", 2), ("bsnl", "BSNL-397", 1)]
DTH = [("tata_play", "1012345678", 300), ("tata_play", "1098765432", 250), ("airtel_dth", "3001234567", 350), ("dish_tv", "01234567890", 400)]
# big bills paid by cheque: (service, form)
CHEQUE_BILLS = [("gov.rj.jvvnl.bill", {"k_number": "210498765432"}), ("gov.rj.jvvnl.bill", {"k_number": "210455500001"}),
                ("gov.rj.phed.water_bill", {"consumer_no": "10230011002"}), ("pvt.lic.premium", {"policy_number": "123456789"}),
                ("pvt.lic.premium", {"policy_number": "234567891"})]
AJMER_CHEQUE_BILLS = [("gov.rj.avvnl.bill", {"k_number": "110155500002"}), ("pvt.lic.premium", {"policy_number": "123456789"})]
BANKS = [("State Bank of India", "SBIN0001234"), ("Punjab National Bank", "PUNB0098700"), ("Bank of Baroda", "BARB0JAIPUR"),
         ("ICICI Bank", "ICIC0000123"), ("HDFC Bank", "HDFC0000456")]
# (village, khasra) the land records sandbox knows, by village
KHASRAS = {"sanganer": ["112", "245/1"], "bassi": ["78/2", "1023"], "chomu": ["9", "367/4"], "amer": ["1450", "88/1"],
           "phagi": ["602", "17/3"], "chaksu": ["311"], "jamwa_ramgarh": ["1200/2"]}
CASTES = [("SC", "Bairwa"), ("SC", "Regar"), ("ST", "Meena"), ("OBC", "Jat"), ("OBC", "Kumawat"), ("OBC", "Saini"), ("OBC", "Yadav"),
          ("MBC", "Gurjar"), ("OBC", "Mali")]
FATHERS = ["Ram Lal", "Mangi Lal", "Gopal", "Chhotu Ram", "Bhairu Ram", "Prabhu Dayal", "Ladu Ram", "Gheesa Lal", "Sawai Singh", "Jagdish Prasad"]
CHILDREN = {"M": ["Aarav", "Vihaan", "Kabir", "Reyansh", "Advik", "Yash", "Ayaan"], "F": ["Anaya", "Diya", "Myra", "Kavya", "Ira", "Saanvi", "Aadhya"]}
STOPS_FROM = {"JP": "jaipur", "AJ": "ajmer"}
DESTINATIONS = {"jaipur": ["ajmer", "sikar", "alwar", "kota", "jodhpur", "udaipur", "bikaner"],
                "ajmer": ["jaipur", "jodhpur", "udaipur", "kota", "bikaner"]}
SAMPARK = [("phed", "No water supply in {v} for four days", "The PHED tap supply in {v} has been off for four days and no tanker has come."),
           ("phed", "Contaminated water in the supply line, {v}", "The water from the PHED line in {v} is muddy and smells; children have fallen ill."),
           ("phed", "Leaking pipeline near the school, {v}", "The main pipeline near the government school in {v} has been leaking for a week."),
           ("energy", "Frequent power cuts in {v}", "There are power cuts of four to five hours every day in {v}; the transformer is overloaded."),
           ("local_bodies", "Garbage not collected in {v}", "Garbage has not been collected in our ward in {v} for two weeks.")]
OVERCHARGE_TEXT = ("The operator at the Vaishali Nagar centre took {paid} for a {what} whose receipt shows {receipt}; "
                   "he said the extra was a 'computer charge'.")

JAIPUR_MIX = [("jvvnl", 24), ("avvnl", 2), ("jdvvnl", 1), ("phed", 10), ("mobile", 14), ("dth", 6), ("lic", 4), ("photocopy", 7),
              ("jamabandi", 9), ("caste", 4), ("domicile", 2), ("birth", 3), ("sampark", 3), ("bus", 2)]
AJMER_MIX = [("avvnl", 26), ("jvvnl", 2), ("phed", 8), ("mobile", 16), ("dth", 6), ("lic", 5), ("photocopy", 7), ("birth", 4), ("bus", 3)]
CODES = {"jvvnl": "gov.rj.jvvnl.bill", "avvnl": "gov.rj.avvnl.bill", "jdvvnl": "gov.rj.jdvvnl.bill", "phed": "gov.rj.phed.water_bill",
         "mobile": "pvt.recharge.mobile_prepaid", "dth": "pvt.recharge.dth", "lic": "pvt.lic.premium", "photocopy": "pvt.lsp.photocopy",
         "jamabandi": "gov.rj.revenue.jamabandi_copy", "caste": "gov.rj.revenue.caste_certificate",
         "domicile": "gov.rj.revenue.domicile_certificate", "birth": "gov.rj.pehchan.birth_certificate",
         "sampark": "gov.rj.sampark.grievance", "bus": "pvt.rsrtc.bus_ticket"}
UPLOADS = {"caste": "ration_card_scan", "domicile": "residence_proof"}
UPI_KINDS = {"jamabandi", "caste", "domicile", "birth", "mobile", "dth", "lic"}
REVENUE = "Revenue Department, Government of Rajasthan"
BIRTHS = "Directorate of Economics and Statistics, Rajasthan (Registrar, Births and Deaths)"
PHED_DEPT = "Public Health Engineering (water supply)"


class DemoMonthError(Exception):
    """The month cannot be loaded (the demo is not loaded, the month has not ended, days are closed later, ...)."""


def default_month(today: dt.date | None = None) -> dt.date:
    """The first day of the last complete calendar month before today."""
    from emitra.core import clock

    today = today or clock.today()
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def month_days(month_start: dt.date) -> list[dt.date]:
    n = calendar.monthrange(month_start.year, month_start.month)[1]
    return [month_start + dt.timedelta(days=i) for i in range(n)]


def _pick(rng: random.Random, weighted: list) -> Any:
    """One item of [(value..., weight)], by weight (the weight is the last element)."""
    total = sum(w[-1] for w in weighted)
    x = rng.uniform(0, total)
    for item in weighted:
        x -= item[-1]
        if x <= 0:
            return item
    return weighted[-1]


def _mobile(index: int) -> str:
    return f"{MOBILE_PREFIXES[index % len(MOBILE_PREFIXES)]}{(index * 7919 + 24680) % 100000:05d}"


# --- the district, created once -------------------------------------------------------------------

async def _ensure_district(places: list[Place]) -> dict[str, Any]:
    """Create what is missing of the two districts (LSPs, counters, users, prices, citizens)."""
    from emitra.core import audit, payments
    from emitra.core.auth import hash_password
    from emitra.core.demo import COUNTER_NAMES_HI, DEFAULT_DEMO_PRICE, DEMO_PRICES
    from emitra.core.ids import make_emitra_id
    from emitra.core.models import Citizen, Counter, CounterKind, CounterService, District, LSP, LspPrice, Role, Society, User
    from emitra.core.plugins import get_host

    registry = list(get_host().registry)
    password_hash: list[str] = []

    def pw() -> str:
        if not password_hash:
            password_hash.append(hash_password(PASSWORD))
        return password_hash[0]

    cli = audit.Actor(None, via="cli")
    jaipur = await District.get(code="JP")
    async with in_transaction():
        ajmer = await District.get_or_none(code="AJ")
        if ajmer is None:
            ajmer = await District.create(code="AJ", name_en="Ajmer", name_hi="अजमेर")
            await Society.create(district=ajmer, name="District e-Mitra Society, Ajmer", bank_account="SBI 0000 8765 4321",
                                 nodal_officer_email="nodal.ajmer@demo.emitra.invalid")
            await audit.record(cli, "demo.district", ajmer, district_id=ajmer.id, detail={"code": "AJ"})
        districts = {"JP": jaipur, "AJ": ajmer}
        lsps: dict[str, Any] = {}
        for name, district, prices in ((PINK, jaipur, DEMO_PRICES), (MARUDHAR, jaipur, MARUDHAR_PRICES), (AJMER_LSP, ajmer, AJMER_PRICES)):
            lsp = await LSP.get_or_none(name=name, district_id=district.id)
            if lsp is None:
                lsp = await LSP.create(district=district, name=name)
            for service in registry:
                if service.priced_by_lsp and not await LspPrice.exists(lsp_id=lsp.id, service_code=service.code):
                    await LspPrice.create(district=district, lsp=lsp, service_code=service.code,
                                          unit_price_paise=prices.get(service.code, DEFAULT_DEMO_PRICE))
            lsps[name] = lsp
        users = [("lsp2", "Admin, Marudhar Digital Seva (LSP)", Role.LSP_ADMIN, jaipur, lsps[MARUDHAR], None, ""),
                 ("society_aj", "Nodal officer, Ajmer e-Mitra Society", Role.SOCIETY_ADMIN, ajmer, None, None, ""),
                 ("lsp_aj", "Admin, Ajaymeru e-Seva (LSP)", Role.LSP_ADMIN, ajmer, lsps[AJMER_LSP], None, ""),
                 ("registrar_aj", "Registrar of Births and Deaths, Ajmer", Role.DEPARTMENT_OFFICER, ajmer, None, None, BIRTHS)]
        counters: dict[str, Any] = {}
        new_counters = []
        for place in places:
            district = districts[place.code[:2]]
            counter = await Counter.get_or_none(code=place.code)
            if counter is None:
                counter = await Counter.create(
                    district=district, lsp=lsps[place.lsp], code=place.code, name=place.name, name_hi=COUNTER_NAMES_HI.get(place.code, ""),
                    kind=CounterKind.LOKMITRA if place.kind == "lokmitra" else CounterKind.JANMITRA,
                    owner_name=place.owner, address=place.address)
                for service in registry:
                    await CounterService.create(district=district, counter=counter, service_code=service.code)
                new_counters.append(counter)
            counters[place.code] = counter
            if place.code not in EXISTING_OPERATORS:
                users.append((f"op-{place.code.lower()}", place.operator, Role.OPERATOR, district, lsps[place.lsp], counter, ""))
        for username, full_name, role, district, lsp, counter, department in users:
            if not await User.exists(username=username):
                await User.create(username=username, full_name=full_name, role=role, password_hash=pw(), district=district, lsp=lsp,
                                  counter=counter, department=department,
                                  email=f"{username}@demo.emitra.invalid" if role in (Role.DEPARTMENT_OFFICER, Role.SOCIETY_ADMIN) else "")
        # the Society decides how a kiosk's service charge is shared with its authorised owner
        for counter in new_counters:
            if counter.kind == CounterKind.JANMITRA:
                society = await User.get(role=Role.SOCIETY_ADMIN, district_id=counter.district_id, username__in=["society", "society_aj"])
                await payments.set_split(audit.Actor(society, via="cli"), counter, 3000, 7000, 0)
        citizens: dict[str, list[Any]] = {"JP": [], "AJ": []}
        for code, rows, registered_at in (("JP", JAIPUR_CITIZENS, "JP-LM-001"), ("AJ", AJMER_CITIZENS, "AJ-LM-001")):
            district = districts[code]
            for n, (name, dob, gender, address) in enumerate(rows):
                citizen = await Citizen.get_or_none(district_id=district.id, name=name)
                if citizen is None:
                    citizen = await Citizen.create(
                        district=district, name=name, date_of_birth=dt.date.fromisoformat(dob), gender=gender,
                        mobile=_mobile(n + (100 if code == "AJ" else 0)), address=address, registered_at=counters.get(registered_at))
                    citizen.emitra_id = make_emitra_id(district.code, citizen.id)
                    await citizen.save(update_fields=["emitra_id"])
        for code, district in districts.items():
            citizens[code] = list(await Citizen.filter(district_id=district.id).order_by("id"))
    return {"districts": districts, "lsps": lsps, "counters": counters, "citizens": citizens}


# --- the month ------------------------------------------------------------------------------------

@dataclass
class Step:
    """A workflow step due on a day: who takes it and what comes after."""

    at: dt.datetime
    case_id: int
    action: str
    username: str
    remark: str = ""
    fate: str = ""


@dataclass
class Sim:
    rng: random.Random
    tz: ZoneInfo
    month: dt.date
    days: list[dt.date]
    places: dict[str, Place]
    counters: dict[str, Any]
    operators: dict[str, Any]  # counter code -> Actor
    users: dict[str, Any]  # username -> Actor
    citizens: dict[str, list[Any]]
    tag: str
    mark: int = 0
    serial: int = 0
    steps: dict[dt.date, list[Step]] = field(default_factory=dict)
    cheques: list[tuple[int, str]] = field(default_factory=list)  # (payment id, district code)
    tickets: dict[dt.date, list[tuple[int, str, int]]] = field(default_factory=dict)  # day -> (request id, counter, tries)
    cancel_weeks: set[int] = field(default_factory=set)
    receipts: dict[str, list[str]] = field(default_factory=dict)  # counter -> receipts with a citizen-paid fee
    recorded: dict[str, int] = field(default_factory=dict)  # counter -> requests recorded
    refused: dict[str, int] = field(default_factory=dict)  # what the core refused (a sold-out bus, ...), by reason
    cancelled: int = 0
    cheque_outcomes: dict[str, int] = field(default_factory=lambda: {"cleared": 0, "bounced": 0})
    upi: int = 0
    steps_taken: int = 0
    complaints: int = 0
    book_entries: int = 0
    shortages: list[dict[str, Any]] = field(default_factory=list)
    ajmer_ids: set[int] = field(default_factory=set)
    mismatches: list[str] = field(default_factory=list)
    open_before: dict[str, int] = field(default_factory=dict)  # cash in each drawer before the run (taken after the month)

    def at(self, day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute, second), tzinfo=self.tz)

    def key(self, code: str, day: dt.date) -> str:
        self.serial += 1
        return f"dm-{self.tag}-{code}-{day:%d}-{self.serial}"

    def schedule(self, step: Step) -> None:
        day = step.at.date()
        if day <= self.days[-1]:
            self.steps.setdefault(day, []).append(step)


def _set_now(moment: dt.datetime) -> None:
    os.environ["EMITRA_TODAY"] = moment.date().isoformat()
    os.environ["EMITRA_NOW"] = moment.replace(tzinfo=None).isoformat(timespec="seconds")


async def _stamp(sim: Sim, moment: dt.datetime, request_id: int | None = None, paid: bool = False) -> None:
    """Place what was just written at ``moment``: the new ledger entries, the request and its payment."""
    from emitra.core.models import LedgerEntry, Payment, ServiceRequest

    if await drawer_totals.redate(LedgerEntry.filter(id__gt=sim.mark), moment):
        sim.mark = (await LedgerEntry.all().order_by("-id").limit(1).values_list("id", flat=True))[0]
    if request_id is not None:
        await ServiceRequest.filter(id=request_id).update(created_at=moment)
        if paid:
            await Payment.filter(request_id=request_id).update(created_at=moment, confirmed_at=moment)
        else:
            await Payment.filter(request_id=request_id).update(created_at=moment)


def _form(sim: Sim, kind: str, place: Place, citizen: Any, day: dt.date) -> dict[str, Any]:
    rng = sim.rng
    surname = citizen.name.split()[-1]
    if kind in ("jvvnl", "avvnl", "jdvvnl"):
        k = _pick(rng, {"jvvnl": JVVNL, "avvnl": AVVNL, "jdvvnl": JDVVNL}[kind])[0]
        return {"k_number": k, "mobile": citizen.mobile} if rng.random() < 0.4 else {"k_number": k}
    if kind == "phed":
        return {"consumer_no": _pick(rng, PHED)[0], "mobile": citizen.mobile}
    if kind == "mobile":
        operator, plan, _ = _pick(rng, PLANS)
        return {"mobile": citizen.mobile, "operator": operator, "plan": plan}
    if kind == "dth":
        operator, subscriber, amount = rng.choice(DTH)
        return {"operator": operator, "subscriber_id": subscriber, "amount_rupees": amount}
    if kind == "lic":
        return {"policy_number": _pick(rng, LIC)[0]}
    if kind == "photocopy":
        return {"quantity": rng.choice([1, 2, 2, 3, 4, 5, 6, 8, 10, 12, 20, 30]), "both_sides": rng.random() < 0.3}
    if kind == "jamabandi":
        village = place.tehsil if place.tehsil in KHASRAS else rng.choice(sorted(KHASRAS))
        return {"village": village, "khasra_no": rng.choice(KHASRAS[village])}
    address = {"house": f"{rng.randint(1, 250)}, {rng.choice(['Main Road', 'Bazaar', 'Mohalla', 'Colony', 'Ward 7'])}",
               "village_ward": place.village, "tehsil": place.tehsil, "district": "Jaipur", "pin": place.pin}
    if kind == "caste":
        category, caste = rng.choice(CASTES)
        form = {"applicant_name": citizen.name, "father_name": f"{rng.choice(FATHERS)} {surname}", "caste_category": category,
                "caste": caste, "address": address, "mobile": citizen.mobile}
        if category in ("OBC", "MBC"):
            form |= {"annual_family_income": rng.randrange(60_000, 600_000, 1_000), "non_creamy_layer": True}
        return form
    if kind == "domicile":
        born = day - dt.timedelta(days=rng.randint(17 * 365, 30 * 365))
        return {"applicant_name": citizen.name, "father_name": f"{rng.choice(FATHERS)} {surname}", "date_of_birth": born.isoformat(),
                "gender": citizen.gender or "M", "purpose": rng.choice(["education", "employment", "scholarship"]), "mobile": citizen.mobile,
                "years_of_residence": rng.randint(15, 30), "address": address, "declaration": True}
    if kind == "birth":
        sex = rng.choice("MF")
        hospital = ("JLN Hospital, Ajmer" if place.code.startswith("AJ") else
                    rng.choice([f"Community Health Centre, {place.village}", "Mahila Chikitsalaya, Sanganeri Gate, Jaipur",
                                "Zanana Hospital, Chandpole, Jaipur"]))
        home = rng.random() < 0.15
        return {"child_name": f"{rng.choice(CHILDREN[sex])} {surname}", "sex": sex,
                "date_of_birth": (day - dt.timedelta(days=rng.randint(2, 25))).isoformat(), "place_type": "home" if home else "hospital",
                "place_of_birth": f"{place.village}, {place.address or place.village}" if home else hospital,
                "parents": {"father": f"{rng.choice(FATHERS).split()[0]} {surname}" if citizen.gender == "F" else citizen.name,
                            "mother": citizen.name if citizen.gender == "F" else f"{rng.choice(['Sunita', 'Kamla', 'Anita', 'Rekha', 'Pooja'])} {surname}"},
                "mobile": citizen.mobile}
    if kind == "sampark":
        department, subject, body = rng.choices(SAMPARK, weights=[5, 4, 3, 2, 1])[0]
        return {"department": department, "subject": subject.format(v=place.village), "description": body.format(v=place.village),
                "mobile": citizen.mobile}
    if kind == "bus":
        origin = STOPS_FROM[place.code[:2]]
        seats = rng.choice([1, 1, 1, 2, 2, 3])
        names = [citizen.name] + [f"{n} {surname}" for n in ("Sunita", "Rohit", "Kiran")][: seats - 1]
        return {"from": origin, "to": rng.choice(DESTINATIONS[origin]), "journey_date": (day + dt.timedelta(days=rng.randint(3, 20))).isoformat(),
                "service_class": rng.choice(["ordinary", "ordinary", "express", "deluxe"]), "seats": seats,
                "passengers": [{"name": n, "age": rng.randint(18, 70), "gender": "F" if i == 1 else (citizen.gender or "M")}
                               for i, n in enumerate(names)]}
    raise ValueError(kind)


def _volume(sim: Sim, place: Place, day: dt.date, per_day: int, factor: float) -> int:
    if place.code == DORMANT:
        return 0  # its few transactions are planned per week
    weekday = day.weekday()
    scale = {0: 1.15, 5: 0.9, 6: 0.35}.get(weekday, 1.0) * factor
    n = max(0, round(sim.rng.gauss(per_day * scale, per_day * scale * 0.15)))
    return n if weekday == 6 else max(1, n)


async def _transaction(sim: Sim, place: Place, day: dt.date, moment: dt.datetime, kind: str, method: str = "cash",
                       preset: tuple[str, dict[str, Any]] | None = None) -> Any:
    """One transaction at the counter, through the core; None when the core refused it."""
    from emitra.core import counter as counter_core
    from emitra.core import documents
    from emitra.core.forms import FormErrors
    from emitra.core.models import Case, Document, Payment
    from emitra.core.payment_methods import cheque
    from emitra.core.plugins import get_host

    _set_now(moment)
    registry = get_host().registry
    counter, op = sim.counters[place.code], sim.operators[place.code]
    citizen = sim.rng.choice(sim.citizens[place.code[:2]])
    if preset is not None:
        code, form = preset[0], dict(preset[1])
    else:
        code, form = CODES[kind], _form(sim, kind, place, citizen, day)
    service = registry.get(code)
    if kind == "bus":
        booking = service.booking
        booking.today, booking.time_of_day = day, moment.time().replace(tzinfo=None)
    docs = []
    if kind in UPLOADS:
        doc = await documents.store(op, counter, service, UPLOADS[kind], "scan.pdf", SCAN)
        form[UPLOADS[kind]] = doc.public_id
        docs.append(doc.id)
    details = None
    if method == "cheque":
        bank, ifsc = sim.rng.choice(BANKS)
        details = cheque.CHEQUE.check_details({"instrument_no": f"{sim.rng.randint(100000, 999999)}", "bank_name": bank, "ifsc": ifsc,
                                               "instrument_date": (day - dt.timedelta(days=sim.rng.randint(0, 5))).isoformat(),
                                               "drawer_name": citizen.name})
    try:
        request = await counter_core.record_payment(op, counter, citizen, code, form, sim.key(place.code, day), method,
                                                    payment_details=details)
    except (FormErrors, counter_core.CounterError) as exc:  # e.g. RSRTC: the bus is sold out
        fields = [e.field for e in exc.errors] if isinstance(exc, FormErrors) else [exc.field]
        reason = f"{code}: {', '.join(fields)}"
        sim.refused[reason] = sim.refused.get(reason, 0) + 1
        return None
    sim.recorded[place.code] = sim.recorded.get(place.code, 0) + 1
    if docs:
        await Document.filter(id__in=docs).update(created_at=moment)
    await _stamp(sim, moment, request.id, paid=method == "cash")
    if method == "upi":
        confirmed = moment + dt.timedelta(minutes=1)
        _set_now(confirmed)
        payment = await Payment.get(request_id=request.id)
        await counter_core.confirm_payment(sim.users["webhook"], payment, provider="upi", event_id=f"upi-{request.receipt_no}",
                                           provider_reference=f"UTR{request.id:010d}", at=confirmed)
        await _stamp(sim, confirmed)
        sim.upi += 1
    elif method == "cheque":
        sim.cheques.append(((await Payment.get(request_id=request.id)).id, place.code[:2]))
    if request.service_charge_paise and request.charge_payer == "citizen":
        sim.receipts.setdefault(place.code, []).append(request.receipt_no)
    week = day.isocalendar()[1]
    if kind == "bus" and (week not in sim.cancel_weeks or sim.rng.random() < 0.15):  # at least one a week
        sim.cancel_weeks.add(week)
        cancel_on = day + dt.timedelta(days=sim.rng.choice([1, 2]))
        sim.tickets.setdefault(cancel_on, []).append((request.id, place.code, 0))
    if getattr(service.workflow, "value", service.workflow) == "application":
        case = await Case.get_or_none(request_id=request.id)
        if case is not None and case.state == "forwarded":
            _plan_case(sim, case, kind, place, moment)
    return request


# --- what officers do with the applications -------------------------------------------------------

def _officer(kind: str, place: Place) -> str:
    if kind == "birth":
        return "registrar_aj" if place.code.startswith("AJ") else "registrar"
    if kind == "sampark":
        return "phed"
    return "tehsildar"


def _later(sim: Sim, moment: dt.datetime, days: int) -> dt.datetime:
    day = moment.date() + dt.timedelta(days=days)
    if day.weekday() == 6:  # offices are closed on Sunday
        day += dt.timedelta(days=1)
    return sim.at(day, sim.rng.randint(10, 16), sim.rng.randint(0, 59))


def _plan_case(sim: Sim, case: Any, kind: str, place: Place, moment: dt.datetime) -> None:
    """Decide what happens to a new case and schedule its first step."""
    rng = sim.rng
    officer = _officer(kind, place)
    if kind == "sampark":
        if case.department != PHED_DEPT:
            return  # no officer of that department in the demo: it waits, breaches, and the Society is told (at the top)
        fate = "pending" if rng.random() < 0.1 else "resolve"
        if fate == "resolve":
            sim.schedule(Step(_later(sim, moment, rng.randint(1, 2)), case.id, "acknowledge", officer, fate=fate))
        return
    r = rng.random()
    fate = ("pending" if r < 0.04 else "slow" if r < 0.09 else "return" if r < 0.15 else "reject" if r < 0.18 else "normal")
    if fate == "pending":
        return
    if kind == "jamabandi" and fate in ("normal", "return"):
        wait = rng.choice([0, 1, 1])
    else:
        wait = rng.randint(8, 12) if fate == "slow" else rng.randint(1, 4)
    first = "call_for_verification" if kind == "domicile" else "approve"
    if fate == "return":
        first = "return"
    elif fate == "reject":
        first = "reject"
    if kind == "domicile" and fate in ("normal", "slow"):
        wait = min(wait, 3) if fate == "normal" else wait
    remark = {"return": "The ration card scan is not readable; upload a clear copy and correct the father's name.",
              "reject": "The khasra and the applicant's records do not support the claim; apply again with the Patwari's report.",
              "approve": "Verified against the documents and the Patwari's report.",
              "call_for_verification": "Please appear at the tehsil office with the original documents."}.get(first, "")
    step_at = moment + dt.timedelta(hours=rng.randint(2, 5)) if wait == 0 else _later(sim, moment, wait)
    sim.schedule(Step(step_at, case.id, first, officer, remark, fate=f"{fate}:{kind}:{place.code}"))


def _next_step(sim: Sim, step: Step, case: Any) -> Step | None:
    """What follows a step that was taken."""
    rng = sim.rng
    fate, kind, code = (step.fate.split(":") + ["", "", ""])[:3]
    if step.action == "acknowledge":
        remark = ("The operator was warned in writing and the excess refunded to the citizen; the centre will be inspected."
                  if fate == "complaint" else "The line was repaired and the supply restored; the tanker came twice meanwhile.")
        return Step(_later(sim, step.at, rng.randint(1, 4)), step.case_id, "resolve", step.username, remark, step.fate)
    if step.action == "call_for_verification":
        return Step(_later(sim, step.at, rng.randint(1, 3)), step.case_id, "approve", step.username,
                    "The applicant appeared with the originals; residence verified.", step.fate)
    if step.action == "return":
        operator = EXISTING_OPERATORS.get(code) or f"op-{code.lower()}"
        return Step(_later(sim, step.at, rng.randint(1, 3)), step.case_id, "resubmit", operator,
                    "A clear copy is uploaded and the name corrected.", f"normal:{kind}:{code}")
    if step.action == "resubmit":
        nxt = "call_for_verification" if kind == "domicile" else "approve"
        return Step(_later(sim, step.at, rng.randint(1, 3)), step.case_id, nxt, _officer(kind, sim.places[code]),
                    "Verified after the correction.", step.fate)
    if step.action == "approve":
        return Step(step.at + dt.timedelta(minutes=rng.randint(10, 90)), step.case_id, "issue", step.username, "", step.fate)
    if step.action == "issue":
        if rng.random() < (0.03 if kind == "jamabandi" else 0.12):
            return None  # the citizen has not come for it (yet)
        operator = EXISTING_OPERATORS.get(code) or f"op-{code.lower()}"
        wait = rng.choice([0, 0, 1] if kind == "jamabandi" else [0, 1, 1, 2, 3])
        when = step.at + dt.timedelta(hours=rng.randint(1, 3)) if wait == 0 else _later(sim, step.at, wait)
        return Step(when, step.case_id, "collect", operator,
                    "Identity checked; the citizen signed the collection register.", step.fate)
    return None


async def _take_steps(sim: Sim, day: dt.date) -> None:
    while sim.steps.get(day):  # a step may schedule another on the same day (approve, then issue)
        await _take_some_steps(sim, sorted(sim.steps.pop(day), key=lambda s: s.at))


async def _take_some_steps(sim: Sim, steps: list[Step]) -> None:
    from emitra.core import workflow
    from emitra.core.models import Case

    for step in steps:
        _set_now(step.at)
        case = await Case.get(id=step.case_id)
        try:
            await workflow.act(sim.users[step.username], case, step.action, step.remark)
        except workflow.WorkflowError as exc:
            sim.refused[f"workflow {step.action}: {exc.field}"] = sim.refused.get(f"workflow {step.action}: {exc.field}", 0) + 1
            continue
        sim.steps_taken += 1
        await _stamp(sim, step.at)
        nxt = _next_step(sim, step, case)
        if nxt is not None:
            sim.schedule(nxt)


# --- one day --------------------------------------------------------------------------------------

async def _morning(sim: Sim, day: dt.date, day_ends: list[Any]) -> None:
    """The Society's bank: yesterday's deposits confirmed, cheques cleared (a few bounced)."""
    from emitra.core import dayend
    from emitra.core.models import Payment
    from emitra.core.payment_methods import cheque

    if day.weekday() == 6:
        return  # the bank is closed
    moment = sim.at(day, 11)
    _set_now(moment)
    for de in day_ends:
        society = sim.users["society_aj" if de.counter_id in sim.ajmer_ids else "society"]
        await dayend.confirm_deposit(society, de, f"CDM-{de.slip_no}", de.deposit_paise, on=day)
    day_ends.clear()
    await _stamp(sim, moment)
    pending, sim.cheques = sim.cheques, []
    for payment_id, district in pending:
        moment = sim.at(day, 11, 30)
        _set_now(moment)
        society = sim.users["society_aj" if district == "AJ" else "society"]
        payment = await Payment.get(id=payment_id)
        if sim.rng.random() < 0.12:
            await cheque.bounce(society, payment, sim.rng.choice(["funds insufficient", "signature differs", "exceeds arrangement"]))
            sim.cheque_outcomes["bounced"] += 1
        else:
            await cheque.clear(society, payment)
            await Payment.filter(id=payment_id).update(confirmed_at=moment)
            sim.cheque_outcomes["cleared"] += 1
        await _stamp(sim, moment)


async def _complaints(sim: Sim, day: dt.date, online: bool, book: bool) -> None:
    """Citizens complain about the overcharging counter: online to the Society, and in its book."""
    from emitra.core import book as book_core
    from emitra.core import grievances

    place = sim.places[OVERCHARGING]
    receipts = sim.receipts.get(OVERCHARGING) or []
    citizen = sim.rng.choice(sim.citizens["JP"])
    paid, receipt, what = sim.rng.choice([("₹50", "₹10", "jamabandi copy"), ("₹100", "₹40", "caste certificate application"),
                                          ("₹80", "₹10", "birth certificate application")])
    text = OVERCHARGE_TEXT.format(paid=paid, receipt=receipt, what=what)
    if online:
        moment = sim.at(day, 20, sim.rng.randint(0, 59))
        _set_now(moment)
        case = await grievances.file_online(sim.users["web"], sim.counters[OVERCHARGING].district_id, about="counter", counter_code=OVERCHARGING,
                                     complaint_type="overcharging", receipt_no=receipts[-1] if receipts else None, name=citizen.name,
                                     mobile=citizen.mobile, subject=f"Overcharged at {place.name}", body=text, lang="hi")
        sim.complaints += 1
        if sim.rng.random() < 0.75:  # the Society takes most of them up; the rest wait (and breach)
            sim.schedule(Step(_later(sim, moment, sim.rng.randint(1, 2)), case.id, "acknowledge", "society", fate="complaint"))
    if book:
        moment = sim.at(day, 17, sim.rng.randint(0, 59))
        _set_now(moment)
        await book_core.add_entry(sim.operators[OVERCHARGING], sim.counters[OVERCHARGING], "complaint", text, name=citizen.name,
                                  mobile=citizen.mobile, at=moment)
        sim.book_entries += 1


async def _cancellations(sim: Sim, day: dt.date) -> None:
    from emitra.core import counter as counter_core
    from emitra.core.models import ServiceRequest
    from emitra.core.plugins import get_host

    booking = get_host().registry.get(CODES["bus"]).booking
    for request_id, code, tries in sim.tickets.pop(day, []):
        moment = sim.at(day, 18, 45, sim.rng.randint(0, 59))
        _set_now(moment)
        booking.today, booking.time_of_day = day, moment.time().replace(tzinfo=None)
        request = await ServiceRequest.get(id=request_id)
        try:
            await counter_core.cancel(sim.operators[code], sim.counters[code], request, "plans changed")
        except counter_core.CounterError as exc:
            if exc.field == "refund" and tries < 2:  # the drawer cannot pay the refund yet: the citizen comes back tomorrow
                sim.tickets.setdefault(day + dt.timedelta(days=1), []).append((request_id, code, tries + 1))
            else:
                sim.refused[f"cancel: {exc.field}"] = sim.refused.get(f"cancel: {exc.field}", 0) + 1
            continue
        sim.cancelled += 1
        await _stamp(sim, moment)


async def _close_days(sim: Sim, day: dt.date, active: set[str], short_plan: dict[str, int], day_ends: list[Any]) -> None:
    from emitra.core import dayend, ledger
    from emitra.core.money import format_paise

    if SHORT not in active and day in short_plan["days"]:
        short_plan["days"].add(day + dt.timedelta(days=1))  # closed today (nothing taken): short another day
    for code in sorted(active):
        counter = sim.counters[code]
        moment = sim.at(day, 19, 30)
        _set_now(moment)
        # every earlier day is closed: the drawer holds today's cash (and what was open before the run, taken after the month)
        expected = await ledger.balance(f"counter_cash:{code}") - sim.open_before[code]
        counted = expected
        if code == SHORT and short_plan.get("left", 0) > 0 and day in short_plan["days"] and counted > 0:
            short = min(counted, sim.rng.choice([5_000, 10_000, 20_000, 35_000, 50_000]))
            counted -= short
            short_plan["left"] -= 1
            sim.shortages.append({"date": day.isoformat(), "shortage_paise": short, "text": format_paise(short)})
        elif code == SHORT and short_plan.get("left", 0) > 0 and day in short_plan["days"]:
            short_plan["days"].add(day + dt.timedelta(days=1))  # nothing in the drawer today: short another day
        de = await dayend.close_day(sim.operators[code], counter, day, counted, now=moment)
        if de.expected_paise != expected:
            sim.mismatches.append(f"{code} {day}: the day end expected {de.expected_paise} paise, the drawer held {expected}")
        await _stamp(sim, moment)
        if de.deposit_paise > 0:
            day_ends.append(de)


async def _run_day(sim: Sim, day: dt.date, per_day: int, plans: dict[str, Any], day_ends: list[Any]) -> None:
    rng = sim.rng
    await _morning(sim, day, day_ends)
    await _take_steps(sim, day)
    active: set[str] = set()
    for code, place in sim.places.items():
        ajmer = code.startswith("AJ")
        n = _volume(sim, place, day, per_day, plans["factor"][code])
        if code == DORMANT:
            n = 1 if day in plans["dormant_days"] else 0
        if n == 0:
            continue
        mix = AJMER_MIX if ajmer else JAIPUR_MIX
        if place.kind == "lokmitra":
            mix = [(k, w * (2 if k in ("bus", "photocopy") else 1)) for k, w in mix]
        start = sim.at(day, 9, 30).timestamp()
        moments = sorted(rng.uniform(start, start + 9 * 3600) for _ in range(n))
        cheque_slot = rng.randrange(n) if place.kind == "lokmitra" and day.weekday() != 6 and n > 3 and rng.random() < 0.6 else -1
        for i, ts in enumerate(moments):
            moment = dt.datetime.fromtimestamp(int(ts), sim.tz)
            if i == cheque_slot:
                preset = rng.choice(AJMER_CHEQUE_BILLS if ajmer else CHEQUE_BILLS)
                kind = {"gov.rj.phed.water_bill": "phed", "pvt.lic.premium": "lic"}.get(preset[0], "jvvnl")
                request = await _transaction(sim, place, day, moment, kind, "cheque", preset)
            else:
                kind = _pick(rng, mix)[0]
                method = "upi" if place.kind == "lokmitra" and kind in UPI_KINDS and rng.random() < 0.08 else "cash"
                request = await _transaction(sim, place, day, moment, kind, method)
            if request is not None:
                active.add(code)
    await _take_steps(sim, day)  # what the day's work scheduled for later the same day
    await _cancellations(sim, day)
    await _close_days(sim, day, active, plans["short"], day_ends)
    if day in plans["complaint_days"] or day in plans["book_days"]:
        await _complaints(sim, day, day in plans["complaint_days"], day in plans["book_days"])
    from emitra.core import workflow

    moment = sim.at(day, 23, 30)
    _set_now(moment)
    await workflow.sweep(sim.users["system"], at=moment)


def _plans(sim: Sim, working: list[dt.date]) -> dict[str, Any]:
    rng = sim.rng
    factor = {}
    for code, place in sim.places.items():
        base = 1.3 if place.kind == "lokmitra" else rng.uniform(0.75, 1.05)
        factor[code] = base * (0.6 if code.startswith("AJ") else 1.0)
    weeks: dict[int, list[dt.date]] = {}
    for d in working:
        weeks.setdefault(d.isocalendar()[1], []).append(d)
    dormant_days = {d for days in weeks.values() for d in rng.sample(days, min(2, len(days)))}
    early = working[: max(4, len(working) - 3)]
    short_days = set(rng.sample(early, min(4, len(early))))
    complaint_days = set(rng.sample(working[2:], min(4, len(working) - 2)))
    book_days = set(rng.sample(working[2:], min(3, len(working) - 2)))
    return {"factor": factor, "dormant_days": dormant_days, "short": {"days": short_days, "left": 4},
            "complaint_days": complaint_days, "book_days": book_days}


# --- checks before anything is written ------------------------------------------------------------

async def loaded(month_start: dt.date) -> dict[str, Any] | None:
    """The record of this month's earlier load, if any."""
    from emitra.core.models import AuditLog

    for row in await AuditLog.filter(action=ACTION).order_by("id"):
        if (row.detail or {}).get("month") == f"{month_start:%Y-%m}":
            return {"at": row.at.isoformat(), **(row.detail or {})}
    return None


async def _refuse_unless_runnable(month_start: dt.date, counters: int) -> None:
    from tortoise.exceptions import OperationalError

    from emitra.core import clock
    from emitra.core.models import District, User

    try:
        jaipur = await District.get_or_none(code="JP")
    except OperationalError:
        raise DemoMonthError("The database has no tables yet: run `emitra db migrate`, then `emitra demo`, first.") from None
    if jaipur is None or not await User.exists(username="society"):
        raise DemoMonthError("The demo district JP is not loaded: run `emitra demo` first.")
    if not MIN_COUNTERS <= counters <= len(JAIPUR):
        raise DemoMonthError(f"--counters must be from {MIN_COUNTERS} to {len(JAIPUR)} (the Jaipur counters the demo knows); "
                             f"{counters} was given.")
    last = month_days(month_start)[-1]
    if last >= clock.today():
        raise DemoMonthError(f"{month_start:%B %Y} has not ended yet (today is {clock.today():%d-%m-%Y}); "
                             f"choose a month that has, e.g. --month {default_month():%Y-%m}.")


async def _refuse_closed_days(month_start: dt.date, counters: dict[str, Any]) -> None:
    from emitra.core import dayend
    from emitra.core.models import DayEnd

    for code, counter in sorted(counters.items()):
        later = await DayEnd.filter(counter_id=counter.id, business_date__gte=month_start).order_by("business_date").first()
        if later is not None:
            raise DemoMonthError(
                f"{code} already has a day end on {later.business_date:%d-%m-%Y}; days are closed in order, so {month_start:%B %Y} "
                "cannot be simulated there. Load months in order, and before running `emitra demo-week` for a later week "
                "(or load it on a fresh demo); or choose a later month.")
        open_day = await dayend.oldest_open_date(counter)
        if open_day is not None and open_day < month_start:
            raise DemoMonthError(f"{code} took cash on {open_day:%d-%m-%Y} and that day has no day end; close it first or choose an earlier month.")


# --- the run --------------------------------------------------------------------------------------

async def run(month_start: dt.date | None = None, counters: int = 12, per_counter_day: int = 40, seed: int = 7,
              progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Load the month that starts on ``month_start`` (default: the last complete one); see the module doc.

    Raises :class:`DemoMonthError` when it cannot be loaded (nothing is written then). A month
    already loaded is not loaded again: the result then says ``already_loaded``."""
    from emitra.core import audit, ledger, mis
    from emitra.core.models import User
    from emitra.core.plugins import get_host

    month_start = (month_start or default_month()).replace(day=1)
    if per_counter_day < 1:
        raise DemoMonthError(f"--per-day must be at least 1; {per_counter_day} was given.")
    await _refuse_unless_runnable(month_start, counters)
    earlier = await loaded(month_start)
    if earlier is not None:
        return {"already_loaded": True, "month": f"{month_start:%Y-%m}", "loaded": earlier, "ok": True}
    started = time.monotonic()
    places = JAIPUR[:counters] + AJMER
    from emitra.core.models import Counter

    await _refuse_closed_days(month_start, {c.code: c for c in await Counter.filter(code__in=[p.code for p in places])})
    world = await _ensure_district(places)
    sim_counters = {p.code: world["counters"][p.code] for p in places}

    usernames = {p.code: EXISTING_OPERATORS.get(p.code) or f"op-{p.code.lower()}" for p in places}
    users = {u.username: audit.Actor(u, via="cli") for u in await User.filter(
        username__in=[*usernames.values(), "society", "society_aj", "tehsildar", "registrar", "registrar_aj", "phed"])}
    users["web"] = audit.Actor(None, via="web")
    users["webhook"] = audit.Actor(None, via="webhook")
    users["system"] = audit.Actor(None, via="system")
    days = month_days(month_start)
    sim = Sim(rng=random.Random(seed), tz=ZoneInfo(config.timezone()), month=month_start, days=days,
              places={p.code: p for p in places}, counters=sim_counters,
              operators={code: users[name] for code, name in usernames.items()}, users=users,
              citizens=world["citizens"], tag=f"{month_start:%Y%m}")
    sim.ajmer_ids = {c.id for code, c in sim_counters.items() if code.startswith("AJ")}
    from emitra.core.models import LedgerEntry

    newest = await LedgerEntry.all().order_by("-id").limit(1).values_list("id", flat=True)
    sim.mark = newest[0] if newest else 0
    plans = _plans(sim, [d for d in days if d.weekday() != 6])
    for code in sim_counters:
        sim.open_before[code] = await ledger.balance(f"counter_cash:{code}")

    saved_env = {k: os.environ.get(k) for k in ("EMITRA_TODAY", "EMITRA_NOW")}
    booking = get_host().registry.get(CODES["bus"]).booking
    saved_bus = booking.today, booking.time_of_day
    day_ends: list[Any] = []
    try:
        for n, day in enumerate(days, 1):
            async with in_transaction():
                await _run_day(sim, day, per_counter_day, plans, day_ends)
            if progress is not None:
                progress(n, len(days))
    finally:
        booking.today, booking.time_of_day = saved_bus
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    differences = await mis.differences()
    check = await ledger.check()
    result = await _summary(sim, month_start, days, differences, check)
    result["mis_report"] = await _vetted_report(month_start, days[-1]) if not differences else None
    result["seconds"] = round(time.monotonic() - started, 1)
    result["parameters"] = {"counters": counters, "per_counter_day": per_counter_day, "seed": seed}
    await audit.record(audit.Actor(None, via="cli"), ACTION, None, district_id=world["districts"]["JP"].id,
                       detail={"month": f"{month_start:%Y-%m}", **result["parameters"], "transactions": result["transactions"],
                               "ok": result["ok"], "seconds": result["seconds"]})
    return result


async def _summary(sim: Sim, month_start: dt.date, days: list[dt.date], differences: list, check: dict[str, Any]) -> dict[str, Any]:
    from emitra.core.models import BookEntry, Case, DailyFigure, DayEnd

    first, last = days[0], days[-1]
    ids = {c.id: code for code, c in sim.counters.items()}
    rows = await (DailyFigure.filter(counter_id__in=list(ids), business_date__gte=first, business_date__lte=last)
                  .annotate(t=Sum("transactions"), c=Sum("cancelled"), total=Sum("citizen_total_paise"), principal=Sum("principal_paise"),
                            charge=Sum("service_charge_paise"))
                  .group_by("counter_id").values("counter_id", "t", "c", "total", "principal", "charge"))
    by_counter = {ids[r["counter_id"]]: r for r in rows}
    shortages = await (DayEnd.filter(counter_id__in=list(ids), business_date__gte=first, business_date__lte=last, difference_paise__lt=0)
                       .annotate(n=Count("id")).group_by("counter_id").values("counter_id", "n"))
    short_by = {ids[r["counter_id"]]: int(r["n"]) for r in shortages}
    day_ends = await DayEnd.filter(counter_id__in=list(ids), business_date__gte=first, business_date__lte=last).count()
    counters = []
    for code, place in sim.places.items():
        r = by_counter.get(code, {})
        counters.append({"code": code, "district": code[:2], "lsp": place.lsp, "kind": place.kind,
                         "transactions": int(r.get("t") or 0), "cancelled": int(r.get("c") or 0),
                         "citizen_total_paise": int(r.get("total") or 0), "principal_paise": int(r.get("principal") or 0),
                         "service_charge_paise": int(r.get("charge") or 0), "shortages": short_by.get(code, 0),
                         "recorded": sim.recorded.get(code, 0)})
    lo, hi = sim.at(first, 0), sim.at(last + dt.timedelta(days=1), 0)
    cases = Case.filter(created_at__gte=lo, created_at__lt=hi)
    states = await cases.annotate(n=Count("id")).group_by("kind", "state").values("kind", "state", "n")
    by_state: dict[str, dict[str, int]] = {}
    for r in states:
        by_state.setdefault(r["kind"], {})[r["state"]] = int(r["n"])
    over = sim.counters[OVERCHARGING]
    complaints = await Case.filter(service_code="emitra.counter_complaint", about_counter_id=over.id, created_at__gte=lo, created_at__lt=hi).count()
    book = await BookEntry.filter(counter_id=over.id, kind="complaint", created_at__gte=lo, created_at__lt=hi).count()
    total = lambda m: sum(c[m] for c in counters)  # noqa: E731
    by_district = {}
    for d in ("JP", "AJ"):
        of = [c for c in counters if c["district"] == d]
        by_district[d] = {"counters": len(of), "transactions": sum(c["transactions"] for c in of),
                          "citizen_total_paise": sum(c["citizen_total_paise"] for c in of)}
    ok = not differences and bool(check["balanced"]) and not sim.mismatches
    breached = await cases.filter(breached=True).annotate(n=Count("id")).group_by("service_code").values("service_code", "n")
    return {
        "already_loaded": False, "month": f"{month_start:%Y-%m}", "first_day": first.isoformat(), "last_day": last.isoformat(),
        "days": len(days), "counters": counters, "districts": by_district,
        "transactions": total("transactions"), "cancelled": total("cancelled"), "recorded": sum(sim.recorded.values()),
        "amounts": {"citizen_total_paise": total("citizen_total_paise"), "principal_paise": total("principal_paise"),
                    "service_charge_paise": total("service_charge_paise")},
        "cheques": dict(sim.cheque_outcomes), "upi": sim.upi, "tickets_cancelled": sim.cancelled, "day_ends": day_ends,
        "planted": {
            "dormant": {"counter": DORMANT, "transactions": by_counter.get(DORMANT, {}).get("t") or 0},
            "short": {"counter": SHORT, "shortages": sim.shortages},
            "overcharging": {"counter": OVERCHARGING, "complaints": complaints, "book_entries": book},
        },
        "applications": by_state,
        "breaches": sum(int(r["n"]) for r in breached),
        "breaches_by_service": {r["service_code"]: int(r["n"]) for r in sorted(breached, key=lambda r: r["service_code"])},
        "escalated": await cases.filter(level__gt=1).count(),
        "workflow_steps": sim.steps_taken,
        "refused": dict(sorted(sim.refused.items())),
        "mis_differences": differences[:20],
        "mismatches": sim.mismatches,
        "ledger": check,
        "ok": ok,
    }


async def _vetted_report(start: dt.date, end: dt.date) -> dict[str, Any]:
    """The demo LSP submits the month's MIS report and the Society vets it: a frozen report to look at."""
    from emitra.core import audit, vetting
    from emitra.core.models import LSP, MisReport, User

    lsp_user = await User.get(username="lsp")
    lsp = await LSP.get(id=lsp_user.lsp_id)
    report = await MisReport.filter(lsp_id=lsp.id, period_start=start, period_end=end).exclude(status="returned").first()
    if report is None:
        report = await vetting.submit(audit.Actor(lsp_user, via="cli"), lsp, start, end)
    if report.status == "submitted":
        report = await vetting.vet(audit.Actor(await User.get(username="society"), via="cli"), report,
                                   "Checked against the day-end deposits and the bank statement.")
    return {"id": report.id, "lsp": lsp.name, "status": report.status, "sha256": report.sha256}


def summary_text(result: dict[str, Any]) -> str:
    """The summary for a person (``emitra demo-month`` without ``--json``)."""
    from emitra.core.money import format_paise

    if result.get("already_loaded"):
        info = result.get("loaded", {})
        return (f"demo month {result['month']}: already loaded (at {info.get('at', '?')}, {info.get('transactions', '?')} transactions); "
                "nothing was added.")
    a = result["amounts"]
    out = [f"demo month {result['month']} ({result['first_day']} to {result['last_day']}): {'OK' if result['ok'] else 'CHECKS FAILED'}"
           f" in {result['seconds']} s",
           f"  {result['transactions']} transactions ({result['cancelled']} cancelled) at {len(result['counters'])} counters, "
           f"citizens paid {format_paise(a['citizen_total_paise'])} (service charges {format_paise(a['service_charge_paise'])})",
           f"  {'counter':<11}{'district':<9}{'transactions':>13}{'amount':>16}{'short':>7}"]
    for c in result["counters"]:
        out.append(f"  {c['code']:<11}{c['district']:<9}{c['transactions']:>13}{format_paise(c['citizen_total_paise']):>16}{c['shortages']:>7}")
    p = result["planted"]
    out.append(f"  dormant: {p['dormant']['counter']} ({p['dormant']['transactions']} transactions in the month)")
    out.append(f"  short at day end: {p['short']['counter']} on " + ", ".join(f"{s['date']} ({s['text']})" for s in p['short']['shortages']))
    out.append(f"  overcharging: {p['overcharging']['counter']} ({p['overcharging']['complaints']} complaints online, "
               f"{p['overcharging']['book_entries']} in its complaint book)")
    out.append(f"  cheques cleared {result['cheques']['cleared']}, bounced {result['cheques']['bounced']}; UPI {result['upi']}; "
               f"bus tickets cancelled {result['tickets_cancelled']}; day ends {result['day_ends']}")
    for kind, states in sorted(result["applications"].items()):
        out.append(f"  {kind}s: " + ", ".join(f"{s} {n}" for s, n in sorted(states.items())))
    out.append(f"  SLA breaches {result['breaches']} (" + ", ".join(f"{k} {v}" for k, v in result["breaches_by_service"].items())
               + f"), escalated {result['escalated']}")
    if result["refused"]:
        out.append("  refused by the core (left out): " + "; ".join(f"{k} ×{v}" for k, v in result["refused"].items()))
    out += [f"  MISMATCH {m}" for m in result["mismatches"]]
    out.append(f"  MIS figures equal a recount: {'yes' if not result['mis_differences'] else 'NO'}")
    lc = result["ledger"]
    out.append(f"  ledger: {'balanced' if lc['balanced'] else 'NOT BALANCED'}, {lc['entries']} entries, imbalance {lc['imbalance_paise']} paise")
    if result.get("mis_report"):
        r = result["mis_report"]
        out.append(f"  MIS report #{r['id']} of {r['lsp']} for the month: {r['status']} by the Society (frozen, sha256 {r['sha256'][:12]}…)")
    out += [f"    {p}" for p in lc["problems"]]
    return "\n".join(out)
