"""A deterministic stand-in for the Revenue Department's land records (Apna Khata / DILRMP) in a
few villages of Jaipur district.

It answers what the real system answers for a khasra (field survey) number in a village: the
jamabandi (record of rights) entry with its owners and area, and the land revenue (lagan) due for
the current revenue year. Used by the jamabandi copy (``revenue``) and the land revenue levy
(``levies``). No network, no randomness; acknowledgements are a hash of our reference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from emitra.core import kit

#: the revenue year the sandbox bills land revenue for (fixed: no wall clock)
REVENUE_YEAR = "2026-27"
#: the jamabandi in force (prepared every four years, dated in Vikram Samvat)
JAMABANDI_SAMVAT = "2079-2082"

# village code -> (village, village in Hindi, tehsil, tehsil in Hindi)
VILLAGES: dict[str, tuple[str, str, str, str]] = {
    "sanganer": ("Sanganer", "सांगानेर", "Sanganer", "सांगानेर"),
    "bassi": ("Bassi", "बस्सी", "Bassi", "बस्सी"),
    "chomu": ("Chomu", "चौमूं", "Chomu", "चौमूं"),
    "amer": ("Amer", "आमेर", "Amer", "आमेर"),
    "phagi": ("Phagi", "फागी", "Phagi", "फागी"),
    "chaksu": ("Chaksu", "चाकसू", "Chaksu", "चाकसू"),
    "jamwa_ramgarh": ("Jamwa Ramgarh", "जमवारामगढ़", "Jamwa Ramgarh", "जमवारामगढ़"),
}


@dataclass(frozen=True)
class LandRecord:
    village: str
    khasra: str
    khata: str
    owners: tuple[str, ...]
    area_sq_m: int
    land_class: str  # as entered in the jamabandi
    land_class_hi: str  # the same in Hindi, as the Hindi jamabandi enters it
    land_revenue_paise: int  # lagan due for REVENUE_YEAR; 0 when paid

    @property
    def area_text(self) -> str:
        """Area in hectares, 4 decimals, computed in whole square metres (no float)."""
        return f"{self.area_sq_m // 10000}.{self.area_sq_m % 10000:04d} ha"

    @property
    def area_text_hi(self) -> str:
        return self.area_text.replace(" ha", " हेक्टेयर")

    @property
    def owners_hi(self) -> tuple[str, ...]:
        """The owners as the Hindi jamabandi writes them: a person's name as it is, the relation in
        Hindi ("s/o": पुत्र, "w/o": पत्नी), an office by its Hindi name."""
        return tuple(_OWNERS_HI.get(owner) or _RELATION.sub(lambda m: _RELATIONS_HI[m[0]], owner) for owner in self.owners)


# the land classes (bhoomi kism) of the jamabandi, in English and Hindi
BARANI = ("Barani (rain-fed)", "बारानी (वर्षा आधारित)")
CHAHI = ("Chahi (well-irrigated)", "चाही (कुएँ से सिंचित)")
NEHRI = ("Nehri (canal-irrigated)", "नहरी (नहर से सिंचित)")
GAIR_MUMKIN = ("Gair mumkin (non-agricultural)", "गैर मुमकिन (अकृषि)")

# an owner's relation as the jamabandi writes it ("Geeta Meena w/o Ram Sahay Meena"), and in Hindi
_RELATIONS_HI = {" s/o ": " पुत्र ", " w/o ": " पत्नी ", " d/o ": " पुत्री "}
_RELATION = re.compile("|".join(_RELATIONS_HI))
# owners that are offices, by their Hindi names
_OWNERS_HI = {"Jaipur Development Authority (acquired)": "जयपुर विकास प्राधिकरण (अवाप्त)"}


class UnknownKhasra(LookupError):
    pass


class NothingDue(LookupError):
    pass


# (village, khasra) -> (khata, owners, area in m², land class (English, Hindi), land revenue due in paise)
_RECORDS: dict[tuple[str, str], tuple[str, tuple[str, ...], int, tuple[str, str], int]] = {
    ("sanganer", "112"): ("45", ("Ramesh Kumar Sharma s/o Prabhu Dayal Sharma",), 6300, BARANI, 12_750),
    ("sanganer", "245/1"): ("118", ("Mangi Lal Saini s/o Gopal Saini", "Kamla Devi Saini w/o Mangi Lal Saini"), 12650, CHAHI, 25_300),
    ("sanganer", "530"): ("202", ("Jaipur Development Authority (acquired)",), 40470, GAIR_MUMKIN, 0),
    ("bassi", "78/2"): ("31", ("Geeta Meena w/o Ram Sahay Meena",), 9870, BARANI, 8_600),
    ("bassi", "1023"): ("87", ("Hanuman Sahay Meena s/o Chhotu Ram Meena", "Ram Sahay Meena s/o Chhotu Ram Meena"), 25300, CHAHI, 41_200),
    ("chomu", "9"): ("5", ("Sunita Devi w/o Jagdish Prasad Kumawat",), 4047, BARANI, 5_150),
    ("chomu", "367/4"): ("142", ("Bhagirath Singh Shekhawat s/o Sawai Singh Shekhawat",), 31620, NEHRI, 56_900),
    ("amer", "1450"): ("260", ("Mohammed Iqbal s/o Abdul Gaffar", "Shabana Bano w/o Mohammed Iqbal"), 5060, BARANI, 9_450),
    ("amer", "88/1"): ("19", ("Kailash Chand Gurjar s/o Bhoma Ram Gurjar",), 15180, CHAHI, 19_800),
    ("phagi", "602"): ("77", ("Nathu Lal Jat s/o Bhairu Ram Jat", "Santosh Jat w/o Nathu Lal Jat", "Ramkishan Jat s/o Nathu Lal Jat"), 50590, BARANI, 33_700),
    ("phagi", "17/3"): ("8", ("Lakshmi Narayan Bairwa s/o Gheesa Lal Bairwa",), 7590, BARANI, 6_250),
    ("chaksu", "311"): ("64", ("Prem Devi Yadav w/o Suresh Yadav",), 20240, CHAHI, 22_400),
    ("jamwa_ramgarh", "1200/2"): ("190", ("Bhanwar Lal Meena s/o Ladu Ram Meena",), 11130, BARANI, 10_350),
}


class LandRecordsSandbox:
    async def record(self, village: str, khasra: str) -> LandRecord:
        try:
            khata, owners, area, land_class, due = _RECORDS[(village, khasra.strip())]
        except KeyError:
            raise UnknownKhasra(khasra) from None
        return LandRecord(village, khasra.strip(), khata, owners, area, *land_class, due)

    async def land_revenue_due(self, village: str, khasra: str) -> LandRecord:
        record = await self.record(village, khasra)
        if record.land_revenue_paise == 0:
            raise NothingDue(khasra)
        return record

    async def post_land_revenue(self, village: str, khasra: str, amount_paise: int, our_reference: str) -> str:
        """Acknowledge a land revenue payment: a tehsil receipt number, the same for the same reference."""
        return kit.acknowledgement(f"LR-{village[:3].upper()}-", "lagan", village, khasra, amount_paise, our_reference,
                                   digits=8, hex_digits=10)

    async def request_copy(self, village: str, khasra: str, our_reference: str) -> str:
        """Register a request for a certified copy of the jamabandi; return the tehsil's application number."""
        return kit.acknowledgement(f"JB-{village[:3].upper()}-", "jamabandi", village, khasra, our_reference, digits=8, hex_digits=10)
