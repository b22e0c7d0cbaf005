"""The fee schedule: Table 2 defaults, state and Society overrides, never above the published rate."""

import pytest

from emitra.core import Category, Domain, FeeRule, Payer, Service, fees
from emitra.core.audit import Actor
from emitra.core.models import AuditLog, District, User
from emitra.core.plugins import get_host

pytestmark = pytest.mark.anyio

APPLICATION = Service(code="test.caste.application", title_en="Caste certificate", title_hi="जाति प्रमाण पत्र", provider="Revenue",
                      domain=Domain.GOVERNMENT, category=Category.APPLICATION, form={"type": "object", "properties": {}},
                      fee=FeeRule(payer=Payer.CITIZEN))
GRIEVANCE = Service(code="test.grievance", title_en="Grievance", title_hi="शिकायत", provider="District",
                    domain=Domain.GOVERNMENT, category=Category.GRIEVANCE, form={"type": "object", "properties": {}},
                    fee=FeeRule(payer=Payer.CITIZEN))


def test_table_2_is_the_default():
    bill = get_host().registry.get("gov.rj.jvvnl.bill")
    assert fees.default_rate(bill) == fees.Rate(395, Payer.DEPARTMENT, "table2")
    assert fees.default_rate(GRIEVANCE) == fees.Rate(500, Payer.CITIZEN, "table2")
    assert fees.default_rate(APPLICATION) == fees.Rate(1000, Payer.CITIZEN, "table2")


async def test_state_then_society_override_and_the_society_cannot_raise_a_citizen_fee(demo_db):
    state, society = Actor(await User.get(username="state")), Actor(await User.get(username="society"))
    jaipur = await District.get(code="JP")
    await fees.set_override(state, APPLICATION, 1500, None)
    assert (await fees.published_rate(APPLICATION, jaipur.id)).fee_paise == 1500
    await fees.set_override(society, APPLICATION, 800, jaipur.id)
    assert await fees.published_rate(APPLICATION, jaipur.id) == fees.Rate(800, Payer.CITIZEN, "district")
    with pytest.raises(fees.FeeError, match="may lower it, not raise it"):
        await fees.set_override(society, APPLICATION, 1600, jaipur.id)
    # the state lowers its rate below the district's: the citizen pays the lower
    await fees.set_override(state, APPLICATION, 600, None)
    assert (await fees.published_rate(APPLICATION, jaipur.id)).fee_paise == 600
    actions = await AuditLog.filter(action="fee.override").values_list("detail", flat=True)
    assert [d["after_paise"] for d in actions] == [1500, 800, 600]


async def test_only_fee_setters_in_their_own_scope(demo_db):
    jaipur = await District.get(code="JP")
    with pytest.raises(fees.FeeError, match="only the state admin or a Society admin"):
        await fees.set_override(Actor(await User.get(username="lsp")), APPLICATION, 100, jaipur.id)
    with pytest.raises(fees.FeeError, match="own district"):
        await fees.set_override(Actor(await User.get(username="society")), APPLICATION, 100, None)
    with pytest.raises(fees.FeeError, match="non-negative"):
        await fees.set_override(Actor(await User.get(username="state")), APPLICATION, -1, None)
