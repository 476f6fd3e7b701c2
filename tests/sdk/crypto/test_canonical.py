"""Canonical JSON against RFC 8785's own examples, and what has no canonical form."""

from __future__ import annotations

import json
import struct
from typing import Any

import pytest

from quancheng.crypto import NotCanonicalizable, canonical_digest, canonical_json, sm3

# RFC 8785 section 3.2.2, the combined sample, as JSON text and its canonical bytes.
RFC_SAMPLE = r"""{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"""
RFC_SAMPLE_CANONICAL = (
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
    '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
).encode()

# RFC 8785 section 3.2.3: members sorted by UTF-16 code units (the emoji's surrogate
# D83D sorts before U+FB33, the reverse of code-point order).
RFC_SORTING = r"""{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}"""
RFC_SORTING_CANONICAL = (
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
    '"ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign",'
    '"\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
).encode()

# RFC 8785 Appendix B: IEEE 754 bit patterns and their canonical text.
RFC_NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


def test_rfc_8785_sample_canonicalizes_exactly() -> None:
    assert canonical_json(json.loads(RFC_SAMPLE)) == RFC_SAMPLE_CANONICAL


def test_keys_sort_by_utf16_code_units_as_in_rfc_8785() -> None:
    assert canonical_json(json.loads(RFC_SORTING)) == RFC_SORTING_CANONICAL


@pytest.mark.parametrize(("bits", "text"), RFC_NUMBERS)
def test_numbers_match_rfc_8785_appendix_b(bits: str, text: str) -> None:
    (value,) = struct.unpack(">d", bytes.fromhex(bits))
    assert canonical_json({"n": value}) == f'{{"n":{text}}}'.encode()


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1e30, b"1e+30"), (-0.0, b"0"), (4.50, b"4.5"), (2**53 - 1, b"9007199254740991"),
     ("\u2028é\x1f", '"\u2028é\\u001f"'.encode()), ((1, "a"), b'[1,"a"]'),
     ({"b": [], "a": {}}, b'{"a":{},"b":[]}')],
)  # fmt: skip
def test_scalar_and_container_formatting(value: Any, expected: bytes) -> None:
    assert canonical_json(value) == expected


@pytest.mark.parametrize(
    "value",
    [float("nan"), float("inf"), float("-inf"), {"x": [1.0, float("nan")]}, b"bytes",
     {1: "int key"}, {"s": {1, 2}}, 2**53, -(2**53), object(), {"k": "\ud800"}, {"\udfff": 1}],
    ids=["nan", "inf", "-inf", "nested-nan", "bytes", "int-key", "set", "2^53", "-2^53",
         "object", "lone-surrogate-value", "lone-surrogate-key"],
)  # fmt: skip
def test_values_without_a_json_form_are_refused(value: Any) -> None:
    with pytest.raises(NotCanonicalizable):
        canonical_json(value)


def test_digest_does_not_depend_on_dict_order_or_spacing() -> None:
    a = {"grant": "g-1", "fields": ["plate", "status"], "limits": {"max": 3, "from": 1}}
    b = json.loads('{ "limits" : {"from":1,"max":3}, "fields":["plate","status"], "grant":"g-1"}')
    assert canonical_digest(a) == canonical_digest(b) == sm3(canonical_json(a))


def test_digest_changes_with_any_value() -> None:
    assert canonical_digest({"amount": 1}) != canonical_digest({"amount": 1.5})
    assert canonical_digest({"list": [1, 2]}) != canonical_digest({"list": [2, 1]})


def test_deep_nesting_is_refused_not_crashing() -> None:
    value: Any = []
    for _ in range(5000):
        value = [value]
    with pytest.raises(NotCanonicalizable):
        canonical_json(value)
