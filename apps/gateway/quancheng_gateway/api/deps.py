"""FastAPI dependencies as ``Annotated`` aliases."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Annotated
from weakref import WeakKeyDictionary

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from quancheng.protocol.reader_token import READER_HEADER
from quancheng.tls import channel_of_certificate
from quancheng_appkit.serving import peer_certificate
from quancheng_gateway.core.config import GatewaySettings
from quancheng_gateway.readers import Reader, ReaderGate
from quancheng_gateway.service import Gateway
from quancheng_gateway.view import ChainView

__all__ = [
    "ChainViewDep",
    "GatewayDep",
    "HealthDetailsDep",
    "OperatorDep",
    "ReaderDep",
    "ReaderGateDep",
    "SessionDep",
    "SettingsDep",
]


async def get_gateway(request: Request) -> Gateway:
    """The app's gateway (``async``: FastAPI runs a sync dependency in its threadpool)."""
    gateway: Gateway = request.app.state.gateway
    return gateway


def get_session(gateway: Annotated[Gateway, Depends(get_gateway)]) -> Iterator[Session]:
    with Session(gateway.engine) as session:
        yield session


async def get_settings(gateway: Annotated[Gateway, Depends(get_gateway)]) -> GatewaySettings:
    return gateway.settings


async def get_view(gateway: Annotated[Gateway, Depends(get_gateway)]) -> ChainView:
    return gateway.view


GatewayDep = Annotated[Gateway, Depends(get_gateway)]
SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[GatewaySettings, Depends(get_settings)]
ChainViewDep = Annotated[ChainView, Depends(get_view)]

# ------------------------------------------------------------------------- readers

_reader_token = APIKeyHeader(
    name=READER_HEADER,
    scheme_name="ReaderToken",
    description=(
        "A member's SM2-signed reader token: `<base64url(canonical JSON {type: "
        '"quancheng.log-read/1", member, audience: this gateway\'s provider code, method, '
        "target: path and query as sent, issued_at_ms, nonce})>.<base64(DER SM2 signature)>`, "
        "checked against the member's key on chain, within the query clock skew, each nonce "
        "once. Entitled: ACTIVE auditors (everything), ACTIVE consumers (their own receipts), "
        "the identity authority (one owner's receipts, `?owner=`). Built by "
        "`quancheng.log_reader.LogReader`."
    ),
    auto_error=False,
)
_metrics_bearer = HTTPBearer(
    scheme_name="MetricsToken",
    description="The operator's scraper token (`QC_GW_METRICS_TOKEN`).",
    auto_error=False,
)
_gates: WeakKeyDictionary[Gateway, ReaderGate] = WeakKeyDictionary()
_gates_lock = threading.Lock()


def get_reader_gate(gateway: GatewayDep) -> ReaderGate:
    """The gateway's reader gate (one per gateway: it holds the nonces seen)."""
    with _gates_lock:
        gate = _gates.get(gateway)
        if gate is None:
            s = gateway.settings
            gate = _gates[gateway] = ReaderGate(
                view=gateway.view,
                contracts=gateway.contracts,
                clock=gateway.clock,
                audience=gateway.provider,
                skew_ms=int(s.clock_skew_s * 1000),
                nonces_per_member=s.reader_nonces_per_member,
                metrics_token=s.metrics_token.get_secret_value() if s.metrics_token else None,
                allow_unbound=s.answers_unbound_requests,
            )
        return gate


ReaderGateDep = Annotated[ReaderGate, Depends(get_reader_gate)]


def request_target(request: Request) -> str:
    """The path and query exactly as the client sent them (what a reader token signs)."""
    raw = request.scope.get("raw_path") or request.scope["path"].encode()
    query = request.scope.get("query_string", b"")
    target = bytes(raw).decode("latin-1")
    return target + ("?" + bytes(query).decode("latin-1") if query else "")


def client_channel(request: Request) -> str | None:
    """The channel of this connection's verified TLS client certificate (None without one)."""
    der = peer_certificate(request.scope)
    return None if der is None else channel_of_certificate(der)


def get_reader(
    request: Request,
    gate: ReaderGateDep,
    token: Annotated[str | None, Security(_reader_token)],
) -> Reader:
    """The entitled reader of this request (401 / 403 refusals otherwise)."""
    return gate.reader(
        token,
        method=request.method,
        target=request_target(request),
        channel=client_channel(request),
    )


def get_operator(
    request: Request,
    gate: ReaderGateDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_metrics_bearer)],
    token: Annotated[str | None, Security(_reader_token)],
) -> None:
    """Admit the operator's scraper or an auditor (401 / 403 refusals otherwise)."""
    gate.operator(
        bearer.credentials if bearer else None,
        token,
        method=request.method,
        target=request_target(request),
        channel=client_channel(request),
    )


ReaderDep = Annotated[Reader, Depends(get_reader)]
OperatorDep = Annotated[None, Depends(get_operator)]


def get_health_details(
    request: Request,
    gate: ReaderGateDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_metrics_bearer)],
    token: Annotated[str | None, Security(_reader_token)],
) -> bool:
    """Whether ``/healthz`` may show its details: no credentials, no details; bad ones, 401."""
    if bearer is None and token is None:
        return False
    get_operator(request, gate, bearer, token)
    return True


HealthDetailsDep = Annotated[bool, Depends(get_health_details)]
