"""Government levies paid at the counter: the urban development tax (नगरीय विकास कर) of the Jaipur
Municipal Corporation, and land revenue (भू-राजस्व) of the Revenue Department.

Both are levies: the service charge (Table 2: Rs 3.95) is paid by the department, not the
citizen. The department systems are sandboxes (:mod:`~emitra.plugins.government.levies_sandbox`,
:mod:`~emitra.plugins.government.land_records_sandbox`).
"""

from __future__ import annotations

from typing import Any

from emitra.core import Category, Domain, FeeRule, FieldError, Payer, Quote, QuoteContext, Service, Workflow, hookimpl, kit
from emitra.plugins.government import land_records_sandbox as land
from emitra.plugins.government.levies_sandbox import ASSESSMENT_YEARS, AlreadyPaid, NotAssessed, UdTaxSandbox, UnknownProperty
from emitra.plugins.government.revenue import MOBILE, PROVIDER as REVENUE_DEPARTMENT, PROVIDER_HI as REVENUE_DEPARTMENT_HI, khasra_not_found, khasra_property, village_property

JMC = "Jaipur Municipal Corporation (Nagar Nigam Jaipur)"
JMC_HI = "नगर निगम जयपुर"


def _rupees(paise: int) -> str:
    return f"₹{paise // 100:,}.{paise % 100:02d}"


# --- urban development tax -----------------------------------------------------------------------

UD_TAX_FORM: dict[str, Any] = {
    "type": "object",
    "title": "Urban development tax",
    "x-title-hi": "नगरीय विकास कर",
    "properties": {
        "property_id": {
            "type": "string",
            "title": "Property ID",
            "x-title-hi": "संपत्ति आईडी",
            "description": "Zone letters and 8 digits, as on the UD tax notice, e.g. MN00004217",
            "x-description-hi": "ज़ोन के अक्षर और 8 अंक, जैसा नगरीय विकास कर नोटिस पर है, जैसे MN00004217",
            "pattern": r"^[A-Z]{2}[0-9]{8}$",
            "x-error-en": "Property ID is 2 capital letters (the zone) and 8 digits, e.g. MN00004217.",
            "x-error-hi": "संपत्ति आईडी 2 बड़े अंग्रेज़ी अक्षर (ज़ोन) और 8 अंक है, जैसे MN00004217।",
        },
        "assessment_year": {
            "type": "string",
            "title": "Assessment year",
            "x-title-hi": "कर निर्धारण वर्ष",
            "enum": ASSESSMENT_YEARS,
            "x-enum-labels": [f"{y} (April {y[:4]} – March 20{y[-2:]})" for y in ASSESSMENT_YEARS],
            "x-enum-labels-hi": [f"{y} (अप्रैल {y[:4]} – मार्च 20{y[-2:]})" for y in ASSESSMENT_YEARS],
        },
        "mobile": MOBILE,
    },
    "required": ["property_id", "assessment_year"],
    "additionalProperties": False,
}


class UrbanDevelopmentTax(Service):
    def __init__(self, system: UdTaxSandbox):
        super().__init__(
            code="gov.rj.jmc.ud_tax",
            title_en="Urban development tax – Jaipur Municipal Corporation",
            title_hi="नगरीय विकास कर – नगर निगम जयपुर",
            provider=JMC,
            provider_hi=JMC_HI,
            domain=Domain.GOVERNMENT,
            category=Category.LEVY,
            form=UD_TAX_FORM,
            fee=FeeRule(payer=Payer.DEPARTMENT),
            workflow=Workflow.PAYMENT,
            description_en="Pay the urban development tax on a property for one assessment year. No charge to the citizen.",
            description_hi="किसी संपत्ति का एक कर निर्धारण वर्ष का नगरीय विकास कर जमा करें। नागरिक से कोई शुल्क नहीं।",
            example={"property_id": "MN00004217", "assessment_year": "2025-26"},
        )
        self.system = system

    async def quote(self, data: dict[str, Any], ctx: QuoteContext) -> Quote:
        pid, year = data["property_id"], data["assessment_year"]
        due = await kit.look_up(self.system.due(pid, year), {
            UnknownProperty: FieldError(
                "property_id",
                f"The corporation has no property with ID {pid}. Check the ID on the UD tax notice.",
                f"निगम में आईडी {pid} की कोई संपत्ति नहीं है। नगरीय विकास कर नोटिस पर लिखी आईडी जाँचें।"),
            NotAssessed: FieldError(
                "assessment_year",
                f"Property {pid} was not assessed to UD tax for {year}; nothing is due for that year.",
                f"संपत्ति {pid} पर वर्ष {year} का नगरीय विकास कर निर्धारित नहीं है; उस वर्ष का कुछ देय नहीं है।"),
            AlreadyPaid: FieldError(
                "assessment_year",
                f"The UD tax of property {pid} for {year} is already paid.",
                f"संपत्ति {pid} का वर्ष {year} का नगरीय विकास कर पहले ही जमा है।"),
        })
        prop = due.property
        details = [
            {"label_en": "Owner", "label_hi": "स्वामी", "value": prop.owner},
            {"label_en": "Property", "label_hi": "संपत्ति", "value": f"{prop.property_id}, {prop.address}"},
            {"label_en": "Zone", "label_hi": "ज़ोन", "value": prop.zone, "value_hi": prop.zone_hi},
            {"label_en": "Use / plot area", "label_hi": "उपयोग / भूखंड क्षेत्रफल", "value": f"{prop.usage}, {prop.plot_sq_yd} sq yd",
             "value_hi": f"{prop.usage_hi}, {prop.plot_sq_yd} वर्ग गज"},
            {"label_en": "Assessment year", "label_hi": "कर निर्धारण वर्ष", "value": due.year},
            {"label_en": "UD tax", "label_hi": "नगरीय विकास कर", "value": _rupees(due.tax_paise)},
        ]
        if due.penalty_paise:
            details.append({"label_en": "Penalty (arrears)", "label_hi": "शास्ति (बकाया)", "value": _rupees(due.penalty_paise)})
        return Quote(principal_paise=due.total_paise, reference=f"{pid}/{year}", details=details)

    async def submit(self, request_id: int, data: dict[str, Any], quote: Quote) -> str:
        return await self.system.post_payment(data["property_id"], data["assessment_year"], quote.principal_paise, f"emitra-{request_id}")


# --- land revenue --------------------------------------------------------------------------------

LAND_REVENUE_FORM: dict[str, Any] = {
    "type": "object",
    "title": "Land revenue",
    "x-title-hi": "भू-राजस्व",
    "properties": {
        "village": village_property(),
        "khasra_no": khasra_property(),
        "mobile": MOBILE,
    },
    "required": ["village", "khasra_no"],
    "additionalProperties": False,
}


class LandRevenue(Service):
    def __init__(self, records: land.LandRecordsSandbox):
        super().__init__(
            code="gov.rj.revenue.land_revenue",
            title_en="Land revenue (lagan) – Revenue Department",
            title_hi="भू-राजस्व (लगान) – राजस्व विभाग",
            provider=REVENUE_DEPARTMENT,
            provider_hi=REVENUE_DEPARTMENT_HI,
            domain=Domain.GOVERNMENT,
            category=Category.LEVY,
            form=LAND_REVENUE_FORM,
            fee=FeeRule(payer=Payer.DEPARTMENT),
            workflow=Workflow.PAYMENT,
            description_en=f"Pay the land revenue due on a khasra for {land.REVENUE_YEAR}. No charge to the citizen.",
            description_hi=f"किसी खसरे पर {land.REVENUE_YEAR} का देय भू-राजस्व जमा करें। नागरिक से कोई शुल्क नहीं।",
            example={"village": "phagi", "khasra_no": "602"},
        )
        self.records = records

    async def quote(self, data: dict[str, Any], ctx: QuoteContext) -> Quote:
        village, khasra = data["village"], data["khasra_no"]
        record = await kit.look_up(self.records.land_revenue_due(village, khasra), {
            land.UnknownKhasra: khasra_not_found(village, khasra),
            land.NothingDue: FieldError(
                "khasra_no",
                f"No land revenue is due on khasra {khasra} for {land.REVENUE_YEAR}: it is paid or the land is not assessed.",
                f"खसरा {khasra} पर {land.REVENUE_YEAR} का कोई भू-राजस्व देय नहीं है: जमा हो चुका है या भूमि पर निर्धारण नहीं है।"),
        })
        v_en, v_hi, t_en, t_hi = land.VILLAGES[village]
        return Quote(
            principal_paise=record.land_revenue_paise,
            reference=f"{v_en} / khasra {record.khasra}",
            details=[
                {"label_en": "Village / tehsil", "label_hi": "गाँव / तहसील", "value": f"{v_en} / {t_en}", "value_hi": f"{v_hi} / {t_hi}"},
                {"label_en": "Khata / khasra", "label_hi": "खाता / खसरा", "value": f"{record.khata} / {record.khasra}"},
                {"label_en": "Owners", "label_hi": "खातेदार", "value": "; ".join(record.owners), "value_hi": "; ".join(record.owners_hi)},
                {"label_en": "Area", "label_hi": "क्षेत्रफल", "value": record.area_text, "value_hi": record.area_text_hi},
                {"label_en": "Revenue year", "label_hi": "राजस्व वर्ष", "value": land.REVENUE_YEAR},
            ],
        )

    async def submit(self, request_id: int, data: dict[str, Any], quote: Quote) -> str:
        return await self.records.post_land_revenue(data["village"], data["khasra_no"], quote.principal_paise, f"emitra-{request_id}")


@hookimpl
def emitra_register_services(register):
    register(UrbanDevelopmentTax(UdTaxSandbox()))
    register(LandRevenue(land.LandRecordsSandbox()))
