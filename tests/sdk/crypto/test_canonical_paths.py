"""Which serializer canonical JSON takes, and that both refuse the same values the same way."""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Callable
from typing import Any

import pytest
import rfc8785

from quancheng.crypto import NotCanonicalizable, canonical_json
from quancheng.crypto.canonical import MAX_DEPTH, canonical_json_reference

TYPICAL: Any = {
    "type": "quancheng.query/2",
    "consumer": "bank-a",
    "fields": ("owner_name", "plate"),
    "params": {"plate": "鲁A12345", "车牌": "鲁A12345", "n": 9007199254740991},
    "channel": None,
    "seal": False,
    "nested": [[], {}, [{"a": [True]}]],
}


class Colour(enum.StrEnum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class Key(str):
    pass


def nested(levels: int) -> Any:
    value: Any = []
    for _ in range(levels - 1):
        value = [value]
    return value


@pytest.fixture
def reference_calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every value handed to ``rfc8785.dumps`` during the test."""
    calls: list[Any] = []
    real: Callable[[Any], bytes] = rfc8785.dumps

    def spy(obj: Any) -> bytes:
        calls.append(obj)
        return real(obj)

    monkeypatch.setattr(rfc8785, "dumps", spy)
    return calls


def test_plain_documents_take_the_native_path(reference_calls: list[Any]) -> None:
    assert canonical_json(TYPICAL) == bytes(rfc8785.dumps(TYPICAL))
    assert len(reference_calls) == 1  # the comparison's own call only


@pytest.mark.parametrize(
    "value",
    [{"amount": 1.5}, [0.0], {"\U0001f600": 1}, {"k": Colour.RED}, {"k": Level.HIGH},
     {Key("k"): 1}, {"n": 2**53}, ["\ud800"]],
    ids=["float", "float-in-list", "astral-key", "str-enum", "int-enum", "str-subclass-key",
         "big-int", "lone-surrogate"],
)  # fmt: skip
def test_what_orjson_writes_differently_or_refuses_goes_to_the_reference(
    value: Any, reference_calls: list[Any]
) -> None:
    with contextlib.suppress(NotCanonicalizable):
        canonical_json(value)
    assert len(reference_calls) == 1


def test_bmp_keys_above_the_surrogates_stay_native(reference_calls: list[Any]) -> None:
    """U+E000–U+FFFF keys sort alike in UTF-16 and by code point: no fallback needed."""
    value = {"\ufb33": 1, "\uffff": 2, "张": 3, "a": 4, "\u0080": 5}
    assert canonical_json(value) == '{"a":4,"\u0080":5,"张":3,"\ufb33":1,"\uffff":2}'.encode()
    assert reference_calls == []


@pytest.mark.parametrize(
    "value",
    [float("nan"), {"x": [1.0, float("inf")]}, float("-inf"), 2**53, -(2**53), {"n": 2**64},
     [2**70], "\ud800", {"k": ["ok", "a\udfffb"]}, {"\udfff": 1}, {"a": {"\ud83d": 1}},
     {1: "int key"}, {None: 1}, {("t",): 1}, {Key("k"): 1}, b"bytes", {"s": {1, 2}}, object(),
     {"k": Colour.RED}, nested(MAX_DEPTH + 1), nested(5000), {"deep": nested(MAX_DEPTH)}],
    ids=["nan", "nested-inf", "-inf", "2^53", "-2^53", "2^64", "2^70", "lone-surrogate",
         "nested-lone-surrogate", "lone-surrogate-key", "nested-surrogate-key", "int-key",
         "none-key", "tuple-key", "str-subclass-key", "bytes", "set", "object", "str-enum",
         "depth-65", "depth-5000", "depth-65-in-dict"],
)  # fmt: skip
def test_both_paths_give_the_same_result_or_the_same_refusal(value: Any) -> None:
    def outcome(fn: Callable[[Any], bytes]) -> tuple[str, str]:
        try:
            return "bytes", fn(value).decode("utf-8", "replace")
        except NotCanonicalizable as exc:
            return "refused", str(exc)

    assert outcome(canonical_json) == outcome(canonical_json_reference)


@pytest.mark.parametrize(
    ("value", "reason"),
    [(float("nan"), "nan is not representable"), (2**53, "exceeds safe integer"),
     ({"k": "\ud800"}, "non-UTF-8"), ({"\ud800": 1}, "lone surrogate"),
     ({1: "x"}, "keys must be strings"), (nested(MAX_DEPTH + 1), "deeper than 64")],
)  # fmt: skip
def test_refusals_say_what_is_wrong(value: Any, reason: str) -> None:
    with pytest.raises(NotCanonicalizable) as caught:
        canonical_json(value)
    assert caught.value.code == "NOT_CANONICALIZABLE"
    assert reason.lower() in str(caught.value).lower()


def test_the_deepest_accepted_nesting_is_native_and_one_more_is_refused(
    reference_calls: list[Any],
) -> None:
    assert canonical_json(nested(MAX_DEPTH)) == b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert reference_calls == []
    with pytest.raises(NotCanonicalizable, match=f"deeper than {MAX_DEPTH}"):
        canonical_json(nested(MAX_DEPTH + 1))
