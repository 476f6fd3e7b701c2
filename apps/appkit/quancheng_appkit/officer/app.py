"""An officer service as a FastAPI app: the service's API router, pages, health and refusals.

Each service (``quancheng_insurance.http``, ``quancheng_finance.http``) gives a
:class:`ServiceSpec`: its tables, its case kinds (built on its ``DecisionService``) and the
router of its API; :func:`create_officer_app` does the rest the same way for both.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine, text
from starlette.exceptions import HTTPException as StarletteHTTPException

from quancheng.client import ConsumerClient
from quancheng_appkit.officer import pages
from quancheng_appkit.officer.auth import OfficerDep
from quancheng_appkit.officer.errors import ErrorBody, InvalidInput, OfficerError
from quancheng_appkit.officer.runner import CaseKind, CaseRunner, RecordingClient
from quancheng_appkit.officer.settings import OfficerSettings
from quancheng_appkit.officer.state import Officer
from quancheng_appkit.officer.store import CaseStore, Clock, make_engine
from quancheng_appkit.serving import BodyLimit, ClientConcurrencyLimit, install_offline_docs
from quancheng_appkit.store import utc_now

__all__ = ["ServiceSpec", "create_officer_app"]

_log = logging.getLogger("quancheng_appkit.officer")
PACKAGE_DIR = Path(__file__).resolve().parent
#: Pages load nothing from elsewhere (no script at all); /docs sends its own policy
#: (self-hosted Swagger UI: :func:`~quancheng_appkit.serving.install_offline_docs`).
_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class ServiceSpec:
    """What makes a claims or a credit service of the kit.

    Attributes:
        api_title: The OpenAPI title.
        page_title: The officer pages' heading (Chinese).
        noun: How refusals name a case (``claim``).
        collection: The API path of the cases (``/v1/claims``).
        cases, receipts, decisions: The service's table models.
        make_kinds: Builds the kinds on the service's ``DecisionService`` (client, engine).
        router: The service's API routes.
    """

    api_title: str
    page_title: str
    noun: str
    collection: str
    cases: Any
    receipts: Any
    decisions: Any
    make_kinds: Callable[[RecordingClient, Engine], Mapping[str, CaseKind]]
    router: APIRouter


def create_officer_app(
    settings: OfficerSettings, spec: ServiceSpec, *, client: ConsumerClient | None = None,
    clock: Clock = utc_now,
) -> FastAPI:  # fmt: skip
    """The service's app; starting it (lifespan) starts the poller of waiting cases.

    Raises:
        IdentityError, ManifestError, ConfigError: Keys, manifest or TLS files do not load.
    """
    engine = make_engine(settings.database_url)
    client = client or ConsumerClient(
        settings.load_institution(), settings.manifest_path, settings.rpc_url,
        tls=settings.gateway_tls(), evidence=settings.evidence_file,
    )  # fmt: skip
    recorder = RecordingClient(client)
    kinds = spec.make_kinds(recorder, engine)
    store = CaseStore(
        engine, cases=spec.cases, receipts=spec.receipts, decisions=spec.decisions,
        titles={k: kind.template.title for k, kind in kinds.items()}, clock=clock,
        noun=spec.noun, collection=spec.collection,
    )  # fmt: skip
    runner = CaseRunner(
        recorder, store, kinds, grant_valid_days=settings.grant_valid_days,
        grant_max_uses=settings.grant_max_uses, data_as_of=settings.data_as_of,
        poll_interval_s=settings.grant_poll_interval_s,
    )  # fmt: skip
    officer = Officer(
        settings=settings, runner=runner, kinds=kinds, title=spec.page_title,
        templates=Jinja2Templates(directory=PACKAGE_DIR / "templates"),
        institution=client.institution.code,
    )  # fmt: skip

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        runner.start()
        try:
            yield
        finally:
            runner.stop()
            client.close()
            engine.dispose()

    app = FastAPI(
        title=spec.api_title, version="1", lifespan=lifespan,
        summary="Submit a case, see its decision with the reasons and the receipts it rests on.",
    )  # fmt: skip
    app.state.officer = officer
    app.include_router(spec.router)
    app.include_router(_meta)
    app.include_router(pages.router)
    pages.mount_static(app, PACKAGE_DIR / "static")
    _install_error_handlers(app)
    _install_openapi(app)
    install_offline_docs(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(ClientConcurrencyLimit, max_in_flight=settings.max_requests_per_client)

    @app.middleware("http")
    async def page_headers(request: Request, call_next: Callable) -> Response:  # type: ignore[type-arg]
        response: Response = await call_next(request)
        if response.headers.get("content-type", "").startswith("text/html") and not (
            request.url.path.startswith(("/docs", "/redoc"))
        ):
            response.headers.setdefault("content-security-policy", _CSP)
            response.headers.setdefault("cache-control", "no-store")
        response.headers.setdefault("x-content-type-options", "nosniff")
        response.headers.setdefault("referrer-policy", "same-origin")
        return response

    return app


# ------------------------------------------------------------------------------ health

_meta = APIRouter(tags=["meta"])


@_meta.get("/healthz", responses={503: {"description": "The chain or the database is down"}})
def healthz(officer: OfficerDep) -> Any:
    """200 when the chain answers and the database opens; 503 otherwise."""
    health: dict[str, Any] = {"ok": True, "institution": officer.institution}
    try:
        health["block"] = int(officer.runner.client.contracts.w3.eth.block_number)
    except Exception as exc:  # any transport failure: report it, do not raise
        health.update(ok=False, chain_error=type(exc).__name__)
    try:
        with officer.runner.store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        health.update(ok=False, database_error=type(exc).__name__)
    return JSONResponse(health, status_code=200 if health["ok"] else 503)


# ----------------------------------------------------------------------------- refusals


def invalid_input(errors: list[dict[str, Any]]) -> InvalidInput:
    """422 ``INVALID_INPUT`` naming each field wrong (at most ten)."""
    listed = [
        {"loc": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
         "msg": str(e.get("msg", ""))}
        for e in errors[:10]
    ]  # fmt: skip
    summary = "; ".join(f"{e['loc'] or 'body'}: {e['msg']}" for e in listed[:3])
    return InvalidInput(summary=summary, errors=listed)


def _install_error_handlers(app: FastAPI) -> None:
    async def _officer(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, OfficerError)
        if exc.status >= 500:
            _log.warning("%s %s: %s %s", request.method, request.url.path, exc.code, exc)
        return JSONResponse(exc.to_body(), status_code=exc.status)

    async def _invalid(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        error = invalid_input(list(exc.errors()))
        return JSONResponse(error.to_body(), status_code=error.status)

    async def _http(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "HTTP_ERROR")
        body = {"error": {"code": code, "message": str(exc.detail), "details": {}}}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    app.add_exception_handler(OfficerError, _officer)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _http)


def _install_openapi(app: FastAPI) -> None:
    """The document as the service behaves: bad input is 422 with the refusal body."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(title=app.title, version=app.version, summary=app.summary,
                           routes=app.routes)  # fmt: skip
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        ref = "#/components/schemas/{model}"
        body = ErrorBody.model_json_schema(ref_template=ref)
        schemas.update(body.pop("$defs", {}))
        schemas["ErrorBody"] = body
        invalid = {
            "description": "Refused: INVALID_INPUT",
            "content": {"application/json": {"schema": {"$ref": ref.format(model="ErrorBody")}}},
        }
        for item in spec.get("paths", {}).values():
            for op in item.values():
                responses = op.get("responses", {})
                if "422" not in responses:
                    continue
                declared = str(responses["422"].get("description", ""))
                if declared.startswith("Refused: "):  # the route's own 422 refusals
                    invalid["description"] = declared + ", INVALID_INPUT"
                responses["422"] = dict(invalid)
                invalid["description"] = "Refused: INVALID_INPUT"
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
