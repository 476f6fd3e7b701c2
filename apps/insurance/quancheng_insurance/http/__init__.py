"""The claims service over HTTP (FastAPI): ``python -m quancheng_insurance.http``.

An insurer's claims officers submit motor, life and medical claims, and see each decision
with its reasons and the receipts it rests on. Built on the Python API
(:class:`~quancheng_insurance.claims.ClaimsService`) and the officer kit
(:mod:`quancheng_appkit.officer`). Configured by ``QC_CLAIMS_*``
(:class:`~quancheng_insurance.http.config.ClaimsSettings`).

API (``Authorization: Bearer $QC_CLAIMS_OPERATOR_TOKEN``; OpenAPI at ``/openapi.json``):

- ``POST /v1/claims``: submit; 201 decided, 202 waiting for the owner's grant;
- ``GET /v1/claims?offset=&limit=&state=``: past claims, newest first;
- ``GET /v1/claims/{id}``: one claim, its decision, reasons and receipts (anchors checked).

Pages (Chinese, the same token asked once): ``/`` list, ``/new`` submit, ``/cases/{id}``.
"""

from quancheng_insurance.http.main import SPEC, app_from_env, create_app

__all__ = ["SPEC", "app_from_env", "create_app"]
