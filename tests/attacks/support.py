"""What every attack checks: the exact refusal, no data, and a gateway state that did not move.

An attack passes when the answer is the exact refusal (HTTP status and protocol code), the
body is only the protocol's error (no ``answer``, no ``data``, no receipt), and nothing
changed: :func:`gateway_state` captures everything a query could move — the log's positions
and rows, the request ids it holds, the use counts per (grant, resource) (in memory and in the
database), the log size the API reports and the receipts counter of ``/metrics``.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine, func, select

from quancheng.crypto import SM2PrivateKey, canonical_json
from quancheng.protocol import GrantDocument
from quancheng_gateway.models import ReceiptRow
from tests.gateway.conftest import InProcessGateway
from tests.utils.chain_factories import Member
from tests.utils.readers import OPERATOR
from tests.utils.scenario import Scenario, owner_for

#: Dev accounts that fund this package's deployments (other packages use 8, 9, 12, 14, 16).
FUNDER_INDEX, DEPT_FUNDER_INDEX = 18, 19
VR, DL = "vehicle.registration", "driving.licence"
FIELDS = ("plate_no", "status")
#: Keys that only an answer carries: none of them may appear anywhere in a refusal.
DATA_KEYS = frozenset({"answer", "data", "data_digest", "receipt", "receipts", "signature"})
#: Subjects the portal's people are taken from (the end of the list: nobody else uses them).
PORTAL_PEOPLE = 3

RCPT = ReceiptRow.__table__  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------ refusals


def keys_in(value: Any) -> set[str]:
    """Every object key anywhere in a JSON value."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_in(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_in(v)}
    return set()


def assert_refused(resp: Any, status: int, code: str) -> dict[str, Any]:
    """Exact status and code; a body that is only the protocol's error and carries no data."""
    assert resp.status_code == status, (resp.status_code, resp.text[:500])
    body = resp.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert body["error"]["code"] == code, body
    assert not keys_in(body) & DATA_KEYS, body
    return dict(body["error"])


# --------------------------------------------------------------------------- gateway state


@dataclass(frozen=True)
class GatewayState:
    """Everything an answered query moves at a gateway."""

    log_rows: int
    request_ids: frozenset[str]
    #: Receipts per (grant, resource): max_uses is a budget per resource.
    uses_by_budget: tuple[tuple[str, str, int], ...]
    api_total: int
    metrics_receipts: float
    metrics_ok: float
    committer: tuple[int, int, tuple[tuple[str, str, int], ...], int] | None


def metric(text: str, name: str, labels: str = "") -> float:
    """One sample of a Prometheus text exposition (0 when absent)."""
    pattern = re.escape(name + (f"{{{labels}}}" if labels else "")) + r" ([0-9.e+-]+)$"
    match = re.search(pattern, text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def gateway_state(
    client: Any,
    database_url: str,
    gateway: Any = None,
    *,
    read: Callable[[str], Any],
) -> GatewayState:
    """The state of a gateway through its database, its API, its metrics and its memory.

    ``read(path)`` GETs a log route as an entitled reader (the scenario's auditor).
    """
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = int(conn.execute(select(func.count()).select_from(RCPT)).scalar() or 0)
            ids = frozenset(r[0] for r in conn.execute(select(RCPT.c.request_id)))
            per_budget = select(RCPT.c.grant_id, RCPT.c.resource, func.count()).group_by(
                RCPT.c.grant_id, RCPT.c.resource
            )
            uses = tuple(sorted((g, res, int(n)) for g, res, n in conn.execute(per_budget)))
    finally:
        engine.dispose()
    total = read("/v1/receipts?limit=1").json()["total"]
    text = client.get("/metrics", headers=OPERATOR).text
    committer = None
    if gateway is not None:
        c = gateway.committer
        assert not c._inflight, c._inflight  # nothing half-reserved after a refusal
        # The committed head, what is in flight (ids, uses); served counts are in the DB.
        committer = (c.head, c.inflight, (), len(c._inflight_uses))
    return GatewayState(
        rows,
        ids,
        uses,
        int(total),
        metric(text, "qc_gateway_receipts_total"),
        metric(text, "qc_gateway_queries_total", 'outcome="OK"'),
        committer,
    )


def state_of(gw: InProcessGateway) -> GatewayState:
    return gateway_state(
        gw.client, str(gw.gateway.settings.database_url), gw.gateway, read=lambda p: gw.read(p)
    )


def refused(
    gw: InProcessGateway,
    send: Callable[[], Any],
    status: int,
    code: str,
    *,
    request_id: str | None = None,
) -> dict[str, Any]:
    """Send an attack to the in-process gateway: exact refusal, no data, nothing changed."""
    gw.sync()
    before = state_of(gw)
    error = assert_refused(send(), status, code)
    after = state_of(gw)
    assert after == before
    if request_id is not None:
        assert request_id not in after.request_ids
    return error


def answered(gw: InProcessGateway, resp: Any) -> dict[str, Any]:
    assert resp.status_code == 200, resp.text[:500]
    return dict(resp.json())


# ------------------------------------------------------------------------- injections

#: Hostile strings, by what they try; every identifier and parameter gets each of them.
INJECTIONS: dict[str, str] = {
    "sql-or": "' OR 1=1 --",
    "sql-drop": '"; DROP TABLE receipts; --',
    "sql-union": "x' UNION SELECT signed_receipt FROM receipts --",
    "path-traversal": "../../etc/passwd",
    "nul-byte": "plate\x00no",
    "rtl-override": "\u202eon_etalp",
    "zero-width-joiner": "plate\u200dno\u200c",
    "emoji": "🚗💥",
    "very-long": "a" * 5_000,
    "non-nfc": "cafe\u0301",
    "fullwidth": "ｐｌａｔｅ＿ｎｏ",
    "crlf": "x\r\nSet-Cookie: a=b",
    "format-string": "%s%n{0}${7*7}",
    "html": "<script>alert(1)</script>",
}


# ------------------------------------------------------------------------- raw requests


def request_dict(
    sc: Scenario,
    doc: GrantDocument | str,
    resource: str = VR,
    fields: Sequence[str] = FIELDS,
    **overrides: Any,
) -> dict[str, Any]:
    """The JSON of a query request, built by hand so that any field can be made hostile."""
    grant_id = doc if isinstance(doc, str) else doc.grant_id
    purpose = 1 if isinstance(doc, str) else int(doc.purpose)
    req: dict[str, Any] = {
        "type": "quancheng.query/2",
        "request_id": str(uuid.uuid4()),
        "grant_id": grant_id,
        "consumer": sc.consumer.code,
        "resource": resource,
        "fields": list(fields),
        "purpose": purpose,
        "params": {},
        "issued_at_ms": time.time_ns() // 1_000_000,
        "channel": None,
        "seal": False,
    }
    req.update(overrides)
    return req


def sign_dict(signer: Member | SM2PrivateKey, req: dict[str, Any]) -> dict[str, Any]:
    """``{"request": req, "signature": ...}`` signed over the canonical JSON of ``req``.

    A request whose values have no canonical form (integers beyond 2^53) is signed over
    Python's own JSON of it: whatever a gateway makes of it, the signature cannot save it.
    """
    key = signer.sm2 if isinstance(signer, Member) else signer
    try:
        message = canonical_json(req)
    except Exception:
        message = json.dumps(req, sort_keys=True, separators=(",", ":")).encode()
    return {"request": req, "signature": b64(key.sign(message))}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# -------------------------------------------------------------------------------- owners


_next_subject: dict[int, int] = {}


def fresh_subject(sc: Scenario, *, attest: bool = True) -> str:
    """A subject no other attack has used, its owner attested (unless told otherwise)."""
    pool = sc.subjects[:-PORTAL_PEOPLE]
    index = _next_subject.get(id(sc), 0)
    if index >= len(pool):
        raise AssertionError(f"only {len(pool)} subjects in the attack scenario")
    _next_subject[id(sc)] = index + 1
    if attest:
        owner_for(sc, pool[index])
    return pool[index]
