"""The gateway's ASGI application: ``create_app(settings)``; the lifespan runs the gateway."""

from __future__ import annotations

import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from quancheng.protocol import refusals as r
from quancheng_appkit.serving import BodyLimit, ClientConcurrencyLimit, install_offline_docs
from quancheng_gateway.api.errors import install_error_handlers
from quancheng_gateway.api.openapi import install_openapi
from quancheng_gateway.api.routes import batches, meta, query, receipts
from quancheng_gateway.core.clock import Clock
from quancheng_gateway.core.config import GatewaySettings
from quancheng_gateway.core.logging import configure_logging
from quancheng_gateway.resources import Department
from quancheng_gateway.service import Gateway

__all__ = ["app_from_env", "create_app"]


def create_app(
    settings: GatewaySettings | None = None,
    *,
    clock: Clock | None = None,
    department: Department | None = None,
    configure_logs: bool = True,
    freeze_heap: bool = False,
) -> FastAPI:
    """The gateway app; starting it (lifespan) syncs the view and starts the background work.

    ``freeze_heap``: once started, move every object alive then out of the cyclic garbage
    collector's sight (``gc.freeze``), as a process serving only this app should (see
    ``app_from_env``).
    """
    settings = settings or GatewaySettings()  # type: ignore[call-arg]
    if configure_logs:
        configure_logging(settings.log_level)
    gateway = Gateway(settings, clock=clock, department=department)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        gateway.start()
        if freeze_heap:
            # The modules, web3's and SQLAlchemy's machinery and the view live as long as the
            # process. Left in the collector's sight, each full collection walks them all:
            # 77 ms under load (two worker processes at 750 queries/s), a second's p99.
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            gateway.stop()

    app = FastAPI(
        title=f"泉城链 gateway — {gateway.department.name}",
        version="1",
        summary="Verified queries under on-chain grants, with signed receipts anchored on chain.",
        lifespan=lifespan,
    )
    app.state.gateway = gateway
    app.state.on_refusal = lambda request, refusal: _count_malformed(gateway, request, refusal)
    install_error_handlers(app)
    install_openapi(app)
    install_offline_docs(app)
    # Innermost: the hot route without the framework's routing (the route stays in OpenAPI).
    app.add_middleware(query.QueryFastPath, gateway=gateway)
    # Outermost: a client over its share, or a body over the limit, is refused unread.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(ClientConcurrencyLimit, max_in_flight=settings.max_requests_per_client)
    for module in (query, receipts, batches, meta):
        app.include_router(module.router)
    return app


def app_from_env() -> FastAPI:
    """The app configured by ``QC_GW_*``: the factory each worker process calls."""
    # The receipt writer releases the GIL for every fsync; with the default 5 ms switch
    # interval it then waits up to 5 ms behind the busy event loop (the convoy effect).
    sys.setswitchinterval(0.0002)
    return create_app(freeze_heap=True)


def _count_malformed(gateway: Gateway, request: Request, refusal: r.Refusal) -> None:
    if request.url.path == "/v1/query":
        gateway.metrics.observe(refusal.code, 0.0)
