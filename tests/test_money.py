import pytest

from emitra.core.money import AmountError, format_paise, parse_rupees, split


@pytest.mark.parametrize("text,paise", [("125", 12500), ("125.5", 12550), ("125.05", 12505), ("1,250.50", 125050), (" ₹ 3.95 ", 395), ("0", 0), (7, 700),
                                        ("99,99,99,999.99", 99_999_999_999), ("0000000000125", 12500),
                                        ("1,00,000", 10_000_000), ("100,000.00", 10_000_000), ("₹1,234,567.8", 123_456_780)])
def test_rupee_input_becomes_exact_paise(text, paise):
    assert parse_rupees(text) == paise


@pytest.mark.parametrize("text,fragment", [
    ("12.345", "more than two decimals"),
    ("-5", "negative"),
    ("abc", "not an amount"),
    ("", "not an amount"),
    ("1e3", "not an amount"),
    (-1, "negative"),
    ("1,00,00,00,000", "more than the largest amount accepted, ₹99,99,99,999.99"),  # (it said "not an amount")
    ("9" * 6000, "more than the largest amount accepted"),
    ("1483,50", "a comma where no thousands end"),  # a decimal comma (it was ₹1,48,350.00)
    ("1,4,83.50", "a comma where no thousands end"),
    ("1,483.5,0", "a comma where no thousands end"),  # (it was ₹1,483.50)
    (",125", "a comma where no thousands end"),
    (10**9, "more than the largest amount accepted"),
])
def test_bad_rupee_input_is_refused_with_a_message(text, fragment):
    with pytest.raises(AmountError) as err:
        parse_rupees(text)
    assert fragment in str(err.value)
    assert err.value.message_hi  # the Hindi message is there too


def test_floats_are_refused():
    with pytest.raises(AmountError):
        parse_rupees(3.95)


@pytest.mark.parametrize("paise,text", [(395, "₹3.95"), (148350, "₹1,483.50"), (123456789, "₹12,34,567.89"), (-500, "-₹5.00"), (0, "₹0.00")])
def test_amounts_print_with_indian_grouping(paise, text):
    assert format_paise(paise) == text


@pytest.mark.parametrize("total,weights", [(395, [80, 20]), (100, [1, 1, 1]), (1, [1, 1]), (999_999, [3, 5, 7, 11])])
def test_splits_always_add_up_to_the_whole(total, weights):
    parts = split(total, weights)
    assert sum(parts) == total
    assert all(p >= 0 for p in parts)
