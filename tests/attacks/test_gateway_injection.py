"""Injection strings and odd Unicode in every parameter of a query and of the read API.

Every string goes into every identifier of a signed query (the consumer signs it: only the
value is hostile) and into every path and query parameter of the receipt API. Identifiers
are closed patterns (codes, field names, UUIDs, 0x-hex), so each is refused as malformed
before anything is looked up; the receipt API looks the string up as a bound parameter and
finds nothing. Parameters (``params``) are the department's to judge: the real plug-in's
attacks are in ``test_dept_gateway.py``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from quancheng.protocol import GrantDocument
from tests.attacks.support import INJECTIONS, assert_refused, refused, request_dict, sign_dict
from tests.gateway.conftest import InProcessGateway
from tests.utils.scenario import Scenario


def _valid_plus(value: str) -> dict[str, str]:
    """Suffixes on a valid value: a trailing newline tests how the patterns are anchored."""
    return {"trailing-newline": value + "\n", "leading-space": " " + value}


def _cases(field: str, valid: str | None) -> list[Any]:
    items = {**INJECTIONS, **(_valid_plus(valid) if valid else {})}
    return [pytest.param(field, v, id=f"{field}:{k}") for k, v in items.items()]


CASES = [
    *_cases("resource", "vehicle.registration"),
    *_cases("fields", "plate_no"),
    *_cases("request_id", "0f8fad5b-d9cb-469f-a165-70867728950e"),
    *_cases("consumer", "CONSUMER"),
    *_cases("grant_id", "GRANT"),
    *_cases("purpose", None),  # " 1" is read as 1 (lax mode): see the coercion test
]


@pytest.mark.parametrize(("field", "value"), CASES)
def test_injection_in_a_query_identifier_is_refused_as_malformed(
    sc: Scenario, gw: InProcessGateway, grant: GrantDocument, field: str, value: str
) -> None:
    value = value.replace("CONSUMER", sc.consumer.code).replace("GRANT", grant.grant_id)
    hostile: dict[str, Any] = {field: [value] if field == "fields" else value}
    req = request_dict(sc, grant, **hostile)
    body = json.dumps(sign_dict(sc.consumer, req)).encode()
    error = refused(gw, lambda: gw.client.post("/v1/query", content=body), 400, "MALFORMED_REQUEST")
    assert error["details"]["errors"][0]["loc"].startswith(f"request.{field}")


# ------------------------------------------------------------------------ the read API


@pytest.fixture(scope="module")
def raw(gw: InProcessGateway) -> TestClient:
    """The gateway app without re-raising its errors: a crash shows as the 500 it sends."""
    return TestClient(gw.client.app, raise_server_exceptions=False)


#: Strings without "/": they reach the route as one path parameter.
PATH_SAFE = {k: v for k, v in INJECTIONS.items() if "/" not in v}


@pytest.mark.parametrize("suffix", ["", "/proof"], ids=["receipt", "proof"])
@pytest.mark.parametrize("value", list(PATH_SAFE.values()), ids=list(PATH_SAFE))
def test_injection_in_a_receipt_id_finds_no_receipt(
    gw: InProcessGateway, raw: TestClient, value: str, suffix: str
) -> None:
    path = f"/v1/receipts/{quote(value, safe='')}{suffix}"
    refused(gw, lambda: gw.read(path, client=raw), 404, "UNKNOWN_RECEIPT")


@pytest.mark.parametrize("value", list(INJECTIONS.values()), ids=list(INJECTIONS))
def test_injection_in_a_batch_seq_is_refused_as_malformed(
    gw: InProcessGateway, raw: TestClient, value: str
) -> None:
    path = f"/v1/batches/{quote(value, safe='')}"
    if "/" in value:  # an encoded slash splits the path: no route, and no data either
        resp = gw.read(path, client=raw)
        assert resp.status_code == 404 and "data" not in resp.text, resp.text
        return
    refused(gw, lambda: gw.read(path, client=raw), 400, "MALFORMED_REQUEST")


@pytest.mark.parametrize("param", ["from_index", "limit"])
@pytest.mark.parametrize(
    "value",
    [*INJECTIONS.values(), "-1", "0x10", "1e3"],
    ids=[*INJECTIONS, "negative", "hex", "exponent"],
)
def test_injection_in_a_receipt_log_parameter_is_refused_as_malformed(
    gw: InProcessGateway, raw: TestClient, param: str, value: str
) -> None:
    read = lambda: gw.read("/v1/receipts", client=raw, **{param: value})  # noqa: E731
    refused(gw, read, 400, "MALFORMED_REQUEST")


def test_huge_receipt_log_offset_is_malformed_not_a_crash(
    gw: InProcessGateway, raw: TestClient
) -> None:
    refused(
        gw, lambda: gw.read("/v1/receipts", client=raw, from_index=2**63), 400, "MALFORMED_REQUEST"
    )


def test_huge_batch_seq_is_malformed_not_a_crash(gw: InProcessGateway, raw: TestClient) -> None:
    refused(gw, lambda: gw.read(f"/v1/batches/{2**63}", client=raw), 400, "MALFORMED_REQUEST")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/receipts/..%2F..%2Fetc%2Fpasswd/proof", 404),
        ("GET", "/v1/query", 405),
        ("DELETE", "/v1/receipts", 405),
        ("GET", "/admin", 404),
    ],
    ids=["encoded-traversal", "get-query", "delete-log", "unknown-path"],
)
def test_request_no_route_matches_gets_the_protocol_error_body(
    gw: InProcessGateway, raw: TestClient, method: str, path: str, status: int
) -> None:
    resp = raw.request(method, path)
    assert resp.status_code == status
    body = resp.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert_refused(resp, status, body["error"]["code"])
