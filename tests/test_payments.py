"""Payments: methods as plugins, the service charge split, prepaid wallets, pending payments."""

import asyncio
import datetime as dt
import types

import pytest

from emitra.core import counter as counter_core
from emitra.core import hookimpl, ledger, payments
from emitra.core.audit import Actor
from emitra.core.models import LSP, Citizen, Counter, Payment, RequestStatus, ServiceRequest, User, Wallet
from emitra.core.plugins import PluginHost, get_host, set_host

pytestmark = pytest.mark.anyio
BILL, K = "gov.rj.jvvnl.bill", "210412345678"  # ₹1,483.50 due; Rs 3.95 paid by JVVNL


async def _ctx(username="operator1"):
    user = await User.get(username=username)
    return Actor(user), await Counter.get(id=user.counter_id), await Citizen.get(name="Ramesh Kumar Sharma")


def test_the_service_charge_split_always_adds_up():
    c = types.SimpleNamespace(lsp_id=1, code="JP-JM-001", split_lsp_bp=3000, split_owner_bp=5000, split_society_bp=2000)
    for fee in (0, 1, 395, 500, 1000, 12345):
        shares = payments.fee_shares(c, fee)
        assert sum(p for _, p in shares) == fee
    assert payments.fee_shares(c, 395) == [("lsp_fee_payable:1", 119), ("owner_fee_payable:JP-JM-001", 197), ("society_fee_income", 79)]


async def test_a_kiosks_split_is_posted_and_shown(demo_db):
    actor, _, citizen = await _ctx("operator2")
    kiosk = await Counter.get(code="JP-JM-001")
    kiosk.split_lsp_bp, kiosk.split_owner_bp, kiosk.split_society_bp = 3000, 5000, 2000
    await kiosk.save()
    await counter_core.record_cash(actor, kiosk, citizen, BILL, {"k_number": K}, "split-1")
    assert await ledger.balance("owner_fee_payable:JP-JM-001") == -197
    assert await ledger.balance(f"lsp_fee_payable:{kiosk.lsp_id}") == -119
    assert await ledger.balance("society_fee_income") == -79
    assert (await ledger.check())["balanced"]


async def _fund(counter, paise):
    """A top-up as the books record it: the Society's bank receives it, the wallet owes it to the kiosk."""
    await Wallet.create(district_id=counter.district_id, counter=counter, balance_paise=paise)
    await ledger.post(counter.district_id, f"topup:{counter.code}:1", "top-up", [ledger.debit("society_bank", paise), ledger.credit(f"kiosk_wallet:{counter.code}", paise)])


async def test_a_prepaid_wallet_pays_for_the_transaction_and_never_goes_below_zero(demo_db):
    actor, counter, citizen = await _ctx()
    lsp = await LSP.get(id=counter.lsp_id)
    lsp.mode = "prepaid"
    await lsp.save()
    await _fund(counter, 200_000)  # ₹2,000
    req = await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, "w-1")
    assert (await Wallet.get(counter=counter)).balance_paise == 200_000 - 148_350
    assert await ledger.balance("kiosk_wallet:JP-LM-001") == -(200_000 - 148_350)  # the Society owes the kiosk what is left
    assert await ledger.balance("counter_cash:JP-LM-001") == 0  # the kiosk's own cash is not in the Society's books
    with pytest.raises(counter_core.WalletShort, match="Top up the wallet"):
        await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, "w-2")
    assert await ServiceRequest.filter(idempotency_key="w-2").count() == 0  # nothing half-written
    assert (await Wallet.get(counter=counter)).balance_paise == 51_650
    assert req.status == RequestStatus.SUBMITTED
    assert (await ledger.check())["balanced"]  # the wallet row and the ledger agree


async def test_concurrent_debits_never_overdraw_the_wallet(demo_db):
    actor, counter, citizen = await _ctx()
    lsp = await LSP.get(id=counter.lsp_id)
    lsp.mode = "prepaid"
    await lsp.save()
    await _fund(counter, 300_000)  # room for two bills, not three

    async def pay(i):
        try:
            await counter_core.record_cash(actor, counter, citizen, BILL, {"k_number": K}, f"c-{i}")
            return True
        except counter_core.WalletShort:
            return False

    results = await asyncio.gather(*(pay(i) for i in range(5)))
    assert results.count(True) == 2
    assert (await Wallet.get(counter=counter)).balance_paise == 300_000 - 2 * 148_350
    assert (await ledger.check())["balanced"]


async def test_a_pending_method_registered_by_hook_confirms_and_fails_exactly_once(demo_db):
    module = types.SimpleNamespace()

    def register_methods(register):
        register(payments.PaymentMethod(code="voucher", title_en="Voucher", title_hi="वाउचर", immediate=False, post_on_start=True))

    module.emitra_register_payment_methods = hookimpl(register_methods)
    previous = get_host()
    set_host(PluginHost(extra_plugins=[("voucher", module)]))
    try:
        payments_by_code = payments.methods()
        assert "voucher" in payments_by_code and payments_by_code["voucher"].plugin == "voucher"
        actor, counter, citizen = await _ctx()
        payments_by_code["voucher"].collection_account = lambda c: f"vouchers_in_clearing:{c.code}"
        a = await counter_core.record_payment(actor, counter, citizen, BILL, {"k_number": K}, "v-1", "voucher")
        assert a.status == RequestStatus.PAYMENT_PENDING and await ledger.balance("vouchers_in_clearing:JP-LM-001") == 148_350
        pay_a = await Payment.get(request=a)
        cleared_at = dt.datetime(2025, 11, 25, 15, 30, tzinfo=dt.timezone.utc)  # when the bank cleared it, not now
        await counter_core.confirm_payment(actor, pay_a, "bank", "evt-1", at=cleared_at)
        await counter_core.confirm_payment(actor, pay_a, "bank", "evt-1")  # a repeated event changes nothing
        assert (await Payment.get(id=pay_a.id)).confirmed_at == cleared_at
        assert (await ServiceRequest.get(id=a.id)).status == RequestStatus.SUBMITTED
        assert await ledger.balance("society_bank") == 148_350 and await ledger.balance("vouchers_in_clearing:JP-LM-001") == 0
        b = await counter_core.record_payment(actor, counter, citizen, BILL, {"k_number": "210412345679"}, "v-2", "voucher")
        pay_b = await Payment.get(request=b)
        await counter_core.fail_payment(actor, pay_b, "insufficient funds", "bank", "evt-2")
        await counter_core.confirm_payment(actor, pay_b, "bank", "evt-3")  # too late: it bounced
        assert (await ServiceRequest.get(id=b.id)).status == RequestStatus.PAYMENT_FAILED
        assert (await Payment.get(id=pay_b.id)).status == "failed"
        assert await ledger.balance("dept_payable:jaipur-vidyut-vitran-nigam-ltd-jvvnl") == -148_350  # only the first bill is owed
        assert (await ledger.check())["balanced"]
    finally:
        set_host(previous)


def test_the_receipt_shows_the_exact_split(web):
    async def setup():
        kiosk = await Counter.get(code="JP-JM-001")
        kiosk.split_lsp_bp, kiosk.split_owner_bp, kiosk.split_society_bp = 3000, 5000, 2000
        await kiosk.save()
        return (await Citizen.get(name="Ramesh Kumar Sharma")).emitra_id

    eid = web.run(setup)
    web.login("operator2")
    h = web.api_token("operator2")
    r = web.post("/api/v1/transactions", headers=h, json={"citizen": eid, "service_code": BILL, "form": {"k_number": K},
                                                          "payment": {"method": "cash", "amount_paise": 148350}, "idempotency_key": "split-r"})
    page = web.get(f"/receipts/{r.json()['receipt_no']}").text
    assert "of which to the LSP" in page and "₹1.19" in page and "₹1.97" in page and "₹0.79" in page


async def test_ledger_check_catches_a_wallet_that_disagrees_with_the_books(demo_db):
    _, counter, _ = await _ctx()
    await Wallet.create(district_id=counter.district_id, counter=counter, balance_paise=5_000)  # no top-up posted
    result = await ledger.check()
    assert not result["balanced"] and "wallet of JP-LM-001" in result["problems"][0]
