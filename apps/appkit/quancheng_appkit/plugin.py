"""The department plug-in interface of the gateway framework, as the plug-ins here use it.

The framework (``quancheng_gateway.resources``) loads a department object and asks its
handlers to ``fetch`` RAW fields or ``derive`` DERIVED indicators for one subject within a
grant's data period.  The classes below restate that interface so that the plug-ins type-check
on their own; at run time :data:`ResourceSpec` *is* the framework's class when the framework
is installed, so specs built here are the framework's own objects.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

import sqlalchemy

SubjectKind = Literal["person", "business"]
#: How a subject is identified: 居民身份证号码 or 统一社会信用代码.
IdKind = Literal["resident_id", "uscc"]
Period = tuple[int, int]
Params = Mapping[str, str | int]


@dataclass(frozen=True)
class LocalResourceSpec:
    """What a resource is: the catalogue entry a grant refers to (framework shape)."""

    resource_id: str
    subject_kind: SubjectKind
    fields: tuple[str, ...]
    indicators: tuple[str, ...]
    title: str


class ResourceHandler(Protocol):
    """Answers one resource of a department (framework shape)."""

    spec: LocalResourceSpec

    def fetch(
        self,
        conn: sqlalchemy.Connection,
        *,
        subject_id: str,
        fields: tuple[str, ...],
        period: Period,
        params: Params,
    ) -> dict[str, Any]: ...

    def derive(
        self,
        conn: sqlalchemy.Connection,
        *,
        subject_id: str,
        indicators: tuple[str, ...],
        period: Period,
        params: Params,
    ) -> dict[str, Any]: ...


class Department(Protocol):
    """A data provider's plug-in (framework shape)."""

    provider: str
    name: str
    datagen_department: str
    handlers: Sequence[ResourceHandler]

    def subjects(self, conn: sqlalchemy.Connection) -> Iterable[tuple[str, str]]: ...


def _framework_spec() -> type[LocalResourceSpec]:
    try:
        module = importlib.import_module("quancheng_gateway.resources")
    except ModuleNotFoundError as exc:
        if exc.name not in ("quancheng_gateway", "quancheng_gateway.resources"):
            raise
        return LocalResourceSpec
    spec: type[LocalResourceSpec] = getattr(module, "ResourceSpec", LocalResourceSpec)
    return spec


if TYPE_CHECKING:
    ResourceSpec = LocalResourceSpec
else:
    ResourceSpec = _framework_spec()
