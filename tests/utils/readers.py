"""Reading gateways' logs as tests do: signed reader tokens and the operator's metrics token.

Gateways answer ``/v1/receipts``, ``/v1/batches``, proofs and ``/metrics`` only to entitled
readers (see ``quancheng_gateway.readers``)::

    signed_get(gw.client, sc.auditor, "/v1/receipts", audience=sc.provider.code, limit=1000)
    gw.client.get("/metrics", headers=OPERATOR)
"""

from __future__ import annotations

from typing import Any

from quancheng.log_reader import LogReader, with_query
from tests.utils.chain_factories import Member
from tests.utils.scenario import TEST_METRICS_TOKEN

__all__ = ["OPERATOR", "reader_of", "signed_get", "signed_headers"]

#: The operator's headers for ``/metrics`` and the details of ``/healthz`` of test gateways.
OPERATOR = {"Authorization": f"Bearer {TEST_METRICS_TOKEN}"}


def reader_of(member: Member) -> LogReader:
    """The member as a log reader (its SM2 key registered on chain)."""
    return LogReader(member.code, member.sm2)


def signed_headers(member: Member, url: str, *, audience: str) -> dict[str, str]:
    """The reader-token header for one GET of ``url`` (path and query, or a full URL)."""
    return reader_of(member).headers(url, audience=audience)


def signed_get(
    client: Any, member: Member, path: str, *, audience: str, base: str = "", **params: Any
) -> Any:
    """GET ``base + path`` with ``params`` as ``member`` (a TestClient or an httpx client)."""
    url = with_query(base + path, params)
    return client.get(url, headers=signed_headers(member, url, audience=audience))
