"""The native canonical-JSON path against the reference ``rfc8785`` over generated documents.

Deterministic (``derandomize``, no example database): the same documents on every run. A few
thousand in the normal suite (800 per test); 20,000 per test under the ``slow`` marker. The
generators lean on what separates the two serializers: keys whose UTF-16 order differs from
code-point order (an emoji against U+E000–U+FFFF), CJK, escapes, integers at the 2⁵³ edge,
floats that ECMAScript writes differently from orjson, deep and empty containers.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quancheng.crypto import NotCanonicalizable, canonical_json
from quancheng.crypto.canonical import canonical_json_reference

MAX_INT = 2**53 - 1

#: Characters chosen for how they sort and escape: ASCII edge cases, controls and the
#: characters JCS escapes, Latin-1, CJK, the top of the BMP (U+E000–U+FFFF, which UTF-16
#: sorts after surrogate pairs) and astral characters (emoji, CJK extension B).
INTERESTING = (
    "", "a", "A", "1", "_", " ", "/", '"', "\\", "\x00", "\x08", "\t", "\n", "\x0c", "\r",
    "\x1f", "\x7f", "\x80", "ö", "€", "\u2028", "\u2029", "张", "鲁", "号", "\ue000", "\ufb33",
    "\uff61", "\ufffd", "\uffff", "\U00010000", "\U0001f600", "\U0001f468", "\U00020000",
    "\U0010ffff",
)  # fmt: skip
#: Floats whose ECMAScript form differs from orjson's or Python's repr.
SPECIAL_FLOATS = (
    0.0, -0.0, 1.0, -1.0, 4.5, 1e21, 1e20, 1e-6, 1e-7, 1e23, 5e-324, 1.7976931348623157e308,
    333333333.3333333, 9007199254740992.0, 0.1, 123456789012345680000.0,
)  # fmt: skip

chars = st.one_of(st.sampled_from(INTERESTING), st.characters(codec="utf-8"))
text = st.lists(chars, max_size=6).map("".join)
ints = st.one_of(
    st.integers(min_value=-MAX_INT, max_value=MAX_INT),
    st.sampled_from((0, -1, MAX_INT, -MAX_INT, MAX_INT - 1, 2**31, -(2**52))),
)
floats = st.one_of(
    st.sampled_from(SPECIAL_FLOATS), st.floats(allow_nan=False, allow_infinity=False)
)


def documents(*, with_floats: bool) -> st.SearchStrategy[Any]:
    """JSON values: objects, arrays (lists and tuples), strings, integers, literals."""
    leaves: list[st.SearchStrategy[Any]] = [st.none(), st.booleans(), ints, text]
    if with_floats:
        leaves.append(floats)
    return st.recursive(
        st.one_of(*leaves),
        lambda children: st.one_of(
            st.lists(children, max_size=5),
            st.lists(children, max_size=3).map(tuple),
            st.dictionaries(text, children, max_size=6),
        ),
        max_leaves=25,
    )


#: Values with no canonical form, to plant inside otherwise valid documents.
INVALID = st.sampled_from(
    (float("nan"), float("inf"), float("-inf"), 2**53, -(2**53), 2**64, "\ud800", "a\udfffb",
     b"bytes", {1, 2}, object())
)  # fmt: skip
INVALID_KEYS = st.sampled_from((1, None, ("t",), "\udc00", "k\ud83d"))


def assert_same_as_rfc8785(doc: Any) -> None:
    assert canonical_json(doc) == bytes(rfc8785.dumps(doc))


def outcome(fn: Any, doc: Any) -> bytes | str:
    """The bytes, or the refusal's message."""
    try:
        return bytes(fn(doc))
    except NotCanonicalizable as exc:
        return f"NotCanonicalizable: {exc}"


FAST = settings(
    max_examples=250,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SLOW = settings(FAST, max_examples=2_000)


@FAST
@given(documents(with_floats=False))
def test_generated_documents_match_rfc8785_byte_for_byte(doc: Any) -> None:
    assert_same_as_rfc8785(doc)


@FAST
@given(documents(with_floats=True))
def test_generated_documents_with_floats_match_rfc8785(doc: Any) -> None:
    assert_same_as_rfc8785(doc)


@FAST
@given(st.dictionaries(text, ints, min_size=2, max_size=12))
def test_key_order_matches_utf16_order_for_any_keys(doc: dict[str, Any]) -> None:
    assert_same_as_rfc8785(doc)


@FAST
@given(
    doc=documents(with_floats=False),
    bad=st.one_of(INVALID, INVALID_KEYS.map(lambda k: {k: 1})),
    where=st.sampled_from(("list", "dict", "deep")),
)
def test_refusals_are_the_references_for_planted_bad_values(doc: Any, bad: Any, where: str) -> None:
    planted: Any = {"list": [doc, bad], "dict": {"v": doc, "w": bad}, "deep": [[{"x": [doc, bad]}]]}
    value = planted[where]
    result = outcome(canonical_json, value)
    assert isinstance(result, str), "a value without a canonical form was serialized"
    assert result == outcome(canonical_json_reference, value)


@pytest.mark.slow
@SLOW
@given(documents(with_floats=True))
def test_many_generated_documents_match_rfc8785(doc: Any) -> None:
    assert_same_as_rfc8785(doc)


@pytest.mark.slow
@settings(SLOW, max_examples=600)  # up to ten documents each: ~6,000 documents, ~15 s
@given(st.dictionaries(text, documents(with_floats=False), max_size=10))
def test_many_generated_objects_match_rfc8785(doc: dict[str, Any]) -> None:
    assert_same_as_rfc8785(doc)


def test_orjson_alone_differs_where_the_fallback_is_needed() -> None:
    """Why the native path refuses floats and astral keys (if orjson ever agrees, fine)."""
    astral = {"\ufb33": 1, "\U0001f600": 2}  # UTF-16: D83D < FB33; code points: the reverse
    assert orjson.dumps(astral, option=orjson.OPT_SORT_KEYS) != bytes(rfc8785.dumps(astral))
    assert canonical_json(astral) == '{"\U0001f600":2,"\ufb33":1}'.encode()
    for value, jcs in (
        (1.0, b"1"),
        (-0.0, b"0"),
        (1e20, b"100000000000000000000"),
    ):
        assert orjson.dumps(value) != jcs
        assert canonical_json(value) == jcs
