"""A deterministic stand-in for an insurance partner's policy system (micro-insurance sold at counters).

Fixed products, each with the sums assured it offers, the ages it covers and a premium table by
age band; a policy number derived from a hash of the proposal and our reference, so the same
request always gets the same policy. "Today" (for the insured's age and the cover period) is the
counters' date (``kit.today()``: India time, ``EMITRA_TODAY`` when set), or the ``today``
attribute when a test sets it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from emitra.core import kit

PARTNER = "Marudhar General Insurance Co. Ltd"
PARTNER_HI = "मरुधर जनरल इंश्योरेंस कंपनी लि."

# age bands: (lowest age, highest age), both inclusive
BANDS: list[tuple[int, int]] = [(18, 35), (36, 50), (51, 70)]


@dataclass(frozen=True)
class Product:
    code: str
    title_en: str
    title_hi: str
    prefix: str  # of the policy number
    min_age: int
    max_age: int
    #: sum assured in rupees -> annual premium in paise per age band (None: band not covered)
    premiums: dict[int, tuple[int | None, int | None, int | None]]


PRODUCTS: dict[str, Product] = {
    p.code: p
    for p in [
        Product("accident", "Personal accident cover (1 year)", "व्यक्तिगत दुर्घटना बीमा (1 वर्ष)", "PA", 18, 70,
                {100000: (1200, 1200, 1500), 200000: (2000, 2000, 2500)}),
        Product("health", "Health micro-insurance (1 year)", "स्वास्थ्य सूक्ष्म बीमा (1 वर्ष)", "HM", 18, 65,
                {100000: (180000, 260000, 420000), 200000: (290000, 410000, 650000), 300000: (380000, 540000, 860000)}),
        Product("term_life", "Term life micro-cover (1 year)", "टर्म जीवन सूक्ष्म बीमा (1 वर्ष)", "TL", 18, 50,
                {200000: (43600, 90000, None), 500000: (95000, 210000, None)}),
    ]
}

SUMS_ASSURED = sorted({s for p in PRODUCTS.values() for s in p.premiums})


class InsuranceError(ValueError):
    """Refused by the insurer; ``field`` is the form field at fault, ``en``/``hi`` say why."""

    def __init__(self, field_name: str, en: str, hi: str):
        super().__init__(f"{field_name}: {en}")
        self.field = field_name
        self.en = en
        self.hi = hi


@dataclass(frozen=True)
class Proposal:
    product: Product
    sum_assured_rupees: int
    insured_name: str
    date_of_birth: dt.date
    age: int
    premium_paise: int
    cover_from: dt.date
    cover_to: dt.date
    proposal_no: str


def rupees(amount: int) -> str:
    """100000 -> '₹1,00,000' (Indian grouping, whole rupees)."""
    digits = str(amount)
    if len(digits) > 3:
        head, tail = digits[:-3], digits[-3:]
        groups = []
        while len(head) > 2:
            groups.insert(0, head[-2:])
            head = head[:-2]
        if head:
            groups.insert(0, head)
        digits = ",".join(groups + [tail])
    return f"₹{digits}"


def age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _digest(*parts: object) -> int:
    return kit.stable_int(*parts, sep="|", hex_digits=16)


class InsuranceSandbox:
    def __init__(self, today: dt.date | None = None):
        self.today = today  # None: the counters' date (kit.today()), read at every call

    def day(self) -> dt.date:
        """Today at the counters, or the date a test fixed."""
        return self.today or kit.today()

    def propose(self, product_code: str, sum_assured: int, insured_name: str, date_of_birth: dt.date) -> Proposal:
        product = PRODUCTS[product_code]
        today = self.day()
        if sum_assured not in product.premiums:
            offered = ", ".join(rupees(s) for s in product.premiums)
            raise InsuranceError("sum_assured", f"{product.title_en} is sold for a sum assured of {offered} only.",
                                 f"{product.title_hi} केवल {offered} की बीमा राशि के लिए उपलब्ध है।")
        if date_of_birth > today:
            raise InsuranceError("date_of_birth", "The date of birth is in the future.", "जन्म तिथि भविष्य की है।")
        age = age_on(date_of_birth, today)
        if not product.min_age <= age <= product.max_age:
            raise InsuranceError(
                "date_of_birth",
                f"{product.title_en} covers people aged {product.min_age} to {product.max_age}; the insured is {age}.",
                f"{product.title_hi} {product.min_age} से {product.max_age} वर्ष की आयु के लोगों के लिए है; बीमित व्यक्ति की आयु {age} वर्ष है।",
            )
        band = next(i for i, (lo, hi) in enumerate(BANDS) if lo <= age <= hi)
        premium = product.premiums[sum_assured][band]
        if premium is None:  # the product's age limits exclude this band already; kept as a guard
            raise InsuranceError("date_of_birth", f"{product.title_en} is not sold at age {age}.",
                                 f"{product.title_hi} {age} वर्ष की आयु पर उपलब्ध नहीं है।")
        cover_to = today.replace(year=today.year + 1) if (today.month, today.day) != (2, 29) \
            else dt.date(today.year + 1, 2, 28)
        h = _digest("proposal", product.code, sum_assured, insured_name.strip().lower(), date_of_birth.isoformat(), today.isoformat())
        return Proposal(product, sum_assured, insured_name.strip(), date_of_birth, age, premium, today,
                        cover_to - dt.timedelta(days=1), f"PRP{h % 10**9:09d}")

    def issue(self, proposal_no: str, premium_paise: int, our_reference: str, product_code: str) -> str:
        """Issue the policy; the same proposal and reference always get the same policy number."""
        product = PRODUCTS[product_code]
        h = _digest("policy", proposal_no, premium_paise, our_reference)
        return f"MGI-{product.prefix}-{self.day().year}-{h % 10**8:08d}"
