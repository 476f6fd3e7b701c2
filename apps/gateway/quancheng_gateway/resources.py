"""The resource plug-in interface: what a department implements to be served by a gateway.

A department (车管所, 税务局, …) is one object that names its provider institution and
hands the gateway one :class:`ResourceHandler` per catalogue resource it serves. The
gateway does everything else: checks against the chain, receipts, signatures, anchoring.

Handlers read their department's own SQL database through the connection they are given
and return JSON-safe values only (``None``, ``bool``, ``int``, ``str``, lists and dicts of
them; money in integer fen, dates as ISO strings, never floats). A handler returns exactly
the keys it was asked for; the framework refuses to answer otherwise. A handler that finds
no record for the subject raises :class:`quancheng.protocol.refusals.SubjectNotFound`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

import sqlalchemy

from quancheng.errors import ConfigError

__all__ = [
    "MAX_SAFE_INTEGER",
    "Department",
    "DepartmentLoadError",
    "ResourceHandler",
    "ResourceSpec",
    "UnsafeValue",
    "check_json_safe",
    "load_department",
]

#: The largest integer canonical JSON (RFC 8785) represents exactly.
MAX_SAFE_INTEGER = 2**53 - 1


@dataclass(frozen=True)
class ResourceSpec:
    """What one resource of a department returns."""

    resource_id: str  # catalogue code, e.g. "vehicle.registration"
    subject_kind: Literal["person", "business"]
    fields: tuple[str, ...]  # RAW fields it can return
    indicators: tuple[str, ...]  # DERIVED indicators it can compute
    title: str  # 中文名称, e.g. "机动车登记信息"


class ResourceHandler(Protocol):
    """Reads one resource for one subject."""

    spec: ResourceSpec

    def fetch(
        self,
        conn: sqlalchemy.Connection,
        *,
        subject_id: str,
        fields: tuple[str, ...],
        period: tuple[int, int],
        params: Mapping[str, str | int],
    ) -> dict[str, Any]:
        """The raw ``fields`` of the subject's records dated inside ``period`` (unix seconds)."""
        ...

    def derive(
        self,
        conn: sqlalchemy.Connection,
        *,
        subject_id: str,
        indicators: tuple[str, ...],
        period: tuple[int, int],
        params: Mapping[str, str | int],
    ) -> dict[str, Any]:
        """The derived ``indicators`` of the subject over ``period`` (unix seconds)."""
        ...


@runtime_checkable
class Department(Protocol):
    """A provider institution and the resources its gateway serves."""

    provider: str  # the provider institution's code, e.g. "jinan.vmo"
    name: str  # e.g. "济南市公安局交通警察支队车辆管理所"
    datagen_department: str  # key in quancheng_datagen.DEPARTMENTS
    handlers: Sequence[ResourceHandler]

    def subjects(self, conn: sqlalchemy.Connection) -> Iterable[tuple[str, str]]:
        """Every subject the department holds: ``(id_kind, identifier)``.

        ``id_kind`` is ``"resident_id"`` for people and ``"uscc"`` for businesses.
        """
        ...


class DepartmentLoadError(ConfigError):
    """The department import path does not name a usable department."""

    code = "DEPARTMENT_LOAD_ERROR"

    def __init__(self, path: str, reason: str) -> None:
        self.path, self.reason = path, reason
        super().__init__(f"cannot load department {path!r}: {reason}")


def load_department(path: str) -> Department:
    """Import ``"package.module:attribute"`` and check that it is a department.

    The attribute may be a department object or a no-argument factory returning one.
    """
    module_name, sep, attr = path.partition(":")
    if not sep or not module_name or not attr:
        raise DepartmentLoadError(path, "expected 'package.module:attribute'")
    try:
        target: Any = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise DepartmentLoadError(path, str(exc)) from exc
    if callable(target) and not isinstance(target, Department):
        target = target()
    if not isinstance(target, Department):
        raise DepartmentLoadError(path, "not a Department (provider, name, handlers, subjects)")
    ids = [h.spec.resource_id for h in target.handlers]
    if len(set(ids)) != len(ids):
        raise DepartmentLoadError(path, "two handlers serve the same resource")
    return target


class UnsafeValue(ValueError):
    """A handler returned a value that has no exact canonical JSON form."""


def check_json_safe(value: Any, path: str = "$") -> None:
    """Refuse floats, huge integers, bytes, non-string keys and other non-JSON values."""
    if value is None or isinstance(value, bool | str):
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise UnsafeValue(f"{path}: integer beyond 2^53-1")
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            check_json_safe(item, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise UnsafeValue(f"{path}: non-string key")
            check_json_safe(item, f"{path}.{key}")
        return
    raise UnsafeValue(f"{path}: {type(value).__name__} is not JSON-safe (no floats)")
