import pytest

from emitra.core.ids import IdError, format_emitra_id, is_valid_receipt_no, make_emitra_id, make_receipt_no, parse_emitra_id


def test_an_issued_id_reads_back_in_any_typed_form():
    eid = make_emitra_id("JP", 123)
    assert parse_emitra_id(eid) == eid
    assert parse_emitra_id(format_emitra_id(eid).lower()) == eid
    assert parse_emitra_id(" " + format_emitra_id(eid).replace("-", " ") + " ") == eid


def test_every_single_digit_typo_is_caught():
    eid = make_emitra_id("JP", 4567)
    for pos in range(2, len(eid)):
        for digit in "0123456789":
            if digit == eid[pos]:
                continue
            typo = eid[:pos] + digit + eid[pos + 1:]
            with pytest.raises(IdError, match="check digit"):
                parse_emitra_id(typo)


def test_swapped_neighbouring_digits_are_caught():
    eid = make_emitra_id("JP", 12345678)
    for pos in range(2, len(eid) - 1):
        if eid[pos] == eid[pos + 1]:
            continue
        swapped = eid[:pos] + eid[pos + 1] + eid[pos] + eid[pos + 2:]
        with pytest.raises(IdError):
            parse_emitra_id(swapped)


def test_malformed_ids_say_what_an_id_looks_like():
    with pytest.raises(IdError, match="two letters and nine digits"):
        parse_emitra_id("12345")


def test_receipt_numbers_carry_a_check_digit():
    no = make_receipt_no("JP", 1, 42)
    assert is_valid_receipt_no(no)
    assert not is_valid_receipt_no(no[:-1] + str((int(no[-1]) + 1) % 10))
    # a counter id past 9999 or a serial past 99,999,999 keeps its digits: still a receipt number, checked
    wide = make_receipt_no("JP", 12345, 123456789)
    assert len(wide) == 17 and is_valid_receipt_no(wide) and not is_valid_receipt_no(wide[:-1] + str((int(wide[-1]) + 1) % 10))
