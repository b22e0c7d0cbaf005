"""The database tables. Every row that belongs to a place carries its district (a natural shard).

Every model sets ``_no_comments = True``: otherwise tortoise reads and parses this whole file once
per model, looking for ``#:`` field comments we do not use, which took most of the start-up time
(bench/startup.py; docs/performance.md). Field descriptions go in ``description=``.
"""

from __future__ import annotations

import enum

from tortoise import fields
from tortoise.models import Model

from emitra.core import names


class Role(str, enum.Enum):
    STATE_ADMIN = "state_admin"
    SOCIETY_ADMIN = "society_admin"
    LSP_ADMIN = "lsp_admin"
    OPERATOR = "operator"
    DEPARTMENT_OFFICER = "department_officer"
    CITIZEN = "citizen"


class CounterKind(str, enum.Enum):
    LOKMITRA = "lokmitra"  # urban centre run by the LSP
    JANMITRA = "janmitra"  # rural kiosk run by an entrepreneur the LSP authorises


class District(Model):

    _no_comments = True  # (start-up time: see the module docstring)
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=2, unique=True, description="Two letters, prefix of e-Mitra IDs")
    name_en = fields.CharField(max_length=100)
    name_hi = fields.CharField(max_length=100)

    class Meta:
        table = "district"


class Society(Model):
    """The district e-Mitra Society: owner of the money and the rules in its district."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    district = fields.OneToOneField("models.District", related_name="society")
    name = fields.CharField(max_length=200)
    bank_account = fields.CharField(max_length=40, default="")
    nodal_officer_email = fields.CharField(max_length=200, default="", description="Receives the weekly complaint book digest")

    class Meta:
        table = "society"


class LSP(Model):
    """A Local Service Provider appointed by the Society."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name="lsps")
    name = fields.CharField(max_length=200)
    active = fields.BooleanField(default=True)
    mode = fields.CharField(max_length=10, default="postpaid", description="postpaid (cash deposited at day end) or prepaid (wallet)")

    class Meta:
        table = "lsp"


class Counter(Model):

    _no_comments = True  # (start-up time: see the module docstring)
    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name="counters")
    lsp = fields.ForeignKeyField("models.LSP", related_name="counters")
    code = fields.CharField(max_length=20, unique=True)
    name = fields.CharField(max_length=200)
    #: the same name in Hindi (Devanagari) for Hindi pages, receipts and messages; "" shows ``name``
    name_hi = fields.CharField(max_length=200, default="", db_default="")
    kind = fields.CharEnumField(CounterKind, max_length=10)
    owner_name = fields.CharField(max_length=200, description="The LSP, or the authorised kiosk owner")
    address = fields.CharField(max_length=300, default="")
    active = fields.BooleanField(default=True)
    # Who gets the service charge earned here, in basis points that add up to 10000
    split_lsp_bp = fields.IntField(default=10000)
    split_owner_bp = fields.IntField(default=0, description="The authorised kiosk owner")
    split_society_bp = fields.IntField(default=0)

    class Meta:
        table = "counter"


class CounterService(Model):
    """A service an LSP has enabled at one of its counters."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name=False)
    counter = fields.ForeignKeyField("models.Counter", related_name="services")
    service_code = fields.CharField(max_length=100)
    enabled = fields.BooleanField(default=True)

    class Meta:
        table = "counter_service"
        unique_together = (("counter", "service_code"),)


class User(Model):

    _no_comments = True  # (start-up time: see the module docstring)
    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=60, unique=True)
    password_hash = fields.CharField(max_length=200)
    full_name = fields.CharField(max_length=200)
    #: the name and post in Hindi (Devanagari), shown on Hindi pages: "तहसीलदार, राजस्व विभाग"; "" shows ``full_name``
    full_name_hi = fields.CharField(max_length=200, default="", db_default="")
    role = fields.CharEnumField(Role, max_length=24)
    district = fields.ForeignKeyField("models.District", related_name="users", null=True)
    lsp = fields.ForeignKeyField("models.LSP", related_name="users", null=True)
    counter = fields.ForeignKeyField("models.Counter", related_name="operators", null=True)
    department = fields.CharField(max_length=100, default="", description="Provider name, for officers")
    level = fields.IntField(default=1, description="Officer level: 1 desk officer, 2 the next officer up, and so on")
    email = fields.CharField(max_length=200, default="", description="Where escalations and digests are sent")
    citizen = fields.ForeignKeyField("models.Citizen", related_name=False, null=True)
    active = fields.BooleanField(default=True)
    lang = fields.CharField(max_length=5, default="en")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "app_user"


class Citizen(Model):
    # name_key and name_sound are worked out from name on every save (see save below; core/names.py):
    # the likely-duplicate check and the counter's search match by them. QuerySet.update(name=...)
    # and bulk_create do not save: change a name with save. (No docstring: tortoise would take it
    # as the table's description, a schema change.)

    _no_comments = True  # (start-up time: see the module docstring)
    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name="citizens")
    emitra_id = fields.CharField(max_length=16, unique=True, null=True)
    name = fields.CharField(max_length=200)
    name_key = fields.CharField(max_length=200, db_index=True, description="Normalised name for matching")
    name_sound = fields.CharField(max_length=200, default="", db_default="",
                                  description="Phonetic key of the name, the same in Devanagari and Latin letters")
    date_of_birth = fields.DateField()
    gender = fields.CharField(max_length=1, default="")
    mobile = fields.CharField(max_length=10, db_index=True)
    address = fields.CharField(max_length=300, default="")
    aadhaar_masked = fields.CharField(max_length=14, default="")
    aadhaar_hash = fields.CharField(max_length=64, null=True, unique=True)
    registered_at = fields.ForeignKeyField("models.Counter", related_name=False, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "citizen"

    async def save(self, using_db=None, update_fields=None, force_create=False, force_update=False) -> None:
        self.name_key, self.name_sound = names.name_key(self.name), names.name_sound(self.name)
        if update_fields is not None and "name" in update_fields:
            update_fields = [*update_fields, "name_key", "name_sound"]
        await super().save(using_db=using_db, update_fields=update_fields, force_create=force_create, force_update=force_update)


class FeeOverride(Model):
    """A rate set by the state (district null) or a district Society for one service."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    service_code = fields.CharField(max_length=100)
    district = fields.ForeignKeyField("models.District", related_name=False, null=True)
    fee_paise = fields.IntField()
    set_by = fields.CharField(max_length=60, default="", description="Username (the audit log has the rest)")
    set_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "fee_override"
        unique_together = (("service_code", "district"),)


class RequestStatus(str, enum.Enum):
    PAID = "paid"  # recorded and paid; not yet handed to the department or partner
    SUBMITTED = "submitted"  # handed over; the department's reference is stored
    SUBMISSION_FAILED = "submission_failed"  # paid, hand-over failed; retried by the back office
    CANCELLED = "cancelled"  # cancelled after payment (a booking); the refund is in the ledger
    PAYMENT_PENDING = "payment_pending"  # a cheque in clearing, a card or UPI payment not yet confirmed
    PAYMENT_FAILED = "payment_failed"  # bounced or declined: everything it posted is reversed


class ServiceRequest(Model):
    """One service taken at a counter: what was asked, what was charged, and to whom."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name=False, on_delete=fields.RESTRICT)
    receipt_no = fields.CharField(max_length=24, unique=True, null=True)
    idempotency_key = fields.CharField(max_length=64, unique=True)
    counter = fields.ForeignKeyField("models.Counter", related_name="requests", on_delete=fields.RESTRICT)
    operator = fields.ForeignKeyField("models.User", related_name=False, on_delete=fields.RESTRICT)
    citizen = fields.ForeignKeyField("models.Citizen", related_name="requests", on_delete=fields.RESTRICT)
    service_code = fields.CharField(max_length=100, db_index=True)
    service_title_en = fields.CharField(max_length=200)
    service_title_hi = fields.CharField(max_length=200)
    provider = fields.CharField(max_length=200)
    form_data = fields.JSONField()
    quote_details = fields.JSONField(default=list)
    reference = fields.CharField(max_length=100, default="")
    principal_paise = fields.BigIntField()
    service_charge_paise = fields.BigIntField()
    charge_payer = fields.CharField(max_length=12)
    citizen_total_paise = fields.BigIntField()
    status = fields.CharEnumField(RequestStatus, max_length=20, default=RequestStatus.PAID)
    department_ref = fields.CharField(max_length=100, default="")
    business_date = fields.DateField(null=True, db_index=True, description="The counter's business day it was recorded on")
    # "en" or "hi": the language of every message to the citizen about this request, chosen when served;
    # "" for a request recorded before it was asked (its messages keep their former language; decision 99)
    message_lang = fields.CharField(max_length=2, default="", db_default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "service_request"
        # a counter's latest requests (its page), a citizen's (their portal, the counter's history of them)
        indexes = (("counter_id", "id"), ("citizen_id", "id"))


class Payment(Model):

    _no_comments = True  # (start-up time: see the module docstring)
    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name=False, on_delete=fields.RESTRICT)
    request = fields.ForeignKeyField("models.ServiceRequest", related_name="payments", on_delete=fields.RESTRICT)
    method = fields.CharField(max_length=20)
    amount_paise = fields.BigIntField()
    tendered_paise = fields.BigIntField(default=0, description="Cash handed over by the citizen")
    status = fields.CharField(max_length=20, default="received", description="received, pending, cleared, bounced, failed, refunded")
    reference = fields.CharField(max_length=100, default="", db_index=True, description="Cheque number, UPI or card reference")
    details = fields.JSONField(default=dict)
    confirmed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    settled_at = fields.DatetimeField(null=True, description=(
        "An escrow payment closed for settlement: its shares paid out, or none to pay (reversed, not citizen-paid). "
        "NULL while open, and for payments outside escrow"))

    class Meta:
        table = "payment"
        # a request's payments (receipts, settlement, reconciliation); a method's payments still open for
        # settlement in id order (method = ? AND settled_at IS NULL AND id > ?): a run pages through what is open, not all history
        indexes = (("request_id",), ("method", "settled_at", "id"))


class LedgerEntry(Model):
    """A balanced journal entry: never edited, corrected only by a reversing entry."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name=False, on_delete=fields.RESTRICT)
    idempotency_key = fields.CharField(max_length=100, unique=True)
    memo = fields.CharField(max_length=300)
    request = fields.ForeignKeyField("models.ServiceRequest", related_name="entries", null=True, on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField(auto_now_add=True)
    # what its postings move of the accounts the weekly reconciliation reads, written with it
    # (core/entry_figures.py, decision 164); NULL on an entry written before migration 0040
    bank_paise = fields.BigIntField(null=True)
    card_paise = fields.BigIntField(null=True)
    fee_paise = fields.BigIntField(null=True)
    touches = fields.IntField(null=True)

    class Meta:
        table = "ledger_entry"
        indexes = (("created_at",), ("request_id",))  # a day's or a week's entries; a request's entries


class SettlementItem(Model):
    """One payment whose shares a settlement payout paid to its LSP (decision 68): a run pays each
    LSP once per escrow (one entry, ``settle:<reference>``), and this row names each request it
    covered, once (the unique request), with the amount and whether it was settled late. The
    entry and its items are written in one transaction."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    entry = fields.ForeignKeyField("models.LedgerEntry", related_name="settled_items", on_delete=fields.RESTRICT)
    request = fields.OneToOneField("models.ServiceRequest", related_name="settlement_item", on_delete=fields.RESTRICT)
    receipt_no = fields.CharField(max_length=24)
    amount_paise = fields.BigIntField()
    confirmed_at = fields.DatetimeField()
    late = fields.BooleanField(default=False)

    class Meta:
        table = "settlement_item"
        indexes = (("entry_id",),)  # a payout's receipts


class Posting(Model):
    """One line of an entry: ``amount_paise`` is positive for a debit, negative for a credit."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    entry = fields.ForeignKeyField("models.LedgerEntry", related_name="postings", on_delete=fields.RESTRICT)
    district = fields.ForeignKeyField("models.District", related_name=False, on_delete=fields.RESTRICT)
    account = fields.CharField(max_length=100)
    amount_paise = fields.BigIntField()

    class Meta:
        table = "posting"
        # an entry's postings (every join from entries to amounts); an account's postings, in entry
        # order (a balance, and a range of the account's postings by entry id: decision 38)
        indexes = (("entry_id",), ("account", "entry_id"))


class DrawerTotal(Model):
    """What a counter's cash drawer took in a half hour, and what its entries credited to each share
    the counter keeps back: a stored sum of the postings, kept as they are written (decision 124,
    core/drawer_totals), which a day end reads instead of every posting of the day."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name=False, on_delete=fields.RESTRICT)
    drawer = fields.CharField(max_length=100)  # counter_cash:<code>
    since = fields.DatetimeField()  # the half hour's start, UTC
    account = fields.CharField(max_length=100)  # the drawer itself, or a share kept back
    total_paise = fields.BigIntField()
    postings = fields.IntField()

    class Meta:
        table = "drawer_total"
        unique_together = (("drawer", "since", "account", "district"),)


class AuditLog(Model):
    """Every change of state: who, when, what, from which counter."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True)
    district = fields.ForeignKeyField("models.District", related_name=False, null=True, on_delete=fields.RESTRICT)
    actor = fields.ForeignKeyField("models.User", related_name=False, null=True, on_delete=fields.RESTRICT)
    actor_name = fields.CharField(max_length=60, default="")
    counter = fields.ForeignKeyField("models.Counter", related_name=False, null=True, on_delete=fields.RESTRICT)
    action = fields.CharField(max_length=60, db_index=True)
    object_type = fields.CharField(max_length=40, default="")
    object_id = fields.CharField(max_length=60, default="")
    detail = fields.JSONField(default=dict)
    ip = fields.CharField(max_length=45, default="")
    # The hash chain (core/audit.py): SHA-256 of the previous entry's hash and this entry's content.
    prev_hash = fields.CharField(max_length=64, default="", db_default="")  # db_default: rows from before 0008
    hash = fields.CharField(max_length=64, default="", db_default="")

    class Meta:
        table = "audit_log"


class AuditHead(Model):
    """The end of the audit hash chain: one row, locked by every writer so entries chain in order.

    It also makes deleting the newest entries detectable: the head remembers the last hash.
    """

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    last_id = fields.IntField(default=0)
    last_hash = fields.CharField(max_length=64, default="")
    entries = fields.BigIntField(default=0)

    class Meta:
        table = "audit_head"


class LoginThrottle(Model):
    """Failed log-ins counted per username and per client address, shared by every worker process."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=120, unique=True)  # "user:<username>" or "ip:<address>"
    failures = fields.IntField(default=0)
    window_start = fields.DatetimeField()
    locked_until = fields.DatetimeField(null=True)

    class Meta:
        table = "login_throttle"


class WebSession(Model):
    """A logged-in browser session. The signed cookie carries a random id, and only its SHA-256 is stored.

    A new id is issued at every log-in (so an id planted before log-in is worthless: no session
    fixation), and log-out, deactivation or a password change end the session on the server too.
    """

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.CharField(max_length=64, primary_key=True)  # sha256 hex of the session id
    user = fields.ForeignKeyField("models.User", related_name=False, on_delete=fields.CASCADE)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_seen_at = fields.DatetimeField(auto_now_add=True)
    ended_at = fields.DatetimeField(null=True)
    ip = fields.CharField(max_length=45, default="")
    user_agent = fields.CharField(max_length=200, default="")

    class Meta:
        table = "web_session"


class CitizenCode(Model):
    """A one-time code sent by SMS to sign a citizen in with their mobile (core/citizen_login.py).

    The code itself is never stored: only a keyed hash of it (HMAC with the secret key and a random
    salt), so a copy of the table opens nothing. A code is used once, and ends after a few minutes or
    when a newer one is sent. A mobile no one is registered with gets a row too, with neither the
    number, nor a hash, nor a message: it opens nothing, and is there so that asking for such a
    mobile does the same work as for a registered one (decision 137)."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    mobile_key = fields.CharField(max_length=64, db_index=True, description="Keyed hash of the mobile, as the sign-in session holds it")
    mobile = fields.CharField(max_length=10, description="The registered mobile the code was sent to")
    code_hash = fields.CharField(max_length=100, description="salt$HMAC-SHA256 of the code")
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True, description="Signed in with it, or ended by a newer code or a lock")
    notification = fields.ForeignKeyField("models.Notification", related_name=False, null=True, on_delete=fields.SET_NULL)
    ip = fields.CharField(max_length=45, default="")

    class Meta:
        table = "citizen_code"


class LspPrice(Model):
    """An LSP's own published price per unit for a counter service (photocopy, fax, internet time)."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name=False)
    lsp = fields.ForeignKeyField("models.LSP", related_name="prices")
    service_code = fields.CharField(max_length=100)
    unit_price_paise = fields.IntField()
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "lsp_price"
        unique_together = (("lsp", "service_code"),)


class Document(Model):
    """A scanned document uploaded with a service form, stored outside the web root."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    public_id = fields.CharField(max_length=32, unique=True)
    district = fields.ForeignKeyField("models.District", related_name=False)
    counter = fields.ForeignKeyField("models.Counter", related_name=False)
    uploaded_by = fields.ForeignKeyField("models.User", related_name=False)
    service_code = fields.CharField(max_length=100)
    field = fields.CharField(max_length=100)
    content_type = fields.CharField(max_length=40)
    size_bytes = fields.IntField()
    sha256 = fields.CharField(max_length=64)
    original_name = fields.CharField(max_length=200, default="")
    #: while it is not attached: the hash of the session and the form it was uploaded in (a scan held
    #: for a refused form, decision 149); None for a scan uploaded through the API
    held_for = fields.CharField(max_length=64, null=True)
    request = fields.ForeignKeyField("models.ServiceRequest", related_name="documents", null=True, on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "document"
        # the held scans not attached, by age (documents.sweep_held, with every counter form) and by form
        # (documents.release_form): without it each read the whole table of every scan ever uploaded
        indexes = (("request_id", "held_for", "created_at"),)


class PolicyRule(Model):
    """A district Society's own policy rule (the files hold the state's and the Union's)."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name=False)
    rule_id = fields.CharField(max_length=64)
    citation = fields.CharField(max_length=500)
    decision = fields.CharField(max_length=12)
    effective_from = fields.DateField()
    effective_to = fields.DateField(null=True)
    match = fields.JSONField(default=dict)
    created_by = fields.CharField(max_length=60, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "policy_rule"
        unique_together = (("district", "rule_id"),)


class PolicyApproval(Model):
    """The Society's recorded approval of a restricted service for one LSP."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name=False)
    lsp = fields.ForeignKeyField("models.LSP", related_name="policy_approvals")
    service_code = fields.CharField(max_length=100)
    rule_id = fields.CharField(max_length=64)
    note = fields.CharField(max_length=500, default="")
    approved_by = fields.CharField(max_length=60)
    approved_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)
    revoked_by = fields.CharField(max_length=60, default="")

    class Meta:
        table = "policy_approval"


class DistrictHoliday(Model):
    """A local holiday of a district, kept by its Society: not a working day there.

    The Collector declares it for the district and the Society's offices close, so an owed UPI
    refund's working days leave it out (core/holidays.py, decision 109); the state-wide holidays
    stay in ``EMITRA_HOLIDAYS``."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name=False, on_delete=fields.RESTRICT)
    date = fields.DateField(description="The holiday's date")
    name = fields.CharField(max_length=100, description="As the Collector's order names it, e.g. Pushkar Mela")
    created_by = fields.CharField(max_length=60, default="", description="Username (the audit log has the rest)")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "district_holiday"
        unique_together = (("district", "date"),)  # one a day; a district's dates: the unique index's first column


class Wallet(Model):

    _no_comments = True  # (start-up time: see the module docstring)
    # A prepaid counter's wallet. The balance is also in the ledger (kiosk_wallet:<counter>):
    # the row exists so a debit is one conditional UPDATE that never overdraws, even when two
    # requests arrive at the same moment. `emitra ledger check` compares the two.

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name=False)
    counter = fields.OneToOneField("models.Counter", related_name="wallet")
    balance_paise = fields.BigIntField(default=0)

    class Meta:
        table = "wallet"


class DayEnd(Model):
    """A counter's cash closed for one business day, and the Society's confirmation of the deposit."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name=False)
    counter = fields.ForeignKeyField("models.Counter", related_name="day_ends", on_delete=fields.RESTRICT)
    business_date = fields.DateField()
    expected_paise = fields.BigIntField()
    counted_paise = fields.BigIntField()
    retained_paise = fields.BigIntField(description="The LSP's share of the service charges, kept back")
    deposit_paise = fields.BigIntField()
    difference_paise = fields.BigIntField(description="Counted minus expected: negative is a shortage")
    slip_no = fields.CharField(max_length=40, unique=True)
    status = fields.CharField(max_length=12, default="closed", description="closed, confirmed or flagged")
    closed_by = fields.CharField(max_length=60)
    closed_at = fields.DatetimeField(auto_now_add=True)
    confirmed_by = fields.CharField(max_length=60, default="")
    confirmed_at = fields.DatetimeField(null=True)
    bank_reference = fields.CharField(max_length=100, default="")  # in capitals, no spaces: core/money.bank_reference (0022)
    note = fields.CharField(max_length=500, default="")
    note_hi = fields.CharField(max_length=500, default="", db_default="", description="The same note in Hindi (empty for a day end closed before 0020)")

    class Meta:
        table = "day_end"
        unique_together = (("counter", "business_date"),)
        # a bank reference confirms one slip: the confirmation looks for another slip of the district with it
        indexes = (("district_id", "bank_reference"),)

    @property
    def nothing_to_deposit(self) -> bool:
        """Nothing was left to take to the bank (an empty drawer, or only what the counter keeps): the
        slip is never confirmed, and is not awaited either."""
        return self.deposit_paise <= 0

    @property
    def awaiting_deposit(self) -> bool:
        return self.confirmed_at is None and self.deposit_paise > 0


class ProcessedEvent(Model):
    """A payment provider's event (a Stripe webhook, a bank or UPI confirmation) already processed, once."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    provider = fields.CharField(max_length=20)
    event_id = fields.CharField(max_length=100)
    kind = fields.CharField(max_length=60)
    processed_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "processed_event"
        unique_together = (("provider", "event_id"),)


class StatementImport(Model):
    """A bank statement (CSV) or a payment provider's balance report, imported whole or not at all."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name=False)
    source = fields.CharField(max_length=20, description="bank or stripe")
    filename = fields.CharField(max_length=200, default="")
    sha256 = fields.CharField(max_length=64)  # of the file as uploaded
    content_sha256 = fields.CharField(max_length=64, null=True,
                                      description="Of its lines as read (date, amount, reference, description): the same statement saved again")
    period_start = fields.DateField(null=True)
    period_end = fields.DateField(null=True)
    lines = fields.IntField(default=0)
    imported_by = fields.CharField(max_length=60)
    imported_at = fields.DatetimeField(auto_now_add=True)
    # withdrawn (core/statement_withdraw.py, decision 89): its lines deleted, its hashes kept in the
    # audit record and cleared here, so that the right file, or this one again, can be imported
    withdrawn_at = fields.DatetimeField(null=True)
    withdrawn_by = fields.CharField(max_length=60, default="", db_default="")
    withdrawn_reason = fields.CharField(max_length=300, default="", db_default="")

    class Meta:
        table = "statement_import"
        unique_together = (("district", "sha256"), ("district", "content_sha256"))


class StatementLine(Model):

    _no_comments = True  # (start-up time: see the module docstring)
    id = fields.IntField(primary_key=True)
    statement = fields.ForeignKeyField("models.StatementImport", related_name="rows")
    line_no = fields.IntField()
    value_date = fields.DateField()
    amount_paise = fields.BigIntField(description="Credit positive, debit negative")
    reference = fields.CharField(max_length=100, default="", db_index=True)
    description = fields.CharField(max_length=300, default="")
    balance_paise = fields.BigIntField(null=True, description="The bank's running balance after the line, when the statement gives it")
    matched_kind = fields.CharField(max_length=20, default="", description="deposit, settlement, remittance, card ...")
    matched_id = fields.CharField(max_length=60, default="")

    class Meta:
        table = "statement_line"
        # a period's lines (every run reads and marks a week's): not a read of every line ever imported;
        # the lines that took a ledger item (a run leaves out the items another period's lines took)
        indexes = (("value_date",), ("matched_id",))


class StatementEntry(Model):
    """A ledger entry a Stripe import vouches for: a payout or a fee its transactions move
    (core/reconcile._post_stripe), with whether the import posted it itself (``posted``) or found
    it in the books already (a payout booked by hand, or an entry another import posted). Kept when
    the import is withdrawn: withdrawing reverses an entry that an import posted and no import
    still imported vouches for (core/statement_withdraw.py, decision 98)."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    statement = fields.ForeignKeyField("models.StatementImport", related_name=False, on_delete=fields.RESTRICT)
    entry = fields.ForeignKeyField("models.LedgerEntry", related_name=False, on_delete=fields.RESTRICT)
    posted = fields.BooleanField()

    class Meta:
        table = "statement_entry"
        unique_together = (("statement", "entry"),)  # (an import's entries: the unique index's first column)
        indexes = (("entry_id",),)  # the imports that vouch for an entry


class BalanceCheckpoint(Model):
    """Every account's balance in a district at a moment, as a recorded reconciliation found it: the
    next week's opening balances start from it instead of summing the books' whole history
    (core/reconcile.roll_forward, decision 37). ``entries`` and ``id_sum`` describe the entries it
    covers (every district's created before ``as_of`` with ids up to ``through_id``; since migration
    0039 only the ids above ``window_from``, the last LATE_IDS: an entry committed late): when they no
    longer match, or the books' rewrite count (core/ledger_rewrites.py) is no longer ``rewrites``, an
    entry was added, re-dated or edited behind it, and the history is read again (decision 159)."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name=False)
    as_of = fields.DatetimeField()
    through_id = fields.BigIntField()
    entries = fields.BigIntField()
    id_sum = fields.BigIntField()
    balances = fields.JSONField()  # account -> balance in paise
    created_at = fields.DatetimeField(auto_now_add=True)
    rewrites = fields.BigIntField(null=True)  # the books' rewrite count when taken; NULL before migration 0039
    window_from = fields.BigIntField(null=True)  # entries and id_sum count the ids above it only; NULL: every id

    class Meta:
        table = "balance_checkpoint"
        indexes = (("district_id", "as_of"),)


class ReconciliationSnapshot(Model):
    """A weekly reconciliation report as it was computed (the page's, or a recorded run's), kept so
    that the Society's page shows it again at once while nothing it was computed from has changed
    (core/reconcile_saved.py, decision 39). ``report`` holds the summary and the first findings of
    each kind; the CSV download recomputes every one. ``through_entry_id``, ``through_import_id`` and
    ``day_ends`` describe what it read: a ledger entry of the window, a statement import or a day end
    beyond them makes it stale."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name=False)
    period_start = fields.DateField()
    period_end = fields.DateField()
    computed_at = fields.DatetimeField()
    recorded = fields.BooleanField(default=False)
    recorded_by = fields.CharField(max_length=60, default="")
    through_entry_id = fields.BigIntField()
    through_import_id = fields.BigIntField()
    day_ends = fields.CharField(max_length=200)  # a digest of the district's day ends the report could read
    report = fields.JSONField()

    class Meta:
        table = "reconciliation_snapshot"
        indexes = (("district_id", "period_start", "recorded"),)


class Dispatch(Model):
    """A day's bundle of paper documents sent from a counter to one department, and its acknowledgement."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name=False)
    counter = fields.ForeignKeyField("models.Counter", related_name="dispatches", on_delete=fields.RESTRICT)
    department = fields.CharField(max_length=200, db_index=True)
    number = fields.CharField(max_length=60, unique=True)
    business_date = fields.DateField()
    items = fields.JSONField(default=list, description="Receipt, service, applicant and paper documents per case")
    created_by = fields.ForeignKeyField("models.User", related_name=False, on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField(auto_now_add=True)
    acknowledged_by = fields.ForeignKeyField("models.User", related_name=False, null=True, on_delete=fields.RESTRICT)
    acknowledged_at = fields.DatetimeField(null=True)
    ack_note = fields.CharField(max_length=500, default="", description="What arrived short or damaged")

    class Meta:
        table = "dispatch"


class Case(Model):
    """An application or a grievance on its way through a department (or the Society).

    ``number`` is the receipt number for one filed at a counter, a grievance number for one filed
    online. ``state`` follows the service's declared process (core/workflow.py).
    """

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=30, unique=True)
    district = fields.ForeignKeyField("models.District", related_name=False, on_delete=fields.RESTRICT)
    kind = fields.CharField(max_length=12, description="application or grievance")
    request = fields.OneToOneField("models.ServiceRequest", related_name="case", null=True, on_delete=fields.RESTRICT)
    counter = fields.ForeignKeyField("models.Counter", related_name=False, null=True, on_delete=fields.RESTRICT,
                                     description="Where it was filed and where the deliverable is collected")
    about_counter = fields.ForeignKeyField("models.Counter", related_name=False, null=True, on_delete=fields.RESTRICT,
                                           description="A complaint about this counter")
    # The counter of the request's payment, where the case was filed: kept when the case moves (its
    # ``counter`` does). None without a request (an online grievance). Decision 101; its copy here, decision 110.
    # (A copy of the request's counter id, not a foreign key: a counter is never deleted, and on SQLite a
    # column in a foreign key cannot be dropped in place when the migration is reversed.)
    filed_counter_id = fields.IntField(null=True)
    service_code = fields.CharField(max_length=100, db_index=True)
    title_en = fields.CharField(max_length=200)
    title_hi = fields.CharField(max_length=200)
    desk = fields.CharField(max_length=12, default="department", description="department or society")
    department = fields.CharField(max_length=200, db_index=True)
    channel = fields.CharField(max_length=10, default="counter", description="counter or online")
    state = fields.CharField(max_length=30, db_index=True)
    state_since = fields.DatetimeField()
    state_due_at = fields.DatetimeField(null=True)
    due_at = fields.DatetimeField(null=True, description="The overall SLA")
    level = fields.IntField(default=1, description="Raised by one at each escalation")
    breached = fields.BooleanField(default=False)
    escalated_at = fields.DatetimeField(null=True)
    applicant_name = fields.CharField(max_length=200, default="")
    mobile = fields.CharField(max_length=10, default="", description="For tracking and messages, never shown in full")
    email = fields.CharField(max_length=200, default="")
    lang = fields.CharField(max_length=5, default="hi")
    subject = fields.CharField(max_length=200, default="")
    body = fields.TextField(default="")
    paper_documents = fields.JSONField(default=list)
    dispatch = fields.ForeignKeyField("models.Dispatch", related_name="cases", null=True, on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField()
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "work_case"
        # The MIS case figures (core/reports.case_figures) read open cases and those filed or closed
        # in the period from these alone, never from the table's wide rows: each holds every column
        # they filter on, group by or count (covering indexes; their first two columns serve the rest).
        # (A counter's or an LSP's "filed" counts a case where it was filed and paid, ``filed_counter``:
        # a moved case's ``counter`` is where it is now, decisions 101 and 110.)
        indexes = (("district_id", "closed_at", "department", "service_code", "kind", "breached", "level", "counter_id",
                    "about_counter_id"),
                   ("district_id", "created_at", "department", "service_code", "counter_id", "about_counter_id",
                    "filed_counter_id"))


class CaseEvent(Model):
    """One step of a case: a transition or a remark, with who, when and why."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    case = fields.ForeignKeyField("models.Case", related_name="events", on_delete=fields.RESTRICT)
    action = fields.CharField(max_length=40)
    from_state = fields.CharField(max_length=30, default="")
    to_state = fields.CharField(max_length=30, default="")
    actor = fields.ForeignKeyField("models.User", related_name=False, null=True, on_delete=fields.RESTRICT)
    actor_name = fields.CharField(max_length=200, default="")
    actor_role = fields.CharField(max_length=24, default="")
    remark = fields.TextField(default="")
    remark_hi = fields.TextField(default="", db_default="", description="The platform's remark in Hindi (empty: as written)")
    public = fields.BooleanField(default=True, description="Shown to the citizen when tracking")
    created_at = fields.DatetimeField()

    class Meta:
        table = "case_event"


class Certificate(Model):
    """A certificate issued for a case: verifiable by its QR code until revoked."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name=False, on_delete=fields.RESTRICT)
    case = fields.OneToOneField("models.Case", related_name="certificate", on_delete=fields.RESTRICT)
    number = fields.CharField(max_length=40, unique=True)
    token = fields.CharField(max_length=40, unique=True, description="In the QR code and the public verification address")
    service_code = fields.CharField(max_length=100)
    title_en = fields.CharField(max_length=200)
    title_hi = fields.CharField(max_length=200)
    holder_name = fields.CharField(max_length=200)
    rows = fields.JSONField(default=list)
    sha256 = fields.CharField(max_length=64, description="Of the certified content")
    issued_by = fields.ForeignKeyField("models.User", related_name=False, null=True, on_delete=fields.RESTRICT)
    issued_by_name = fields.CharField(max_length=200, default="")
    issued_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    revoked_reason = fields.CharField(max_length=500, default="")

    class Meta:
        table = "certificate"


class Notification(Model):
    """A message in the outbox: kept here, and sent by a transport plugin when one is installed."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name=False, null=True, on_delete=fields.RESTRICT)
    case = fields.ForeignKeyField("models.Case", related_name="notifications", null=True, on_delete=fields.RESTRICT)
    event = fields.CharField(max_length=40)
    channel = fields.CharField(max_length=10, description="sms or email")
    recipient = fields.CharField(max_length=200)
    lang = fields.CharField(max_length=5, default="hi")
    subject = fields.CharField(max_length=200, default="")
    body_en = fields.TextField()
    body_hi = fields.TextField()
    status = fields.CharField(max_length=10, default="queued", description="queued, sent, kept or failed")
    transport = fields.CharField(max_length=60, default="")
    attempts = fields.IntField(default=0)
    error = fields.CharField(max_length=300, default="")
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notification"


class BookEntry(Model):
    """A line in a LokMitra centre's complaint and suggestion book."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name=False, on_delete=fields.RESTRICT)
    counter = fields.ForeignKeyField("models.Counter", related_name="book", on_delete=fields.RESTRICT)
    kind = fields.CharField(max_length=12, description="complaint or suggestion")
    text = fields.TextField()
    name = fields.CharField(max_length=200, default="")
    mobile = fields.CharField(max_length=10, default="")
    recorded_by = fields.ForeignKeyField("models.User", related_name=False, null=True, on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField()
    digest_sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "book_entry"


class DailyFigure(Model):
    """Pre-aggregated figures of one counter, service and business day, kept as transactions are recorded.

    ``core/mis.py`` adds to it in the transaction that changes a request, and can recount it from
    the requests; the MIS reports read only this table.
    """

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name=False, on_delete=fields.RESTRICT)
    lsp = fields.ForeignKeyField("models.LSP", related_name=False, on_delete=fields.RESTRICT)
    counter = fields.ForeignKeyField("models.Counter", related_name=False, on_delete=fields.RESTRICT)
    business_date = fields.DateField(db_index=True)
    service_code = fields.CharField(max_length=100)
    provider = fields.CharField(max_length=200)
    category = fields.CharField(max_length=20, default="")
    transactions = fields.IntField(default=0)
    principal_paise = fields.BigIntField(default=0)
    service_charge_paise = fields.BigIntField(default=0)
    citizen_total_paise = fields.BigIntField(default=0)
    charge_by_department_paise = fields.BigIntField(default=0)
    charge_by_partner_paise = fields.BigIntField(default=0, description="Commissions paid by partners")
    cancelled = fields.IntField(default=0)

    class Meta:
        table = "daily_figure"
        unique_together = (("counter", "business_date", "service_code"),)
        indexes = (("district_id", "business_date"), ("lsp_id", "business_date"))


class MonthlyFigure(Model):
    """The daily figures summed by calendar month, kept with them in the same transaction.

    A report over whole months reads these (counters × services rows a month) instead of the
    month's daily rows (thirty times as many); the days at the edges of a period still come from
    :class:`DailyFigure`. ``emitra mis check`` proves each row equals the sum of its days.
    """

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name=False, on_delete=fields.RESTRICT)
    lsp = fields.ForeignKeyField("models.LSP", related_name=False, on_delete=fields.RESTRICT)
    counter = fields.ForeignKeyField("models.Counter", related_name=False, on_delete=fields.RESTRICT)
    month = fields.DateField(description="The first day of the month")
    service_code = fields.CharField(max_length=100)
    provider = fields.CharField(max_length=200)
    category = fields.CharField(max_length=20, default="")
    transactions = fields.IntField(default=0)
    principal_paise = fields.BigIntField(default=0)
    service_charge_paise = fields.BigIntField(default=0)
    citizen_total_paise = fields.BigIntField(default=0)
    charge_by_department_paise = fields.BigIntField(default=0)
    charge_by_partner_paise = fields.BigIntField(default=0, description="Commissions paid by partners")
    cancelled = fields.IntField(default=0)

    class Meta:
        table = "monthly_figure"
        unique_together = (("counter", "month", "service_code"),)
        indexes = (("district_id", "month"), ("lsp_id", "month"))


class MisReport(Model):
    """An LSP's periodic MIS report: submitted, vetted (then frozen) or returned with remarks by the Society."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name=False, on_delete=fields.RESTRICT)
    lsp = fields.ForeignKeyField("models.LSP", related_name="mis_reports", on_delete=fields.RESTRICT)
    period_start = fields.DateField()
    period_end = fields.DateField()
    status = fields.CharField(max_length=12, default="submitted", description="submitted, returned or vetted")
    figures = fields.JSONField(default=dict, description="The figures as submitted, frozen once vetted")
    adjustments = fields.JSONField(default=list, description="Corrections to earlier vetted periods")
    submitted_by = fields.ForeignKeyField("models.User", related_name=False, null=True, on_delete=fields.RESTRICT)
    submitted_at = fields.DatetimeField()
    decided_by = fields.ForeignKeyField("models.User", related_name=False, null=True, on_delete=fields.RESTRICT)
    decided_at = fields.DatetimeField(null=True)
    remarks = fields.TextField(default="")
    sha256 = fields.CharField(max_length=64, default="", description="Of the frozen figures and adjustments")

    class Meta:
        table = "mis_report"


class Inspection(Model):
    """The Society's inspection of a counter: the checklist, findings and the follow-up."""

    _no_comments = True  # (start-up time: see the module docstring)

    id = fields.IntField(primary_key=True)
    district = fields.ForeignKeyField("models.District", related_name=False, on_delete=fields.RESTRICT)
    counter = fields.ForeignKeyField("models.Counter", related_name="inspections", on_delete=fields.RESTRICT)
    inspector = fields.ForeignKeyField("models.User", related_name=False, on_delete=fields.RESTRICT)
    inspected_on = fields.DateField()
    checklist = fields.JSONField(default=dict, description="Item code to true (in order) or false")
    findings = fields.TextField(default="")
    follow_up = fields.TextField(default="")
    follow_up_due = fields.DateField(null=True)
    closed_at = fields.DatetimeField(null=True)
    closed_note = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "inspection"
