"""A minimal TOML writer for Besu's flat configuration files.

Besu's ``config.toml`` and ``permissions_config.toml`` are flat ``key=value`` files whose
values are strings, integers, booleans and lists of strings; that is all this writes (the
standard library reads TOML but does not write it). Output is checked by ``tomllib``.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["TomlValue", "toml_document"]

TomlValue = str | int | bool | list[str]
#: One line of a document: a (key, value) pair, or a comment ("" for a blank line).
Line = tuple[str, TomlValue] | str


def _string(value: str) -> str:
    out = ['"']
    for ch in value:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _value(value: TomlValue) -> str:
    if isinstance(value, bool):  # before int: bool is an int
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _string(value)
    return "[" + ",".join(_string(v) for v in value) + "]"


def toml_document(lines: Iterable[Line]) -> str:
    """Render key/value pairs and comments as a TOML document."""
    rendered = []
    for line in lines:
        if isinstance(line, str):
            rendered.append(f"# {line}" if line else "")
        else:
            key, value = line
            if not key.replace("-", "").replace("_", "").isalnum():
                raise ValueError(f"not a bare TOML key: {key!r}")
            rendered.append(f"{key}={_value(value)}")
    return "\n".join(rendered) + "\n"
