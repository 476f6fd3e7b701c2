"""Shared by the insurance and finance tests: a populated world and a gateway stand-in.

:class:`HandlerClient` answers queries straight from the department handlers over a real
SQLite database, the way a gateway would after checking the grant: it stands in for the
network and the signatures only, never for the data or the rules.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine

from quancheng.protocol import GrantMode
from quancheng.protocol.documents import data_period_seconds
from quancheng.protocol.refusals import SubjectNotFound
from quancheng_appkit.decision import EvidenceItem, GrantTemplate
from quancheng_appkit.plugin import Department, LocalResourceSpec, ResourceHandler
from quancheng_appkit.resource import SqlDepartment, SqlResource
from quancheng_datagen import DEPARTMENTS as DATAGEN_DEPARTMENTS
from quancheng_datagen import populate

SEED, PEOPLE, BUSINESSES = 20261031, 200, 20
#: The world's last 24 whole months (the world is generated as of 2026-10-31).
PERIOD = data_period_seconds("2024-11-01", "2026-10-31")
LAST_YEAR = data_period_seconds("2025-11-01", "2026-10-31")
RESOURCE_CODE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")
PROVIDER_CODE = RESOURCE_CODE
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def populated_engine(path: Path, departments: Iterable[SqlDepartment]) -> Engine:
    """A SQLite database holding the departments' tables of the test world."""
    engine = create_engine(f"sqlite:///{path}")
    for d in departments:
        populate(engine, d.datagen_department, seed=SEED, people=PEOPLE, businesses=BUSINESSES)
    return engine


@dataclass(frozen=True)
class StubGrant:
    """What a gateway would read from chain about a grant."""

    subject_id: str
    period: tuple[int, int]
    mode: GrantMode
    scope: Mapping[str, tuple[str, ...]]

    @classmethod
    def of(
        cls, template: GrantTemplate, subject_id: str, period: tuple[int, int] = PERIOD
    ) -> StubGrant:
        """The grant an owner would sign for ``template``."""
        return cls(
            subject_id,
            period,
            template.mode,
            {item.resource: item.fields for item in template.scope},
        )


class FieldNotGrantedError(Exception):
    """The stand-in's version of the gateway refusal of an out-of-scope query."""


@dataclass
class HandlerClient:
    """A consumer client whose "gateway" is the department handlers themselves.

    Like a gateway, it answers only inside the grant's scope, and refuses with
    ``SubjectNotFound`` when the department holds no record at all of the grant's owner
    (the owner is then missing from the gateway's subject index).
    """

    engine: Engine
    departments: Sequence[SqlDepartment]
    grants: dict[str, StubGrant] = field(default_factory=dict)
    served: list[EvidenceItem] = field(default_factory=list)
    _subjects: dict[str, set[str]] = field(default_factory=dict)

    def query(
        self,
        grant_id: str,
        resource: str,
        fields: tuple[str, ...],
        *,
        params: Mapping[str, str | int] | None = None,
    ) -> EvidenceItem:
        grant = self.grants[grant_id]
        if not set(fields) <= set(grant.scope.get(resource, ())):
            raise FieldNotGrantedError(resource, fields)
        department, handler = self.handler(resource)
        if grant.subject_id not in self.subjects_of(department):
            raise SubjectNotFound(grant_id=grant_id, resource=resource)
        reply = replace(
            answer(
                self.engine,
                handler,
                grant.subject_id,
                fields,
                mode=grant.mode,
                period=grant.period,
                params=params,
            ),
            provider=department.provider,
        )
        self.served.append(reply)
        return reply

    def subjects_of(self, department: SqlDepartment) -> set[str]:
        """The identifiers of the department's subject index."""
        if department.provider not in self._subjects:
            with self.engine.connect() as conn:
                self._subjects[department.provider] = {i for _, i in department.subjects(conn)}
        return self._subjects[department.provider]

    def handler(self, resource: str) -> tuple[SqlDepartment, SqlResource]:
        for d in self.departments:
            for h in d.handlers:
                if h.spec.resource_id == resource:
                    return d, h
        raise LookupError(resource)


def answer(
    engine: Engine,
    handler: SqlResource,
    subject_id: str,
    names: Sequence[str],
    *,
    mode: GrantMode,
    period: tuple[int, int] = PERIOD,
    params: Mapping[str, str | int] | None = None,
) -> EvidenceItem:
    """One handler answer wrapped as evidence, with a fresh receipt id."""
    with engine.connect() as conn:
        if mode is GrantMode.RAW:
            data = handler.fetch(
                conn, subject_id=subject_id, fields=tuple(names), period=period, params=params or {}
            )
        else:
            data = handler.derive(
                conn,
                subject_id=subject_id,
                indicators=tuple(names),
                period=period,
                params=params or {},
            )
    return EvidenceItem(handler.spec.resource_id, data, str(uuid.uuid4()))


def protocol_parameters(cls: type, method: str) -> list[tuple[str, object]]:
    """A Protocol method's parameters (name, kind), without ``self``."""
    params = list(inspect.signature(getattr(cls, method)).parameters.values())[1:]
    return [(p.name, p.kind) for p in params]


def bound_parameters(obj: object, method: str) -> list[tuple[str, object]]:
    """A bound method's parameters (name, kind)."""
    return [(p.name, p.kind) for p in inspect.signature(getattr(obj, method)).parameters.values()]


def check_plugin_shape(department: SqlDepartment) -> None:
    """Assert that a department satisfies the framework's plug-in interface structurally."""
    frameworks: list[tuple[type, type, type]] = [(LocalResourceSpec, ResourceHandler, Department)]
    try:
        gateway = importlib.import_module("quancheng_gateway.resources")
    except ModuleNotFoundError:
        pass
    else:
        frameworks.append((gateway.ResourceSpec, gateway.ResourceHandler, gateway.Department))
    for spec_cls, handler_cls, department_cls in frameworks:
        for name in ("provider", "name", "datagen_department", "handlers", "subjects"):
            assert hasattr(department, name), name
        assert department.datagen_department in DATAGEN_DEPARTMENTS
        assert bound_parameters(department, "subjects") == protocol_parameters(
            department_cls, "subjects"
        )
        for h in department.handlers:
            assert {f.name for f in fields(spec_cls)} == {f.name for f in fields(h.spec)}
            for method in ("fetch", "derive"):
                assert bound_parameters(h, method) == protocol_parameters(handler_cls, method)
    assert PROVIDER_CODE.match(department.provider)
    for h in department.handlers:
        spec = h.spec
        assert RESOURCE_CODE.match(spec.resource_id), spec.resource_id
        assert spec.subject_kind in ("person", "business")
        names = (*spec.fields, *spec.indicators)
        assert all(FIELD_NAME.match(n) for n in names), names
        assert len(set(spec.fields)) == len(spec.fields)
        assert len(set(spec.indicators)) == len(spec.indicators)
        assert spec.title and h.purposes and 1 <= h.sensitivity <= 4
        assert set(h.field_labels) == set(spec.fields)


def _json_safe(value: object) -> bool:
    if value is None or isinstance(value, bool | int | str):
        return True
    if isinstance(value, list):
        return all(_json_safe(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_safe(v) for k, v in value.items())
    return False


def check_every_answer(
    engine: Engine, department: SqlDepartment, period: tuple[int, int] = PERIOD
) -> int:
    """Ask every handler for everything about every subject; assert answers are clean.

    Clean: exactly the names asked for, JSON values without floats, never the subject's
    own identifier.  Returns how many answers were checked.
    """
    checked = 0
    try:
        framework: Any = importlib.import_module("quancheng_gateway.resources")
    except ModuleNotFoundError:
        framework = None
    with engine.connect() as conn:
        subjects = list(department.subjects(conn))
        for id_kind, subject_id in subjects:
            kind = "person" if id_kind == "resident_id" else "business"
            for h in department.handlers:
                if h.spec.subject_kind != kind:
                    continue
                raw = h.fetch(
                    conn, subject_id=subject_id, fields=h.spec.fields, period=period, params={}
                )
                derived = h.derive(
                    conn,
                    subject_id=subject_id,
                    indicators=h.spec.indicators,
                    period=period,
                    params={},
                )
                assert tuple(raw) == h.spec.fields and tuple(derived) == h.spec.indicators
                for data in (raw, derived):
                    assert _json_safe(data), (h.spec.resource_id, data)
                    if framework is not None:
                        framework.check_json_safe(data)
                    assert subject_id not in json.dumps(data, ensure_ascii=False)
                checked += 2
    return checked
