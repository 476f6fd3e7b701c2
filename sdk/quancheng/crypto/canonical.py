"""Canonical JSON (RFC 8785, JCS): the only bytes this project ever signs for an object.

Keys are sorted by UTF-16 code units, numbers use ECMAScript formatting (``1e+30``,
``-0`` → ``0``), strings use the minimal escapes, and there is no whitespace.  Values with
no JSON meaning (NaN, ±infinity, bytes, sets, non-string keys, integers beyond 2⁵³) are
refused rather than silently converted.
"""

from __future__ import annotations

from typing import Any

import rfc8785

from quancheng.crypto.errors import NotCanonicalizable
from quancheng.crypto.sm3 import SM3Digest, sm3

__all__ = ["MAX_DEPTH", "canonical_digest", "canonical_json"]

#: Deepest nesting accepted. Signed documents are a few levels deep; a bound of our own keeps
#: the refusal independent of the interpreter's recursion limit, which other libraries raise.
MAX_DEPTH = 64


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
    _check_depth(obj)
    try:
        return bytes(rfc8785.dumps(obj))
    except rfc8785.CanonicalizationError as exc:
        raise NotCanonicalizable(str(exc)) from None
    except UnicodeError:  # a lone surrogate in an object key (rfc8785 0.1.4 lets it escape)
        raise NotCanonicalizable("string is not valid Unicode (lone surrogate)") from None
    except RecursionError:
        raise NotCanonicalizable("nested too deeply") from None


def canonical_digest(obj: Any) -> SM3Digest:
    """Return SM3 of :func:`canonical_json` of ``obj``.

    Raises:
        NotCanonicalizable: If the value has no JSON form.
    """
    return sm3(canonical_json(obj))
