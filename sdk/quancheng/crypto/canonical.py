"""Canonical JSON (RFC 8785, JCS): the only bytes this project ever signs for an object.

Keys are sorted by UTF-16 code units, numbers use ECMAScript formatting (``1e+30``,
``-0`` → ``0``), strings use the minimal escapes, and there is no whitespace.  Values with
no JSON meaning (NaN, ±infinity, bytes, sets, non-string keys, integers beyond 2⁵³) are
refused rather than silently converted.

Two serializers, one result.  The reference is the pure-Python ``rfc8785`` package.  Most
documents take a native path instead: orjson with sorted keys and 53-bit integers, used only
for values where its bytes are provably RFC 8785's (see :func:`_orjson_is_jcs`); anything
else — and anything orjson refuses — goes to the reference, which produces the bytes or the
:class:`NotCanonicalizable` refusal exactly as it always has.  ``tests/sdk/crypto`` holds a
differential test of the two over generated documents.
"""

from __future__ import annotations

from typing import Any

import orjson
import rfc8785

from quancheng.crypto.errors import NotCanonicalizable
from quancheng.crypto.sm3 import SM3Digest, sm3

__all__ = ["MAX_DEPTH", "canonical_digest", "canonical_json", "canonical_json_reference"]

#: Deepest nesting accepted. Signed documents are a few levels deep; a bound of our own keeps
#: the refusal independent of the interpreter's recursion limit, which other libraries raise.
MAX_DEPTH = 64

#: Sorted keys (by UTF-8 bytes, i.e. by code point) and integers refused beyond ±(2⁵³ − 1),
#: JCS's exact range. orjson escapes exactly JCS's set (``"``, ``\\``, U+0000–U+001F, the
#: short forms ``\\b \\t \\n \\f \\r``, otherwise ``\\u00xx`` in lower case) and refuses lone
#: surrogates.
_ORJSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER

#: Leaves whose orjson form is JCS's: strings, booleans, null, integers (range: the option
#: above). Floats are absent on purpose: orjson writes ``1.0``, ``-0.0``, ``1e+20`` where
#: ECMAScript writes ``1``, ``0``, ``100000000000000000000``, so every float takes the
#: reference path.
#: Exact types only: subclasses (``StrEnum``, ``IntEnum``, ``dict`` subclasses) take the
#: reference path too.
_JCS_LEAVES = frozenset({str, int, bool, type(None)})
_CONTAINERS = frozenset({dict, list, tuple})


def _orjson_is_jcs(value: Any, depth: int = 1) -> bool:
    """Whether orjson's sorted output for ``value`` is byte for byte RFC 8785's.

    True for exact ``dict`` / ``list`` / ``tuple`` / ``str`` / ``int`` / ``bool`` / ``None``
    trees no deeper than :data:`MAX_DEPTH` whose keys lie in the Basic Multilingual Plane.
    There UTF-16 code units are code points, so JCS's key order (UTF-16) is orjson's (UTF-8
    bytes, which order as code points do). An astral key (an emoji) sorts before U+E000–U+FFFF
    in UTF-16 but after them by code point: such documents take the reference path.

    What orjson refuses by itself is not checked here (measured cheaper than a Python check
    of every leaf): integers beyond 2⁵³ − 1, lone surrogates, keys that are not exact ``str``.
    """
    kind = type(value)
    if kind in _JCS_LEAVES:
        return True
    if kind not in _CONTAINERS or depth > MAX_DEPTH:
        return False
    if kind is dict:
        try:
            keys = "".join(value)  # one C call; a non-string key raises
        except TypeError:
            return False
        if not keys.isascii() and max(keys) > "\uffff":
            return False
        value = value.values()
    for child in value:
        if type(child) not in _JCS_LEAVES and not _orjson_is_jcs(child, depth + 1):
            return False
    return True


def _check_depth(obj: Any) -> None:
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list | tuple):
            children = value
        else:
            continue
        if depth > MAX_DEPTH:
            raise NotCanonicalizable(f"nested deeper than {MAX_DEPTH} levels")
        stack.extend((child, depth + 1) for child in children)


def canonical_json_reference(obj: Any) -> bytes:
    """:func:`canonical_json` by the reference implementation only (``rfc8785``).

    The native path is checked against this; benchmarks compare the two.

    Raises:
        NotCanonicalizable: As :func:`canonical_json`.
    """
    _check_depth(obj)
    try:
        return bytes(rfc8785.dumps(obj))
    except rfc8785.CanonicalizationError as exc:
        raise NotCanonicalizable(str(exc)) from None
    except UnicodeError:  # a lone surrogate in an object key (rfc8785 0.1.4 lets it escape)
        raise NotCanonicalizable("string is not valid Unicode (lone surrogate)") from None
    except RecursionError:
        raise NotCanonicalizable("nested too deeply") from None


def canonical_json(obj: Any) -> bytes:
    """Serialize ``obj`` to its RFC 8785 canonical UTF-8 bytes.

    Args:
        obj: ``dict`` (string keys), ``list``/``tuple``, ``str``, ``int`` (|i| ≤ 2⁵³ − 1),
            finite ``float``, ``bool`` or ``None``, nested.

    Returns:
        The canonical bytes.

    Raises:
        NotCanonicalizable: If the value (or anything inside it) has no JSON form, or is
            nested deeper than :data:`MAX_DEPTH`.
    """
    if _orjson_is_jcs(obj):
        try:
            return orjson.dumps(obj, option=_ORJSON_OPTIONS)
        except orjson.JSONEncodeError:
            pass  # a lone surrogate or an integer beyond 2⁵³ − 1: the reference says which
    return canonical_json_reference(obj)


def canonical_digest(obj: Any) -> SM3Digest:
    """Return SM3 of :func:`canonical_json` of ``obj``.

    Raises:
        NotCanonicalizable: If the value has no JSON form.
    """
    return sm3(canonical_json(obj))
