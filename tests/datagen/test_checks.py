"""Check characters against published examples, and the validators' refusals."""

from __future__ import annotations

import pytest

from quancheng_datagen.checks import (
    is_valid_jinan_plate,
    is_valid_resident_id,
    is_valid_uscc,
    is_valid_vin,
    org_code_check_char,
    resident_id_check_char,
    uscc_check_char,
    vin_check_char,
)


@pytest.mark.parametrize(
    "number",
    [
        "11010519491231002X",  # the example of GB 11643-1999 itself
        "440524188001010014",
        "370102198605129017",  # the demo's motor claimant
    ],
)
def test_resident_id_check_char_matches_published_examples(number: str) -> None:
    assert resident_id_check_char(number[:17]) == number[17]
    assert is_valid_resident_id(number)


def test_resident_id_with_wrong_check_char_is_invalid() -> None:
    assert not is_valid_resident_id("110105194912310021")
    assert not is_valid_resident_id("11010519491231002x")  # lower-case x
    assert not is_valid_resident_id("1101051949123100X2")


def test_uscc_example_of_gb_32100_has_both_check_chars_valid() -> None:
    code = "91350100M000100Y43"
    assert org_code_check_char(code[8:16]) == "4"  # GB 11714 over the organisation code
    assert uscc_check_char(code[:17]) == "3"  # GB 32100 over the first 17 characters
    assert is_valid_uscc(code)


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y44",  # wrong USCC check
        "91350100M000100Y53",  # wrong organisation-code check
        "91350100M000100I43",  # I is not in the alphabet
        "91350100M000100Y4",  # too short
    ],
)
def test_uscc_with_a_wrong_character_is_invalid(code: str) -> None:
    assert not is_valid_uscc(code)


def test_org_code_check_maps_10_to_x_and_11_to_0() -> None:
    # weights 3,7,9,10,5,8,4,2: body "00000001" sums to 2 -> 11 - 2 = 9
    assert org_code_check_char("00000001") == "9"
    assert org_code_check_char("00000000") == "0"  # 11 - 0 = 11 -> "0"
    assert org_code_check_char("00000006") == "X"  # 6 * 2 = 12 -> 11 - 1 = 10 -> "X"


@pytest.mark.parametrize("vin", ["1M8GDM9AXKP042788", "11111111111111111"])
def test_vin_check_digit_matches_published_examples(vin: str) -> None:
    assert vin_check_char(vin) == vin[8]
    assert is_valid_vin(vin)


def test_vin_with_forbidden_letters_or_wrong_check_is_invalid() -> None:
    assert not is_valid_vin("1M8GDM9A1KP042788")
    assert not is_valid_vin("1M8GDM9AXKP04278O")
    assert not is_valid_vin("1M8GDM9AXKQ042788")


@pytest.mark.parametrize("plate", ["鲁A12345", "鲁AB1234", "鲁A1K2M3", "鲁AD12345", "鲁AFA3456"])
def test_jinan_plates_are_valid(plate: str) -> None:
    assert is_valid_jinan_plate(plate)


@pytest.mark.parametrize(
    "plate",
    [
        "鲁B12345",  # Qingdao
        "鲁AI2345",  # I is never used
        "鲁A1O345",  # nor O
        "鲁ABCD12",  # three letters
        "鲁A1234",  # too short
        "鲁AX12345",  # six characters but not new energy
        "鲁AD1234A",  # new-energy plates end with four digits
    ],
)
def test_malformed_plates_are_invalid(plate: str) -> None:
    assert not is_valid_jinan_plate(plate)
