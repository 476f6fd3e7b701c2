"""The served apps of the sandbox beyond the stack: the owner portal and, when installed, the
claims and credit HTTP services; and how any served app is started again from its spec.

Every served app is a :class:`~quancheng_appkit.managed_server.ManagedServer`
(``python -m PACKAGE`` with its settings as environment variables). A
:class:`~quancheng_demo.sandbox.state.ServiceSpec` keeps its process and settings classes and
the settings' values as text, so ``up`` after ``down`` starts exactly the same app over the
same data.

The portal serves plain HTTP on loopback even when the gateways serve TLS: it is for a
browser on this machine, which does not trust the development CA (a loopback origin is a
secure context, so the browser's crypto works). It reaches the gateways over mutual TLS
with the identity authority's client certificate.
"""

from __future__ import annotations

import importlib
import json
import typing
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import BaseSettings

from quancheng.errors import QuanchengError
from quancheng.tls import TlsConfig
from quancheng_appkit.managed_server import ManagedServer, settings_env
from quancheng_datagen import DEFAULT_AS_OF, DemoCast
from quancheng_demo.sandbox.state import Layout, ServiceKind, ServiceSpec
from quancheng_demo.stack import DemoStack
from quancheng_gateway.process import GatewayProcess
from quancheng_portal.core.config import PortalSettings
from quancheng_portal.process import PortalProcess

__all__ = ["OPTIONAL_SERVICES", "gateway_specs", "launch", "optional_spec", "portal_spec"]

#: Services started when their package imports: kind → (process class, the consumer it acts as).
OPTIONAL_SERVICES: dict[ServiceKind, tuple[str, str]] = {
    "claims": ("quancheng_insurance.http.process:ClaimsServiceProcess", "ins.qilu"),
    "credit": ("quancheng_finance.http.process:CreditServiceProcess", "bank.quancheng"),
}
#: The identity authority, which runs the portal.
AUTHORITY = "jinan.bdb"


def _import(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _class_path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _spec(
    name: str, kind: ServiceKind, process: type[ManagedServer], settings: BaseSettings,
    log_file: Path, ca_file: Path | None,
) -> ServiceSpec:  # fmt: skip
    values = settings_env(settings, "")
    return ServiceSpec(
        name=name, kind=kind, process_class=_class_path(process),
        settings_class=_class_path(type(settings)),
        settings={k.lower(): v for k, v in values.items()}, log_file=log_file, ca_file=ca_file,
    )  # fmt: skip


def gateway_specs(stack: DemoStack) -> list[ServiceSpec]:
    """The specs of the gateways the stack started."""
    return [
        _spec(f"gateway {code}", "gateway", GatewayProcess, gateway.settings, gateway.log_file,
              stack.ca_file if stack.tls else None)
        for code, gateway in stack.gateways.items()
    ]  # fmt: skip


def portal_spec(stack: DemoStack, layout: Layout, cast: DemoCast, port: int) -> ServiceSpec:
    """The owner portal run by the identity authority; the seeded citizens sign in by name."""
    assert stack.consortium is not None
    people_file = layout.services_dir / "portal-people.json"
    people = [
        {"key": role, "name": p.name, "resident_id": p.id_number} for role, p in cast.people.items()
    ]
    people_file.parent.mkdir(parents=True, exist_ok=True)
    people_file.write_text(json.dumps(people, ensure_ascii=False, indent=2) + "\n")
    # The identity authority's registration data: whom each seeded enterprise's key belongs to.
    enterprises_file = layout.services_dir / "portal-enterprises.json"
    enterprises = [
        {"uscc": b.uscc, "name": b.name, "legal_rep": b.legal_rep_name,
         "legal_rep_id": b.legal_rep_id_number}
        for b in cast.businesses.values()
    ]  # fmt: skip
    enterprises_file.write_text(json.dumps(enterprises, ensure_ascii=False, indent=2) + "\n")
    tls: dict[str, Any] = {}
    if stack.tls:
        client = stack.tls_for(AUTHORITY)
        tls = {"gateway_tls_ca_file": client.ca_file, "gateway_tls_cert_file": client.cert_file,
               "gateway_tls_key_file": client.key_file}  # fmt: skip
    settings = PortalSettings(
        environment="development", port=port,
        database_url=f"sqlite:///{layout.services_dir / 'portal.db'}",
        rpc_url=stack.rpc_url, manifest_path=stack.manifest_path, authority_code=AUTHORITY,
        dev_keys_dir=stack.consortium.keys_dir, demo_people_file=people_file,
        enterprises_file=enterprises_file, **tls,
    )  # fmt: skip
    return _spec("portal", "portal", PortalProcess, settings,
                 layout.services_dir / "portal.log", None)  # fmt: skip


def optional_spec(
    kind: ServiceKind,
    stack: DemoStack,
    layout: Layout,
    port: int,
    keys: dict[str, Path],
    operator_token: str,
) -> ServiceSpec | str:
    """The spec of the claims or credit service, or why it is not available.

    Its settings class is the process class's ``settings`` annotation (as
    :class:`~quancheng_gateway.process.GatewayProcess` declares it); it gets those of the
    values below that it has fields for (``quancheng_appkit.officer.settings``): where the
    chain is, which consumer it acts as (``keys``: that consumer's ``sm2_key_file``,
    ``chain_key_file`` and ``gateway_tls_*`` files), the officers' token, and the day the
    synthetic data ends (its grants' data periods end there).
    """
    path, code = OPTIONAL_SERVICES[kind]
    try:
        process = _import(path)
    except (ImportError, AttributeError) as exc:
        return f"not installed ({path.partition(':')[0]}: {exc})"
    settings_cls: type[BaseSettings] = typing.get_type_hints(process)["settings"]
    offered: dict[str, Any] = {
        "environment": "development", "host": "127.0.0.1", "port": port,
        "database_url": f"sqlite:///{layout.services_dir / f'{kind}.db'}",
        "rpc_url": stack.rpc_url, "manifest_path": stack.manifest_path,
        "institution_code": code, "operator_token": operator_token, "data_as_of": DEFAULT_AS_OF,
        "evidence_file": layout.evidence_dir / f"{code}-{kind}-service.sqlite3",
        **keys,
    }  # fmt: skip
    fields = settings_cls.model_fields
    try:
        settings = settings_cls(**{k: v for k, v in offered.items() if k in fields})
    except (ValidationError, QuanchengError) as exc:
        return f"cannot be configured by the sandbox: {exc}"
    return _spec(kind, kind, process, settings, layout.services_dir / f"{kind}.log", None)


def launch(spec: ServiceSpec) -> ManagedServer:
    """Start the app of ``spec`` and wait for its /healthz (raises its start errors)."""
    process: type[ManagedServer] = _import(spec.process_class)
    settings_cls: type[BaseSettings] = _import(spec.settings_class)
    settings = settings_cls(**spec.settings)  # type: ignore[arg-type]
    tls = TlsConfig(spec.ca_file) if spec.ca_file is not None else None
    server = process(settings, log_file=spec.log_file, tls=tls)
    server.start()
    return server
