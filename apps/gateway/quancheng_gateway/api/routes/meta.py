"""What the gateway serves, its health and its metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel

from quancheng_gateway.api.deps import GatewayDep

router = APIRouter(tags=["meta"])


class ResourcePublic(BaseModel):
    """A resource this gateway serves."""

    resource_id: str
    subject_kind: str
    fields: list[str]
    indicators: list[str]
    title: str
    in_catalogue: bool


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
            )
            for h in dept.handlers
        ],
    )


@router.get("/healthz", responses={503: {"description": "Failing closed (see `refusing`)"}})
def healthz(gateway: GatewayDep) -> Any:
    """200 with the view's lag, the backlog and the database state; 503 while failing closed."""
    health = gateway.health()
    return JSONResponse(health, status_code=200 if health["ok"] else 503)


@router.get("/metrics", response_class=Response)
def metrics(gateway: GatewayDep) -> Response:
    """Prometheus metrics (with several workers, all of them added up)."""
    gateway.refresh_gauges()
    return Response(gateway.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
