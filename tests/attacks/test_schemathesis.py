"""Schemathesis against each gateway's OpenAPI: generated requests never make a server error.

Two gateways, two ways in: the test department's app in process (ASGI) and a real
department plug-in (``quancheng_insurance.departments:vehicle``) behind uvicorn over real
HTTP. Every operation of each is fuzzed with schema-valid (positive) and schema-invalid
(negative) requests, deterministically (``derandomize``, no example database), and every
response must be below 500, have a documented content type, and match the schema its
status documents. Every request is signed as the deployment's auditor (a reader token made
from the request as finally sent), so the log routes are fuzzed past their gate; the gate
itself is attacked in ``test_log_access.py``.

What the OpenAPI document itself must get right is checked by hand below;
the run repairs the one defect that would otherwise stop generation — the query body's
schema refers to ``#/$defs/…``, which does not exist at the document's root — so that the
query is fuzzed at all (unrepaired, Schemathesis makes one request of it).
"""

from __future__ import annotations

import contextlib
import copy
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.generation.feedback import NO_FEEDBACK
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from quancheng.log_reader import LogReader
from tests.attacks.worlds import DeptGateway
from tests.gateway.conftest import InProcessGateway
from tests.utils.chain_factories import Member

#: Generated cases per operation and generation mode (operations without inputs have one).
BUDGET = {
    "POST /v1/query": 220,
    "GET /v1/receipts": 60,
    "GET /v1/receipts/{receipt_id}": 60,
    "GET /v1/receipts/{receipt_id}/proof": 60,
    "GET /v1/batches/{seq}": 60,
    "GET /v1/resources": 1,
    "GET /healthz": 1,
    "GET /metrics": 1,
}
GATEWAYS = ("test-department-asgi", "insurance-vmo-http")
#: Operations whose only input is an unconstrained string: no negative case exists.
POSITIVE_ONLY = {"GET /v1/receipts/{receipt_id}", "GET /v1/receipts/{receipt_id}/proof"}
#: Each (gateway, operation) test asserts it ran at least this many cases: ≥ 1,000 in all.
FLOOR = {op: n if n == 1 or op in POSITIVE_ONLY else 2 * n for op, n in BUDGET.items()}

#: Server errors the generation finds (deterministically, with the pinned versions).
KNOWN_SERVER_ERRORS: dict[str, pytest.MarkDecorator] = {}


def test_the_budget_is_at_least_1000_cases() -> None:
    assert sum(FLOOR.values()) * len(GATEWAYS) >= 1000


# ------------------------------------------------------------------------- the schemas


class NoLifespan:
    """The started gateway app without a second lifespan (the fixture already ran it)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return


def repaired(spec: dict[str, Any]) -> dict[str, Any]:
    """The document with every schema's local ``$defs`` hoisted into ``components``."""
    spec = copy.deepcopy(spec)
    components = spec.setdefault("components", {}).setdefault("schemas", {})

    def hoist(node: Any) -> Any:
        if isinstance(node, dict):
            for name, definition in node.pop("$defs", {}).items():
                components.setdefault(name, hoist(definition))
            return {
                k: (v.replace("#/$defs/", "#/components/schemas/") if k == "$ref" else hoist(v))
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [hoist(v) for v in node]
        return node

    spec["paths"] = hoist(spec["paths"])
    return spec


class RequestsReader(requests.auth.AuthBase):
    """Signs each request as an auditor, as finally prepared: the log routes are fuzzed past
    their gate (Schemathesis sends with ``requests``, in process too)."""

    def __init__(self, member: Member, audience: str) -> None:
        self.reader, self.audience = LogReader(member.code, member.sm2), audience

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers.update(self.reader.headers(request.path_url, audience=self.audience))
        return request


@dataclass
class Target:
    """A gateway as Schemathesis reaches it."""

    schema: Any
    call_kwargs: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="module")
def targets(gw: InProcessGateway, dept: DeptGateway) -> Iterator[dict[str, Target]]:
    app = NoLifespan(gw.client.app)
    asgi = schemathesis.openapi.from_dict(repaired(gw.client.get("/openapi.json").json()))
    asgi.app = app
    http = schemathesis.openapi.from_dict(repaired(dept.http.get("/openapi.json").json()))
    assert gw.auditor is not None
    session = requests.Session()
    session.auth = RequestsReader(dept.sc.auditor, dept.sc.provider.code)
    yield {
        "test-department-asgi": Target(
            asgi, {"app": app, "auth": RequestsReader(gw.auditor, gw.gateway.provider)}
        ),
        "insurance-vmo-http": Target(http, {"base_url": dept.process.url, "session": session}),
    }
    session.close()


def test_the_two_documents_differ_only_in_their_title(
    gw: InProcessGateway, dept: DeptGateway
) -> None:
    """Every plug-in serves the same API: fuzzing two gateways covers each distinct document."""
    a, b = gw.client.get("/openapi.json").json(), dept.http.get("/openapi.json").json()
    assert a["info"]["title"] != b["info"]["title"]
    a["info"].pop("title"), b["info"].pop("title")
    assert a == b


# --------------------------------------------------------------------------------- fuzz


@dataclass
class Outcome:
    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    nonconforming: list[str] = field(default_factory=list)


def fuzz(target: Target, label: str, mode: GenerationMode, budget: int, out: Outcome) -> None:
    operation = target.schema[label.split(" ", 1)[1]][label.split(" ", 1)[0]]
    try:
        strategy = operation.as_strategy(generation_mode=mode, feedback=NO_FEEDBACK)
    except Exception:  # nothing negative to say about an unconstrained string
        return

    @settings(
        max_examples=budget,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
        report_multiple_bugs=False,
    )
    @given(strategy)
    def run(case: Any) -> None:
        out.cases += 1
        try:
            response = case.call(**target.call_kwargs)
        except Exception as exc:  # an in-process app's unhandled error: uvicorn would 500
            out.statuses[500] += 1
            out.server_errors.append(f"{exc!r} <- {case.as_curl_command()}")
            return
        out.statuses[response.status_code] += 1
        if response.status_code >= 500:
            out.server_errors.append(f"{response.status_code} <- {case.as_curl_command()}")
            return
        for check in (content_type_conformance, response_schema_conformance):
            try:
                case.validate_response(response, checks=[check])
            except Exception as exc:
                first = str(exc).strip().splitlines()[:3]
                out.nonconforming.append(f"{check.__name__}: {first} <- {case.as_curl_command()}")

    with contextlib.suppress(Unsatisfiable):  # negative cases of inputs that cannot be wrong
        run()


def _cases() -> list[Any]:
    return [
        pytest.param(g, op, id=f"{g}:{op}", marks=KNOWN_SERVER_ERRORS.get(op, ()))
        for g in GATEWAYS
        for op in BUDGET
    ]


@pytest.mark.parametrize(("gateway", "label"), _cases())
def test_generated_requests_make_no_server_error(
    targets: dict[str, Target], gateway: str, label: str
) -> None:
    out = Outcome()
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        fuzz(targets[gateway], label, mode, BUDGET[label], out)
    print(f"{gateway} {label}: {out.cases} cases, statuses {dict(sorted(out.statuses.items()))}")
    assert out.server_errors == [], out.server_errors[:5]
    assert out.nonconforming == [], out.nonconforming[:5]
    assert out.cases >= FLOOR[label], out.cases


# ------------------------------------------------------------- the document's own defects


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _resolves(spec: dict[str, Any], ref: str) -> bool:
    node: Any = spec
    for part in ref.removeprefix("#/").split("/"):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def test_every_reference_of_the_repaired_document_resolves(gw: InProcessGateway) -> None:
    spec = repaired(gw.client.get("/openapi.json").json())
    assert [ref for ref in _refs(spec) if not _resolves(spec, ref)] == []


def test_every_reference_of_the_served_document_resolves(gw: InProcessGateway) -> None:
    spec = gw.client.get("/openapi.json").json()
    assert [ref for ref in _refs(spec) if not _resolves(spec, ref)] == []


def test_parameter_errors_are_documented_as_they_are_answered(gw: InProcessGateway) -> None:
    spec = gw.client.get("/openapi.json").json()
    wrong = [
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if op.get("parameters") and ("422" in op["responses"] or "400" not in op["responses"])
    ]
    assert wrong == []
