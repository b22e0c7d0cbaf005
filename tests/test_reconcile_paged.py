"""The week's run matches a page at a time (temporary tables, core/reconcile._Matching): it must
put every item in the same bucket as the rule written over lists in memory (core/reconcile.match),
whatever the references, texts, amounts and dates, and whatever the page size."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emitra.core import reconcile as rec

pytestmark = pytest.mark.anyio

DAY = dt.date(2025, 11, 26)
# a small vocabulary, so that references collide, quote each other and hide inside longer words
REFS = ["dsjp0001202511261", "utr4455667788", "ch_3abc", "po_77x", "r-1001", "r-10011", "neft0099", "----", "abcd", "x9y8z7w6"]
WORDS = REFS + ["neft", "cr", "upi", "cash", "dep", "by", "slip", "r", "1001", "r-1001x", "xutr4455667788",
                # references a bank's wrapping cut in two (read whole again: core/reconcile._words), and near misses
                "utr4455 667788", "dsjp000120 2511261", "x9y8z7 w6", "utr4455- 667788", "utr4455 66778", "667788", "abcdefghijk",
                # and cut twice (decision 102), and near misses
                "utr44 5566 7788", "dsjp0001 2025 11261", "utr44 5566  7788", "dsjp0001 2025 11261 7"]


def _text(draw_words: list[str]) -> str:
    return " ".join(draw_words)


@st.composite
def statement(draw, n: int) -> rec.Item:
    amount = draw(st.sampled_from([500, 700, 900, 1000, -300]))
    alt = draw(st.sampled_from([(), (amount - 20,)]))
    reference = draw(st.sampled_from(["", *REFS]))
    return rec.Item("bank", "other", f"line:{n}", DAY + dt.timedelta(days=draw(st.integers(-3, 3))), amount, reference,
                    _text(draw(st.lists(st.sampled_from(WORDS), max_size=4))), rec._refs(reference), alt, line_no=n % 4 + 1,
                    line_id=n)


@st.composite
def expected(draw, n: int) -> rec.Item:
    refs = draw(st.lists(st.sampled_from(REFS), max_size=3, unique=True))
    return rec.Item("ledger", draw(st.sampled_from(["deposit", "upi", "settlement"])), f"entry:{n}",
                    DAY + dt.timedelta(days=draw(st.integers(-4, 4))), draw(st.sampled_from([500, 700, 900, 1000, -300, 480])),
                    draw(st.sampled_from(["request:R1", "deposit:DSJP0001202511261", "settle:R-1001"])),
                    _text(draw(st.lists(st.sampled_from(WORDS), max_size=3))), rec._refs(*refs), in_period=draw(st.booleans()))


@st.composite
def week(draw):
    statements = [draw(statement(n)) for n in range(1, draw(st.integers(0, 14)) + 1)]
    items = [draw(expected(n)) for n in range(1, draw(st.integers(0, 14)) + 1)]
    return statements, items, draw(st.sampled_from([1, 3, 500]))


def _buckets(result) -> tuple:
    matched, differing, lonely_s, lonely_l = result
    return ([(p.statement.key, p.ledger.key, p.how) for p in matched], [(p.statement.key, p.ledger.key, p.how) for p in differing],
            [i.key for i in lonely_s], [i.key for i in lonely_l])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=week())
async def test_paged_matching_puts_every_item_where_the_rule_does(demo_db, case):
    statements, items, size = case
    want = _buckets(rec.match(statements, items, "bank"))
    lonely_page, rec.LONELY_PAGE = rec.LONELY_PAGE, size  # the items no line took, read back `size` at a time too
    try:
        got = _buckets(await rec.match_paged(statements, items, "bank", size))
    finally:
        rec.LONELY_PAGE = lonely_page
    assert got == want


# references that all have a key run of MIN_REF_LEN or more (none like "----" or "po_77x"), so that
# the forced pairs (core/reconcile._Matching._force) are found before the rule runs: they must
# change nothing the rule does, whether a reference is in common, a word of the text, or hidden in
# a longer word, a credit or a debit, taken by another line or not
FORCED_REFS = ["dsjp0001202511261", "utr4455667788", "utr4455667789", "ch_3abcd", "r-1001", "r-10011", "neft0099", "abcd",
               "x9y8z7w6", "jp0001000035435"]
FORCED_WORDS = FORCED_REFS + ["neft", "upi", "1001", "r-1001x", "xutr4455667788", "ch", "3abcd", "utr4455 667788", "e-mitra"]


@st.composite
def forced_week(draw):
    def line(n: int) -> rec.Item:
        amount = draw(st.sampled_from([500, 700, 1000, -300, 0]))
        reference = draw(st.sampled_from(["", *FORCED_REFS]))
        words = draw(st.lists(st.sampled_from(FORCED_WORDS), max_size=3))
        return rec.Item("bank", "other", f"line:{n}", DAY + dt.timedelta(days=draw(st.integers(-2, 2))), amount, reference,
                        _text(words), rec._refs(reference), draw(st.sampled_from([(), (amount - 20,)])), line_no=n % 4 + 1, line_id=n)

    def item(n: int) -> rec.Item:
        refs = draw(st.lists(st.sampled_from(FORCED_REFS), max_size=2, unique=True))
        return rec.Item("ledger", draw(st.sampled_from(["upi", "settlement"])), f"entry:{n}",
                        DAY + dt.timedelta(days=draw(st.integers(-3, 3))), draw(st.sampled_from([500, 700, 1000, -300, 480, 0])),
                        draw(st.sampled_from(["request:R1", "settle:R-1001", "pay:UTR4455667788"])),
                        _text(draw(st.lists(st.sampled_from(FORCED_WORDS), max_size=2))), rec._refs(*refs), in_period=draw(st.booleans()))

    statements = [line(n) for n in range(1, draw(st.integers(0, 12)) + 1)]
    items = [item(n) for n in range(1, draw(st.integers(0, 12)) + 1)]
    return statements, items, draw(st.sampled_from([1, 2, 500]))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=forced_week())
async def test_forced_pairs_found_in_sql_change_nothing_the_rule_does(demo_db, case):
    statements, items, size = case
    want = _buckets(rec.match(statements, items, "bank"))
    assert _buckets(await rec.match_paged(statements, items, "bank", size)) == want


@pytest.mark.parametrize("copy_rows", [20_000, 5])  # PostgreSQL copies the items' rows in batches: one, or many
async def test_a_week_of_collections_is_paired_in_sql_but_not_a_contested_or_unsure_one(demo_db, copy_rows, monkeypatch):
    """A UPI credit quoting its UTR and receipt, and the card charge quoting its charge id, are
    forced pairs: paired before the rule runs. Not so a line that may quote two items, an item two
    lines may quote, or a reference only inside a longer word; those the rule still pairs."""
    monkeypatch.setattr(rec, "COPY_ROWS", copy_rows)
    monkeypatch.setattr(rec, "ENTRY_PAGE", 7)  # the items added a page of 7 at a time: held across pages, then copied
    def credit(n, utr, receipt, amount=1000):
        ref = f"UTR{utr}"
        return rec.Item("bank", "other", f"line:{n}", DAY, amount, ref, f"UPI/CR/{ref}/e-Mitra {receipt}", rec._refs(ref), line_no=n, line_id=n)

    def collected(n, utr, receipt, amount=1000):
        return rec.Item("ledger", "upi", f"entry:{n}", DAY, amount, f"pay:{receipt}", "upi collection", rec._refs(receipt, f"UTR{utr}"))

    statements = [credit(i, 100000000 + i, f"JP00010000{i:05d}") for i in range(1, 41)]
    items = [collected(i, 100000000 + i, f"JP00010000{i:05d}") for i in range(1, 41)]
    # line 41 quotes two receipts (two items may be it); items 42 and 43 are quoted by lines 42 and 43 alike
    statements.append(credit(41, 999000041, "JP0001000000001 JP0001000000002"))
    items += [collected(42, 999000042, "JP0009000000042"), collected(43, 999000043, "JP0009000000043")]
    statements += [credit(42, 999000042, "JP0009000000042 JP0009000000043"), credit(43, 999000043, "JP0009000000043")]
    # line 44 quotes item 44's reference only inside a longer word: not a hit at all
    items.append(rec.Item("ledger", "upi", "entry:44", DAY, 1234, "pay:x", "", rec._refs("utr777000044")))
    statements.append(rec.Item("bank", "other", "line:44", DAY, 1234, "", "UPI/CR/XUTR777000044", (), line_no=44, line_id=44))
    stats: dict[str, int] = {}
    got = await rec.match_paged(statements, items, "bank", 7, stats)
    assert _buckets(got) == _buckets(rec.match(statements, items, "bank"))
    # lines 1 and 2 (quoted by line 41 too) and 42, 43 are not forced; the other 38 are
    assert stats["forced"] == 38
    matched = {p.statement.key: p.ledger.key for p in got[0]}
    assert all(matched[f"line:{i}"] == f"entry:{i}" for i in range(1, 44) if i != 41)
    assert "line:41" in [i.key for i in got[2]]  # what it quotes, lines 1 and 2 took first
    assert matched["line:44"] == "entry:44"  # taken by amount and date, not by reference
    assert [p.how for p in got[0] if p.statement.key == "line:44"] == ["amount_date"]


async def test_paged_matching_by_reference_in_text_amount_and_date(demo_db):
    """The cases the rule's own test pins down, through the paged run, one statement a page."""
    def line(n, amount, days=0, text="NEFT CR", reference=None):
        reference = f"R{n}" if reference is None else reference
        return rec.Item("bank", "other", f"line:{n}", DAY + dt.timedelta(days=days), amount, reference, text, rec._refs(reference), line_no=n)

    def expect(key, amount, days=0, in_period=True, refs=()):
        return rec.Item("ledger", "deposit", key, DAY + dt.timedelta(days=days), amount, key, "", refs, in_period=in_period)

    statements = [line(1, 500, 0), line(2, 700, 0), line(3, 900, 0, "CASH DEP DSJP0001202511289"),
                  line(4, 100, 1, "by UTR4455667788 thanks", reference="")]
    items = [expect("a", 500, -2), expect("b", 700, 3), expect("c", 800, 2, in_period=False, refs=("dsjp0001202511289",)),
             expect("d", 100, 1, in_period=False), expect("e", 100, -9, refs=("utr4455667788",))]
    matched, differing, lonely_s, lonely_l = await rec.match_paged(statements, items, "bank", 1)
    assert [(p.statement.key, p.ledger.key, p.how) for p in matched] == [("line:1", "a", "amount_date"), ("line:4", "e", "reference")]
    assert [(p.statement.key, p.ledger.key, p.difference_paise) for p in differing] == [("line:3", "c", 100)]
    assert [i.key for i in lonely_s] == ["line:2"] and [i.key for i in lonely_l] == ["b"]


async def test_a_credit_is_never_paired_with_a_debit_on_its_reference(demo_db):
    """A UPI credit on the statement and the settlement that paid it out quote the same receipt:
    the credit is not taken as a 'differing' match of the debit (a statement imported twice used to
    show its second copy so); a credit of the same reference is still found."""
    receipt = "JP0001000035435"
    credit = rec.Item("bank", "other", "line:1", DAY, 1000, f"UPI/612345678902/{receipt}", "", rec._refs(f"UPI/612345678902/{receipt}", receipt),
                      line_no=1, line_id=1)
    settled = rec.Item("ledger", "settlement", "entry:1", DAY, -1000, f"settle:{receipt}", "", rec._refs(receipt))
    collected = rec.Item("ledger", "upi", "entry:2", DAY + dt.timedelta(days=1), 1000, f"request:{receipt}", "", rec._refs(receipt))
    for result in (rec.match([credit], [settled], "bank"), await rec.match_paged([credit], [settled], "bank")):
        assert _buckets(result) == ([], [], ["line:1"], ["entry:1"])
    for result in (rec.match([credit], [settled, collected], "bank"), await rec.match_paged([credit], [settled, collected], "bank")):
        assert _buckets(result) == ([("line:1", "entry:2", "reference")], [], [], ["entry:1"])


async def test_a_reference_that_is_a_word_of_most_lines_still_pairs_as_the_rule_does(demo_db):
    """A word that many lines of a page have (``mitra`` of every UPI credit) is the statement's
    wording: it is not written for the forced pairs (half a district's week of rows). Should a
    ledger item's reference be such a word, the forced pairs stand down, and every line still
    goes where the rule puts it: here the first line takes the item named "salary" (the same
    amount and date, its key first), not the item of its own UTR."""
    def credit(n):
        ref = f"UTR{100000000 + n}"
        return rec.Item("bank", "other", f"line:{n}", DAY, 1000, ref, f"UPI/CR/{ref}/salary e-Mitra JP00010000{n:05d}", rec._refs(ref),
                        line_no=n, line_id=n)

    lines = rec.COMMON_WORD_LINES + 5
    statements = [credit(n) for n in range(1, lines + 1)]
    items = [rec.Item("ledger", "upi", "entry:0", DAY, 1000, "pay:salary", "salary run", rec._refs("salary"))]
    items += [rec.Item("ledger", "upi", f"entry:{n}", DAY, 1000, f"pay:{n}", "upi collection", rec._refs(f"UTR{100000000 + n}"))
              for n in range(1, lines + 1)]
    stats: dict[str, int] = {}
    got = await rec.match_paged(statements, items, "bank", 7, stats)
    assert _buckets(got) == _buckets(rec.match(statements, items, "bank"))
    assert {p.statement.key: p.ledger.key for p in got[0]}["line:1"] == "entry:0"
    assert stats["forced"] == 0  # stood down: the rule did it all

    # without that item, "salary" and "mitra" are only wording: every credit is a forced pair
    stats = {}
    got = await rec.match_paged(statements, items[1:], "bank", 7, stats)
    assert _buckets(got) == _buckets(rec.match(statements, items[1:], "bank"))
    assert stats["forced"] == lines
