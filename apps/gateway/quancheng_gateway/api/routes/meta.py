"""What the gateway serves, its health and its metrics.

``/v1/resources`` and the plain ``/healthz`` (ok or not) are public; ``/metrics`` and the
details of ``/healthz`` (log size, backlog, errors, refusal counts) answer only the operator's
token (``QC_GW_METRICS_TOKEN``, ``Authorization: Bearer``) or an ACTIVE auditor's reader token.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel

from quancheng.protocol import refusals as r
from quancheng_gateway.api.deps import GatewayDep, HealthDetailsDep, OperatorDep
from quancheng_gateway.api.errors import error_responses

router = APIRouter(tags=["meta"])


class ResourcePublic(BaseModel):
    """A resource this gateway serves."""

    resource_id: str
    subject_kind: str
    fields: list[str]
    indicators: list[str]
    title: str
    in_catalogue: bool
    #: 中文 labels of the fields and indicators, where the department's plug-in gives them
    #: (``quancheng_appkit.SqlResource.field_labels`` / ``indicator_labels``).
    field_labels: dict[str, str] = {}
    indicator_labels: dict[str, str] = {}


class ResourcesPublic(BaseModel):
    provider: str
    name: str
    resources: list[ResourcePublic]


@router.get("/v1/resources", response_model=ResourcesPublic)
def resources(gateway: GatewayDep) -> ResourcesPublic:
    """The resources this gateway serves (and whether the catalogue lists them for it)."""
    dept = gateway.department
    listed = gateway.view.resources
    return ResourcesPublic(
        provider=dept.provider,
        name=dept.name,
        resources=[
            ResourcePublic(
                resource_id=h.spec.resource_id,
                subject_kind=h.spec.subject_kind,
                fields=list(h.spec.fields),
                indicators=list(h.spec.indicators),
                title=h.spec.title,
                in_catalogue=h.spec.resource_id in listed
                and listed[h.spec.resource_id].provider == dept.provider,
                field_labels=dict(getattr(h, "field_labels", {})),
                indicator_labels=dict(getattr(h, "indicator_labels", {})),
            )
            for h in dept.handlers
        ],
    )


_OPERATOR_REFUSALS = (r.Unauthenticated, r.BadReaderToken, r.ReaderNotEntitled)


@router.get(
    "/healthz",
    responses={
        **error_responses(*_OPERATOR_REFUSALS),
        503: {"description": "Failing closed (`ok` is false)"},
    },
)
def healthz(gateway: GatewayDep, details: HealthDetailsDep) -> Any:
    """200 ``{"ok": true}``, 503 while failing closed; with the operator's token or an
    auditor's, the details: view lag, log and backlog, database and anchoring state."""
    health = gateway.health()
    body = health if details else {"ok": health["ok"]}
    return JSONResponse(body, status_code=200 if health["ok"] else 503)


@router.get("/metrics", response_class=Response, responses=error_responses(*_OPERATOR_REFUSALS))
def metrics(gateway: GatewayDep, _operator: OperatorDep) -> Response:
    """Prometheus metrics (with several workers, all of them added up); to the operator's
    token or an auditor."""
    gateway.refresh_gauges()
    return Response(gateway.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
