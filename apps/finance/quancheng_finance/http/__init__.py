"""The credit service over HTTP (FastAPI): ``python -m quancheng_finance.http``.

A bank's credit officers submit SME and personal credit applications, and see each decision
(score, limit) with its reasons and the receipts it rests on. Built on the Python API
(:class:`~quancheng_finance.credit.CreditService`) and the officer kit
(:mod:`quancheng_appkit.officer`). Configured by ``QC_CREDIT_*``
(:class:`~quancheng_finance.http.config.CreditSettings`).

API (``Authorization: Bearer $QC_CREDIT_OPERATOR_TOKEN``; OpenAPI at ``/openapi.json``):

- ``POST /v1/applications``: submit; 201 decided, 202 waiting for the owner's grant;
- ``GET /v1/applications?offset=&limit=&state=``: past applications, newest first;
- ``GET /v1/applications/{id}``: one application, its decision, reasons and receipts.

Pages (Chinese, the same token asked once): ``/`` list, ``/new`` submit, ``/cases/{id}``.
"""

from quancheng_finance.http.main import SPEC, app_from_env, create_app

__all__ = ["SPEC", "app_from_env", "create_app"]
