"""The OpenAPI document as the gateway actually behaves.

Three things FastAPI cannot infer: the query body is parsed by hand (to map every parse error
to the protocol's refusal), so its schema is declared explicitly and its definitions must
live in ``components``; every bad parameter is answered ``400 MALFORMED_REQUEST`` with
the protocol's error body, never FastAPI's ``422``; and ``/healthz`` takes its credentials
optionally (without, it says only ok or not).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from quancheng.protocol import SignedRequest
from quancheng_gateway.api.errors import ErrorBody

_REF = "#/components/schemas/{model}"


def query_body_schema() -> dict[str, Any]:
    """The ``SignedRequest`` schema with references into ``components``."""
    schema = SignedRequest.model_json_schema(ref_template=_REF)
    schema.pop("$defs", None)
    return schema


def install_openapi(app: FastAPI) -> None:
    """Replace ``app.openapi`` with the corrected document (built once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        defs = SignedRequest.model_json_schema(ref_template=_REF).get("$defs", {})
        schemas.update(defs)
        schemas.setdefault("ErrorBody", ErrorBody.model_json_schema(ref_template=_REF))
        schemas.update(ErrorBody.model_json_schema(ref_template=_REF).get("$defs", {}))
        schemas["ErrorBody"].pop("$defs", None)
        for item in spec.get("paths", {}).values():
            for op in item.values():
                _bad_parameters_are_400(op)
        # /healthz answers everyone ok / not ok; credentials only add the details.
        health = spec.get("paths", {}).get("/healthz", {}).get("get")
        if health is not None and {} not in health.setdefault("security", []):
            health["security"].append({})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def _bad_parameters_are_400(op: dict[str, Any]) -> None:
    responses = op.get("responses", {})
    responses.pop("422", None)
    if op.get("parameters") or op.get("requestBody"):
        responses.setdefault(
            "400",
            {
                "description": "Refused: MALFORMED_REQUEST",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}
                },
            },
        )
