"""Attacks on a real department plug-in (车管所, ``quancheng_insurance``) behind uvicorn.

The plug-in judges the query's ``params`` itself (known names, text, a length): every
hostile name is refused, every hostile value is either refused or bound as an SQL parameter
— never interpolated. The process is real, so a replay is also tried across a restart.
State is read as an operator would: the gateway's database, ``/v1/receipts`` and ``/metrics``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quancheng.protocol import Answer, GrantDocument
from quancheng.protocol.documents import _plain_text
from tests.attacks.support import (
    FIELDS,
    INJECTIONS,
    VR,
    assert_refused,
    fresh_subject,
    request_dict,
    sign_dict,
)
from tests.attacks.worlds import DeptGateway
from tests.gateway.support import answer_data
from tests.utils.scenario import active_grant, signed_request

#: ``ParamDef("plate_no", max_length=10)`` of the plug-in's vehicle.registration.
PLATE_MAX = 10


@pytest.fixture(scope="module")
def dgrant(dept: DeptGateway) -> GrantDocument:
    return active_grant(dept.sc, fresh_subject(dept.sc), {VR: FIELDS}, max_uses=1000)


def dept_refused(
    dept: DeptGateway, send: Callable[[], Any], status: int, code: str
) -> dict[str, Any]:
    """Send an attack to the gateway process: exact refusal, no data, nothing changed."""
    dept.sync()
    before = dept.state()
    error = assert_refused(send(), status, code)
    assert dept.state() == before
    return error


def _query(dept: DeptGateway, grant: GrantDocument, **overrides: Any) -> Callable[[], Any]:
    body = json.dumps(sign_dict(dept.sc.consumer, request_dict(dept.sc, grant, **overrides)))
    return lambda: dept.post(body.encode())


@pytest.mark.parametrize("name", list(INJECTIONS.values()), ids=list(INJECTIONS))
def test_injection_in_a_params_name_is_refused(
    dept: DeptGateway, dgrant: GrantDocument, name: str
) -> None:
    error = dept_refused(
        dept, _query(dept, dgrant, params={name: "鲁A12345"}), 400, "MALFORMED_REQUEST"
    )
    if len(name) <= 64 and _plain_text(name):
        assert error["details"]["parameter"] == name  # refused by the department's parameters
    else:  # too long, or control/format characters: refused by the protocol model itself
        assert error["details"]["errors"]


LONG = {k: v for k, v in INJECTIONS.items() if len(v) > PLATE_MAX}


@pytest.mark.parametrize("value", list(LONG.values()), ids=list(LONG))
def test_injection_in_a_params_value_longer_than_allowed_is_refused(
    dept: DeptGateway, dgrant: GrantDocument, value: str
) -> None:
    dept_refused(dept, _query(dept, dgrant, params={"plate_no": value}), 400, "MALFORMED_REQUEST")


@pytest.mark.parametrize("value", [7, ""], ids=["integer", "empty"])
def test_params_value_that_is_not_a_plate_text_is_refused(
    dept: DeptGateway, dgrant: GrantDocument, value: Any
) -> None:
    dept_refused(dept, _query(dept, dgrant, params={"plate_no": value}), 400, "MALFORMED_REQUEST")


@pytest.mark.parametrize(
    "value",
    ["' OR 1=1--", "' OR ''='", "%' --", "1;--"],
    ids=["or-true", "or-empty", "like-wildcard", "statement-end"],
)
def test_sql_in_a_params_value_is_bound_not_interpolated(
    dept: DeptGateway, dgrant: GrantDocument, value: str
) -> None:
    """Short enough to be accepted, the string is compared as a plate: it matches nothing."""
    dept.sync()
    everything = dept.post(
        signed_request(dept.sc.consumer, dgrant, VR, FIELDS).model_dump_json().encode()
    )
    assert everything.status_code == 200 and _data(dept, everything)["plate_no"]
    resp = _query(dept, dgrant, params={"plate_no": value})()
    assert resp.status_code == 200, resp.text
    assert _data(dept, resp) == {"plate_no": [], "status": []}


def _data(dept: DeptGateway, resp: Any) -> dict[str, Any]:
    """The answer's data, opened with the consumer's key if it came sealed."""
    return answer_data(Answer.model_validate_json(resp.content), dept.sc.consumer.sm2)


CONTROL = {
    "nul-byte": "鲁A\x00123",
    "rtl-override": "鲁A\u202e321",
    "zero-width-joiner": "鲁A\u200d123",
    "crlf": "鲁A\r\n123",
}


@pytest.mark.parametrize("value", list(CONTROL.values()), ids=list(CONTROL))
def test_control_character_in_a_params_value_is_refused(
    dept: DeptGateway, dgrant: GrantDocument, value: str
) -> None:
    dept_refused(dept, _query(dept, dgrant, params={"plate_no": value}), 400, "MALFORMED_REQUEST")


def test_body_over_the_limit_is_refused_by_the_real_server(dept: DeptGateway) -> None:
    limit = dept.settings.max_body_bytes

    def chunks() -> Iterator[bytes]:
        yield b'{"pad":"'
        for _ in range(limit // 8192 + 2):
            yield b"x" * 8192
        yield b'"}'

    dept_refused(
        dept, lambda: dept.http.post("/v1/query", content=chunks()), 413, "REQUEST_TOO_LARGE"
    )


def test_request_replayed_after_a_gateway_restart_is_refused(
    dept: DeptGateway, dgrant: GrantDocument
) -> None:
    signed = signed_request(dept.sc.consumer, dgrant, VR, FIELDS).model_dump_json().encode()
    dept.sync()
    assert dept.post(signed).status_code == 200
    dept.restart()
    error = dept_refused(dept, lambda: dept.post(signed), 409, "REPLAYED_REQUEST")
    assert error["details"]["request_id"] == json.loads(signed)["request"]["request_id"]


def test_same_request_sent_eight_times_at_once_is_answered_once(
    dept: DeptGateway, dgrant: GrantDocument
) -> None:
    """A replay race: whichever arrives first is answered, every other copy is a replay."""
    signed = signed_request(dept.sc.consumer, dgrant, VR, FIELDS).model_dump_json().encode()
    dept.sync()
    before = dept.state()
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: dept.post(signed), range(8)))
    assert sorted(r.status_code for r in responses) == [200] + [409] * 7
    for resp in responses:
        if resp.status_code == 409:
            assert_refused(resp, 409, "REPLAYED_REQUEST")
    after = dept.state()
    assert after.log_rows == before.log_rows + 1
    assert after.request_ids - before.request_ids == {json.loads(signed)["request"]["request_id"]}


# ------------------------------------------------------------------ generated contents

GRANTED = {"plate_no", "status"}
NAMES = st.sampled_from(
    ["plate_no", "status", "owner_name", "vin_masked", "vehicles_count", "licence_class"]
) | st.from_regex(r"\A[a-z][a-z0-9_]{0,12}\Z")
SAFE_INT = st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
REQUESTS = st.fixed_dictionaries(
    {  # biased towards the grant, so that most queries reach the department's own checks
        "resource": st.sampled_from([VR, VR, VR, "driving.licence", "traffic.violation"]),
        "fields": st.lists(st.sampled_from(sorted(GRANTED)), min_size=1, max_size=2)
        | st.lists(NAMES, min_size=1, max_size=4),
        "purpose": st.sampled_from([1, 1, 1, 2, 4, 6]),
        "params": st.dictionaries(
            st.sampled_from(["plate_no", "plate_no", "category"]) | st.text(max_size=8),
            st.text(max_size=12) | SAFE_INT,  # beyond 2^53: refused, see test_gateway_bodies
            max_size=2,
        ),
    }
)


@settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(contents=REQUESTS)
def test_signed_queries_with_generated_contents_are_answered_only_within_the_grant(
    dept: DeptGateway, fgrant: GrantDocument, contents: dict[str, Any]
) -> None:
    """Whatever a real consumer signs under a real grant: never a server error, and an answer
    only for the granted resource, purpose and fields — nothing else, never more."""
    body = sign_dict(dept.sc.consumer, request_dict(dept.sc, fgrant, **contents))
    resp = dept.post(json.dumps(body).encode())
    assert resp.status_code < 500, resp.text
    if resp.status_code != 200:
        assert_refused(resp, resp.status_code, resp.json()["error"]["code"])
        return
    assert (contents["resource"], contents["purpose"]) == (VR, 1)
    assert set(_data(dept, resp)) == set(contents["fields"]) <= GRANTED


@pytest.fixture(scope="module")
def fgrant(dept: DeptGateway) -> GrantDocument:
    grant = active_grant(dept.sc, fresh_subject(dept.sc), {VR: FIELDS}, max_uses=10_000)
    dept.sync()
    return grant
