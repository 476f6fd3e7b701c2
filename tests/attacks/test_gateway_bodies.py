"""Attacks on the query body itself: malformed, oversized, nested, padded, mistyped.

The consumer is real and signs what it sends (a bad signature would hide the body's own
refusal): each body is refused for what it is, with nothing changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from quancheng.protocol import GrantDocument
from tests.attacks.support import FIELDS, VR, refused, request_dict, sign_dict
from tests.gateway.conftest import InProcessGateway
from tests.utils.scenario import Scenario, signed_request


def _post(gw: InProcessGateway, content: Any, **headers: str) -> Any:
    return lambda: gw.client.post("/v1/query", content=content, headers=headers)


def _signed(sc: Scenario, grant: GrantDocument, **overrides: Any) -> bytes:
    return json.dumps(sign_dict(sc.consumer, request_dict(sc, grant, **overrides))).encode()


# ------------------------------------------------------------------------------ syntax


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"request": {}, "signature": "AAAA"} trailing',
        b"{'a': 1}",
        b'{"request": NaN}',
        b"",
        b"null",
        b"[1, 2]",
        b'"a string"',
        b"\xff\xfe{}",
        b'{"request": "\\ud800", "signature": "AAAA"}',
    ],
    ids=[
        "truncated",
        "trailing-garbage",
        "single-quotes",
        "nan",
        "empty",
        "null",
        "array",
        "string",
        "invalid-utf8",
        "lone-surrogate",
    ],
)
def test_malformed_json_is_refused(gw: InProcessGateway, body: bytes) -> None:
    refused(gw, _post(gw, body), 400, "MALFORMED_REQUEST")


def test_deeply_nested_json_is_refused(gw: InProcessGateway) -> None:
    depth = 5_000
    body = b'{"request": ' + b"[" * depth + b"]" * depth + b', "signature": "AAAA"}'
    refused(gw, _post(gw, body), 400, "MALFORMED_REQUEST")


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
    ids=["text-plain", "form-urlencoded", "multipart"],
)
def test_wrong_content_type_is_refused(
    sc: Scenario, gw: InProcessGateway, grant: GrantDocument, content_type: str
) -> None:
    body = signed_request(sc.consumer, grant, VR, FIELDS).model_dump_json().encode()
    refused(gw, _post(gw, body, **{"content-type": content_type}), 400, "MALFORMED_REQUEST")


# ------------------------------------------------------------------------------- size


def test_body_over_the_limit_is_refused_by_its_length(gw: InProcessGateway) -> None:
    limit = gw.gateway.settings.max_body_bytes
    body = b'{"pad":"' + b"x" * limit + b'"}'
    refused(gw, _post(gw, body), 413, "REQUEST_TOO_LARGE")


def test_body_over_the_limit_is_refused_while_streaming(gw: InProcessGateway) -> None:
    """No Content-Length (chunked): the limit is enforced on the bytes as they arrive."""
    limit = gw.gateway.settings.max_body_bytes

    def chunks() -> Iterator[bytes]:
        yield b'{"pad":"'
        for _ in range(limit // 4096 + 2):
            yield b"x" * 4096
        yield b'"}'

    refused(gw, _post(gw, chunks()), 413, "REQUEST_TOO_LARGE")


# ------------------------------------------------------------------------------ shape


def test_extra_field_inside_the_signed_request_is_refused(
    sc: Scenario, gw: InProcessGateway, grant: GrantDocument
) -> None:
    """The consumer signs a request with a field the protocol does not have."""
    refused(gw, _post(gw, _signed(sc, grant, admin=True)), 400, "MALFORMED_REQUEST")


def test_extra_field_beside_the_signed_request_is_refused(
    sc: Scenario, gw: InProcessGateway, grant: GrantDocument
) -> None:
    body = {**sign_dict(sc.consumer, request_dict(sc, grant)), "fields": ["owner_name"]}
    refused(gw, _post(gw, json.dumps(body).encode()), 400, "MALFORMED_REQUEST")


def test_duplicate_keys_are_judged_by_the_last_and_refused(
    sc: Scenario, gw: InProcessGateway, grant: GrantDocument
) -> None:
    """A signed request, then a second "request" key widening it: the signature fails."""
    good = sign_dict(sc.consumer, request_dict(sc, grant, fields=["plate_no"]))
    wide = {**good["request"], "fields": ["owner_name", "plate_no"]}
    body = (
        f'{{"request": {json.dumps(good["request"])}, "request": {json.dumps(wide)}, '
        f'"signature": "{good["signature"]}"}}'
    ).encode()
    refused(gw, _post(gw, body), 401, "BAD_REQUEST_SIGNATURE")


@pytest.mark.parametrize(
    "overrides",
    [
        {"type": "quancheng.query/3"},
        {"purpose": 99},
        {"purpose": 0},
        {"purpose": "motor"},
        {"issued_at_ms": -1},
        {"issued_at_ms": "now"},
        {"fields": []},
        {"fields": [f"f{i}" for i in range(65)]},
        {"params": {f"k{i}": "v" for i in range(17)}},
        {"params": {"plate_no": "x" * 257}},
        {"params": {"plate_no": {"$ne": ""}}},
        {"params": {"plate_no": ["a", "b"]}},
        {"params": {"plate_no": None}},
        {"params": {"plate_no": 1.5}},
        {"grant_id": None},
        {"channel": "0x1234"},
        {"channel": 0},
        {"seal": "yes"},
        {"seal": 1},
        {"seal": None},
    ],
    ids=[
        "unknown-type",
        "purpose-99",
        "purpose-0",
        "purpose-as-word",
        "negative-time",
        "time-as-text",
        "no-fields",
        "65-fields",
        "17-params",
        "param-257-chars",
        "param-operator-object",
        "param-list",
        "param-null",
        "param-float",
        "grant-null",
        "channel-short",
        "channel-number",
        "seal-as-word",
        "seal-as-number",
        "seal-null",
    ],
)
def test_mistyped_signed_request_is_refused(
    sc: Scenario, gw: InProcessGateway, grant: GrantDocument, overrides: dict[str, Any]
) -> None:
    refused(gw, _post(gw, _signed(sc, grant, **overrides)), 400, "MALFORMED_REQUEST")


@pytest.mark.parametrize(
    "overrides",
    [
        {"purpose": "1"},
        {"purpose": True},
        {"issued_at_ms": "TIME"},
        {"issued_at_ms": "TIME.0"},
        {"params": {"plate_no": True}},
    ],
    ids=["purpose-as-text", "purpose-as-true", "time-as-text", "time-as-float", "param-true"],
)
def test_value_of_another_json_type_is_refused_even_when_signed(
    sc: Scenario, gw: InProcessGateway, grant: GrantDocument, overrides: dict[str, Any]
) -> None:
    """Integers are read strictly: "1", 1.0 and true are not 1, whoever signed them."""
    if overrides.get("issued_at_ms") == "TIME":
        overrides = {"issued_at_ms": str(gw.clock.now_ms())}
    elif overrides.get("issued_at_ms") == "TIME.0":
        overrides = {"issued_at_ms": float(gw.clock.now_ms())}
    refused(gw, _post(gw, _signed(sc, grant, **overrides)), 400, "MALFORMED_REQUEST")


@pytest.mark.parametrize(
    ("field", "look_alike"),
    [("purpose", "true"), ("purpose", "1.0"), ("issued_at_ms", "{value}.0")],
    ids=["purpose-true", "purpose-float", "time-float"],
)
def test_signed_request_rewritten_in_a_look_alike_form_is_refused(
    sc: Scenario, gw: InProcessGateway, grant: GrantDocument, field: str, look_alike: str
) -> None:
    """A relay rewrites a correctly signed integer as a value that a lax parser reads back
    as the same integer: the body is not the one signed, so it must not be answered."""
    signed = sign_dict(sc.consumer, request_dict(sc, grant))
    value = signed["request"][field]
    original = json.dumps(signed).encode()
    needle = f'"{field}": {value}'.encode()
    assert original.count(needle) == 1
    body = original.replace(needle, f'"{field}": {look_alike.format(value=value)}'.encode())
    refused(gw, _post(gw, body), 400, "MALFORMED_REQUEST")


def test_param_integer_beyond_json_is_malformed_not_a_crash(
    sc: Scenario, gw: InProcessGateway, grant: GrantDocument
) -> None:
    body = _signed(sc, grant, params={"plate_no": 2**60})
    refused(gw, _post(gw, body), 400, "MALFORMED_REQUEST")
